/** @module The cluster store: Postgres through a pg Pool, migrated on open under an advisory lock. */

import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { MASK, redact } from '../config/mask.js';
import { RosterError } from '../core/errors.js';
import { WITH_NEXT } from './kysely/context.js';
import { KyselyStore, type KyselyStoreOptions, type StoreDialect } from './kysely-store.js';
import { migrateToLatest } from './migrations/index.js';
import { listenPostgres } from './postgres-listen.js';
import { pipelinedPool } from './postgres-pipeline.js';
import type { Database } from './schema.js';
import type { WatchHandlers } from './store.js';

/**
 * The session-level advisory lock every opener takes before migrating (an arbitrary constant: "roster" in
 * ASCII). Advisory locks are per database, so stores in different databases never wait on each other.
 */
export const MIGRATION_LOCK_KEY = 0x726f73746572n;

/** The transaction-level advisory lock audit appends queue on ("audit" in ASCII). */
export const AUDIT_LOCK_KEY = 0x6175646974n;

/** The transaction-level advisory lock rewrites of the stored findings queue on ("graph" in ASCII). */
export const GRAPH_LOCK_KEY = 0x6772617068n;

export interface PostgresStoreOptions extends KyselyStoreOptions {
  /** Most connections the pool holds open (pg's default is 10). */
  poolSize?: number;
  /** How long connecting may take before the open fails (ms). */
  connectTimeoutMs?: number;
  /** How long to wait for another process that is migrating the same database (ms). */
  migrationLockTimeoutMs?: number;
  /**
   * Whether statements run again and again are named prepared statements (see postgres-pipeline.ts). Default:
   * ROSTER_PG_PREPARED, on unless it says off: a connection pooler that hands each transaction another server
   * connection without carrying them (PgBouncer in transaction mode before 1.21) needs them off.
   */
  preparedStatements?: boolean;
  /**
   * Whether the store may hear of changes on a connection of its own (LISTEN; see Store.watchTokens). Default:
   * ROSTER_PG_LISTEN, on unless it says off: behind a pooler that hands each transaction another server connection
   * (PgBouncer in transaction mode) a LISTEN is not kept, and a server would keep a revoked token until it expires
   * from its cache (5 s) instead of refusing it at once.
   */
  listen?: boolean;
}

/** An on/off environment variable: unset or on (1, true, yes), or off (0, false, no); anything else is refused. */
function switchFromEnv(env: NodeJS.ProcessEnv, name: string, fix: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || ['on', '1', 'true', 'yes'].includes(raw)) return true;
  if (['off', '0', 'false', 'no'].includes(raw)) return false;
  throw new RosterError('invalid_input', `${name}="${env[name]}" is neither on nor off`, {
    where: name,
    fix,
  });
}

/** ROSTER_PG_PREPARED as a switch (see PostgresStoreOptions.preparedStatements). */
export function preparedFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return switchFromEnv(
    env,
    'ROSTER_PG_PREPARED',
    'unset it, or set it to off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21)',
  );
}

/** ROSTER_PG_LISTEN as a switch (see PostgresStoreOptions.listen). */
export function listenFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return switchFromEnv(
    env,
    'ROSTER_PG_LISTEN',
    'unset it, or set it to off behind a pooler that cannot keep a LISTEN (PgBouncer in transaction mode)',
  );
}

/**
 * Group-commit batches a store keeps in flight on Postgres. Each batch ends by taking the audit chain's lock (and
 * the change counter) for its last round trips and its commit, so batches side by side overlap everything before
 * that; more of them are smaller, each paying that end again. SCIM POSTs on 10 connections: 203 req/s with one,
 * 245 with two, 243 with three, 196 with five (bench:scim, BENCH_STORE=postgres://…).
 */
const PARALLEL_WRITES = 2;

/** A postgres:// URL with the password replaced by `********`, for messages and `where`. */
export function maskPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = MASK;
    return parsed.toString();
  } catch {
    // Unparseable: the password cannot be located, so show nothing after the scheme.
    return `${url.split('://')[0] ?? 'postgres'}://${MASK}`;
  }
}

/** The password as written in the URL and as decoded, so either form is scrubbed from driver messages. */
function secretsOf(url: URL): string[] {
  if (url.password === '') return [];
  const secrets = [url.password];
  try {
    secrets.push(decodeURIComponent(url.password));
  } catch {
    // A malformed escape is only ever in the raw form, which is already listed.
  }
  return secrets;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What a transaction sent with its commit was refused (see StoreDialect.withCommit): its guard called
 * `roster_refused` (migration 0032), or, for an audit append, another writer that slipped past the tail lock took
 * its first seq.
 */
function refusedWithCommit(error: unknown): boolean {
  const state = sqlState(error);
  if (state === '40001') return String((error as { message?: unknown }).message).startsWith('roster: ');
  return state === '23505' && (error as { constraint?: unknown }).constraint === 'audit_events_pkey';
}

/** The Postgres side of the Store: SQLSTATE classes for constraint errors and the protocol's parameter cap. */
export function postgresDialect(
  where: string,
  parallelTransactions = 1,
  connection?: pg.ClientConfig,
): StoreDialect {
  return {
    where,
    ...(connection && {
      listen: (channel: string, handlers: WatchHandlers) => listenPostgres(connection, channel, handlers),
    }),
    parallelTransactions,
    // The Bind message counts parameters in an unsigned 16-bit field.
    maxParams: 65_535,
    isForeignKeyViolation: (error) => sqlState(error) === '23503',
    isUniqueViolation: (error) => sqlState(error) === '23505',
    // Pipelined connections (postgres-pipeline.ts) send held statements with the commit.
    withCommit: { refused: refusedWithCommit },
    // Under READ COMMITTED every worker reads the same tail; queueing them keeps appends from failing in bulk.
    // Sent with the statement after it (the events' insert): no round trip of its own.
    lockAuditTail: async (db) => {
      await sql`${sql.raw(WITH_NEXT)}select pg_advisory_xact_lock(${AUDIT_LOCK_KEY.toString()}::bigint)`.execute(
        db,
      );
    },
    // Two workers refreshing the graph after their syncs would each delete and insert the same findings.
    lockGraphFindings: async (db) => {
      await sql`${sql.raw(WITH_NEXT)}select pg_advisory_xact_lock(${GRAPH_LOCK_KEY.toString()}::bigint)`.execute(
        db,
      );
    },
  };
}

/** Turns a failure to reach or migrate the database into a RosterError that never shows the password. */
function openError(cause: unknown, where: string, secrets: readonly string[]): RosterError {
  if (cause instanceof RosterError) {
    return new RosterError(cause.code, redact(cause.message, secrets), {
      where,
      fix: cause.fix,
      retryable: cause.retryable,
    });
  }
  // The driver's error is summarised, not attached as the cause: only scrubbed text leaves this function.
  const message = redact(cause instanceof Error ? cause.message : String(cause), secrets);
  const code = sqlState(cause);
  const details = code === undefined ? {} : { code };
  // 28P01 wrong password, 28000 no pg_hba.conf entry / role not allowed.
  if (code === '28P01' || code === '28000') {
    return new RosterError('unauthenticated', `Postgres refused the login: ${message}`, {
      where,
      fix: 'check the user and password in the store URL and the server’s pg_hba.conf',
      details,
    });
  }
  if (code === '3D000') {
    return new RosterError('invalid_input', `the Postgres database does not exist: ${message}`, {
      where,
      fix: 'create it first (createdb <name>) or point the store URL at an existing database',
      details,
    });
  }
  // 55P03 lock_not_available: another process held the migration lock for longer than we would wait.
  if (code === '55P03') {
    return new RosterError('unavailable', 'another Roster process is still migrating this database', {
      where,
      fix: 'wait for it to finish, or raise migrationLockTimeoutMs',
      details,
    });
  }
  return new RosterError('unavailable', `cannot open the Postgres store: ${message}`, {
    where,
    fix: 'check that Postgres is running and that the store URL names the right host, port and database',
    details,
  });
}

/**
 * Runs the migrations while holding an advisory lock on its own connection, so two processes starting at once
 * take turns: the second finds the schema up to date and runs nothing.
 */
async function migrateUnderLock(
  db: Kysely<Database>,
  config: pg.ClientConfig,
  where: string,
  lockTimeoutMs: number,
): Promise<void> {
  const lock = new pg.Client(config);
  // A server that drops the lock connection mid-migration surfaces through the query below; don't crash.
  lock.on('error', () => {});
  await lock.connect();
  try {
    await lock.query(`set lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`);
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>, where);
    } finally {
      await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await lock.end();
  }
}

/** Opens a Postgres store (`postgres://user:pass@host:5432/db`) and brings its schema up to date. */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<KyselyStore> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: Node's URL error carries the input, password and all.
    throw new RosterError('invalid_input', 'the Postgres store URL is not a valid URL', {
      where: maskPostgresUrl(url),
      fix: 'write it as postgres://user:password@host:5432/database (percent-encode special characters)',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new RosterError('invalid_input', `not a Postgres URL: ${parsed.protocol}//`, {
      where: maskPostgresUrl(url),
      fix: 'write it as postgres://user:password@host:5432/database',
    });
  }
  const where = maskPostgresUrl(url);
  const secrets = secretsOf(parsed);
  const config: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'roster',
  };
  const poolSize = options.poolSize ?? 10;
  const prepared = options.preparedStatements ?? preparedFromEnv();
  // Pipeline mode: a statement goes out while the one before it is still answered (see postgres-pipeline.ts).
  const pool = new pg.Pool({ ...config, max: poolSize, pipeline: true } as pg.PoolConfig);
  // An idle connection the server closes (restart, failover) must not crash the process; the next
  // checkout opens a fresh one and a query in flight fails on its own.
  pool.on('error', () => {});
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: pipelinedPool(pool, { prepared }) }),
  });
  try {
    await migrateUnderLock(db, config, where, options.migrationLockTimeoutMs ?? 120_000);
  } catch (cause) {
    await db.destroy();
    throw openError(cause, where, secrets);
  }
  const listen = options.listen ?? listenFromEnv();
  return new KyselyStore(
    db,
    postgresDialect(where, Math.min(PARALLEL_WRITES, poolSize), listen ? config : undefined),
    options,
  );
}

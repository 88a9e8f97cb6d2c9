/**
 * @module SQLite under contention: write transactions take the lock up front (BEGIN IMMEDIATE) and a busy
 * database is waited for without blocking the event loop, so a sync and an apply can share one file.
 */

import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type Sqlite from 'better-sqlite3';
import {
  CompiledQuery as Compiled,
  type CompiledQuery,
  type DatabaseConnection,
  type QueryResult,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import { RosterError } from '../core/errors.js';
import { ARRAY_ROWS } from './kysely/context.js';
import { AUTO_PAGES, type BackgroundCheckpoints, checkpointInBackground } from './sqlite-checkpoint.js';

/** SQLITE_BUSY and its extended codes (SNAPSHOT, RECOVERY, TIMEOUT), and SQLITE_LOCKED. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export interface BusyPolicy {
  /** How long one statement may wait, in all, for another writer (ms). */
  waitMs: number;
  /** Where the database is, for the error. */
  where: string;
  /** Called each time a statement finds the database busy and waits (progress, diagnostics, tests). */
  onWait?: () => void;
}

export function busyError(policy: BusyPolicy, cause: unknown): RosterError {
  return new RosterError(
    'unavailable',
    `the SQLite store stayed locked by another writer for more than ${Math.round(policy.waitMs / 1000)} s`,
    {
      cause,
      where: policy.where,
      retryable: true,
      fix: 'another roster process (a sync or an apply) is writing a long transaction; run again when it is done',
    },
  );
}

/**
 * Runs fn, and while SQLite answers busy outside a transaction (nothing was done), waits a little and runs it
 * again. The wait is a timer, not SQLite's busy handler: that one blocks the whole process, and with it the
 * other store handle in this process that holds the lock and must finish to release it.
 */
export async function whileBusy<T>(fn: () => Promise<T> | T, sqlite: Sqlite.Database, policy: BusyPolicy) {
  const started = Date.now();
  let delay = 1;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (!isBusy(error)) throw error;
      // Inside a transaction the statement cannot simply be repeated: the caller's transaction fails whole.
      if (sqlite.inTransaction || Date.now() - started >= policy.waitMs) throw busyError(policy, error);
      policy.onWait?.();
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }
}

/** What a write answers: shared, never written to. */
const NO_ROWS: readonly never[] = Object.freeze([]);

/** Values a write binds as arguments rather than as one array (see SqliteStatements.rows). */
const SPREAD_VALUES = 16;

/** Prepared statements kept per SQL text; enough for every statement the store builds, bounded for safety. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The one better-sqlite3 connection behind a store: its prepared statements, and whether Kysely has lent it out
 * (a transaction, or a query waiting its turn), which decides when a statement may skip Kysely's executor.
 */
export class SqliteStatements {
  private readonly statements = new Map<string, Sqlite.Statement>();
  /** Kysely's connection is lent out (between its acquire and its release). */
  lent = false;

  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
  ) {}

  /** Kysely's own SQLite connection prepares every statement anew; a sync runs the same few thousands of times. */
  run<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    const stmt = this.prepared(sql);
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /**
   * A statement's rows, and none for a write: no count or row id is made into a result object (a graph pass runs a
   * million one-row writes this way, each of whose three allocations the collector then had to clear).
   */
  private rows<R>(sql: string, parameters: readonly unknown[]): R[] {
    const stmt = this.prepared(sql);
    if (stmt.reader) return stmt.all(parameters) as R[];
    // A row's few values as arguments: better-sqlite3 binds those for less than it reads an array's elements
    // (an eighth less per one-row write, measured on 500k link rows; a graph pass runs over a million of them).
    if (parameters.length <= SPREAD_VALUES) stmt.run(...parameters);
    else stmt.run(parameters);
    return NO_ROWS as unknown as R[];
  }

  /**
   * Runs a statement at once on the connection, without Kysely's executor, when that is the connection the
   * caller's statement would run on: `bound` (the caller's handle is a transaction, which holds the connection
   * until it ends) with a transaction open, or nobody holding it and none open (a statement of its own, done
   * before anyone else can take the connection: better-sqlite3 runs it synchronously). Otherwise undefined: the
   * caller takes Kysely's path and its turn. Unbound and busy (another process writes), nothing was done, so it
   * is also undefined and Kysely's path waits for the lock.
   */
  runNow<R>(sql: string, parameters: readonly unknown[], bound: boolean): R[] | undefined {
    if (bound ? !this.sqlite.inTransaction : this.lent || this.sqlite.inTransaction) return undefined;
    try {
      return this.rows<R>(sql, parameters);
    } catch (error) {
      if (!isBusy(error)) throw error;
      // Inside a transaction the statement cannot simply be repeated: the caller's transaction fails whole.
      if (bound) throw busyError(this.policy, error);
      return undefined;
    }
  }

  private prepared(sql: string): Sqlite.Statement {
    const cached = this.statements.get(sql);
    // A statement still iterating (streamQuery) cannot run again until it is done: that use gets its own.
    if (cached !== undefined && !cached.busy) return cached;
    const stmt = this.sqlite.prepare(sql);
    // Rows as arrays skip building an object per row, most of what reading a large table costs.
    if (stmt.reader && sql.startsWith(ARRAY_ROWS)) stmt.raw(true);
    if (cached !== undefined) return stmt;
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }
}

class WaitingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
    private readonly statements: SqliteStatements,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return whileBusy(() => this.statements.run<R>(query.sql, query.parameters), this.sqlite, this.policy);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** Whether the WAL file has grown past SQLite's checkpoint limit (a stat; a missing file is not). */
function walPastLimit(sqlite: Sqlite.Database, path: string): boolean {
  const size = statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  return size > AUTO_PAGES * (sqlite.pragma('page_size', { simple: true }) as number);
}

/**
 * When a file store's WAL checkpoints move to a worker thread: once it has committed this many times, or once a
 * transaction has left the WAL past SQLite's own checkpoint limit.
 */
export interface CheckpointPolicy {
  /** The database file. */
  path: string;
  /** Write transactions committed before the checkpoints move (a short-lived CLI run never starts a thread). */
  afterCommits: number;
}

class WaitingDriver extends SqliteDriver {
  private readonly wrapped = new WeakMap<DatabaseConnection, WaitingConnection>();
  private commits = 0;
  private background: BackgroundCheckpoints | null = null;

  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
    private readonly statements: SqliteStatements,
    private readonly checkpoints?: CheckpointPolicy,
  ) {
    super({ database: sqlite });
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    if (!this.checkpoints || this.background !== null) return;
    // A store that keeps writing (a server answering IdP writes), or one whose transaction just left the WAL past
    // SQLite's limit (a saved plan: tens of MB), checkpoints in a thread of its own: the commit that crosses the
    // limit would otherwise copy the pages and fsync while the event loop waits (~150 ms of a 20k plan's save).
    if (++this.commits >= this.checkpoints.afterCommits || walPastLimit(this.sqlite, this.checkpoints.path))
      this.background = checkpointInBackground(this.sqlite, this.checkpoints.path);
    else this.sqlite.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await super.rollbackTransaction(connection);
    if (this.checkpoints && this.background === null)
      this.sqlite.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
  }

  override async destroy(): Promise<void> {
    await this.background?.stop();
    await super.destroy();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    this.statements.lent = true;
    let connection = this.wrapped.get(inner);
    if (connection === undefined) {
      connection = new WaitingConnection(inner, this.sqlite, this.policy, this.statements);
      this.wrapped.set(inner, connection);
    }
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    this.statements.lent = false;
    await super.releaseConnection();
  }

  // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and then writes can find
  // another writer committed in between (SQLITE_BUSY_SNAPSHOT), which no wait can cure.
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Until the checkpoints have moved, a transaction's own commit does not checkpoint (see commitTransaction,
    // which hands them on, or back to the connection's statements outside transactions).
    if (this.checkpoints && this.background === null) this.sqlite.pragma('wal_autocheckpoint = 0');
    await connection.executeQuery(Compiled.raw('begin immediate'));
  }
}

/** Kysely's SQLite dialect with the waiting driver. */
export class WaitingSqliteDialect extends SqliteDialect {
  /** The connection's statements, also run directly by the store (see {@link SqliteStatements.runNow}). */
  readonly statements: SqliteStatements;

  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
    private readonly checkpoints?: CheckpointPolicy,
  ) {
    super({ database: sqlite });
    this.statements = new SqliteStatements(sqlite, policy);
  }

  override createDriver(): SqliteDriver {
    return new WaitingDriver(this.sqlite, this.policy, this.statements, this.checkpoints);
  }
}

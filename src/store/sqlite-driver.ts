/**
 * @module SQLite under contention: write transactions take the lock up front (BEGIN IMMEDIATE) and a busy
 * database is waited for without blocking the event loop, so a sync and an apply can share one file.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type Sqlite from 'better-sqlite3';
import {
  CompiledQuery as Compiled,
  type CompiledQuery,
  type DatabaseConnection,
  type QueryResult,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import { RosterError } from '../core/errors.js';

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

function busyError(policy: BusyPolicy, cause: unknown): RosterError {
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

class WaitingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return whileBusy(() => this.inner.executeQuery<R>(query), this.sqlite, this.policy);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** How many distinct statements stay prepared: far more than the store's queries, bounded for ad-hoc ones. */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * The database as Kysely sees it, with each statement prepared once per SQL text: Kysely prepares every query
 * anew, and preparing was a tenth of an apply's CPU (issue 17). Kysely runs one query at a time on the one
 * connection, so a cached statement is never in use twice at once; SQLite re-prepares it after a schema change.
 */
export function preparedOnce(sqlite: Sqlite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

class WaitingDriver extends SqliteDriver {
  private readonly wrapped = new WeakMap<DatabaseConnection, WaitingConnection>();

  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
  ) {
    super({ database: preparedOnce(sqlite) });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    let connection = this.wrapped.get(inner);
    if (connection === undefined) {
      connection = new WaitingConnection(inner, this.sqlite, this.policy);
      this.wrapped.set(inner, connection);
    }
    return connection;
  }

  // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and then writes can find
  // another writer committed in between (SQLITE_BUSY_SNAPSHOT), which no wait can cure.
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(Compiled.raw('begin immediate'));
  }
}

/** Kysely's SQLite dialect with the waiting driver. */
export class WaitingSqliteDialect extends SqliteDialect {
  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly policy: BusyPolicy,
  ) {
    super({ database: sqlite });
  }

  override createDriver(): SqliteDriver {
    return new WaitingDriver(this.sqlite, this.policy);
  }
}

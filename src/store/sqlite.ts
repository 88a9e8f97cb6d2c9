/** @module The embedded store: SQLite through better-sqlite3 in WAL mode, migrated on open. */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { RosterError } from '../core/errors.js';
import { KyselyStore, type KyselyStoreOptions, type StoreDialect } from './kysely-store.js';
import { migrateToLatest } from './migrations/index.js';
import { ensurePrivateFile, stderrWarning, widerThanPrivate } from './private-file.js';
import type { Database } from './schema.js';
import { type SqliteStatements, WaitingSqliteDialect, whileBusy } from './sqlite-driver.js';
import { inWriteThread } from './sqlite-write-thread.js';

export const MEMORY = ':memory:';

/** `sqlite:./roster.db`, `sqlite:///abs/roster.db`, `sqlite::memory:`, a plain path, or `:memory:` → a path. */
export function sqlitePath(pathOrUrl: string): string {
  let path = pathOrUrl.trim();
  if (path.startsWith('sqlite:')) {
    path = path.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
  }
  if (path === '') {
    throw new RosterError('invalid_input', `no database path in "${pathOrUrl}"`, {
      fix: 'use sqlite:./roster.db, a file path, or :memory:',
    });
  }
  return path;
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What the SQL store needs to know of SQLite (tests open a store on a handle of their own with it). */
export function sqliteDialect(where: string, statements?: SqliteStatements): StoreDialect {
  return {
    where,
    ...(statements && {
      runNow: <R>(sql: string, parameters: readonly unknown[], bound: boolean) =>
        statements.runNow<R>(sql, parameters, bound),
    }),
    // SQLite allows 32766 bound parameters; smaller statements compile faster and hold the lock for less.
    maxParams: 16_000,
    isForeignKeyViolation: (error) => sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY',
    isUniqueViolation: (error) => {
      const code = sqliteCode(error);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
  };
}

export interface SqliteStoreOptions extends KyselyStoreOptions {
  /** How long a write waits, in all, for another writer's lock before failing as unavailable (ms). */
  busyTimeoutMs?: number;
  /** Where a warning goes (a database file others can read); stderr by default. */
  warn?: (message: string) => void;
  /** Called each time a statement waits for another writer's lock. */
  onBusyWait?: () => void;
  /**
   * Write transactions after which a file store's WAL checkpoints run in a worker thread instead of on the
   * commit that crosses the WAL's limit (200; a short CLI run never gets there).
   */
  backgroundCheckpointAfter?: number;
  /**
   * Accounts from which a graph's first pass writes its links and findings on a thread of its own (a file store;
   * 100,000: below, starting the thread costs more than it saves). Infinity never does.
   */
  writeThreadFrom?: number;
}

/** See SqliteStoreOptions.writeThreadFrom. */
const WRITE_THREAD_FROM = 100_000;

const HOLDS = "everyone's accounts and access, and the audit log";

/** Opens (creating if need be) a SQLite store and brings its schema up to date. */
export async function openSqliteStore(
  pathOrUrl: string,
  options: SqliteStoreOptions = {},
): Promise<KyselyStore> {
  const path = sqlitePath(pathOrUrl);
  const memory = path === MEMORY;
  const where = memory ? MEMORY : resolve(path);
  const warn = options.warn ?? stderrWarning;
  const policy = {
    waitMs: Math.max(0, options.busyTimeoutMs ?? 60_000),
    where,
    ...(options.onBusyWait ? { onWait: options.onBusyWait } : {}),
  };
  let sqlite: Sqlite.Database;
  try {
    if (!memory) {
      mkdirSync(dirname(where), { recursive: true });
      // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the database file's mode.
      ensurePrivateFile(where, HOLDS, warn);
      for (const side of [`${where}-wal`, `${where}-shm`]) {
        const wider = widerThanPrivate(side, HOLDS);
        if (wider !== null) warn(wider);
      }
    }
    sqlite = new Sqlite(memory ? MEMORY : where);
    // No busy handler of SQLite's own: it would block this process, whose other handles may hold the lock.
    // Contention is waited out by the driver (whileBusy) instead.
    sqlite.pragma('busy_timeout = 0');
    const db = sqlite;
    if (!memory) await whileBusy(() => db.pragma('journal_mode = WAL'), db, policy);
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
  } catch (cause) {
    if (cause instanceof RosterError) throw cause;
    throw new RosterError('unavailable', `cannot open the SQLite store: ${(cause as Error).message}`, {
      cause,
      where,
      retryable: false,
      fix: 'check that the path is a writable file (or a directory Roster may create it in)',
    });
  }
  const checkpoints = memory
    ? undefined
    : { path: where, afterCommits: options.backgroundCheckpointAfter ?? 200 };
  const dialect = new WaitingSqliteDialect(sqlite, policy, checkpoints);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>, where);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const base = sqliteDialect(where, dialect.statements);
  const from = options.writeThreadFrom ?? WRITE_THREAD_FROM;
  if (memory || from === Number.POSITIVE_INFINITY) return new KyselyStore(db, base, options);
  const statements = dialect.statements;
  const threaded: StoreDialect = {
    ...base,
    writeThread: {
      from,
      run: (fn) =>
        inWriteThread(
          sqlite,
          statements,
          where,
          policy,
          // The store's own connection is held (its other users wait their turn) while this thread reads on it.
          (use) => db.connection().execute(use),
          (handle) => fn(handle.db, { ...base, runNow: (sql, parameters) => handle.runNow(sql, parameters) }),
        ),
    },
  };
  return new KyselyStore(db, threaded, options);
}

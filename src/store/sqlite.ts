/** @module The embedded store: SQLite through better-sqlite3 in WAL mode, migrated on open. */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { RosterError } from '../core/errors.js';
import { KyselyStore, type KyselyStoreOptions, type StoreDialect } from './kysely-store.js';
import { migrateToLatest } from './migrations/index.js';
import type { Database } from './schema.js';

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

function sqliteDialect(where: string): StoreDialect {
  return {
    where,
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
  /** How long a write waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
}

/** Opens (creating if need be) a SQLite store and brings its schema up to date. */
export async function openSqliteStore(
  pathOrUrl: string,
  options: SqliteStoreOptions = {},
): Promise<KyselyStore> {
  const path = sqlitePath(pathOrUrl);
  const memory = path === MEMORY;
  const where = memory ? MEMORY : resolve(path);
  let sqlite: Sqlite.Database;
  try {
    if (!memory) mkdirSync(dirname(where), { recursive: true });
    sqlite = new Sqlite(memory ? MEMORY : where);
    sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (!memory) sqlite.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new RosterError('unavailable', `cannot open the SQLite store: ${(cause as Error).message}`, {
      cause,
      where,
      retryable: false,
      fix: 'check that the path is a writable file (or a directory Roster may create it in)',
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>, where);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, sqliteDialect(where), options);
}

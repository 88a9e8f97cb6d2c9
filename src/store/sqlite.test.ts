import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../core/errors.js';
import { storeContract } from './contract.testkit.js';
import { MIGRATIONS, migrateTo } from './migrations/index.js';
import { openStore } from './open.js';
import type { Database } from './schema.js';
import { openSqliteStore, sqlitePath } from './sqlite.js';

storeContract(
  'SQLite file',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-store-'));
    return {
      open: async (options) => {
        const store = await openSqliteStore(`sqlite:${join(dir, 'roster.db')}`, options);
        return { store, db: store.db };
      },
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { persistent: true },
);

storeContract(
  'SQLite :memory:',
  async () => ({
    open: async (options) => {
      const store = await openSqliteStore(':memory:', options);
      return { store, db: store.db };
    },
    dispose: async () => {},
  }),
  { persistent: false },
);

describe('SQLite store specifics', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('store URLs name a path, a sqlite: URL or memory', () => {
    expect(sqlitePath('sqlite:./roster.db')).toBe('./roster.db');
    expect(sqlitePath('sqlite:///var/lib/roster.db')).toBe('/var/lib/roster.db');
    expect(sqlitePath('sqlite::memory:')).toBe(':memory:');
    expect(sqlitePath('data/roster.db')).toBe('data/roster.db');
    expect(() => sqlitePath('sqlite:')).toThrow(/no database path/);
  });

  it('a store URL with an unknown scheme is refused with a clear invalid_input error', async () => {
    const other = await openStore('mysql://localhost/roster').catch((e: unknown) => e);
    expect(isRosterError(other) && other.code).toBe('invalid_input');
    expect((other as Error).message).toMatch(/unknown store scheme "mysql:\/\/"/);
  });

  it('a file store opens in WAL mode with foreign keys on, creating its folder', async () => {
    const path = join(tempDir(), 'nested', 'roster.db');
    const store = await openStore(`sqlite:${path}`);
    await store.close();
    const raw = new Sqlite(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const again = await openSqliteStore(path);
    const { rows } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(again.db);
    expect(rows[0]?.foreign_keys).toBe(1);
    await again.close();
  });

  it('a database at an older version gets only the newer migrations', async () => {
    const path = join(tempDir(), 'roster.db');
    const names = Object.keys(MIGRATIONS).sort();
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
    await migrateTo(old as unknown as Kysely<unknown>, names[0]!);
    await old.destroy();
    const store = await openSqliteStore(path);
    const applied = await store.migrations();
    expect(applied.map((m) => m.name)).toEqual(names);
    await store.close();
  });

  it('a database written by a newer Roster is refused rather than guessed at', async () => {
    const path = join(tempDir(), 'roster.db');
    const store = await openSqliteStore(path);
    await store.db
      .insertInto('kysely_migration' as never)
      .values({ name: '9999_future', timestamp: new Date().toISOString() } as never)
      .execute();
    await store.close();
    const error = await openSqliteStore(path).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('internal');
  });
});

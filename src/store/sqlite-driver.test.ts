import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sql } from './kysely/context.js';
import type { Database } from './schema.js';
import { MEMORY, sqliteDialect } from './sqlite.js';
import { WaitingSqliteDialect } from './sqlite-driver.js';

/** A table of its own, so the test needs no schema. */
type Rows = { t: { id: string } };

/**
 * Statements built once (runBuilt) skip Kysely's executor on SQLite and run on its one connection at once: only
 * where that is the connection Kysely would have given them, never inside another caller's transaction.
 */
describe('a statement built once runs directly on the connection its caller holds, or waits its turn', () => {
  let sqlite: Sqlite.Database;
  let dialect: WaitingSqliteDialect;
  let db: Kysely<Database>;
  let sql: Sql;

  const insert = (s: Sql, id: string) =>
    s.runBuilt('t.insert', { id }, (v) =>
      (s.db as unknown as Kysely<Rows>).insertInto('t').values({ id: v.id }),
    );
  const ids = () =>
    (sqlite.prepare('select id from t order by id').all() as { id: string }[]).map((r) => r.id);

  beforeEach(() => {
    sqlite = new Sqlite(MEMORY);
    sqlite.exec('create table t (id text primary key)');
    dialect = new WaitingSqliteDialect(sqlite, { waitMs: 1000, where: MEMORY });
    db = new Kysely<Database>({ dialect });
    sql = new Sql(db, sqliteDialect(MEMORY, dialect.statements), () => new Date());
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('runs inside the caller’s own transaction, past the executor: a rollback undoes it', async () => {
    const direct = vi.spyOn(dialect.statements, 'runNow');
    await expect(
      sql.write(async (tx) => {
        await insert(tx, 'a');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(direct).toHaveReturnedWith([]);
    expect(ids()).toEqual([]);
    await insert(sql, 'b');
    expect(direct).toHaveBeenLastCalledWith(expect.any(String), ['b'], false);
    expect(direct).toHaveLastReturnedWith([]);
    expect(ids()).toEqual(['b']);
  });

  it('binds a write’s values each in its place, whether few (as arguments) or many (as one array)', () => {
    sqlite.exec('create table w (a, b, c, d)');
    const blob = Buffer.from([1, 2]);
    expect(
      dialect.statements.runNow('insert into w values (?, ?, ?, ?)', ['x', 2.5, null, blob], false),
    ).toEqual([]);
    const many = Array.from({ length: 40 }, (_, i) => `id${i}`);
    const text = `insert into t values ${many.map(() => '(?)').join(', ')}`;
    expect(dialect.statements.runNow(text, many, false)).toEqual([]);
    expect(sqlite.prepare('select a, b, c, d from w').all()).toEqual([{ a: 'x', b: 2.5, c: null, d: blob }]);
    expect(ids()).toEqual([...many].sort());
  });

  it('waits while another caller’s transaction holds the connection, so that rollback leaves it standing', async () => {
    let resume = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let started = () => {};
    const inside = new Promise<void>((resolve) => {
      started = resolve;
    });
    const other = sql.write(async (tx) => {
      await insert(tx, 'theirs');
      started();
      await paused;
      throw new Error('roll back');
    });
    await inside;
    const mine = insert(sql, 'mine');
    resume();
    await expect(other).rejects.toThrow('roll back');
    await mine;
    expect(ids()).toEqual(['mine']);
  });
});

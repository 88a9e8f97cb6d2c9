import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WITH_NEXT } from './kysely/context.js';
import { listenFromEnv, preparedFromEnv } from './postgres.js';
import { freshDatabase, requirePostgres } from './postgres.testkit.js';
import { pipelinedPool } from './postgres-pipeline.js';

const postgres = await requirePostgres();

describe.each([
  ['ROSTER_PG_PREPARED', preparedFromEnv],
  ['ROSTER_PG_LISTEN', listenFromEnv],
] as const)('%s', (name, fromEnv) => {
  it('is on unless it says off, and names itself when it says neither', () => {
    for (const on of [undefined, '', 'on', '1', 'TRUE', 'yes']) expect(fromEnv({ [name]: on })).toBe(true);
    for (const off of ['off', '0', 'false', 'No ']) expect(fromEnv({ [name]: off })).toBe(false);
    expect(() => fromEnv({ [name]: 'sometimes' })).toThrow(`${name}="sometimes" is neither on nor off`);
  });
});

interface Tables {
  t: { id: number };
}

describe.skipIf(!postgres.available)(
  postgres.available
    ? 'Postgres pipelined connections'
    : `Postgres pipelined connections (skipped: ${postgres.reason})`,
  () => {
    let drop: () => Promise<void>;
    let url: string;
    let pool: pg.Pool;
    let db: Kysely<Tables>;
    /** Socket writes the pool's one connection made since the last reset. */
    let writes = 0;

    beforeAll(async () => {
      const database = await freshDatabase('roster_pipeline');
      drop = database.drop;
      url = database.url;
      pool = new pg.Pool({ connectionString: database.url, max: 1, pipeline: true } as pg.PoolConfig);
      const client = await pool.connect();
      const stream = (client as unknown as { connection: { stream: Record<string, unknown> } }).connection
        .stream;
      for (const method of ['_write', '_writev']) {
        const write = stream[method] as (...args: unknown[]) => unknown;
        stream[method] = function (this: unknown, ...args: unknown[]) {
          writes++;
          return write.apply(this, args);
        };
      }
      await client.query('create table t (id integer primary key)');
      client.release();
      db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: pipelinedPool(pool) }) });
    });
    afterAll(async () => {
      await db?.destroy();
      await drop?.();
    });
    beforeEach(async () => {
      await db.deleteFrom('t').execute();
      writes = 0;
    });

    const ids = async () => (await db.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id);
    const lock = (key: number) => sql`${sql.raw(WITH_NEXT)}select pg_advisory_xact_lock(${key}::bigint)`;

    it("sends a transaction's begin with its first statement, and a lock with the statement after it", async () => {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 1 }).execute();
        await lock(7).execute(tx);
        await tx.insertInto('t').values({ id: 2 }).execute();
      });
      // begin + insert, lock + insert, commit: three writes where each statement alone took five.
      expect(writes).toBe(3);
      expect(await ids()).toEqual([1, 2]);
    });

    it('sends nothing for a transaction that ran no statement', async () => {
      await db.transaction().execute(async () => {});
      expect(writes).toBe(0);
    });

    it('commits a transaction whose only statements waited for a next one, in one write', async () => {
      await db.transaction().execute(async (tx) => {
        await sql`${sql.raw(WITH_NEXT)}insert into t (id) values (${1})`.execute(tx);
        await sql`${sql.raw(WITH_NEXT)}insert into t (id) values (${2})`.execute(tx);
      });
      expect(writes).toBe(1);
      expect(await ids()).toEqual([1, 2]);
    });

    it('holds the lock until the transaction ends, as sent alone', async () => {
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        let held: unknown;
        await db.transaction().execute(async (tx) => {
          await lock(11).execute(tx);
          await tx.insertInto('t').values({ id: 1 }).execute();
          held = (await other.query('select pg_try_advisory_lock(11) as got')).rows[0].got;
        });
        expect(held).toBe(false);
        expect((await other.query('select pg_try_advisory_lock(11) as got')).rows[0].got).toBe(true);
      } finally {
        await other.end();
      }
    });

    it('reports a failure with the statement it went out with, and rolls the whole transaction back', async () => {
      const failed = db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 1 }).execute();
        await sql`${sql.raw(WITH_NEXT)}select 1 / 0`.execute(tx);
        await tx.insertInto('t').values({ id: 2 }).execute();
      });
      await expect(failed).rejects.toThrow(/division by zero/);
      expect(await ids()).toEqual([]);
    });

    it('never reports a commit whose held statement failed as committed', async () => {
      const failed = db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 1 }).execute();
        await sql`${sql.raw(WITH_NEXT)}select 1 / 0`.execute(tx);
      });
      await expect(failed).rejects.toThrow(/division by zero/);
      expect(await ids()).toEqual([]);
      // The connection is usable after it: the next transaction commits.
      await db.transaction().execute((tx) => tx.insertInto('t').values({ id: 3 }).execute());
      expect(await ids()).toEqual([3]);
    });

    it('drops what is held when the transaction rolls back', async () => {
      const failed = db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 1 }).execute();
        await sql`${sql.raw(WITH_NEXT)}insert into t (id) values (2)`.execute(tx);
        throw new Error('changed my mind');
      });
      await expect(failed).rejects.toThrow('changed my mind');
      expect(await ids()).toEqual([]);
    });

    it('prepares a text once it ran a few times, and only then', async () => {
      const prepared = async () =>
        (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map(
          (r) => r.statement,
        );
      const byId = (id: number) => db.selectFrom('t').select('id').where('id', '=', id);
      const text = byId(0).compile().sql;
      await byId(1).execute();
      await byId(2).execute();
      expect(await prepared()).not.toContain(text);
      for (let id = 3; id <= 6; id++) await byId(id).execute();
      expect(await prepared()).toContain(text);
      // The same answers, prepared or not.
      await db.insertInto('t').values({ id: 7 }).execute();
      expect(await byId(7).execute()).toEqual([{ id: 7 }]);
      expect(await byId(8).execute()).toEqual([]);
    });

    it('prepares nothing when told not to (a pooler in between)', async () => {
      const unprepared = new pg.Pool({ connectionString: url, max: 1, pipeline: true } as pg.PoolConfig);
      const plain = new Kysely<Tables>({
        dialect: new PostgresDialect({ pool: pipelinedPool(unprepared, { prepared: false }) }),
      });
      try {
        for (let id = 1; id <= 6; id++)
          await plain.selectFrom('t').select('id').where('id', '=', id).execute();
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_prepared_statements`.execute(plain);
        expect(rows).toEqual([{ n: 0 }]);
      } finally {
        await plain.destroy();
      }
    });

    it('prepares anew a statement whose table changed under it', async () => {
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await db.insertInto('t').values({ id: 1 }).execute();
        const all = () => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(db);
        for (let i = 0; i < 4; i++) await all();
        await other.query('alter table t add column note text');
        // Outside a transaction the refused run is run again.
        expect((await all()).rows).toEqual([{ id: 1, note: null }]);
        await other.query('alter table t drop column note');
        for (let i = 0; i < 4; i++) await all();
        await other.query('alter table t add column note2 text');
        // In a transaction the refusal aborts it; the next one prepares anew.
        const inTransaction = () =>
          db
            .transaction()
            .execute(async (tx) => (await sql`select * from t where id = ${1}`.execute(tx)).rows);
        await expect(inTransaction()).rejects.toThrow(/cached plan must not change result type/);
        expect(await inTransaction()).toEqual([{ id: 1, note2: null }]);
      } finally {
        await other.query('alter table t drop column if exists note2');
        await other.query('alter table t drop column if exists note');
        await other.end();
      }
    });

    it('sends a statement marked to go with the next at once outside a transaction', async () => {
      await sql`${sql.raw(WITH_NEXT)}insert into t (id) values (5)`.execute(db);
      expect(await ids()).toEqual([5]);
    });
  },
);

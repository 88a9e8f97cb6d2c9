import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRosterError } from '../core/errors.js';
import { account, person, storeContract } from './contract.testkit.js';
import { unnestInsert } from './kysely/audit-log.js';
import type { KyselyStore } from './kysely-store.js';
import { MIGRATIONS } from './migrations/index.js';
import { openStore } from './open.js';
import { openPostgresStore } from './postgres.js';
import { admin, freshDatabase, requirePostgres } from './postgres.testkit.js';
import { tokenStore } from './tokens.js';

const postgres = await requirePostgres();

describe.skipIf(!postgres.available)(
  postgres.available ? 'Postgres store' : `Postgres store (skipped: ${postgres.reason})`,
  () => {
    storeContract(
      'Postgres',
      async () => {
        const database = await freshDatabase();
        return {
          open: async (options) => {
            const store = await openPostgresStore(database.url, options);
            return { store, db: store.db };
          },
          dispose: database.drop,
        };
      },
      { persistent: true },
    );

    describe('Postgres store specifics', () => {
      const cleanups: (() => Promise<void>)[] = [];
      const database = async () => {
        const db = await freshDatabase();
        cleanups.push(db.drop);
        return db.url;
      };
      const open = async (url: string) => {
        const store = await openPostgresStore(url);
        cleanups.unshift(() => store.close());
        return store;
      };
      afterEach(async () => {
        for (const cleanup of cleanups.splice(0)) await cleanup();
      });

      it('postgres:// and postgresql:// URLs open the Postgres store', async () => {
        const url = await database();
        for (const scheme of ['postgres', 'postgresql']) {
          const store = (await openStore(url.replace(/^postgres/, scheme))) as KyselyStore;
          cleanups.unshift(() => store.close());
          const { rows } = await sql<{ version: string }>`select version() as version`.execute(store.db);
          expect(rows[0]?.version).toMatch(/^PostgreSQL/);
          expect((await store.migrations()).map((m) => m.name)).toEqual(Object.keys(MIGRATIONS).sort());
        }
      });

      it("an audit append finds the chain's end by its key, not by reading the log, on a store with no statistics", async () => {
        const store = await open(await database());
        await sql`insert into audit_events select g, 'x', 'a', 'k', null, null, '{}', 'p', 'h' from generate_series(1, 5000) g`.execute(
          store.db,
        );
        const columns = [[5001], ['x'], ['a'], ['k'], [null], [null], ['{}'], ['h'], ['h2']];
        const { rows } = await store.db.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${unnestInsert()}`, [...columns, 5000, 'h']),
        );
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan).toMatch(/Index Only Scan using audit_events_pkey/);
        expect(plan).not.toMatch(/Seq Scan on audit_events/);
      });

      it('processes opening a new database at once migrate it exactly once', async () => {
        const url = await database();
        const stores = await Promise.all([open(url), open(url), open(url), open(url)]);
        const { rows } = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(
          stores[0]!.db,
        );
        expect(Number(rows[0]?.n)).toBe(Object.keys(MIGRATIONS).length);
        for (const store of stores) {
          expect((await store.migrations()).map((m) => m.name)).toEqual(Object.keys(MIGRATIONS).sort());
        }
      });

      /** The audit locks a store takes (its dialect is private; each lock is a round trip to the server). */
      const auditLocks = (store: KyselyStore) => {
        const dialect = (
          store as unknown as { sql: { dialect: { lockAuditTail: (db: unknown) => Promise<void> } } }
        ).sql.dialect;
        return vi.spyOn(dialect, 'lockAuditTail');
      };

      it('concurrent audit appends from two processes all land on one unbroken chain', async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        const appends = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).appendAudit({
            actor: i % 2 === 0 ? 'worker-a' : 'worker-b',
            kind: 'op',
            data: { i },
          }),
        );
        await Promise.all(appends);
        const events = await a.listAudit({});
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(events.map((e) => e.data['i']).sort((x, y) => Number(x) - Number(y))).toEqual(
          Array.from({ length: 20 }, (_, i) => i),
        );
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 20 });
        const inTransaction = Array.from({ length: 4 }, (_, i) =>
          (i % 2 === 0 ? a : b).transaction((tx) => tx.appendAudit({ actor: 'tx', kind: 'op', data: { i } })),
        );
        await Promise.all(inTransaction);
        expect(await b.verifyAudit()).toEqual({ ok: true, count: 24 });
      });

      it("a transaction's appends are written at its end, in one statement under the audit lock: another writer's append made meanwhile does not wait for it", async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        const locks = auditLocks(a);
        const inserts: string[] = [];
        const query = pg.Client.prototype.query;
        const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
          this: pg.Client,
          ...args: unknown[]
        ) {
          const text = (args[0] as { text?: string } | string | undefined) ?? '';
          const sqlText = typeof text === 'string' ? text : (text.text ?? '');
          if (sqlText.startsWith('insert into audit_events')) inserts.push(sqlText);
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as never);
        try {
          await a.transaction(async (tx) => {
            await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 1 } });
            // Another process appends meanwhile: nothing holds the chain yet, so it lands at once.
            await b.appendAudit({ actor: 'b', kind: 'op', data: {} });
            await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 2 } });
            await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 3 } });
          });
        } finally {
          spy.mockRestore();
        }
        // b's append, then a's three in one statement (the lock taken once each).
        expect(inserts).toHaveLength(2);
        expect(locks).toHaveBeenCalledTimes(1);
        const events = await a.listAudit({ limit: 10 });
        expect(events.map((e) => `${e.seq}:${e.actor}:${e.data['i'] ?? '-'}`)).toEqual([
          '1:b:-',
          '2:a:1',
          '3:a:2',
          '4:a:3',
        ]);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 4 });
      });

      it('a transaction with changes and events whose remembered tail is stale writes its changes once, under one generation, and chains its events after the other writer’s', async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        await b.appendAudit({ actor: 'b', kind: 'op', data: { i: 1 } });
        // a appends after b's event: b's remembered tail is now stale.
        await a.appendAudit({ actor: 'a', kind: 'op', data: {} });
        const { generation } = await b.changedSince({ since: 0 });
        await b.transaction(async (tx) => {
          await tx.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('E1'), person('E2')] });
          await tx.appendAudit({ actor: 'b', kind: 'op', data: { i: 2 } });
        });
        const after = await a.changedSince({ since: generation });
        expect(after.generation).toBe(generation + 1);
        expect(after.people.map((p) => `${p.employeeId}:${p.change}:${p.generation}`)).toEqual([
          `E1:added:${generation + 1}`,
          `E2:added:${generation + 1}`,
        ]);
        const events = await a.listAudit({});
        expect(events.map((e) => `${e.seq}:${e.actor}`)).toEqual(['1:b', '2:a', '3:b']);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 3 });
      });

      /** The texts of the statements pg is handed while fn runs. */
      const statementsOf = async (fn: () => Promise<void>): Promise<string[]> => {
        const texts: string[] = [];
        const query = pg.Client.prototype.query;
        const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
          this: pg.Client,
          ...args: unknown[]
        ) {
          const q = (args[0] as { text?: string } | string | undefined) ?? '';
          texts.push(typeof q === 'string' ? q : (q.text ?? ''));
          return (query as (...a: unknown[]) => unknown).apply(this, args);
        } as never);
        try {
          await fn();
        } finally {
          spy.mockRestore();
        }
        return texts;
      };

      it('a transaction that may run again sends its events with its commit; when another process has moved the chain on, it is refused whole and runs once more', async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        await a.appendAudit({ actor: 'a', kind: 'op', data: { i: 0 } });
        // b appends after a's event: a's remembered tail is now stale.
        await b.appendAudit({ actor: 'b', kind: 'op', data: {} });
        const { generation } = await a.changedSince({ since: 0 });
        let runs = 0;
        const first = await statementsOf(() =>
          a.transaction(
            async (tx) => {
              runs++;
              await tx.replacePeople({ sourcePath: 'hr.csv', hash: `h${runs}`, people: [person('E1')] });
              await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 1 } });
            },
            { rerunnable: true },
          ),
        );
        expect(runs).toBe(2);
        // Sent with the commit and refused by its guard, then answered, after the tail read under the lock.
        const inserts = first.filter((t) => t.includes('insert into audit_events'));
        expect(inserts).toHaveLength(3);
        expect(inserts[0]).toMatch(/^\/\* with next \*\/ .*roster_refused/);
        expect(first.filter((t) => t.includes('from "audit_events" order by "seq" desc'))).toHaveLength(1);
        // The first run's writes were rolled back whole: the person once, under one generation, from the second run.
        const after = await b.changedSince({ since: generation });
        expect(after.generation).toBe(generation + 1);
        expect(after.people.map((p) => `${p.employeeId}:${p.change}`)).toEqual(['E1:added']);
        expect((await b.listImports({})).map((i) => i.hash)).toEqual(['h2']);
        // Now a's tail is right: one run, its events out with the commit, nothing read.
        const second = await statementsOf(() =>
          a.transaction((tx) => tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 2 } }), {
            rerunnable: true,
          }),
        );
        expect(second.filter((t) => t.includes('insert into audit_events'))).toEqual([
          expect.stringMatching(/^\/\* with next \*\/ .*roster_refused/),
        ]);
        expect(second.filter((t) => t.includes('order by "seq" desc'))).toEqual([]);
        const events = await b.listAudit({});
        expect(events.map((e) => `${e.seq}:${e.actor}:${e.data['i'] ?? '-'}`)).toEqual([
          '1:a:0',
          '2:b:-',
          '3:a:1',
          '4:a:2',
        ]);
        expect(await b.verifyAudit()).toEqual({ ok: true, count: 4 });
      });

      it('transactions that may run again, from two processes side by side, all land on one unbroken chain', async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        const runs = new Map<number, number>();
        await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            (i % 3 === 0 ? b : a).transaction(
              async (tx) => {
                runs.set(i, (runs.get(i) ?? 0) + 1);
                await tx.appendAudit({ actor: 'tx', kind: 'op', data: { i } });
                await tx.appendAudit({ actor: 'tx', kind: 'op', data: { i, second: true } });
              },
              { rerunnable: true },
            ),
          ),
        );
        const events = await a.listAudit({ limit: 100 });
        expect(events).toHaveLength(48);
        expect(new Set(events.map((e) => e.data['i'])).size).toBe(24);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 48 });
        // Each ran at most twice (once refused, once answered).
        expect(Math.max(...runs.values())).toBeLessThanOrEqual(2);
      });

      it('an append made while another transaction of the same store has its events in flight chains after them, reading no tail', async () => {
        const url = await database();
        const a = await open(url);
        await a.appendAudit({ actor: 'before', kind: 'op', data: {} });
        const texts = await statementsOf(async () => {
          let other: Promise<void> | undefined;
          await a.transaction(async (tx) => {
            await tx.appendAudit({ actor: 'first', kind: 'op', data: {} });
            expect(await tx.listAudit({})).toHaveLength(2);
            other = a.transaction((tx2) => tx2.appendAudit({ actor: 'second', kind: 'op', data: {} }));
            await new Promise((resolve) => setTimeout(resolve, 50));
          });
          await other;
        });
        expect(texts.filter((t) => t.includes('order by "seq" desc'))).toEqual([]);
        const events = await a.listAudit({});
        expect(events.map((e) => `${e.seq}:${e.actor}`)).toEqual(['1:before', '2:first', '3:second']);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 3 });
      });

      it('an append chained after another transaction of the same store still in flight writes nothing if that one rolls back, and chains after the real tail', async () => {
        const url = await database();
        const a = await open(url);
        let other: Promise<void> | undefined;
        await expect(
          a.transaction(async (tx) => {
            await tx.appendAudit({ actor: 'rolled-back', kind: 'op', data: {} });
            // Its own audit read writes its event: the store's next append chains after it, and waits for its lock.
            expect(await tx.listAudit({})).toHaveLength(1);
            other = a.transaction((tx2) => tx2.appendAudit({ actor: 'kept', kind: 'op', data: {} }));
            await new Promise((resolve) => setTimeout(resolve, 50));
            throw new Error('changed its mind');
          }),
        ).rejects.toThrow('changed its mind');
        await other;
        const events = await a.listAudit({});
        expect(events.map((e) => `${e.seq}:${e.actor}`)).toEqual(['1:kept']);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 1 });
        // And the store's hint follows the real chain: the next append lands after it.
        await a.transaction((tx) => tx.appendAudit({ actor: 'next', kind: 'op', data: {} }), {
          rerunnable: true,
        });
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 2 });
      });

      /** Polls `check` until it holds (a change heard from another process arrives a moment after its commit). */
      const eventually = async (check: () => Promise<boolean>): Promise<void> => {
        for (let waited = 0; !(await check()); waited += 10) {
          // Short of how long a token is kept unheard (5 s): a revocation not heard fails here.
          if (waited > 3_000) throw new Error('never came to hold');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const tokenRow = (name: string) => ({
        name,
        scope: 'scim:app' as const,
        hash: `hash-${name}`,
        prefix: 'rst_x',
        createdBy: 'test',
      });
      /** The token rows `find` read (statements on api_tokens by hash) while it ran. */
      const tokenReads = async (find: () => Promise<unknown>) =>
        (await statementsOf(async () => void (await find()))).filter((t) =>
          t.includes('from "api_tokens" where "hash"'),
        ).length;

      it('a server keeps the tokens it checked while it hears every change to them: a revocation by any writer is refused as soon as it is heard', async () => {
        const url = await database();
        const [server, cli] = [await open(url), await open(url)];
        const [served, other] = [tokenStore(server), tokenStore(cli)];
        for (const name of ['idp', 'gone', 'used', 'other']) await other.create(tokenRow(name));
        const find = (name: string) => served.findByHash(`hash-${name}`);
        expect(await find('idp')).toMatchObject({ name: 'idp', scope: 'scim:app' });
        // Once it listens, a token checked again is not read again.
        await eventually(
          async () => (await find('idp')) !== null && (await tokenReads(() => find('idp'))) === 0,
        );
        // Revoked by another process: refused once heard.
        await other.revoke({ idOrName: 'idp' });
        await eventually(async () => (await find('idp')) === null);
        // Deleted by hand (not through Roster): heard all the same (a trigger announces it).
        expect(await find('gone')).not.toBeNull();
        await sql`delete from api_tokens where name = 'gone'`.execute(cli.db);
        await eventually(async () => (await find('gone')) === null);
        // Using a token (last_used_at) is not announced: what is kept stays kept.
        const heard: string[] = [];
        const listener = new pg.Client({ connectionString: url });
        await listener.connect();
        try {
          listener.on('notification', (n) => heard.push(n.payload ?? ''));
          await listener.query('listen roster_api_tokens');
          await other.touch({ id: (await find('used'))?.id ?? '', at: new Date().toISOString() });
          await sql`select pg_notify('roster_api_tokens', 'marker')`.execute(cli.db);
          await eventually(async () => heard.length > 0);
          expect(heard).toEqual(['marker']);
        } finally {
          await listener.end();
        }
        // A token created after the server started is found (nothing absent is kept).
        expect(await find('late')).toBeNull();
        await other.create(tokenRow('late'));
        expect(await find('late')).toMatchObject({ name: 'late' });
      });

      it('a server that loses the connection it hears on reads tokens afresh until it listens again: a revocation made meanwhile is refused', async () => {
        const url = await database();
        const [server, cli] = [await open(url), await open(url)];
        const [served, other] = [tokenStore(server), tokenStore(cli)];
        await other.create(tokenRow('idp'));
        await other.create(tokenRow('second'));
        const find = (name: string) => served.findByHash(`hash-${name}`);
        await eventually(
          async () => (await find('idp')) !== null && (await tokenReads(() => find('idp'))) === 0,
        );
        expect(await find('second')).not.toBeNull();
        const name = new URL(url).pathname.slice(1);
        const ended = await admin((client) =>
          client.query(
            `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'roster-listen' and datname = $1`,
            [name],
          ),
        );
        expect(ended.rows).toEqual([{ pg_terminate_backend: true }]);
        // Revoked while nobody listens: never announced to this server, refused all the same.
        await other.revoke({ idOrName: 'second' });
        await eventually(async () => (await find('second')) === null);
        // It listens again (a new connection), and keeps what it checks from then on.
        await eventually(async () => (await tokenReads(() => find('idp'))) === 0);
        await other.revoke({ idOrName: 'idp' });
        await eventually(async () => (await find('idp')) === null);
      });

      it('with ROSTER_PG_LISTEN off (a pooler that cannot keep a LISTEN), nothing is kept: every check reads its token', async () => {
        const url = await database();
        const store = await openPostgresStore(url, { listen: false });
        cleanups.unshift(() => store.close());
        expect(store.watchTokens({ listening() {}, changed() {}, lost() {} })).toBe(false);
        const served = tokenStore(store);
        await served.create(tokenRow('idp'));
        for (let i = 0; i < 3; i++) expect(await tokenReads(() => served.findByHash('hash-idp'))).toBe(1);
      });

      it('a token revoked through the store that checked it is refused at once', async () => {
        const url = await database();
        const served = tokenStore(await open(url));
        await served.create(tokenRow('idp'));
        await eventually(async () => (await tokenReads(() => served.findByHash('hash-idp'))) === 0);
        await served.revoke({ idOrName: 'idp' });
        expect(await served.findByHash('hash-idp')).toBeNull();
      });

      it('once a transaction has written its events (its own audit read), it holds the chain to its end: another writer appends after', async () => {
        const url = await database();
        const [a, b] = [await open(url), await open(url)];
        const locks = auditLocks(a);
        let other: Promise<void> | undefined;
        let landed = false;
        await a.transaction(async (tx) => {
          await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 1 } });
          expect((await tx.listAudit({})).map((e) => e.actor)).toEqual(['a']);
          // Another process appends now: it waits for this transaction's lock.
          other = b.appendAudit({ actor: 'b', kind: 'op', data: {} }).then(() => {
            landed = true;
          });
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(landed).toBe(false);
          await tx.appendAudit({ actor: 'a', kind: 'op', data: { i: 2 } });
        });
        await other;
        expect(locks).toHaveBeenCalledTimes(1);
        const events = await a.listAudit({ limit: 10 });
        expect(events.map((e) => `${e.seq}:${e.actor}`)).toEqual(['1:a', '2:a', '3:b']);
        expect(await a.verifyAudit()).toEqual({ ok: true, count: 3 });
      });

      it('a reader in another process sees the old snapshot or the new one, never half of a commit', async () => {
        const url = await database();
        const [writer, reader] = [await open(url), await open(url)];
        await writer.upsertApp({ id: 'tp', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
        await writer.replaceSnapshot({
          appId: 'tp',
          runId: null,
          accounts: [account('tp', 'old')],
          entitlements: [],
          grants: [],
        });
        const run = await writer.startSyncRun({ appId: 'tp', mode: 'full' });
        // 17 columns × 5000 rows is more than one statement may bind: the insert is split, still atomically.
        const accounts = Array.from({ length: 5000 }, (_, i) => account('tp', `a${i}`));
        await writer.stageBatch({ runId: run.id, accounts });
        let committed = false;
        const commit = writer.commitStaged({ runId: run.id }).finally(() => {
          committed = true;
        });
        const seen = new Set<number>();
        do seen.add((await reader.listAccounts({ appId: 'tp' })).length);
        while (!committed);
        expect(await commit).toEqual({ accounts: 5000, entitlements: 0, grants: 0 });
        seen.add((await reader.listAccounts({ appId: 'tp' })).length);
        expect([...seen].filter((n) => n !== 1 && n !== 5000)).toEqual([]);
        expect(seen.has(5000)).toBe(true);
      });

      it('a database written by a newer Roster is refused rather than guessed at', async () => {
        const url = await database();
        const store = await openPostgresStore(url);
        await sql`insert into kysely_migration (name, timestamp) values ('9999_future', ${new Date().toISOString()})`.execute(
          store.db,
        );
        await store.close();
        const error = await openPostgresStore(url).catch((e: unknown) => e);
        expect(isRosterError(error) && error.code).toBe('internal');
        expect(isRosterError(error) && error.fix).toMatch(/upgrade Roster/);
      });

      it('the password in the store URL never appears in an error', async () => {
        const password = 's3cr3t/P@ss';
        const encoded = encodeURIComponent(password);
        const leaks = (error: unknown) => {
          expect(isRosterError(error)).toBe(true);
          const text = [
            (error as Error).message,
            isRosterError(error) ? error.describe() : '',
            JSON.stringify(error),
            String((error as Error).cause ?? ''),
          ].join('\n');
          expect(text).not.toContain(password);
          expect(text).not.toContain(encoded);
          return error;
        };
        const missing = await openStore(
          `postgres://postgres:${encoded}@127.0.0.1:5432/roster_no_such_db`,
        ).catch(leaks);
        expect(isRosterError(missing) && missing.code).toBe('invalid_input');
        expect(isRosterError(missing) && missing.where).toContain('********');
        const refused = await openPostgresStore(`postgres://postgres:${encoded}@127.0.0.1:1/roster`, {
          connectTimeoutMs: 2000,
        }).catch(leaks);
        expect(isRosterError(refused) && refused.code).toBe('unavailable');
        const malformed = await openPostgresStore(`postgres://postgres:${password}@host:port/x`).catch(leaks);
        expect(isRosterError(malformed) && malformed.code).toBe('invalid_input');
      });
    });
  },
);

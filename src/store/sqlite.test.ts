import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../core/errors.js';
import { account, storeContract } from './contract.testkit.js';
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

  it('the upgrade to 0027 marks what facade plans already wrote as the IdP’s, from their succeeded ops', async () => {
    const path = join(tempDir(), 'roster.db');
    const store = await openSqliteStore(path);
    await store.upsertApp({ id: 'ti', type: 'thought-industries', baseUrl: 'http://ti.local' });
    const planOf = (
      source: string | null,
      ops: { kind: 'create' | 'update'; target: Record<string, unknown> }[],
    ) =>
      store.createPlan({
        stateHash: `s-${source}`,
        summary: source ? { total: ops.length, source } : { total: ops.length },
        body: {},
        ops: ops.map((o) => ({ appId: 'ti', ...o })),
      });
    const facade = await planOf('scim', [
      { kind: 'create', target: { account: null } },
      { kind: 'update', target: { account: { id: 'u-2' } } },
      { kind: 'update', target: { account: { id: 'u-3' } } },
    ]);
    const planned = await planOf(null, [{ kind: 'update', target: { account: { id: 'u-4' } } }]);
    const finish = async (planId: string, seq: number, status: 'succeeded' | 'failed', outcome = {}) => {
      await store.beginOp({ planId, seq });
      await store.finishOp({ planId, seq, status, outcome });
    };
    await finish(facade.plan.id, 1, 'succeeded', { accountId: 'u-1' });
    await finish(facade.plan.id, 2, 'succeeded');
    await finish(facade.plan.id, 3, 'failed');
    await finish(planned.plan.id, 1, 'succeeded');
    // Back to the schema before 0027 (its down step drops the marks), then opened as an upgrade would be.
    await migrateTo(store.db as unknown as Kysely<unknown>, '0025_sync_unchanged');
    await store.close();
    const upgraded = await openSqliteStore(path);
    expect((await upgraded.idpManagedAccountIds({ appId: 'ti' })).sort()).toEqual(['u-1', 'u-2']);
    await upgraded.close();
  });

  it('the upgrade to 0028 drops the audit log’s index on prev_hash and the chain goes on, verified', async () => {
    const path = join(tempDir(), 'roster.db');
    const indexes = async (db: Kysely<Database>) =>
      (
        await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'index' and tbl_name = 'audit_events'`.execute(db)
      ).rows
        .map((row) => row.name)
        .sort();
    const store = await openSqliteStore(path);
    for (let i = 0; i < 3; i++) await store.appendAudit({ actor: 'cli', kind: 'op', data: { i } });
    await migrateTo(store.db as unknown as Kysely<unknown>, '0027_idp_managed');
    expect(await indexes(store.db)).toEqual(['audit_events_app', 'audit_events_prev']);
    await store.close();
    const upgraded = await openSqliteStore(path);
    expect(await indexes(upgraded.db)).toEqual(['audit_events_app']);
    await upgraded.appendAudit({ actor: 'cli', kind: 'op', data: { i: 3 } });
    expect((await upgraded.listAudit({ newest: true, limit: 1 }))[0]?.seq).toBe(4);
    expect(await upgraded.verifyAudit()).toEqual({ ok: true, count: 4 });
    await upgraded.close();
  });

  it('the upgrade to 0034 keeps in the login and externalId indexes only the accounts that have one, and every lookup finds what it did', async () => {
    const path = join(tempDir(), 'roster.db');
    const store = await openSqliteStore(path);
    await store.upsertApp({ id: 'ti', type: 'thought-industries', baseUrl: 'http://ti.local' });
    await migrateTo(store.db as unknown as Kysely<unknown>, '0033_api_tokens_notify');
    const accounts = [
      account('ti', 'u1', { login: 'Ada', externalId: 'okta-1' }),
      account('ti', 'u2', { login: null, externalId: null }),
      account('ti', 'u3', { login: 'ada.l', externalId: null }),
    ];
    await store.replaceSnapshot({ appId: 'ti', runId: null, accounts, entitlements: [], grants: [] });
    await store.close();
    const upgraded = await openSqliteStore(path);
    const partial = await sql<{
      name: string;
    }>`select name from pragma_index_list('accounts') where partial = 1`
      .execute(upgraded.db)
      .then((r) => r.rows.map((row) => row.name).sort());
    expect(partial).toEqual(['accounts_app_external_id', 'accounts_app_login_lower']);
    const ids = async (field: 'login' | 'externalId', op: 'eq' | 'sw', value: string) =>
      (await upgraded.findAccounts({ appId: 'ti', field, op, value })).map((a) => a.id);
    expect(await ids('login', 'eq', 'ADA')).toEqual(['u1']);
    expect(await ids('login', 'sw', 'ada')).toEqual(['u1', 'u3']);
    expect(await ids('externalId', 'eq', 'okta-1')).toEqual(['u1']);
    await upgraded.close();
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

describe('SQLite files and contention', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const modeOf = (path: string) => statSync(path).mode & 0o777;

  it('roster.db and its -wal and -shm files are created readable by the owner only', async () => {
    const path = join(tempDir(), 'roster.db');
    const warnings: string[] = [];
    const store = await openSqliteStore(path, { warn: (m) => warnings.push(m) });
    await store.upsertApp({ id: 'tp', type: 'targetprocess', baseUrl: 'http://x' });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(file), file).toBe(0o600);
    await store.close();
    expect(warnings).toEqual([]);
  });

  it('an existing database others can read is named in a warning with the chmod that fixes it', async () => {
    const path = join(tempDir(), 'roster.db');
    writeFileSync(path, '', { mode: 0o644 });
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    const store = await openSqliteStore(path, { warn: (m) => warnings.push(m) });
    await store.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path} is readable or writable by others (mode 644)`);
    expect(warnings[0]).toContain(`chmod 600 ${path}`);
  });

  it('a writer waits for another handle’s write transaction instead of failing with "database is locked"', async () => {
    const path = join(tempDir(), 'roster.db');
    let waited: () => void = () => {};
    const waiting = new Promise<'waiting'>((r) => {
      waited = () => r('waiting');
    });
    const a = await openSqliteStore(path);
    const b = await openSqliteStore(path, { onBusyWait: () => waited() });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      // a holds the write lock across awaits, as a store transaction does; b writes meanwhile.
      const first = a.transaction(async (tx) => {
        await tx.upsertApp({ id: 'a', type: 'targetprocess', baseUrl: 'http://a' });
        entered();
        await held;
      });
      await inside;
      const second = b.upsertApp({ id: 'b', type: 'targetprocess', baseUrl: 'http://b' });
      // b finds the database busy and waits (it does not fail) while a still holds the lock.
      const outcome = await Promise.race([
        waiting,
        second.then(
          () => 'done',
          (e: unknown) => e,
        ),
      ]);
      expect(outcome).toBe('waiting');
      release();
      await first;
      await second;
      await b.transaction((tx) => tx.appendAudit({ actor: 'b', kind: 'x' }));
      expect((await b.listAudit({})).map((e) => `${e.seq}:${e.actor}`)).toEqual(['1:b']);
      expect((await a.listApps()).map((app) => app.id)).toEqual(['a', 'b']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a lock held past the wait is an unavailable error that says what to do, never "internal"', async () => {
    const path = join(tempDir(), 'roster.db');
    const a = await openSqliteStore(path);
    const b = await openSqliteStore(path, { busyTimeoutMs: 20 });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      const first = a.transaction(async (tx) => {
        await tx.upsertApp({ id: 'a', type: 'targetprocess', baseUrl: 'http://a' });
        entered();
        await held;
      });
      await inside;
      const error = await b
        .upsertApp({ id: 'b', type: 'targetprocess', baseUrl: 'http://b' })
        .catch((e) => e);
      release();
      await first;
      expect(isRosterError(error) && error.code).toBe('unavailable');
      expect((error as Error).message).toContain('stayed locked by another writer');
      expect(isRosterError(error) && error.fix).toMatch(/run again/);
    } finally {
      await a.close();
      await b.close();
    }
  });
  it('two handles appending in turn, each behind the other’s tail, keep one unbroken chain', async () => {
    const path = join(tempDir(), 'roster.db');
    const a = await openSqliteStore(path);
    const b = await openSqliteStore(path);
    try {
      // Each append after the first finds its handle's remembered tail stale: the other handle wrote since.
      const seqs: number[] = [];
      for (let i = 0; i < 12; i++) {
        const writer = i % 2 === 0 ? a : b;
        await writer.appendAudit({ actor: `w${i % 2}`, kind: 'op', data: { i } });
        seqs.push((await writer.listAudit({ newest: true, limit: 1 }))[0]?.seq ?? 0);
      }
      expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      // And at once, in transactions of their own.
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? a : b).transaction((tx) => tx.appendAudit({ actor: 'tx', kind: 'op', data: { i } })),
        ),
      );
      expect(await a.verifyAudit()).toEqual({ ok: true, count: 18 });
      const prev = await sql<{ n: number }>`select count(distinct prev_hash) as n from audit_events`.execute(
        b.db,
      );
      expect(prev.rows[0]?.n).toBe(18);
      // Transactions of three events each, in turn: each finds its remembered tail stale and writes nothing on
      // it (not one event of three), then chains all three after the other's.
      for (let i = 0; i < 6; i++) {
        await (i % 2 === 0 ? a : b).transaction(async (tx) => {
          for (let j = 0; j < 3; j++) await tx.appendAudit({ actor: `t${i}`, kind: 'op', data: { j } });
        });
      }
      const events = await a.listAudit({ afterSeq: 18 });
      expect(events.map((e) => `${e.actor}:${e.data['j']}`)).toEqual(
        Array.from({ length: 18 }, (_, k) => `t${Math.floor(k / 3)}:${k % 3}`),
      );
      expect(await b.verifyAudit()).toEqual({ ok: true, count: 36 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { account, entitlement, grant } from '../contract.testkit.js';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest } from '../migrations/index.js';
import type { Database } from '../schema.js';
import { MEMORY, sqliteDialect } from '../sqlite.js';
import { WaitingSqliteDialect } from '../sqlite-driver.js';

const APP = 'app';

/**
 * The facade's per-request reads (a userName's holders, a user's groups) read one account's rows through the
 * account's index, never every row of the app: SQLite picks its plan without statistics, and a shape it can
 * serve from the primary key (a covering index, an ORDER BY id for free) tempts it into walking the whole app.
 */
describe('one account looked up reads through its index, not the whole app', () => {
  let sqlite: Sqlite.Database;
  let store: KyselyStore;
  /** Every statement the store ran, with its parameters, as sent. */
  let ran: { sql: string; parameters: readonly unknown[] }[];

  beforeEach(async () => {
    sqlite = new Sqlite(MEMORY);
    ran = [];
    const db = new Kysely<Database>({
      dialect: new WaitingSqliteDialect(sqlite, { waitMs: 1000, where: MEMORY }),
      log: (event) => {
        if (event.level === 'query') ran.push({ sql: event.query.sql, parameters: event.query.parameters });
      },
    });
    await migrateToLatest(db as unknown as Kysely<unknown>, MEMORY);
    store = new KyselyStore(db, sqliteDialect(MEMORY));
    await store.upsertApp({ id: APP, type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
    const ids = Array.from({ length: 50 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    await store.replaceSnapshot({
      appId: APP,
      runId: null,
      accounts: ids.map((id) => account(APP, id, { email: `${id}@example.com`, login: id })),
      entitlements: [entitlement(APP, 'g1', { kind: 'group' }), entitlement(APP, 'g2', { kind: 'group' })],
      grants: ids.flatMap((id) => [grant(APP, 'g1', id), grant(APP, 'g2', id)]),
    });
  });

  afterEach(async () => {
    await store.close();
  });

  /** How SQLite runs the one SELECT the call made on `table`. */
  async function planOf(table: string, call: () => Promise<unknown>): Promise<string[]> {
    ran = [];
    await call();
    const select = ran.find((q) => q.sql.startsWith('select') && q.sql.includes(`from "${table}"`));
    if (!select) throw new Error(`no select from ${table} was run`);
    const rows = sqlite.prepare(`explain query plan ${select.sql}`).all(...select.parameters) as {
      detail: string;
    }[];
    return rows.map((r) => r.detail);
  }

  it('finds an address through accounts_app_email, in id order', async () => {
    const plan = await planOf('accounts', () =>
      store.findAccounts({ appId: APP, field: 'email', op: 'eq', value: 'A07@example.com' }),
    );
    expect(plan.find((d) => d.includes(' accounts '))).toMatch(
      /USING INDEX accounts_app_email \(app_id=\? AND/,
    );
    expect(
      (await store.findAccounts({ appId: APP, field: 'email', op: 'sw', value: 'a0' })).map((a) => a.id),
    ).toEqual(['a00', 'a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08', 'a09']);
  });

  it('finds a login through accounts_app_login_lower', async () => {
    const plan = await planOf('accounts', () =>
      store.findAccounts({ appId: APP, field: 'login', op: 'eq', value: 'A07' }),
    );
    expect(plan.find((d) => d.includes(' accounts '))).toMatch(
      /USING INDEX accounts_app_login_lower \(app_id=\? AND/,
    );
  });

  it('finds logins by prefix through accounts_app_login_lower too, accounts without a login left out of it', async () => {
    const plan = await planOf('accounts', () =>
      store.findAccounts({ appId: APP, field: 'login', op: 'sw', value: 'A0' }),
    );
    expect(plan.find((d) => d.includes(' accounts '))).toMatch(
      /USING INDEX accounts_app_login_lower \(app_id=\?\)/,
    );
    const ids = Array.from({ length: 50 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    await store.replaceSnapshot({
      appId: APP,
      runId: null,
      accounts: [
        ...ids.map((id) => account(APP, id, { email: `${id}@example.com`, login: id })),
        account(APP, 'a0-no-login', { email: 'a0-no-login@example.com', login: null }),
      ],
      entitlements: [],
      grants: [],
    });
    expect(
      (await store.findAccounts({ appId: APP, field: 'login', op: 'sw', value: 'A0' })).map((a) => a.id),
    ).toEqual(['a00', 'a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08', 'a09']);
  });

  it("indexes logins, externalIds and task ops only where a row has one, and finds a task's ops through it (migration 0034)", async () => {
    const partial = sqlite
      .prepare(
        "select name from pragma_index_list('accounts') where partial = 1 union all select name from pragma_index_list('ops') where partial = 1",
      )
      .all()
      .map((r) => (r as { name: string }).name)
      .sort();
    expect(partial).toEqual(['accounts_app_external_id', 'accounts_app_login_lower', 'ops_task']);
    // The ops a task closes are found through it.
    const closing = sqlite
      .prepare(
        "explain query plan update ops set status = 'succeeded' where task_id = ? and status = 'task_open'",
      )
      .all('t1') as { detail: string }[];
    expect(closing.map((r) => r.detail).join(' ')).toMatch(/USING INDEX ops_task \(task_id=\?\)/);
  });

  it('finds an externalId through accounts_app_external_id (migration 0030)', async () => {
    await store.replaceSnapshot({
      appId: APP,
      runId: null,
      accounts: Array.from({ length: 50 }, (_, i) => account(APP, `x${i}`, { externalId: `okta-${i}` })),
      entitlements: [],
      grants: [],
    });
    const find = () => store.findAccounts({ appId: APP, field: 'externalId', op: 'eq', value: 'okta-7' });
    expect((await planOf('accounts', find)).find((d) => d.includes(' accounts '))).toMatch(
      /USING INDEX accounts_app_external_id \(app_id=\? AND external_id=\?\)/,
    );
    expect((await find()).map((a) => a.id)).toEqual(['x7']);
  });

  it("reads a user with their groups through the account's key and grants_account", async () => {
    const plan = await planOf('grants', () =>
      store.getAccountWithMemberships({ appId: APP, id: 'a07', kind: 'group' }),
    );
    expect(plan.find((d) => d.includes(' grants '))).toMatch(
      /USING INDEX grants_account \(app_id=\? AND account_id=\?\)/,
    );
    expect(
      (await store.getAccountWithMemberships({ appId: APP, id: 'a07', kind: 'group' }))?.memberships.map(
        (m) => m.entitlementId,
      ),
    ).toEqual(['g1', 'g2']);
  });

  it("reads a user's groups through grants_account", async () => {
    const plan = await planOf('grants', () =>
      store.listMemberships({ appId: APP, accountIds: ['a07'], kind: 'group' }),
    );
    expect(plan.find((d) => d.includes(' grants '))).toMatch(
      /USING INDEX grants_account \(app_id=\? AND account_id=\?\)/,
    );
    expect(
      (await store.listMemberships({ appId: APP, accountIds: ['a07'], kind: 'group' })).map(
        (m) => m.entitlementId,
      ),
    ).toEqual(['g1', 'g2']);
  });
});

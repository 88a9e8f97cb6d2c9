import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { account } from '../contract.testkit.js';
import type { KyselyStore } from '../kysely-store.js';
import { openPostgresStore } from '../postgres.js';
import { freshDatabase, requirePostgres } from '../postgres.testkit.js';
import { MEMORY, openSqliteStore } from '../sqlite.js';
import { memoryStoreEachTest } from './testkit.js';

const postgres = await requirePostgres();

/**
 * The row hash a staged sync keeps with each account is what later syncs compare pages against: a row hashed by
 * an earlier Roster must hash the same today, or every account would be compared column by column once more.
 */
describe('the row hash of a staged account', () => {
  const store = memoryStoreEachTest();

  it("is the SHA-256 of the record's JSON in base64, as createHash wrote it", async () => {
    const record = { ...account('app', 'a1', { displayName: 'Ada Lovelace' }), raw: { id: 'a1', ü: 'ß' } };
    const run = await store().startSyncRun({ appId: 'app', mode: 'full' });
    await store().stageBatch({ runId: run.id, accounts: [record], cursors: { accounts: 'done' } });
    await store().commitStaged({ runId: run.id });
    const row = await store()
      .db.selectFrom('accounts')
      .select('row_hash')
      .where('app_id', '=', 'app')
      .where('id', '=', 'a1')
      .executeTakeFirstOrThrow();
    expect(row.row_hash).toBe(createHash('sha256').update(JSON.stringify(record)).digest('base64'));
  });
});

describe('a staged batch is checked whole before anything is written', () => {
  const store = memoryStoreEachTest();

  const grant = (accountId: string, appId = 'app') => ({ appId, entitlementId: 'e1', accountId });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => new Error('expected a refusal'),
      (e: unknown) => e as Error,
    );

  it('a grant twice in one batch is refused, naming the grant', async () => {
    const run = await store().startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store().stageBatch({
        runId: run.id,
        accounts: [account('app', 'a1'), account('app', 'a2')],
        entitlements: [{ appId: 'app', id: 'e1', kind: 'group', name: 'E1', privileged: false }],
        grants: [grant('a1'), grant('a2'), grant('a1')],
      }),
    );
    expect(error.message).toBe('grant e1 → a1 appears twice in one snapshot of app app');
    expect(await store().stagedProgress({ runId: run.id })).toBeNull();
  });

  it('a grant of another app is refused, naming the grant and the app', async () => {
    const run = await store().startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store().stageBatch({ runId: run.id, accounts: [account('app', 'a1')], grants: [grant('a1', 'other')] }),
    );
    expect(error.message).toBe('grant e1 → a1 belongs to app other, not app');
  });

  it('an account twice in one batch is refused, naming it', async () => {
    const run = await store().startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store().stageBatch({ runId: run.id, accounts: [account('app', 'a1'), account('app', 'a1')] }),
    );
    expect(error.message).toBe('account a1 appears twice in one snapshot of app app');
  });
});

/**
 * The commit reads the snapshot's grants an entitlement at a time, holders joined in one text: what it keeps,
 * adds, marks and removes must be what reading them a row each gave, on either engine, and an id that holds the
 * joining character itself must not split into two.
 */
describe.each([
  ['SQLite', async () => ({ store: await openSqliteStore(MEMORY), drop: async () => undefined })],
  [
    'Postgres',
    async () => {
      const database = await freshDatabase();
      return { store: await openPostgresStore(database.url), drop: database.drop };
    },
  ],
] as const)('a staged commit of grants (%s)', (engine, open) => {
  let store: KyselyStore;
  let drop: () => Promise<void>;
  const skip = engine === 'Postgres' && !postgres.available;

  beforeEach(async () => {
    if (skip) return;
    ({ store, drop } = await open());
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });

  afterEach(async () => {
    if (skip) return;
    await store.close();
    await drop();
  });

  const ids = ['a1', 'a2', 'a3', 'a4', 'a\u001fb'];
  const entitlements = ['e1', 'e2'].map((id) => ({
    appId: 'app',
    id,
    kind: 'group' as const,
    name: id,
    privileged: false,
  }));
  const grant = (entitlementId: string, accountId: string, grantedBy?: 'roster' | 'external') => ({
    appId: 'app',
    entitlementId,
    accountId,
    ...(grantedBy ? { grantedBy } : {}),
  });
  const sync = async (grants: ReturnType<typeof grant>[]) => {
    const run = await store.startSyncRun({ appId: 'app', mode: 'full' });
    await store.stageBatch({
      runId: run.id,
      accounts: ids.map((id) => account('app', id)),
      entitlements,
      grants,
      cursors: { accounts: 'done' },
    });
    await store.commitStaged({ runId: run.id });
  };
  const held = async () =>
    (await store.listGrants({ appId: 'app' }))
      .map((g) => `${g.entitlementId}/${g.accountId}/${g.grantedBy}`)
      .sort();

  it.skipIf(skip).each([
    ['ids as apps give them', 'a4'],
    ['an id that holds the joining character', 'a\u001fb'],
  ])('keeps, adds, marks and removes grants: %s', async (_, odd) => {
    await sync([grant('e1', 'a1'), grant('e1', odd), grant('e1', 'a2'), grant('e2', 'a3')]);
    expect(await held()).toEqual(
      ['e1/a1/external', 'e1/a2/external', `e1/${odd}/external`, 'e2/a3/external'].sort(),
    );
    const { generation } = await store.changedSince({ since: 0 });
    // a1 moves from e1 to e2; the grant of the id holding the separator is only marked as Roster's.
    await sync([grant('e1', odd, 'roster'), grant('e1', 'a2'), grant('e2', 'a1'), grant('e2', 'a3')]);
    expect(await held()).toEqual(
      ['e1/a2/external', `e1/${odd}/roster`, 'e2/a1/external', 'e2/a3/external'].sort(),
    );
    const changed = await store.changedSince({ since: generation });
    expect(changed.accounts.map((c) => [c.id, c.change])).toEqual([['a1', 'changed']]);
  });
});

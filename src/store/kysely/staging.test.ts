import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
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

/**
 * A commit takes what this process remembers of its run instead of reading the staging back: across batches that
 * stage an account again (whole after kept, kept after whole) it must write exactly what the same run committed
 * by another process, which reads the staging, writes.
 */
describe('a staged commit from what this process remembers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-staging-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const e = (id: string) => ({ appId: 'app', id, kind: 'group' as const, name: id, privileged: false });
  const g = (entitlementId: string, accountId: string) => ({ appId: 'app', entitlementId, accountId });
  const a = (id: string, name = id) => account('app', id, { displayName: name });

  async function run(file: string, commitElsewhere: boolean) {
    const store = await openSqliteStore(join(dir, file));
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
    const first = await store.startSyncRun({ appId: 'app', mode: 'full' });
    await store.stageBatch({
      runId: first.id,
      accounts: [a('a1'), a('a2'), a('a3'), a('a4')],
      entitlements: [e('e1'), e('e2')],
      grants: [g('e1', 'a1'), g('e1', 'a2'), g('e2', 'a4')],
    });
    await store.commitStaged({ runId: first.id });
    const { generation } = await store.changedSince({ since: 0 });
    const second = await store.startSyncRun({ appId: 'app', mode: 'full' });
    // a1 kept, then staged whole; a2 staged whole, then kept; a3 kept twice; a4 not seen (removed).
    await store.stageBatch({
      runId: second.id,
      accounts: [a('a1'), a('a2', 'A2 new'), a('a3')],
      entitlements: [e('e1'), e('e2')],
      grants: [g('e1', 'a1'), g('e2', 'a2')],
    });
    await store.stageBatch({
      runId: second.id,
      accounts: [a('a1', 'A1 new'), a('a2'), a('a3')],
      grants: [g('e1', 'a1'), g('e1', 'a3')],
    });
    let committer = store;
    if (commitElsewhere) {
      committer = await openSqliteStore(join(dir, file));
      await store.close();
    }
    await committer.commitStaged({ runId: second.id });
    const accounts = (await committer.listAccounts({ appId: 'app' })).map((x) => `${x.id}:${x.displayName}`);
    const grants = (await committer.listGrants({ appId: 'app' })).map(
      (x) => `${x.entitlementId}/${x.accountId}`,
    );
    const changes = (await committer.changedSince({ since: generation })).accounts.map(
      (c) => `${c.id}:${c.change}`,
    );
    await committer.close();
    return { accounts: accounts.sort(), grants: grants.sort(), changes: changes.sort() };
  }

  it('writes what a commit that reads the staging writes', async () => {
    const remembered = await run('remembered.db', false);
    expect(remembered).toEqual(await run('read.db', true));
    expect(remembered.accounts).toEqual(['a1:A1 new', 'a2:a2', 'a3:a3']);
    expect(remembered.grants).toEqual(['e1/a1', 'e1/a3', 'e2/a2']);
    expect(remembered.changes).toEqual(['a1:changed', 'a2:changed', 'a3:changed', 'a4:removed']);
  });
});

import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { account } from '../contract.testkit.js';
import type { KyselyStore } from '../kysely-store.js';
import { MEMORY, openSqliteStore } from '../sqlite.js';

/**
 * The row hash a staged sync keeps with each account is what later syncs compare pages against: a row hashed by
 * an earlier Roster must hash the same today, or every account would be compared column by column once more.
 */
describe('the row hash of a staged account', () => {
  let store: KyselyStore;

  beforeEach(async () => {
    store = await openSqliteStore(MEMORY);
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });

  afterEach(async () => {
    await store.close();
  });

  it("is the SHA-256 of the record's JSON in base64, as createHash wrote it", async () => {
    const record = { ...account('app', 'a1', { displayName: 'Ada Lovelace' }), raw: { id: 'a1', ü: 'ß' } };
    const run = await store.startSyncRun({ appId: 'app', mode: 'full' });
    await store.stageBatch({ runId: run.id, accounts: [record], cursors: { accounts: 'done' } });
    await store.commitStaged({ runId: run.id });
    const row = await store.db
      .selectFrom('accounts')
      .select('row_hash')
      .where('app_id', '=', 'app')
      .where('id', '=', 'a1')
      .executeTakeFirstOrThrow();
    expect(row.row_hash).toBe(createHash('sha256').update(JSON.stringify(record)).digest('base64'));
  });
});

describe('a staged batch is checked whole before anything is written', () => {
  let store: KyselyStore;

  beforeEach(async () => {
    store = await openSqliteStore(MEMORY);
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });

  afterEach(async () => {
    await store.close();
  });

  const grant = (accountId: string, appId = 'app') => ({ appId, entitlementId: 'e1', accountId });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => new Error('expected a refusal'),
      (e: unknown) => e as Error,
    );

  it('a grant twice in one batch is refused, naming the grant', async () => {
    const run = await store.startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store.stageBatch({
        runId: run.id,
        accounts: [account('app', 'a1'), account('app', 'a2')],
        entitlements: [{ appId: 'app', id: 'e1', kind: 'group', name: 'E1', privileged: false }],
        grants: [grant('a1'), grant('a2'), grant('a1')],
      }),
    );
    expect(error.message).toBe('grant e1 → a1 appears twice in one snapshot of app app');
    expect(await store.stagedProgress({ runId: run.id })).toBeNull();
  });

  it('a grant of another app is refused, naming the grant and the app', async () => {
    const run = await store.startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store.stageBatch({ runId: run.id, accounts: [account('app', 'a1')], grants: [grant('a1', 'other')] }),
    );
    expect(error.message).toBe('grant e1 → a1 belongs to app other, not app');
  });

  it('an account twice in one batch is refused, naming it', async () => {
    const run = await store.startSyncRun({ appId: 'app', mode: 'full' });
    const error = await refusal(
      store.stageBatch({ runId: run.id, accounts: [account('app', 'a1'), account('app', 'a1')] }),
    );
    expect(error.message).toBe('account a1 appears twice in one snapshot of app app');
  });
});

import { describe, expect, it } from 'vitest';
import { account } from '../contract.testkit.js';
import type { KyselyStore } from '../kysely-store.js';
import { memoryStoreEachTest } from './testkit.js';

/**
 * One account's upsert runs a statement built once; a value left undefined (which Kysely leaves out of the
 * insert and the update) is written as it was before, not bound as null in the built statement.
 */
describe('an account upsert built once writes what a built-per-call one wrote', () => {
  const store = memoryStoreEachTest();

  it('answers the row as stored, and a value left undefined keeps the stored one', async () => {
    const first = await store().upsertSnapshotAccount(account('app', 'a1', { displayName: 'Ada L' }));
    expect(first).toMatchObject({ id: 'a1', displayName: 'Ada L' });
    const renamed = await store().upsertSnapshotAccount(
      account('app', 'a1', { firstName: 'Ada', displayName: 'Ada B' }),
    );
    expect(renamed).toMatchObject({ firstName: 'Ada', displayName: 'Ada B' });
    const partial = account('app', 'a1', { firstName: 'Adele' }) as unknown as Record<string, unknown>;
    partial['displayName'] = undefined;
    const kept = await store().upsertSnapshotAccount(
      partial as unknown as Parameters<KyselyStore['upsertSnapshotAccount']>[0],
    );
    expect(kept).toMatchObject({ firstName: 'Adele', displayName: 'Ada B' });
    expect(await store().getAccount({ appId: 'app', id: 'a1' })).toMatchObject({
      firstName: 'Adele',
      displayName: 'Ada B',
    });
  });
});

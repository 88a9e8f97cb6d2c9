import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertSnapshotAccount } from './account-upsert.js';
import { account } from './contract.testkit.js';
import type { KyselyStore } from './kysely-store.js';
import { openPostgresStore } from './postgres.js';
import { freshDatabase, requirePostgres } from './postgres.testkit.js';
import { MEMORY, openSqliteStore } from './sqlite.js';

const APP = 'app';

/**
 * The SCIM facade answers a write with the account as the upsert returned it, not read again: that must be the
 * very account a read gives (same fields, same types), or the answer's ETag would differ from the next GET's.
 */
const engines: [string, () => Promise<{ store: KyselyStore; done: () => Promise<void> }>][] = [
  ['SQLite', async () => ({ store: await openSqliteStore(MEMORY), done: async () => {} })],
  [
    'Postgres',
    async () => {
      const database = await freshDatabase();
      const store = await openPostgresStore(database.url);
      return { store, done: database.drop };
    },
  ],
];

const postgres = await requirePostgres();

describe.each(engines.filter(([engine]) => engine !== 'Postgres' || postgres.available))(
  'an upserted account is returned as a read of it gives it (%s)',
  (_engine, open) => {
    let store: KyselyStore;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ store, done } = await open());
      await store.upsertApp({ id: APP, type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
    });
    afterAll(async () => {
      await store?.close();
      await done?.();
    });

    it('new, changed and unchanged', async () => {
      const first = account(APP, 'u1', {
        email: 'Ada@Example.com',
        isAdmin: true,
        attributes: { department: 'R&D', level: 3, remote: false },
        createdAt: '2026-01-02T03:04:05.000Z',
      });
      expect(await upsertSnapshotAccount(store, first)).toEqual(
        await store.getAccount({ appId: APP, id: 'u1' }),
      );
      const changed = { ...first, firstName: 'Augusta', status: 'inactive' as const };
      expect(await upsertSnapshotAccount(store, changed)).toEqual(
        await store.getAccount({ appId: APP, id: 'u1' }),
      );
      expect(await upsertSnapshotAccount(store, changed)).toEqual(
        await store.getAccount({ appId: APP, id: 'u1' }),
      );
      expect((await store.getAccount({ appId: APP, id: 'u1' }))?.firstName).toBe('Augusta');
    });

    it('records an added account, a changed one, and nothing for one written unchanged', async () => {
      const changesAfter = async (since: number) =>
        (await store.changedSince({ since })).accounts.filter((c) => c.id === 'u2').map((c) => c.change);
      const start = (await store.changedSince({ since: -1 })).generation;
      const first = account(APP, 'u2', { displayName: 'Grace H', attributes: { team: 'Navy' } });
      await upsertSnapshotAccount(store, first);
      expect(await changesAfter(start)).toEqual(['added']);
      const added = (await store.changedSince({ since: start })).generation;
      await upsertSnapshotAccount(store, { ...first, attributes: { team: 'Navy' } });
      await upsertSnapshotAccount(store, { ...first });
      expect(await changesAfter(added)).toEqual([]);
      await upsertSnapshotAccount(store, { ...first, attributes: { team: 'Yale' } });
      expect(await changesAfter(added)).toEqual(['changed']);
      expect((await store.getAccount({ appId: APP, id: 'u2' }))?.attributes).toEqual({ team: 'Yale' });
      await upsertSnapshotAccount(store, { ...first, lastName: null, displayName: null });
      expect(await store.getAccount({ appId: APP, id: 'u2' })).toMatchObject({
        displayName: null,
        attributes: { team: 'Navy' },
      });
    });
  },
);

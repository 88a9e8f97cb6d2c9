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
  },
);

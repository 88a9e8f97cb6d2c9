import { afterAll, describe, expect, it } from 'vitest';
import { account, entitlement, grant } from '../contract.testkit.js';
import { openPostgresStore } from '../postgres.js';
import { freshDatabase, requirePostgres } from '../postgres.testkit.js';
import { MEMORY, openSqliteStore } from '../sqlite.js';
import type { Store } from '../store.js';

const APP = 'app';
const postgres = await requirePostgres();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const engines: [string, () => Promise<Store>][] = [
  ['SQLite', () => openSqliteStore(MEMORY)],
  ...(postgres.available
    ? ([
        [
          'Postgres',
          async () => {
            const database = await freshDatabase();
            const store = await openPostgresStore(database.url);
            cleanups.push(async () => {
              await store.close();
              await database.drop();
            });
            return store;
          },
        ],
      ] as [string, () => Promise<Store>][])
    : []),
];

async function seeded(open: () => Promise<Store>): Promise<Store> {
  const store = await open();
  await store.upsertApp({ id: APP, type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  await store.replaceSnapshot({
    appId: APP,
    runId: null,
    accounts: [
      account(APP, 'a1', {
        firstName: 'Ann',
        lastName: 'Lee',
        attributes: { department: 'Sales', seats: 2 },
      }),
      account(APP, 'a2', { status: 'inactive', email: null }),
      account(APP, 'a3', { status: 'invited' }),
      account(APP, 'a4'),
    ],
    entitlements: [entitlement(APP, 'g1', { kind: 'group' })],
    grants: [grant(APP, 'g1', 'a1'), grant(APP, 'g1', 'a3')],
  });
  await store.upsertLinks({
    links: [
      {
        appId: APP,
        accountId: 'a1',
        employeeId: 'e1',
        situation: 'linked',
        method: 'email',
        confidence: 0.9,
        candidates: ['e1'],
      },
      {
        appId: APP,
        accountId: 'a2',
        employeeId: null,
        situation: 'unmatched',
        method: null,
        confidence: 0,
        candidates: [],
      },
      {
        appId: APP,
        accountId: 'a3',
        employeeId: null,
        situation: 'disputed',
        method: null,
        confidence: 0.5,
        candidates: ['e1', 'e2'],
      },
      {
        appId: APP,
        accountId: 'a4',
        employeeId: null,
        situation: 'suggested',
        method: null,
        confidence: 0.6,
        candidates: ['e2'],
      },
    ],
  });
  return store;
}

describe.each(engines)('%s: what a plan reads of an app', (_engine, open) => {
  it('reads the same accounts, links and grants as the full readers, in the same order, without the rest', async () => {
    const store = await seeded(open);
    const read = await store.readPlanApp({ appId: APP, grants: true, attributes: true });
    const full = await store.listGraphAccounts({ appId: APP });
    expect(read.accounts).toEqual(
      full.map(({ appId, id, email, firstName, lastName, status, attributes }) => ({
        appId,
        id,
        email,
        firstName,
        lastName,
        status,
        attributes,
      })),
    );
    const links = await store.listLinks({ appId: APP });
    expect(read.links).toEqual(
      links.map(({ appId, accountId, employeeId, situation, method, candidates }) => ({
        appId,
        accountId,
        employeeId,
        situation,
        method,
        // The candidates only of the links the diff reads them of.
        candidates: situation === 'disputed' || situation === 'suggested' ? candidates : [],
      })),
    );
    expect(read.grants).toEqual(
      (await store.listGrants({ appId: APP })).map(({ appId, entitlementId, accountId }) => ({
        appId,
        entitlementId,
        accountId,
      })),
    );
    expect(read.entitlements).toEqual(await store.listEntitlements({ appId: APP }));
    await store.close();
  });

  it('reads the candidates of disputed and suggested links only', async () => {
    const store = await seeded(open);
    const { links } = await store.readPlanApp({ appId: APP, grants: false, attributes: true });
    expect(links.map((l) => [l.accountId, l.candidates])).toEqual([
      ['a1', []],
      ['a2', []],
      ['a3', ['e1', 'e2']],
      ['a4', ['e2']],
    ]);
    await store.close();
  });

  it('leaves the attributes unread when the plan does not ask for them', async () => {
    const store = await seeded(open);
    const { accounts } = await store.readPlanApp({ appId: APP, grants: false, attributes: false });
    expect(accounts.map((a) => [a.id, a.firstName, a.attributes])).toEqual([
      ['a1', 'Ann', {}],
      ['a2', null, {}],
      ['a3', null, {}],
      ['a4', null, {}],
    ]);
    await store.close();
  });

  it('leaves the grants unread when the plan does not ask for them', async () => {
    const store = await seeded(open);
    expect((await store.readPlanApp({ appId: APP, grants: false, attributes: true })).grants).toEqual([]);
    await store.close();
  });

  it('names the latest link change, null before any link', async () => {
    const empty = await open();
    expect(await empty.linksUpdatedAt()).toBeNull();
    await empty.close();
    const store = await seeded(open);
    const latest = (await store.listLinks()).reduce((max, l) => (l.updatedAt > max ? l.updatedAt : max), '');
    expect(await store.linksUpdatedAt()).toBe(latest);
    await store.close();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Account, Entitlement, Grant, Link } from '../core/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { findings } from './findings.js';
import { refreshGraph, updateGraph } from './graph.js';
import { account, person } from './testkit.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const config = {
  apps: [
    { id: 'tp', type: 'targetprocess' as const, privilegedRoles: ['Owner'] },
    { id: 'ps', type: 'process-street' as const },
  ],
  identity: { dormantDays: 90, dormantGraceDays: 30, inviteDays: 14 },
};
const NOW = '2026-11-01T00:00:00.000Z';

const people = () => [
  person('E1', 'ada@acme.com'),
  person('E2', 'bob@acme.com'),
  person('E3', 'cy@acme.com', { status: 'leaver' }),
  person('E4', 'dee@acme.com'),
];

const tpAccounts = (): Account[] => [
  account('1', {
    appId: 'tp',
    email: 'ada@acme.com',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastLoginAt: '2026-10-20T00:00:00.000Z',
  }),
  account('2', {
    appId: 'tp',
    email: 'ada+old@acme.com',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastLoginAt: '2026-08-10T00:00:00.000Z',
  }),
  account('3', { appId: 'tp', email: 'cy@acme.com', isAdmin: true, createdAt: '2026-01-01T00:00:00.000Z' }),
  account('4', {
    appId: 'tp',
    email: 'nobody@acme.com',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastLoginAt: '2026-10-30T00:00:00.000Z',
  }),
  account('5', {
    appId: 'tp',
    email: 'dee@acme.com',
    status: 'invited',
    createdAt: '2026-10-01T00:00:00.000Z',
  }),
  account('6', {
    appId: 'tp',
    email: 'bob@acme.com',
    firstName: 'Robert',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastLoginAt: '2026-10-25T00:00:00.000Z',
  }),
];

const psAccounts = (): Account[] => [
  account('a', { appId: 'ps', email: 'bob@acme.com' }),
  account('b', { appId: 'ps', email: 'dee@acme.com', attributes: { role: 'Admin' } }),
];

const roles: Entitlement[] = [{ appId: 'tp', id: 'r1', kind: 'role', name: 'Owner', privileged: false }];

async function seeded(): Promise<Store> {
  const s = await openStore('sqlite::memory:');
  await s.upsertApp({ id: 'tp', type: 'targetprocess', baseUrl: 'http://127.0.0.1:1/api/v1' });
  await s.upsertApp({ id: 'ps', type: 'process-street', baseUrl: 'http://127.0.0.1:1/api/v1' });
  await s.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: people() });
  await s.replaceSnapshot({
    appId: 'tp',
    runId: null,
    accounts: tpAccounts(),
    entitlements: roles,
    grants: [],
  });
  await s.replaceSnapshot({ appId: 'ps', runId: null, accounts: psAccounts(), entitlements: [], grants: [] });
  return s;
}

/** What the findings must be: the pure rules over every row the store holds now. */
async function everything(s: Store, now: string) {
  const accounts: Account[] = [];
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  for (const app of config.apps) {
    accounts.push(...(await s.listGraphAccounts({ appId: app.id })));
    entitlements.push(...(await s.listEntitlements({ appId: app.id })));
    grants.push(...(await s.listGrants({ appId: app.id })));
  }
  const links: Link[] = await s.listLinks();
  return findings({
    people: await s.listPeople(),
    accounts,
    entitlements,
    grants,
    links,
    now,
    options: { apps: config.apps, dormantDays: 90, dormantGraceDays: 30, inviteDays: 14 },
  });
}

/** Runs the graph and checks its findings against the whole recomputation; returns how many accounts it looked at. */
async function agrees(s: Store, now = NOW): Promise<number> {
  const graph = await refreshGraph({ store: s, config, now });
  expect(graph.findings).toEqual(await everything(s, now));
  expect(graph.summary.findings).toEqual(perRule(graph.findings));
  expect(graph.summary.apps).toEqual(await linkCounts(s));
  return graph.recomputed;
}

/** What the summary's link counts must be: every app's links counted afresh. */
async function linkCounts(s: Store) {
  const apps: Record<string, Record<string, number>> = {};
  for (const app of config.apps)
    apps[app.id] = { accounts: 0, linked: 0, suggested: 0, disputed: 0, unmatched: 0 };
  for (const row of (await s.graphLinkCounts()).apps) {
    const app = apps[row.appId] as Record<string, number>;
    app['accounts'] = (app['accounts'] ?? 0) + row.count;
    app[row.situation] = (app[row.situation] ?? 0) + row.count;
  }
  return apps;
}

function perRule(found: readonly { rule: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of found) counts[f.rule] = (counts[f.rule] ?? 0) + 1;
  return counts;
}

/** The store with its read of every finding refused: what an unchanged update must never need. */
function withoutFindingsRead(s: Store): Store {
  return new Proxy(s, {
    get(target, key, receiver) {
      if (key === 'listGraphFindings') return () => Promise.reject(new Error('read every finding'));
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('incremental findings', () => {
  it('an unchanged update reads no finding back, and counts them per rule as the run before did', async () => {
    store = await seeded();
    const first = await refreshGraph({ store, config, now: NOW });
    const again = await updateGraph({ store: withoutFindingsRead(store), config, now: NOW });
    expect(again).toMatchObject({ upToDate: true, recomputed: 0 });
    expect(again.summary).toEqual(first.summary);
    expect(again.summary.findings).toEqual(perRule(first.findings));
  });

  it('a first run looks at every account, an unchanged one at none and returns the same findings', async () => {
    store = await seeded();
    expect(await agrees(store)).toBe(8);
    const again = await refreshGraph({ store, config, now: NOW });
    expect(again).toMatchObject({ upToDate: true, recomputed: 0 });
    expect(again.findings.map((f) => f.id)).toContain('duplicate_accounts:tp:2');
  });

  it('a changed account is looked at with its owner’s other accounts, and only those', async () => {
    store = await seeded();
    await agrees(store);
    // Account 2 leaves: Ada has one tp account again, so the duplicate finding goes.
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: tpAccounts().filter((a) => a.id !== '2'),
      entitlements: roles,
      grants: [],
    });
    const looked = await agrees(store);
    expect(looked).toBeGreaterThan(0);
    expect(looked).toBeLessThan(8);
  });

  it('a person who leaves turns their accounts into leavers with access', async () => {
    store = await seeded();
    await agrees(store);
    await store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'h2',
      people: people().map((p) => (p.employeeId === 'E2' ? { ...p, status: 'leaver' as const } : p)),
    });
    await agrees(store);
    const graph = await refreshGraph({ store, config, now: NOW });
    expect(graph.findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(['leaver_with_access:tp:6', 'leaver_with_access:ps:a']),
    );
  });

  it('a person removed from HR leaves their accounts orphaned, and their duplicates resolved', async () => {
    store = await seeded();
    await agrees(store);
    await store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'h3',
      people: people().filter((p) => p.employeeId !== 'E1'),
    });
    await agrees(store);
  });

  it('a manual decision and a grant of a privileged role each change the findings of that account', async () => {
    store = await seeded();
    await agrees(store);
    await store.decideLink({ appId: 'tp', accountId: '4', employeeId: 'E4', decidedBy: 'it-admin' });
    expect(await agrees(store)).toBeLessThan(8);
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: tpAccounts(),
      entitlements: roles,
      grants: [{ appId: 'tp', entitlementId: 'r1', accountId: '1' }],
    });
    expect(await agrees(store)).toBeLessThan(8);
    const graph = await refreshGraph({ store, config, now: NOW });
    expect(graph.findings.map((f) => f.id)).toContain('privileged:tp:1');
  });

  it('time passing makes accounts dormant and ages invitations, without any write', async () => {
    store = await seeded();
    await agrees(store);
    await agrees(store, '2026-11-20T00:00:00.000Z');
    await agrees(store, '2027-02-01T00:00:00.000Z');
    // And back: a "now" before the last run is a window too.
    await agrees(store, '2026-11-02T00:00:00.000Z');
  });

  it('a first run over an app of several pages finds what the rules find over all of it at once', async () => {
    store = await seeded();
    // Over two pages of the run's read (2,000 accounts each): Ada's accounts on the first and the last page (a
    // duplicate across pages), a grant of the privileged role on the second, everyone else's accounts between.
    const many = Array.from({ length: 4_500 }, (_, i) =>
      account(String(10_000 + i), {
        appId: 'tp',
        email: i === 0 || i === 4_499 ? 'ada@acme.com' : `x${i}@vendor.example`,
        createdAt: '2026-01-01T00:00:00.000Z',
        lastLoginAt: i % 3 === 0 ? null : '2026-10-20T00:00:00.000Z',
      }),
    );
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: [...tpAccounts(), ...many],
      entitlements: roles,
      grants: [{ appId: 'tp', entitlementId: 'r1', accountId: '12500' }],
    });
    expect(await agrees(store)).toBe(4_508);
    const found = (await refreshGraph({ store, config, now: NOW })).findings.map((f) => f.id);
    expect(found).toEqual(
      expect.arrayContaining([
        'duplicate_accounts:tp:10000',
        'duplicate_accounts:tp:14499',
        'duplicate_accounts:tp:2',
        'privileged:tp:12500',
      ]),
    );
  });

  it('a change of findings settings recomputes every account', async () => {
    store = await seeded();
    await agrees(store);
    const graph = await refreshGraph({
      store,
      config: { ...config, identity: { dormantDays: 10 } },
      now: NOW,
    });
    expect(graph.recomputed).toBe(8);
  });
});

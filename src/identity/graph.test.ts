import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { refreshGraph, sortByAccountId, updateLinks } from './graph.js';
import { account, person } from './testkit.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const config = { apps: [{ id: 'tp', type: 'targetprocess' as const }] };

async function seeded(): Promise<Store> {
  const s = await openStore('sqlite::memory:');
  await s.upsertApp({ id: 'tp', type: 'targetprocess', baseUrl: 'http://127.0.0.1:1/api/v1' });
  await s.replacePeople({
    sourcePath: 'hr.csv',
    hash: 'h1',
    people: [person('E1', 'ada@acme.com'), person('E2', 'bob@acme.com')],
  });
  await s.replaceSnapshot({
    appId: 'tp',
    runId: null,
    accounts: [
      account('1', { appId: 'tp', email: 'ada@acme.com' }),
      account('2', { appId: 'tp', email: 'nobody@acme.com' }),
    ],
    entitlements: [],
    grants: [],
  });
  return s;
}

describe('refreshGraph', () => {
  it('writes every link the first time and nothing when a second pass finds the same', async () => {
    store = await seeded();
    const first = await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect((await store.listLinks()).map((l) => [l.accountId, l.situation])).toEqual([
      ['1', 'linked'],
      ['2', 'unmatched'],
    ]);
    expect(first).toMatchObject({ written: 2, upToDate: false });
    const again = await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect(again).toMatchObject({ written: 0, upToDate: true, findings: first.findings });
    expect((await store.listLinks()).map((l) => l.situation).sort()).toEqual(['linked', 'unmatched']);
  });

  it('writes only the links that changed, and never overwrites a manual decision', async () => {
    store = await seeded();
    await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    await store.decideLink({ appId: 'tp', accountId: '2', employeeId: 'E2', decidedBy: 'it-admin' });
    const again = await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect(again.written).toBe(0);
    expect(again.findings.map((f) => f.id)).not.toContain('orphan:tp:2');
    expect((await store.listLinks()).find((l) => l.accountId === '2')).toMatchObject({
      employeeId: 'E2',
      method: 'manual',
    });
  });
});

describe('updateLinks', () => {
  const twoApps = {
    apps: [
      { id: 'tp', type: 'targetprocess' as const },
      { id: 'ps', type: 'process-street' as const },
    ],
  };

  async function withSecondApp(): Promise<Store> {
    const s = await seeded();
    await s.upsertApp({ id: 'ps', type: 'process-street', baseUrl: 'http://127.0.0.1:1/api/v1' });
    await s.replaceSnapshot({
      appId: 'ps',
      runId: null,
      accounts: [account('9', { appId: 'ps', email: 'bob@acme.com' })],
      entitlements: [],
      grants: [],
    });
    return s;
  }

  const situations = async (s: Store) =>
    (await s.listLinks()).map((l) => `${l.appId}/${l.accountId} ${l.situation} ${l.employeeId ?? '-'}`);

  it('with nothing changed since the last run it reads no people, accounts or links', async () => {
    store = await withSecondApp();
    expect((await updateLinks({ store, config: twoApps })).recomputed).toEqual(['tp', 'ps']);
    const reads = [
      vi.spyOn(store, 'listPeople'),
      vi.spyOn(store, 'listGraphAccounts'),
      vi.spyOn(store, 'listLinks'),
    ];
    const again = await updateLinks({ store, config: twoApps });
    expect(again).toMatchObject({ upToDate: true, recomputed: [], written: 0 });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
  });

  it('a snapshot written after the graph ran is correlated again, and only its app', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    // As a webhook-driven re-sync does: the app's snapshot changes, nothing refreshes the graph.
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: [account('2', { appId: 'tp', email: 'bob@acme.com' })],
      entitlements: [],
      grants: [],
    });
    const update = await updateLinks({ store, config: twoApps });
    expect(update).toMatchObject({ upToDate: false, recomputed: ['tp'], written: 1, removed: 1 });
    expect(await situations(store)).toEqual(['ps/9 linked E2', 'tp/2 linked E2']);
  });

  it('an app re-synced with a few accounts changed correlates only those, reading none of its others', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    // Account 1 stays as it was, 2 changes owner, 3 is new; nothing is removed.
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: [
        account('1', { appId: 'tp', email: 'ada@acme.com' }),
        account('2', { appId: 'tp', email: 'bob@acme.com' }),
        account('3', { appId: 'tp', email: 'ada@acme.com' }),
      ],
      entitlements: [],
      grants: [],
    });
    const accounts = vi.spyOn(store, 'listGraphAccounts');
    const links = vi.spyOn(store, 'listLinks');
    const update = await updateLinks({ store, config: twoApps });
    expect(update).toMatchObject({ recomputed: ['tp'], written: 2, removed: 0 });
    expect(links).not.toHaveBeenCalled();
    expect(
      accounts.mock.calls.map(([input]) => [input.appId, [...(input.ids ?? ['every account'])].sort()]),
    ).toEqual([['tp', ['2', '3']]]);
    expect(await situations(store)).toEqual([
      'ps/9 linked E2',
      'tp/1 linked E1',
      'tp/2 linked E2',
      'tp/3 linked E1',
    ]);
    // An account gone from the next snapshot takes its link with it; the others' links stay.
    await store.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: [
        account('1', { appId: 'tp', email: 'ada@acme.com' }),
        account('3', { appId: 'tp', email: 'ada@acme.com' }),
      ],
      entitlements: [],
      grants: [],
    });
    expect(await updateLinks({ store, config: twoApps })).toMatchObject({ written: 0, removed: 1 });
    expect(await situations(store)).toEqual(['ps/9 linked E2', 'tp/1 linked E1', 'tp/3 linked E1']);
  });

  it('a new people import recomputes every app', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    await store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'h2',
      people: [person('E1', 'ada@acme.com'), person('E3', 'nobody@acme.com')],
    });
    const update = await updateLinks({ store, config: twoApps });
    expect(update.recomputed.sort()).toEqual(['ps', 'tp']);
    expect(await situations(store)).toEqual(['ps/9 unmatched -', 'tp/1 linked E1', 'tp/2 linked E3']);
  });

  it('a manual decision and its withdrawal each mark the app, so the next update sees them', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    await store.decideLink({ appId: 'tp', accountId: '2', employeeId: 'E1', decidedBy: 'it-admin' });
    expect((await updateLinks({ store, config: twoApps })).recomputed).toEqual(['tp']);
    await store.undecideLink({ appId: 'tp', accountId: '2' });
    expect((await updateLinks({ store, config: twoApps })).recomputed).toEqual(['tp']);
    expect(await situations(store)).toContain('tp/2 unmatched -');
  });

  it('a change of correlation settings recomputes every app even with the same data', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    const aliased = { ...twoApps, domains: { aliases: [['acme.com', 'acme.io']] as [string, string][] } };
    expect((await updateLinks({ store, config: aliased })).recomputed).toEqual(['tp', 'ps']);
    expect((await updateLinks({ store, config: aliased })).upToDate).toBe(true);
  });

  it('refreshGraph after an update still reports every account, with the links the store holds', async () => {
    store = await withSecondApp();
    await updateLinks({ store, config: twoApps });
    const graph = await refreshGraph({ store, config: twoApps, now: '2026-11-01T00:00:00.000Z' });
    expect((await store.listLinks()).map((l) => `${l.appId}/${l.accountId} ${l.situation}`)).toEqual([
      'ps/9 linked',
      'tp/1 linked',
      'tp/2 unmatched',
    ]);
    expect(graph.summary.apps).toMatchObject({ tp: { linked: 1, unmatched: 1 }, ps: { linked: 1 } });
    expect(graph.findings.map((f) => f.id)).toContain('orphan:tp:2');
  });
});

describe('the people index kept between runs on one store', () => {
  const now = '2026-11-01T00:00:00.000Z';
  const tp = (id: string, email: string) => account(id, { appId: 'tp', email });
  const resync = (s: Store, email: string) =>
    s.replaceSnapshot({
      appId: 'tp',
      runId: null,
      accounts: [tp('1', 'ada@acme.com'), tp('2', email)],
      entitlements: [],
      grants: [],
    });
  const linkOf2 = async (s: Store) => (await s.listLinks({ appId: 'tp' })).find((l) => l.accountId === '2');
  const hire = (s: Store) =>
    s.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'h2',
      people: [person('E1', 'ada@acme.com'), person('E2', 'bob@acme.com'), person('E3', 'cy@acme.com')],
    });

  it('correlates changed accounts without reading the people again when nobody changed', async () => {
    store = await seeded();
    await refreshGraph({ store, config, now });
    const read = vi.spyOn(store, 'listGraphPeople');
    await resync(store, 'BOB@acme.com');
    expect(await updateLinks({ store, config })).toMatchObject({ recomputed: ['tp'], written: 1 });
    expect(await linkOf2(store)).toMatchObject({ employeeId: 'E2', situation: 'linked' });
    // Run after run, as a service's syncs come: the index stays current with the links.
    await resync(store, 'ada@acme.com');
    expect(await updateLinks({ store, config })).toMatchObject({ recomputed: ['tp'], written: 1 });
    expect(read).not.toHaveBeenCalled();
    expect(await linkOf2(store)).toMatchObject({ employeeId: 'E1', situation: 'linked' });
  });

  it('reads them again once a person changed: a new hire is found', async () => {
    store = await seeded();
    await updateLinks({ store, config });
    await hire(store);
    await resync(store, 'cy@acme.com');
    const read = vi.spyOn(store, 'listGraphPeople');
    await updateLinks({ store, config });
    expect(read).toHaveBeenCalledTimes(1);
    expect(await linkOf2(store)).toMatchObject({ employeeId: 'E3', situation: 'linked' });
  });

  it('reads them again under other settings: an address on an alias domain is found', async () => {
    store = await seeded();
    await updateLinks({ store, config });
    await resync(store, 'bob@acme.io');
    const aliased = { ...config, domains: { aliases: [['acme.com', 'acme.io']] as [string, string][] } };
    await updateLinks({ store, config: aliased });
    expect(await linkOf2(store)).toMatchObject({ employeeId: 'E2', situation: 'linked' });
  });

  it('reads them again when the links were brought up to date elsewhere, which may have seen other people', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-kept-index-'));
    const file = `sqlite:${join(dir, 'roster.db')}`;
    const here = await openStore(file);
    const elsewhere = await openStore(file);
    try {
      await here.upsertApp({ id: 'tp', type: 'targetprocess', baseUrl: 'http://127.0.0.1:1/api/v1' });
      await here.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('E1', 'ada@acme.com')] });
      await resync(here, 'nobody@acme.com');
      await updateLinks({ store: here, config });
      // Another process imports a new hire and brings the links up to date: the change set after that holds
      // no change of a person, though this process's index has never seen the hire.
      await hire(elsewhere);
      expect(await updateLinks({ store: elsewhere, config })).toMatchObject({ upToDate: false });
      await resync(here, 'cy@acme.com');
      await updateLinks({ store: here, config });
      expect(await linkOf2(here)).toMatchObject({ employeeId: 'E3', situation: 'linked' });
    } finally {
      await here.close();
      await elsewhere.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sortByAccountId', () => {
  const collator = new Intl.Collator(undefined, { numeric: true });
  const ids = (list: readonly string[]) => {
    const accounts = list.map((id) => account(id, { appId: 'tp' }));
    sortByAccountId(accounts);
    return accounts.map((a) => a.id);
  };

  it('orders decimal ids by value, as the collator does, without it', () => {
    const list = ['10', '9', '100', '0', '2', '11', '1', '99', '101', '20'];
    expect(ids(list)).toEqual(['0', '1', '2', '9', '10', '11', '20', '99', '100', '101']);
    expect(ids(list)).toEqual([...list].sort(collator.compare));
  });

  it('orders any other ids as the collator does: numbers in them by value, letters by the locale', () => {
    const list = ['u10', 'u9', '007', '7', 'B', 'a', 'u1', 'x-2', 'x-10', '01'];
    const sorted = ids(list);
    expect(sorted).toEqual([...list].sort(collator.compare));
    expect(sorted.indexOf('u9')).toBeLessThan(sorted.indexOf('u10'));
    expect(sorted.indexOf('x-2')).toBeLessThan(sorted.indexOf('x-10'));
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { refreshGraph } from './graph.js';
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
    const upsert = vi.spyOn(store, 'upsertLinks');
    const first = await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect(first.links.map((l) => [l.accountId, l.situation])).toEqual([
      ['1', 'linked'],
      ['2', 'unmatched'],
    ]);
    expect(upsert).toHaveBeenCalledTimes(1);
    upsert.mockClear();
    await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect(upsert).not.toHaveBeenCalled();
    expect((await store.listLinks()).map((l) => l.situation).sort()).toEqual(['linked', 'unmatched']);
  });

  it('writes only the links that changed, and never overwrites a manual decision', async () => {
    store = await seeded();
    await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    await store.decideLink({ appId: 'tp', accountId: '2', employeeId: 'E2', decidedBy: 'it-admin' });
    const upsert = vi.spyOn(store, 'upsertLinks');
    const again = await refreshGraph({ store, config, now: '2026-11-01T00:00:00.000Z' });
    expect(upsert).not.toHaveBeenCalled();
    expect(again.links.find((l) => l.accountId === '2')).toMatchObject({
      employeeId: 'E2',
      method: 'manual',
    });
  });
});

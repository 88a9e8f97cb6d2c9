import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { openRoster } from './context.js';
import { approve, planChanges } from './plan.js';
import { syncApps } from './sync.js';

let fleet: Fleet;
let config: RosterConfig;
let store: Store;

beforeAll(async () => {
  fleet = await startFleet({ apps: ['targetprocess'], seed: 9, people: 30 });
  // Leavers deleted: every delete needs an approval.
  const policy = { leavers: { action: 'delete', graceDays: 0 }, safety: { fourEyes: true } };
  config = await loadConfig(fleetWorkspace(fleet, { policy }).file, { env: {} });
  store = await openStore(config.store);
  await syncApps(await openRoster(config, { store, actor: 'ana' }));
}, 60_000);

afterAll(async () => {
  await store?.close();
  await fleet?.close();
});

describe('four eyes', () => {
  it('the owner of the token an assistant proposed through cannot approve it; someone else can', async () => {
    const assistant = await openRoster(config, { store, actor: 'assistant via ana' });
    const planned = await planChanges(assistant);
    expect(planned.summary.approvals).toBeGreaterThan(0);
    const ana = await openRoster(config, { store, actor: 'ana' });
    await expect(approve(ana, { plan: planned.plan.id })).rejects.toMatchObject({ code: 'forbidden' });
    const bo = await openRoster(config, { store, actor: 'bo' });
    expect((await approve(bo, { plan: planned.plan.id })).approved.length).toBe(planned.summary.approvals);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
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
  const dir = mkdtempSync(join(tmpdir(), 'roster-four-eyes-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  // Leavers deleted: every delete needs an approval.
  const policy = { leavers: { action: 'delete', graceDays: 0 }, safety: { fourEyes: true } };
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
  config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
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

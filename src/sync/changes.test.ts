import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { connectorFor } from '../connectors/registry.js';
import { generateCompany } from '../sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { openStore } from '../store/open.js';
import { syncApps } from './sync.js';

const company = generateCompany({ seed: 11, people: 80 });
const http = { http: { backoff: { baseMs: 2, capMs: 20 }, timeoutMs: 30_000, maxRetries: 12 } };
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('the change set a sync leaves', () => {
  it('names every account a sync added or changed in the apps, and nothing when the apps did not change', async () => {
    const fleet = await startFleet({ company, seed: 11 });
    open.push(fleet);
    const dir = mkdtempSync(join(tmpdir(), 'roster-changes-'));
    writeFileSync(
      join(dir, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    const store = await openStore(config.store);
    const connectors = config.apps.map((app) => connectorFor(app, http));
    open.push(store, ...connectors);

    const first = await syncApps({ store, connectors, full: true });
    expect(first.every((r) => r.status === 'succeeded')).toBe(true);
    const all = await store.changedSince({ since: 0 });
    const total = first.reduce((n, r) => n + r.counts.accounts, 0);
    expect(all.accounts).toHaveLength(total);
    expect(all.accounts.every((c) => c.change === 'added')).toBe(true);

    const again = await syncApps({ store, connectors, full: true });
    expect(again.every((r) => r.status === 'succeeded')).toBe(true);
    expect(await store.changedSince({ since: all.generation })).toEqual({
      generation: all.generation,
      accounts: [],
      people: [],
    });

    // One user deactivated in Thought Industries: the next full sync names that account and no other.
    const ti = connectors.find((c) => c.type === 'thought-industries')!;
    const victim = (await store.listAccounts({ appId: ti.appId })).find((a) => a.status === 'active')!;
    await ti.accounts.deactivate!({ id: victim.id });
    const third = await syncApps({ store, connectors, full: true });
    expect(third.every((r) => r.status === 'succeeded')).toBe(true);
    const changed = await store.changedSince({ since: all.generation });
    expect(changed.accounts.map((c) => [c.appId, c.id, c.change])).toEqual([
      [ti.appId, victim.id, 'changed'],
    ]);
    expect((await store.getAccount({ appId: ti.appId, id: victim.id }))?.status).toBe('inactive');
  });
});

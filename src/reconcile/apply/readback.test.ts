import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import { testHttp } from '../../connectors/sdk/testkit.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { refreshGraph } from '../../identity/index.js';
import { generateCompany, hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { parsePeople } from '../../sources/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { syncApps } from '../../sync/sync.js';
import { computePlan } from '../plan.js';
import { applyPlan } from './executor.js';

/**
 * New accounts in both apps, for departments that have none there yet: Targetprocess reads a new user back
 * inside its create, Thought Industries after it.
 */
const policy = {
  rules: [
    {
      name: 'marketing plans',
      when: { department: 'Marketing', status: 'active' },
      apps: { targetprocess: {} },
    },
    {
      name: 'product academy',
      when: { department: 'Product', status: 'active' },
      apps: { 'thought-industries': {} },
    },
  ],
  safety: { approval: { delete: false, privileged: false, opsPerApp: 10_000 } },
};

/** The read of one user by id, the call a create's read-back makes. */
const READ_BACK = {
  targetprocess: { method: 'GET', path: '/Users/\\d+$', status: 503 },
  'thought-industries': { method: 'GET', path: '/users/[^/]+$', status: 503 },
} as const;

let fleet: Fleet;
let config: RosterConfig;
let store: Store;
let connectors: Connector[];

beforeAll(async () => {
  const company = generateCompany({ seed: 23, people: 60 });
  fleet = await startFleet({ apps: ['targetprocess', 'thought-industries'], seed: 23, company });
  const dir = mkdtempSync(join(tmpdir(), 'roster-readback-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
  config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  store = await openStore(config.store);
  const { people } = parsePeople({ text: hrToCsv(company.hr), format: 'csv', file: 'hr.csv' });
  await store.replacePeople({ sourcePath: 'hr.csv', hash: 'sample', people });
  connectors = config.apps.map((app) => connectorFor(app, { http: { ...testHttp(), maxRetries: 2 } }));
}, 60_000);

afterAll(async () => {
  await Promise.all((connectors ?? []).map((c) => c.close()));
  await store?.close();
  await fleet?.close();
});

/**
 * Creates that reached the app's handler, per address, whatever it answered: a create sent again would show
 * here even when the app refuses it as a duplicate.
 */
function createsByEmail(app: 'targetprocess' | 'thought-industries'): Map<string, number> {
  const sandbox = fleet.get(app);
  const counts = new Map<string, number>();
  for (const r of sandbox.requests()) {
    const isCreate = r.method === 'POST' && /\/(Users|users)$/.test(r.url.split('?')[0] ?? '');
    const handled = r.fault === null || /^(slow|lost_response)/.test(r.fault);
    if (!isCreate || !handled) continue;
    const body = r.body as { Email?: string; email?: string };
    const email = (body.Email ?? body.email ?? '').toLowerCase();
    counts.set(email, (counts.get(email) ?? 0) + 1);
  }
  return counts;
}

describe('a create whose read-back failed', () => {
  it('is resumed into exactly one account per person, and the op succeeds', async () => {
    const results = await syncApps({ store, connectors, full: true });
    for (const r of results) expect(r.status, `${r.appId}: ${r.error}`).toBe('succeeded');
    await refreshGraph({ store, config, now: fleet.company.asOf });
    const manifests = Object.fromEntries(connectors.map((c) => [c.appId, c.manifest]));
    const planned = await computePlan({ store, config, manifests, now: new Date(fleet.company.asOf) });
    const creates = planned.body.ops.filter((o) => o.kind === 'create');
    for (const app of ['targetprocess', 'thought-industries'] as const) {
      expect(creates.filter((o) => o.appId === app).length, app).toBeGreaterThan(0);
      fleet.get(app).clearRequests();
      fleet.get(app).scriptFaults([READ_BACK[app]]);
    }
    const apply = (using: Connector[]) =>
      applyPlan({
        store,
        config,
        planId: planned.plan.id,
        connectors: Object.fromEntries(using.map((c) => [c.appId, c])),
        actor: 'test',
        yes: true,
        resume: true,
      });

    // Every read of one user answers 503 (until the HTTP layer's circuit opens): no create can be verified.
    const first = await apply(connectors);
    const failed = first.ops.filter((o) => o.kind === 'create' && o.state === 'failed');
    expect(failed.length).toBe(creates.length);

    for (const app of ['targetprocess', 'thought-industries'] as const) fleet.get(app).clearScriptedFaults();
    // The resume is a new run (a new `roster apply`): fresh connectors, circuits closed.
    const fresh = config.apps.map((app) => connectorFor(app, { http: { ...testHttp(), maxRetries: 2 } }));
    connectors.push(...fresh);
    const second = await apply(fresh);
    expect(second.ops.filter((o) => o.state !== 'succeeded').map((o) => `${o.ref}: ${o.error}`)).toEqual([]);
    expect(second.status).toBe('applied');

    for (const app of ['targetprocess', 'thought-industries'] as const) {
      const wanted = creates.filter((o) => o.appId === app).map((o) => o.input?.email.toLowerCase());
      const made = createsByEmail(app);
      expect([...made.keys()].sort(), app).toEqual([...wanted].sort());
      expect(
        [...made.values()].every((n) => n === 1),
        app,
      ).toBe(true);
      // And the app holds one live account per address.
      const live = new Map<string, number>();
      const connector = fresh.find((c) => c.type === app) as Connector;
      for (const email of wanted) {
        const found = (await connector.accounts.findByEmail!({ email: email ?? '' })).filter(
          (a) => a.status !== 'deleted',
        );
        live.set(email ?? '', found.length);
      }
      expect(
        [...live.values()].every((n) => n === 1),
        app,
      ).toBe(true);
    }
  }, 60_000);
});

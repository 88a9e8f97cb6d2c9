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
import { APP_DEPARTMENTS, generateCompany, hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { parsePeople } from '../../sources/index.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { syncApps } from '../../sync/sync.js';
import { computePlan } from '../plan.js';
import { applyPlan } from './executor.js';

const SEED = 17;
const MAX_RUNS = 12;

/** Teams and courses for the apps' departments, so the plan creates, grants and deactivates. */
const policy = {
  rules: [
    {
      name: 'engineering tools',
      when: { department: APP_DEPARTMENTS.targetprocess, status: 'active' },
      apps: { targetprocess: { teams: ['Platform'] } },
    },
    {
      name: 'academy',
      when: { department: APP_DEPARTMENTS['thought-industries'], status: 'active' },
      apps: { 'thought-industries': { courses: ['Security Awareness', 'Code of Conduct'] } },
    },
  ],
  managed: { targetprocess: ['account'], 'thought-industries': ['account', 'course'] },
  safety: { approval: { delete: false, privileged: false, opsPerApp: 10_000 } },
};

interface Side {
  fleet: Fleet;
  config: RosterConfig;
  store: Store;
  connectors: Connector[];
}

async function side(profile: 'clean' | 'flaky'): Promise<Side> {
  const company = generateCompany({ seed: SEED, people: 120 });
  const fleet = await startFleet({
    apps: ['targetprocess', 'thought-industries'],
    seed: SEED,
    company,
    profile,
  });
  const dir = mkdtempSync(join(tmpdir(), `roster-${profile}-`));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const store = await openStore(config.store);
  const { people } = parsePeople({ text: hrToCsv(company.hr), format: 'csv', file: 'hr.csv' });
  await store.replacePeople({ sourcePath: 'hr.csv', hash: 'sample', people });
  // Short timeouts only against the sandboxes that hang on purpose.
  // Thought Industries' documented enrollment read is one request per user, so the hidden rate limit is met:
  // its backoff must be long enough for the bucket to refill, as a real client's is.
  const connectors = config.apps.map((app) =>
    connectorFor(app, {
      http: {
        ...testHttp(fleet.sandboxes.find((sb) => sb.type === app.type)),
        maxRetries: 12,
        ...(app.type === 'thought-industries' ? { backoff: { baseMs: 50, capMs: 1000 } } : {}),
      },
    }),
  );
  return { fleet, config, store, connectors };
}

async function sync(s: Side): Promise<void> {
  const results = await syncApps({ store: s.store, connectors: s.connectors, full: true });
  for (const r of results) expect(r.status, `${r.appId}: ${JSON.stringify(r.error)}`).toBe('succeeded');
  await refreshGraph({ store: s.store, config: s.config, now: s.fleet.company.asOf });
}

/** Plans once, then applies and resumes until every op is final; returns the plan's ops by ref. */
async function converge(s: Side): Promise<{ ops: Record<string, string>; runs: number }> {
  await sync(s);
  const manifests = Object.fromEntries(s.connectors.map((c) => [c.appId, c.manifest]));
  const planned = await computePlan({
    store: s.store,
    config: s.config,
    manifests,
    now: new Date(s.fleet.company.asOf),
  });
  expect(planned.body.blocked).toBeNull();
  const connectors = Object.fromEntries(s.connectors.map((c) => [c.appId, c]));
  let runs = 0;
  let status = 'applying';
  // Done when nothing is left but manual tasks (ops the APIs cannot do), which stay open until a sync shows them.
  while (status !== 'applied' && status !== 'tasks_open' && runs < MAX_RUNS) {
    runs++;
    const result = await applyPlan({
      store: s.store,
      config: s.config,
      planId: planned.plan.id,
      connectors,
      actor: 'test',
      yes: true,
      resume: true,
    });
    status = result.status;
  }
  const ops = await s.store.listOps({ planId: planned.plan.id });
  return { ops: Object.fromEntries(ops.map((o) => [String(o.target.ref), o.status])), runs };
}

/** What the apps hold, from a fresh sync: accounts by email with status, and grants by email and name. */
async function endState(s: Side): Promise<Record<string, { accounts: string[]; grants: string[] }>> {
  await sync(s);
  const state: Record<string, { accounts: string[]; grants: string[] }> = {};
  for (const app of s.config.apps) {
    const accounts = await s.store.listAccounts({ appId: app.id });
    const entitlements = new Map(
      (await s.store.listEntitlements({ appId: app.id })).map((e) => [e.id, `${e.kind}:${e.name}`]),
    );
    const emailOf = new Map(accounts.map((a) => [a.id, a.email?.toLowerCase() ?? `(no email) ${a.id}`]));
    state[app.id] = {
      accounts: accounts.map((a) => `${a.email?.toLowerCase() ?? a.id} ${a.status}`).sort(),
      grants: (await s.store.listGrants({ appId: app.id }))
        .map((g) => `${emailOf.get(g.accountId)} ${entitlements.get(g.entitlementId)}`)
        .sort(),
    };
  }
  return state;
}

let clean: Side;
let flaky: Side;

beforeAll(async () => {
  clean = await side('clean');
  flaky = await side('flaky');
}, 60_000);

afterAll(async () => {
  for (const s of [clean, flaky]) {
    if (!s) continue;
    await Promise.all(s.connectors.map((c) => c.close()));
    await s.store.close();
    await s.fleet.close();
  }
});

describe('apply under faults', () => {
  it('the same plan converges to the same end state under the flaky profile as under clean', async () => {
    const a = await converge(clean);
    const b = await converge(flaky);
    expect(a.runs).toBe(1);
    expect(Object.keys(a.ops).length).toBeGreaterThan(50);
    expect(b.ops).toEqual(a.ops);
    expect(Object.values(b.ops).every((status) => status === 'succeeded' || status === 'task_open')).toBe(
      true,
    );

    // The flaky fleet really was flaky: some requests hit an injected fault.
    expect(flaky.fleet.sandboxes.some((sb) => sb.requests().some((r) => r.fault !== null))).toBe(true);
    expect(await endState(flaky)).toEqual(await endState(clean));
  }, 120_000);
});

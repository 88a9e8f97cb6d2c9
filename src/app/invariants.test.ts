import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonData, roster } from '../cli/testkit.js';
import { loadConfig } from '../config/load.js';
import { APP_DEPARTMENTS } from '../sandbox/company.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import type { PsState } from '../sandbox/process-street/state.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { upsertSnapshotAccount } from '../store/account-upsert.js';
import { openRoster } from './context.js';
import { planChanges } from './plan.js';
import { syncApps } from './sync.js';

/** Everyone in the apps' departments gets an account; Roster manages accounts only. */
const policy = {
  rules: [
    {
      name: 'ops tools',
      when: { department: [...APP_DEPARTMENTS['process-street']], status: 'active' },
      apps: { 'process-street': {} },
    },
    {
      name: 'engineering',
      when: { department: [...APP_DEPARTMENTS.targetprocess], status: 'active' },
      apps: { targetprocess: {} },
    },
  ],
  managed: { 'process-street': ['account'], targetprocess: ['account'] },
};

interface PlanJson {
  id: string;
  ops: { kind: string; appId: string; person: { email: string } | null; input?: { email: string } }[];
  apps: string[];
  errors: { message: string }[];
  skipped?: { appId: string; reason: string; fix: string }[];
}

let fleet: Fleet;

/** A fresh folder with the fleet's roster.yaml (policy added, `edit` applied) and HR export. */
function workspace(edit: (yaml: string) => string = (y) => y, extraPolicy: object = {}): string[] {
  return fleetWorkspace(fleet, { edit, policy: { ...policy, ...extraPolicy } }).args;
}

/** An op as a comparable line: what it does to whom, without ids that differ between stores. */
const opKey = (op: PlanJson['ops'][number]) =>
  `${op.appId} ${op.kind} ${op.person?.email ?? op.input?.email ?? '(no person)'}`;

beforeAll(async () => {
  fleet = await startFleet({ apps: ['process-street', 'targetprocess'], seed: 11, people: 40 });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('the application core', () => {
  it('`sync` then `plan` plans exactly what `sync`, `graph`, `plan` plans, and creates nobody who has an account', async () => {
    const direct = workspace();
    expect((await roster(...direct, 'sync')).code).toBe(0);
    const planned = await roster(...direct, 'plan', '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const a = jsonData(planned.stdout) as PlanJson;

    const viaGraph = workspace();
    expect((await roster(...viaGraph, 'sync')).code).toBe(0);
    expect((await roster(...viaGraph, 'graph')).code).toBe(0);
    const b = jsonData((await roster(...viaGraph, 'plan', '--json')).stdout) as PlanJson;

    expect(a.ops.map(opKey).sort()).toEqual(b.ops.map(opKey).sort());
    const creates = a.ops.filter((o) => o.kind === 'create' && o.appId === 'process-street');
    expect(creates.length).toBeGreaterThan(0);
    // What the app holds: no invite goes to an address that already has a Process Street member.
    const state = fleet.get('process-street').state as PsState;
    const org = state.organizations.get(state.organizationId);
    const held = new Set(org?.members.map((m) => m.email.toLowerCase()));
    expect(held.size).toBeGreaterThan(0);
    for (const op of creates) expect(held.has(op.input?.email.toLowerCase() ?? ''), opKey(op)).toBe(false);
  });

  it('a plan never reads links older than the snapshot: an account written after the sync is seen by the next plan', async () => {
    const { file } = fleetWorkspace(fleet, { policy });
    const app = await openRoster(await loadConfig(file, { env: {} }), { actor: 'invariant-test' });
    try {
      await syncApps(app);
      const before = await planChanges(app);
      const create = before.ops.find((o) => o.kind === 'create' && o.appId === 'process-street');
      const email = (create?.target as { input?: { email?: string } } | undefined)?.input?.email;
      if (email === undefined)
        throw new Error('the fleet should leave someone without a Process Street account');
      // What a webhook-driven re-sync does: one account lands in the snapshot and nothing refreshes the graph.
      await upsertSnapshotAccount(app.store, {
        appId: 'process-street',
        id: 'arrived-after-sync',
        email,
        login: null,
        externalId: null,
        firstName: null,
        lastName: null,
        displayName: null,
        status: 'active',
        isAdmin: false,
        lastLoginAt: null,
        createdAt: null,
        updatedAt: null,
        attributes: {},
      });
      const after = await planChanges(app);
      const creates = (p: typeof after) =>
        p.ops
          .filter((o) => o.kind === 'create' && o.appId === 'process-street')
          .map((o) => (o.target as { input?: { email?: string } }).input?.email);
      expect(creates(before)).toContain(email);
      expect(creates(after)).not.toContain(email);
      const link = (await app.store.listLinks({ appId: 'process-street' })).find(
        (l) => l.accountId === 'arrived-after-sync',
      );
      expect(link?.situation).toBe('linked');
    } finally {
      await app.close();
    }
  });

  it('an app whose latest sync failed gets no ops, and the plan says why and what to run', async () => {
    const ps = fleet.get('process-street');
    const args = workspace((y) => y.replace(ps.credentials.token, 'not-the-token'));
    const synced = await roster(...args, 'sync');
    expect(synced.code).not.toBe(0);
    const planned = await roster(...args, 'plan', '--json');
    const plan = jsonData(planned.stdout) as PlanJson;
    expect(plan.ops.filter((o) => o.appId === 'process-street')).toEqual([]);
    expect(plan.apps).toEqual(['targetprocess']);
    expect(plan.skipped).toEqual([
      expect.objectContaining({
        appId: 'process-street',
        fix: expect.stringContaining('roster sync --app process-street'),
      }),
    ]);
    expect(plan.skipped?.[0]?.reason).toMatch(/latest sync failed/);
    // A plan that leaves an app out is not a clean success.
    expect(planned.code).not.toBe(0);
    const text = (await roster(...args, 'plan')).stdout;
    expect(text).toMatch(/process-street: left out of this plan — its latest sync failed/);
  });

  it('an app never synced gets no ops', async () => {
    const args = workspace();
    expect((await roster(...args, 'sync', '--app', 'targetprocess')).code).toBe(0);
    const plan = jsonData((await roster(...args, 'plan', '--json')).stdout) as PlanJson;
    expect(plan.ops.filter((o) => o.appId === 'process-street')).toEqual([]);
    expect(plan.skipped).toEqual([
      {
        appId: 'process-street',
        reason: 'it has never been synced',
        fix: 'run roster sync --app process-street',
      },
    ]);
  });

  it('a plan with errors is refused by apply, and nothing reaches the app', async () => {
    const args = workspace(undefined, {
      rules: [
        ...policy.rules,
        {
          name: 'bad team',
          when: { department: 'Engineering', status: 'active' },
          apps: { targetprocess: { teams: ['No Such Team'] } },
        },
      ],
    });
    expect((await roster(...args, 'sync')).code).toBe(0);
    const planned = await roster(...args, 'plan', '--json');
    const plan = jsonData(planned.stdout) as PlanJson;
    expect(plan.errors.length).toBeGreaterThan(0);
    expect(plan.ops.length).toBeGreaterThan(0);
    const tp = fleet.get('targetprocess');
    tp.clearRequests();
    const applied = await roster(...args, 'apply', plan.id, '--yes');
    expect(applied.code).toBe(5);
    expect(applied.stderr).toMatch(/has \d+ errors? and cannot be applied/);
    expect(tp.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

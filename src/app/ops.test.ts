import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import type { PsState } from '../sandbox/process-street/state.js';
import { fleetWorkspace, OPS_TOOLS_POLICY } from '../sandbox/testkit.js';
import { openRoster, type Roster } from './context.js';
import { runOp } from './ops.js';
import { planChanges } from './plan.js';
import { syncApps } from './sync.js';

let fleet: Fleet;
let roster: Roster;

beforeAll(async () => {
  fleet = await startFleet({ apps: ['process-street'], seed: 3, people: 80 });
  const policy = OPS_TOOLS_POLICY;
  const { file } = fleetWorkspace(fleet, { policy });
  roster = await openRoster(await loadConfig(file, { env: {} }), { actor: 'worker-test' });
  await syncApps(roster);
}, 60_000);

afterAll(async () => {
  await roster?.close();
  await fleet?.close();
});

describe('runOp', () => {
  it('runs one create of a saved plan end to end: the app holds the account, the op and the audit say so', async () => {
    const planned = await planChanges(roster);
    const create = planned.ops.find((o) => o.kind === 'create');
    if (!create) throw new Error('Design has no Process Street accounts yet: the plan invites them');
    const email = (create.target as { input: { email: string } }).input.email;

    const done = await runOp(roster, { planId: planned.plan.id, seq: create.seq });
    expect(done?.status).toBe('succeeded');

    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    expect(members.filter((m) => m.email.toLowerCase() === email.toLowerCase())).toHaveLength(1);
    const audit = await roster.store.listAudit({ appId: 'process-street', limit: 1000 });
    const mine = audit.filter(
      (e) => (e.data as { seq?: number; planId?: string }).planId === planned.plan.id,
    );
    expect(mine.map((e) => e.kind)).toEqual(['op.intent', 'op.succeeded']);
    expect(mine.every((e) => e.actor === 'worker-test')).toBe(true);
  });
});

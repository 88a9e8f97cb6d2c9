import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import type { PsState } from '../sandbox/process-street/state.js';
import type { TargetprocessState as TpState } from '../sandbox/targetprocess/state.js';
import { runDemo } from './commands/demo.js';
import { createOutput } from './output.js';
import { jsonData, roster } from './testkit.js';

let fleet: Fleet;
let demo: Awaited<ReturnType<typeof runDemo>>;

beforeAll(async () => {
  fleet = await startFleet({ seed: 42, people: 120 });
  const dir = mkdtempSync(join(tmpdir(), 'roster-demo-'));
  demo = await runDemo({ fleet, dir, out: createOutput({ json: true }), profile: 'clean' });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

/** `${app}:${x}` entries of a planted list for one app, without the prefix. */
const plantedIn = (list: readonly string[], app: string) =>
  list.filter((k) => k.startsWith(`${app}:`)).map((k) => k.slice(app.length + 1));

describe('roster demo', () => {
  it('gives every missing birthright account in the apps that can create one', () => {
    const { company } = fleet;
    const emailOf = new Map(company.hr.map((p) => [p.employee_id, p.email.toLowerCase()]));

    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    const missingPs = plantedIn(company.planted.missingAccounts, 'process-street');
    expect(missingPs.length).toBeGreaterThan(0);
    for (const id of missingPs) {
      const held = members.filter((m) => m.email.toLowerCase() === emailOf.get(id));
      expect(
        held.map((m) => m.status),
        id,
      ).toEqual(['active']);
    }

    const tp = fleet.get('targetprocess').state as TpState;
    for (const id of plantedIn(company.planted.missingAccounts, 'targetprocess')) {
      const held = tp.users.filter((u) => u.Email.toLowerCase() === emailOf.get(id) && u.DeleteDate === null);
      expect(
        held.map((u) => u.IsActive),
        id,
      ).toEqual([true]);
    }
  });

  it('takes access away from leavers where the API can, and leaves the rest as tasks or disputes', () => {
    const { company } = fleet;
    const tp = fleet.get('targetprocess').state as TpState;
    const leaversTp = plantedIn(company.planted.leaversWithAccess, 'targetprocess');
    expect(leaversTp.length).toBeGreaterThan(0);
    for (const key of leaversTp) {
      const user = tp.users.find((u) => u.key === key);
      expect(user?.IsActive, key).toBe(false);
    }
    const ps = fleet.get('process-street').state as PsState;
    for (const key of plantedIn(company.planted.leaversWithAccess, 'process-street')) {
      const id = ps.keys.get(key);
      expect(id && ps.membersById.has(id) ? 'still a member' : 'removed', key).toBe('removed');
    }
    expect(demo.findingsAfter.leaver_with_access ?? 0).toBeLessThanOrEqual(
      demo.remaining.tasks.filter((t) => /cannot be made inactive/.test(t.instructions)).length +
        demo.remaining.disputed.length,
    );
  });

  it('converges: a fresh plan after the re-sync holds only manual tasks, and disputes are left alone', () => {
    // What the APIs cannot do stays an open manual task, counted apart from what succeeded.
    expect(demo.apply.status).toBe('tasks_open');
    expect(Object.keys(demo.apply.ops).sort()).toEqual(['succeeded', 'task_open']);
    expect((demo.apply.ops.succeeded ?? 0) + (demo.apply.ops.task_open ?? 0)).toBe(demo.plan.total);
    expect(Object.keys(demo.replan.byKind)).toEqual(['task']);
    expect(demo.replan.byKind.task).toBe(demo.remaining.tasks.length);
    expect(demo.findingsAfter.disputed ?? 0).toBe(fleet.company.planted.disputed.length);
  });

  it('runs as `roster demo --json` and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-demo-cli-'));
    const { code, stdout, stderr } = await roster('demo', '--json', '--dir', dir, '--people', '40');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = jsonData<{ people: number; apply: { status: string } }>(stdout);
    expect(summary.people).toBe(40);
    expect(['applied', 'tasks_open']).toContain(summary.apply.status);
  }, 60_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoopSummary } from './commands/demo.js';
import { roster } from './testkit.js';

describe('roster demo', () => {
  it('runs the loop to convergence: after apply and a re-sync only manual tasks and disputed matches are left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-demo-'));
    const { code, stdout, stderr } = await roster('demo', '--json', '--dir', dir, '--people', '120');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const demo = JSON.parse(stdout) as LoopSummary & {
      graph: { apps: Record<string, { disputed: number }> };
    };

    expect(demo.plan.total).toBeGreaterThan(0);
    expect(demo.plan.blocked).toBe(false);
    expect(demo.approved).toBe(demo.plan.approvals);
    // Process Street invites: the plan waits on them, the demo accepts them, a second run adds the groups.
    expect(demo.invitationsAccepted).toBeGreaterThan(0);
    // What the APIs cannot do stays an open manual task, counted apart from what succeeded.
    expect(demo.apply.status).toBe('tasks_open');
    expect(Object.keys(demo.apply.ops).sort()).toEqual(['succeeded', 'task_open']);
    expect((demo.apply.ops.succeeded ?? 0) + (demo.apply.ops.task_open ?? 0)).toBe(demo.plan.total);

    // No drift left: a fresh plan holds only the manual tasks (ops the APIs cannot do).
    expect(Object.keys(demo.replan.byKind)).toEqual(['task']);
    expect(demo.replan.byKind.task).toBe(demo.remaining.tasks.length);
    for (const t of demo.remaining.tasks) expect(t.instructions.length).toBeGreaterThan(20);
    const disputedAccounts = Object.values(demo.graph.apps).reduce((n, a) => n + a.disputed, 0);
    expect(demo.remaining.disputed).toHaveLength(disputedAccounts);
    expect(demo.findingsAfter.disputed ?? 0).toBe(demo.findingsBefore.disputed ?? 0);

    // What the policy fixes is gone; leavers are left only where deactivating is a task or a dispute.
    expect(demo.findingsAfter.attribute_drift ?? 0).toBe(0);
    expect(demo.findingsAfter.invite_pending ?? 0).toBe(0);
    const deactivationTasks = demo.remaining.tasks.filter((t) =>
      /cannot be made inactive/.test(t.instructions),
    );
    expect(demo.findingsAfter.leaver_with_access ?? 0).toBeLessThan(
      demo.findingsBefore.leaver_with_access ?? 0,
    );
    expect(demo.findingsAfter.leaver_with_access ?? 0).toBeLessThanOrEqual(
      deactivationTasks.length + demo.remaining.disputed.length,
    );
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planChanges } from '../app/plan.js';
import { syncApps } from '../app/sync.js';
import { demoPolicy } from '../sandbox/demo-policy.js';
import { acceptInvitation } from '../sandbox/process-street/admin.js';
import type { PsState } from '../sandbox/process-street/state.js';
import { type ClusterWorkspace, clusterWorkspace, requireClusterServices, until } from './cluster.testkit.js';

const services = await requireClusterServices();

let ws: ClusterWorkspace;

beforeAll(async () => {
  if (!services.available) return;
  ws = await clusterWorkspace({
    apps: ['process-street'],
    people: 40,
    seed: 11,
    // No approvals: every op runs unattended.
    policy: {
      ...demoPolicy(['process-street']),
      safety: {
        maxDeactivations: { count: 1000, share: 1 },
        approval: { delete: false, privileged: false, opsPerApp: 10_000 },
      },
    },
    // Invitations polled every 300 ms (at most 600), not every few minutes.
    env: { ROSTER_WAIT_POLL_MS: '300', ROSTER_WAIT_MAX_POLL_MS: '600' },
  });
}, 120_000);

afterAll(async () => {
  await ws?.close();
});

describe.skipIf(!services.available)(
  services.available
    ? 'durable waits in cluster mode'
    : `durable waits in cluster mode (skipped: ${services.reason})`,
  () => {
    it('a Process Street invitation wait sleeps as a delayed job, outlives its worker, and ends in the group grants once accepted', async () => {
      const planId = await ws.withRoster(async (roster) => {
        await syncApps(roster, { full: true });
        const planned = await planChanges(roster, {});
        expect(planned.body.errors).toEqual([]);
        return planned.plan.id;
      });
      const waits = (await ws.withRoster((roster) => roster.store.listOps({ planId }))).filter(
        (r) => r.kind === 'wait',
      );
      expect(waits.length).toBeGreaterThan(0);

      const first = await ws.worker(2);
      await ws.queues.enqueueApply({ planId, actor: 'test', overrideSafety: false });
      // Nobody has accepted: each wait's job sleeps in Redis (delayed), its grants not enqueued yet.
      await until('the waits sleeping as delayed jobs', async () => {
        const [stats] = (await ws.queues.stats()).filter((q) => q.appId === 'process-street');
        return stats && stats.delayed >= waits.length && stats.active === 0 ? stats : undefined;
      });
      // Every process goes away; the waits stay in Redis.
      await first.close();
      const state = ws.fleet.get('process-street').state as PsState;
      for (const member of state.membersById.values()) acceptInvitation(member);
      await ws.worker(2);

      const status = await until('the plan final', () =>
        ws.withRoster(async (roster) => {
          const plan = await roster.store.getPlan({ id: planId });
          return plan?.status === 'applying' || plan?.status === 'draft' ? undefined : plan?.status;
        }),
      );
      expect(status).toBe('applied');
      const ops = await ws.withRoster((roster) => roster.store.listOps({ planId }));
      expect(ops.filter((r) => r.kind === 'wait').every((r) => r.status === 'succeeded')).toBe(true);
      // The grants that waited on the acceptances went through, each once.
      const after = new Set(waits.map((w) => w.seq));
      const grants = ops.filter((r) => r.kind === 'grant' && r.dependsOn.some((d) => after.has(d)));
      expect(grants.length).toBeGreaterThan(0);
      expect(grants.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
      expect((await ws.withRoster((roster) => roster.store.verifyAudit())).ok).toBe(true);
    }, 240_000);
  },
);

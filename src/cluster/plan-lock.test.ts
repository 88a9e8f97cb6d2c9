import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../app/index.js';
import { planChanges } from '../app/plan.js';
import { syncApps } from '../app/sync.js';
import { type ClusterWorkspace, clusterWorkspace, requireClusterServices, until } from './cluster.testkit.js';
import { clusterLockOwner } from './plan-lock.js';

const services = await requireClusterServices();

/** An account for everyone active: a plan of creates. */
const policy = {
  rules: [{ name: 'everyone', when: { status: 'active' }, apps: { targetprocess: {} } }],
  managed: { targetprocess: ['account'] },
  safety: {
    maxDeactivations: { count: 1000, share: 1 },
    approval: { delete: false, privileged: false, opsPerApp: 10_000 },
  },
};
/** An apply owner of another process on another host: alive as far as this machine can tell. */
const EMBEDDED = 'apply@elsewhere:4242/0123abcd';

let ws: ClusterWorkspace;

beforeAll(async () => {
  if (!services.available) return;
  ws = await clusterWorkspace({ apps: ['targetprocess'], people: 60, seed: 4, policy });
}, 120_000);

afterAll(async () => {
  await ws?.close();
});

describe.skipIf(!services.available)(
  services.available
    ? 'the plan lock in cluster mode'
    : `the plan lock in cluster mode (skipped: ${services.reason})`,
  () => {
    it('workers refuse a plan an embedded apply holds; once it is free they apply it, and an embedded apply beside them is refused', async () => {
      const planId = await ws.withRoster(async (roster) => {
        await syncApps(roster, { full: true });
        const planned = await planChanges(roster, {});
        expect(planned.ops.length).toBeGreaterThan(10);
        return planned.plan.id;
      });
      const prefix = ws.env['ROSTER_QUEUE_PREFIX'] as string;
      // Slow answers (a seeded 40–60 ms each) keep the cluster's apply going while the embedded one is tried.
      ws.fleet.get('targetprocess').setFaults('clean', { slow: 1, slowMs: [40, 60] });
      await ws.worker(1);

      // An embedded apply holds the plan: the workers' start is refused, naming it, and no op runs.
      await ws.withRoster((roster) => roster.store.lockPlan({ planId, owner: EMBEDDED, leaseMs: 600_000 }));
      await ws.queues.enqueueApply({ planId, actor: 'test', overrideSafety: false });
      const refused = await until('the refused start', async () =>
        (await ws.queues.deadLetters()).find((d) => d.name === 'apply'),
      );
      expect(refused.failedReason).toContain(`already being applied by ${EMBEDDED}`);
      await ws.withRoster(async (roster) => {
        expect((await roster.store.listOps({ planId })).every((r) => r.status === 'pending')).toBe(true);
      });

      // Freed, the dead letter is retried; while the workers apply, an embedded apply is refused.
      await ws.withRoster((roster) => roster.store.unlockPlan({ planId, owner: EMBEDDED }));
      await ws.queues.retry(refused.queue, refused.id);
      await until('the workers holding the plan', () =>
        ws.withRoster(async (roster) => {
          const lock = await roster.store.getPlanLock({ planId });
          return lock?.owner === clusterLockOwner(prefix) ? lock : undefined;
        }),
      );
      await ws.withRoster(async (roster) => {
        await expect(applyPlan(roster, { plan: planId, yes: true })).rejects.toThrow(
          `already being applied by ${clusterLockOwner(prefix)}`,
        );
      });

      // The workers finish the plan and let it go.
      const status = await until('the plan final', () =>
        ws.withRoster(async (roster) => {
          const plan = await roster.store.getPlan({ id: planId });
          return plan?.status === 'applying' || plan?.status === 'draft' ? undefined : plan?.status;
        }),
      );
      expect(status).toBe('applied');
      await until('the lock released', () =>
        ws.withRoster(async (roster) =>
          (await roster.store.getPlanLock({ planId })) === null ? true : undefined,
        ),
      );
      // The refused embedded apply began nothing: each op was begun once, by the workers.
      await ws.withRoster(async (roster) => {
        const ops = await roster.store.listOps({ planId });
        const intents = (await roster.store.listAudit()).filter(
          (e) => e.kind === 'op.intent' && e.data['planId'] === planId,
        );
        expect(intents.length).toBe(ops.length);
        expect((await roster.store.verifyAudit()).ok).toBe(true);
      });
    }, 240_000);
  },
);

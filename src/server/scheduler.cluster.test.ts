import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPeople } from '../app/people.js';
import {
  type ClusterWorkspace,
  clusterWorkspace,
  requireClusterServices,
  until,
} from '../cluster/cluster.testkit.js';
import { scheduleStore } from '../store/schedule.js';
import { type RunningServer, startServer } from './serve.js';

const services = await requireClusterServices();

const policy = {
  rules: [
    {
      // Accounts for engineers only: everyone else's are deactivated, so each app's plan has ops to apply.
      name: 'engineers',
      when: { department: 'Engineering', status: 'active' },
      apps: { targetprocess: {}, 'customer-directory': {} },
    },
  ],
  managed: { targetprocess: ['account'], 'customer-directory': ['account'] },
  safety: {
    maxDeactivations: { count: 1000, share: 1 },
    approval: { delete: false, privileged: false, opsPerApp: 10_000 },
  },
};

let ws: ClusterWorkspace;
const servers: RunningServer[] = [];

beforeAll(async () => {
  if (!services.available) return;
  ws = await clusterWorkspace({
    apps: ['targetprocess', 'customer-directory'],
    people: 30,
    seed: 8,
    policy,
    extra: { schedule: { apps: { '*': { every: '1h' } }, afterSync: { plan: true, autoApply: true } } },
  });
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await ws?.close();
});

describe.skipIf(!services.available)(
  services.available
    ? 'the schedule in cluster mode'
    : `the schedule in cluster mode (skipped: ${services.reason})`,
  () => {
    it('two serve processes run each scheduled sync once, on the workers, and the plan after it is applied by them', async () => {
      // The people are in the store already (the HR import is not what is tested here).
      await ws.withRoster((roster) => importPeople(roster));
      await ws.worker(2);
      // Two API processes on one store and one queue: both arm the same schedule, due at once on a fresh store.
      for (let i = 0; i < 2; i++) {
        servers.push(
          await startServer({
            config: ws.config,
            configPath: join(ws.dir, 'roster.yaml'),
            port: 0,
            logger: false,
            env: ws.env,
          }),
        );
      }
      const jobs = await until('both syncs run', async () => {
        const list = await ws.withRoster((roster) => scheduleStore(roster.store).list());
        const syncs = list.filter((j) => j.kind === 'sync');
        return syncs.length === 2 && syncs.every((j) => j.lastStatus !== null) ? syncs : undefined;
      });
      for (const job of jobs) expect(job, job.id).toMatchObject({ lastStatus: 'succeeded' });

      // Each app's plan, carried out by the workers (customer-directory deactivations are manual tasks).
      const plans = await until('both plans applied', () =>
        ws.withRoster(async (roster) => {
          const items = await roster.store.listPlans({});
          const done = items.every((p) => p.status === 'applied' || p.status === 'tasks_open');
          return items.length === 2 && done ? items : undefined;
        }),
      );
      await ws.withRoster(async (roster) => {
        for (const plan of plans) {
          const ops = await roster.store.listOps({ planId: plan.id });
          expect(ops.length).toBeGreaterThan(0);
          expect(ops.every((o) => o.status === 'succeeded' || o.status === 'task_open')).toBe(true);
        }
      });

      // Long enough for the second process to have looked again (it follows the stored schedule every 5 s).
      await new Promise((r) => setTimeout(r, 6_000));
      const after = await ws.withRoster((roster) => scheduleStore(roster.store).list());
      for (const job of after.filter((j) => j.kind === 'sync')) {
        expect(job.runs, job.id).toBe(1);
        expect(Date.parse(job.nextRunAt ?? '') - Date.parse(job.lastRunAt ?? '')).toBeGreaterThan(3_000_000);
      }
      // One sync job per app went through the queue: neither process enqueued a second one.
      for (const appId of ['targetprocess', 'customer-directory']) {
        const queue = ws.queues.app(appId);
        const syncs = [...(await queue.getCompleted(0, -1)), ...(await queue.getFailed(0, -1))].filter(
          (j) => j.name === 'sync',
        );
        expect(syncs.length, appId).toBe(1);
      }
    }, 240_000);
  },
);

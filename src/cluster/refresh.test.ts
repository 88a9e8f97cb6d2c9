import { type Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planChanges } from '../app/plan.js';
import { syncApps } from '../app/sync.js';
import type { AccountInput } from '../connectors/sdk/types.js';
import type { SeedAppType } from '../core/types.js';
import { changeHead } from '../identity/graph-links.js';
import {
  type ClusterWorkspace,
  clusterWorkspace,
  everyoneEverywhere,
  REDIS_URL,
  redisPrefix,
  requireClusterServices,
  until,
} from './cluster.testkit.js';
import { ClusterQueues, type ClusterSettings, CONTROL_QUEUE, clusterSettings, connect } from './queue.js';
import { graphCaughtUp, waitForGraph } from './refresh.js';

const services = await requireClusterServices();

const APPS: SeedAppType[] = ['targetprocess', 'thought-industries', 'stackspot-scim', 'customer-directory'];
const policy = everyoneEverywhere(APPS);

let ws: ClusterWorkspace;

beforeAll(async () => {
  if (!services.available) return;
  ws = await clusterWorkspace({
    apps: APPS,
    people: 30,
    seed: 4,
    policy,
    // Long enough that syncs started together end within it even on a loaded machine.
    env: { ROSTER_REFRESH_DELAY_MS: '1500' },
  });
}, 120_000);

afterAll(async () => {
  await ws?.close();
});

const creates = (planned: Awaited<ReturnType<typeof planChanges>>, appId: string) =>
  planned.ops
    .filter((o) => o.kind === 'create' && o.appId === appId)
    .map((o) => (o.target as { input?: AccountInput }).input);

describe.skipIf(!services.available)(
  services.available
    ? 'graph refresh in cluster mode'
    : `graph refresh in cluster mode (skipped: ${services.reason})`,
  () => {
    it('syncs of every app at once share one graph refresh (two at most), and the graph it leaves links what they read', async () => {
      const before = await ws.withRoster(async (roster) => {
        await syncApps(roster, { full: true });
        return planChanges(roster, {});
      });
      const input = creates(before, 'thought-industries')[0];
      if (input === undefined)
        throw new Error('the fleet should leave someone without a Thought Industries account');
      // Someone gets an account outside Roster: only a sync and then the graph can link it.
      const made = await ws.withRoster(async (roster) => {
        const create = roster.connector('thought-industries').accounts.create;
        if (!create) throw new Error('the Thought Industries connector creates accounts');
        return create({ account: input });
      });
      const start = await ws.withRoster((roster) => changeHead(roster.store));

      await ws.worker(4);
      const done = await Promise.all(
        APPS.map((appId) => ws.queues.syncAndWait({ appId, full: true, actor: 'test' })),
      );
      const generation = Math.max(...done.map((d) => d.generation ?? -1));
      // The sync wrote the new account: the head moved, and the graph is not there yet unless a refresh ran.
      expect(generation).toBeGreaterThan(start);
      expect(await ws.withRoster((roster) => waitForGraph(roster.store, ws.queues, generation, 50))).toBe(
        true,
      );
      expect(await ws.queues.refreshPending()).toBe(false);

      const refreshes = (await ws.queues.control.getCompleted(0, -1)).filter((j) => j.name === 'refresh');
      expect(refreshes.length).toBeGreaterThanOrEqual(1);
      expect(refreshes.length).toBeLessThanOrEqual(2);

      await ws.withRoster(async (roster) => {
        // Read before any plan: the refresh job, not a plan's own catch-up, linked the account.
        expect(await graphCaughtUp(roster.store, generation)).toBe(true);
        const link = (await roster.store.listLinks({ appId: 'thought-industries' })).find(
          (l) => l.accountId === made.account.id,
        );
        expect(link?.situation).toBe('linked');
        const after = await planChanges(roster, {});
        expect(creates(after, 'thought-industries').map((i) => i?.email)).not.toContain(input.email);
      });
    }, 180_000);

    it('a refresh asked for while one runs leaves exactly one more after it, with the latest request, never two at once', async () => {
      const redis = redisPrefix();
      const settings = clusterSettings(
        { queue: REDIS_URL },
        { ROSTER_QUEUE_PREFIX: redis.prefix, ROSTER_REFRESH_DELAY_MS: '1' },
      ) as ClusterSettings;
      const queues = new ClusterQueues(settings, []);
      const connection = connect(settings);
      const ran: string[] = [];
      let running = 0;
      let most = 0;
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started = () => {};
      const first = new Promise<void>((r) => {
        started = r;
      });
      // Stands in for the workers' refresh: holds the first run open while more requests arrive.
      const worker = new Worker(
        CONTROL_QUEUE,
        async (job: Job) => {
          running++;
          most = Math.max(most, running);
          ran.push(String(job.data.actor));
          started();
          await gate;
          running--;
        },
        { connection, prefix: settings.prefix, concurrency: 4 },
      );
      try {
        await queues.enqueueRefresh({ actor: 'first' });
        await first;
        expect(await queues.refreshPending()).toBe(true);
        for (const actor of ['a', 'b', 'latest']) await queues.enqueueRefresh({ actor });
        release();
        await until('both refreshes to end', async () =>
          (await queues.refreshPending()) ? undefined : true,
        );
        const counts = await queues.control.getJobCounts('completed', 'waiting', 'delayed', 'active');
        expect(counts).toMatchObject({ completed: 2, waiting: 0, delayed: 0, active: 0 });
        expect(ran).toEqual(['first', 'latest']);
        expect(most).toBe(1);
      } finally {
        release();
        await worker.close();
        connection.disconnect();
        await queues.close();
        await redis.clear();
      }
    });

    it('a refresh is never said to be over while the one asked for during it is still to run', async () => {
      const redis = redisPrefix();
      const settings = clusterSettings(
        { queue: REDIS_URL },
        { ROSTER_QUEUE_PREFIX: redis.prefix, ROSTER_REFRESH_DELAY_MS: '1' },
      ) as ClusterSettings;
      const queues = new ClusterQueues(settings, []);
      const connection = connect(settings);
      let release = () => {};
      let started = () => {};
      const worker = new Worker(
        CONTROL_QUEUE,
        async () => {
          const gate = new Promise<void>((r) => {
            release = r;
          });
          started();
          await gate;
        },
        { connection, prefix: settings.prefix },
      );
      try {
        // The first refresh ends and its successor is created in one step; asked in a tight loop, the answer
        // must stay "pending" across that step in every round.
        for (let round = 0; round < 20; round++) {
          const first = new Promise<void>((r) => {
            started = r;
          });
          await queues.enqueueRefresh({ actor: `${round}` });
          await first;
          await queues.enqueueRefresh({ actor: `${round} again` });
          started = () => release();
          release();
          while (await queues.refreshPending()) {}
          expect((await queues.control.getJobCounts('completed')).completed, `round ${round}`).toBe(
            2 * (round + 1),
          );
        }
      } finally {
        release();
        await worker.close();
        connection.disconnect();
        await queues.close();
        await redis.clear();
      }
    });
  },
);

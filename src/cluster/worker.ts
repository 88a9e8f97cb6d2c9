/**
 * @module `roster worker`: a process that takes cluster jobs (syncs, graph refreshes, apply starts, op applies,
 * finalizations) off the queues and runs the `src/app` use cases on them, with every app's requests under its
 * shared rate budget and its shared pace.
 */

import { createServer, type Server } from 'node:http';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { openRoster, type Roster } from '../app/context.js';
import { updateGraph } from '../app/graph.js';
import { syncSnapshots } from '../app/sync.js';
import type { RosterConfig } from '../config/schema.js';
import { DEFAULT_CONCURRENCY } from '../connectors/http/limiter.js';
import { RosterError } from '../core/errors.js';
import { changeHead } from '../identity/graph-links.js';
import { newOwner } from '../reconcile/apply/run-op.js';
import { openStore } from '../store/open.js';
import { finalizeApply, PlanShapes, runOpJob, startApply } from './apply.js';
import { SharedBudget } from './budget.js';
import { SharedPacer } from './pacer.js';
import { ClusterPlanLocks, clusterLockOwner } from './plan-lock.js';
import {
  type ApplyJob,
  ClusterQueues,
  type ClusterSettings,
  CONTROL_QUEUE,
  clusterSettings,
  connect,
  type FinalizeJob,
  type OpJob,
  type SyncDone,
  type SyncJob,
} from './queue.js';

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StartWorkerOptions {
  config: RosterConfig;
  /** Jobs this process runs at once, per queue. */
  concurrency?: number;
  /** Serve Prometheus metrics on this port (0: any free port); none when undefined. */
  metricsPort?: number;
  metricsHost?: string;
  log?: WorkerLog;
  env?: NodeJS.ProcessEnv;
}

export interface RunningWorker {
  owner: string;
  settings: ClusterSettings;
  /** Where /metrics is served, when it is. */
  metricsUrl: string | null;
  /** How many jobs are running now. */
  readonly active: number;
  /** Stops taking jobs, lets the running ones finish, closes everything. */
  close(): Promise<void>;
}

const quiet: WorkerLog = { info() {}, warn() {}, error() {} };

/** Cluster mode needs a queue; a roster.yaml without one gets a clear refusal naming the fix. */
export function requireCluster(config: RosterConfig, env?: NodeJS.ProcessEnv): ClusterSettings {
  const settings = clusterSettings(config, env);
  if (settings === null) {
    throw new RosterError('invalid_input', 'roster worker runs cluster jobs, and roster.yaml has no queue:', {
      where: 'roster.yaml',
      fix: 'add queue: redis://host:6379 and store: postgres://… (see README, "Cluster mode")',
    });
  }
  return settings;
}

/** The same context with another actor: the audit names who asked for the job, not the worker. */
function asActor(roster: Roster, actor: string): Roster {
  return { ...roster, actor };
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const settings = requireCluster(config, options.env);
  const log = options.log ?? quiet;
  const owner = newOwner('worker');
  const redis = connect(settings);
  const budgets = new Map(
    config.apps.map((app) => [
      app.id,
      new SharedBudget(redis, app.id, {
        prefix: settings.prefix,
        concurrency: {
          ...DEFAULT_CONCURRENCY,
          ...(app.concurrency ? { max: app.concurrency } : {}),
        },
        onError: (error) => log.warn({ err: error, appId: app.id }, 'rate budget update failed'),
      }),
    ]),
  );
  // The pace learnt from an app's 429s is the app's, not this process's: every worker sends on one schedule.
  const pacers = new Map(
    config.apps.map((app) => [
      app.id,
      new SharedPacer(redis, app.id, {
        prefix: settings.prefix,
        onError: (error) =>
          log.warn({ err: error, appId: app.id }, 'shared pace unavailable, sending unpaced'),
      }),
    ]),
  );
  const store = await openStore(config.store);
  const roster = await openRoster(config, {
    store,
    actor: 'worker',
    connectors: {
      http: {
        limiterFor: (appId) => budgets.get(appId) as SharedBudget,
        pacerFor: (appId) => pacers.get(appId) as SharedPacer,
      },
    },
  });
  const queues = new ClusterQueues(
    settings,
    config.apps.map((a) => a.id),
    redis,
  );

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'roster_worker_process_' });
  const jobsTotal = new Counter({
    name: 'roster_worker_jobs_total',
    help: 'Jobs this worker ran, by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'],
    registers: [registry],
  });
  const activeGauge = new Gauge({
    name: 'roster_worker_active_jobs',
    help: 'Jobs running in this worker now',
    registers: [registry],
  });
  new Gauge({
    name: 'roster_queue_depth',
    help: 'Jobs per queue and state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const q of await queues.stats()) {
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
          this.set({ queue: q.queue, state }, q[state]);
        }
      }
    },
  });
  new Gauge({
    name: 'roster_app_rate_budget_limit',
    help: "The shared concurrency window of each app's requests (all workers together)",
    labelNames: ['app'],
    registers: [registry],
    async collect() {
      for (const [appId, budget] of budgets) this.set({ app: appId }, (await budget.state()).limit);
    },
  });

  const shapes = new PlanShapes();
  const locks = new ClusterPlanLocks(store, clusterLockOwner(settings.prefix));
  let active = 0;
  const process = async (job: Job, token: string | undefined): Promise<unknown> => {
    const actor = String((job.data as { actor?: unknown }).actor ?? 'worker');
    const as = asActor(roster, actor);
    switch (job.name) {
      case 'sync': {
        const data = job.data as SyncJob;
        // People have their own schedule (embedded mode's scheduler); a sync job reads the app only.
        const synced = await syncSnapshots(as, { apps: [data.appId], full: data.full, people: false });
        // The head is read before the refresh is asked for, so the refresh that answers reads this sync's writes.
        const done: SyncDone = { generation: await changeHead(store) };
        // Asked for after a failed sync too, as embedded mode refreshes after any: with nothing moved it is two reads.
        await queues.enqueueRefresh({ actor });
        const failed = synced.apps.find((r) => r.status === 'failed');
        if (failed) throw new Error(`sync of ${failed.appId} failed: ${failed.error?.message ?? 'unknown'}`);
        return { ...done, apps: synced.apps.map((r) => ({ appId: r.appId, status: r.status })) };
      }
      case 'refresh': {
        const graph = await updateGraph(as);
        const findings = Object.values(graph.summary.findings).reduce((sum, n) => sum + n, 0);
        return { upToDate: graph.upToDate, recomputed: graph.recomputed, findings };
      }
      case 'apply':
        return startApply(as, queues, job.data as ApplyJob, locks);
      case 'op': {
        const attempts = job.opts.attempts ?? 1;
        const outcome = await runOpJob(as, queues, job.data as OpJob, {
          owner,
          last: job.attemptsMade + 1 >= attempts,
          waits: settings.waits,
          shapes,
          locks,
        });
        // Another live owner holds the op (its lease decides when it may be taken over): look again later,
        // without spending an attempt.
        if (outcome.op === 'held') {
          await job.moveToDelayed(Date.now() + settings.opBackoffMs, token);
          throw new DelayedError();
        }
        // BullMQ's own retry with backoff: the op's claim and its recorded intent make the next attempt safe.
        if (outcome.op === 'retry') throw new Error(outcome.error);
        // A durable wait: the job sleeps in Redis until the next poll, whichever worker is alive then.
        if (outcome.op === 'waiting') {
          await job.moveToDelayed(outcome.until, token);
          throw new DelayedError();
        }
        return outcome;
      }
      case 'finalize':
        return { status: await finalizeApply(as, queues, job.data as FinalizeJob, locks) };
      default:
        throw new Error(`unknown job "${job.name}"`);
    }
  };
  const run = async (job: Job, token?: string): Promise<unknown> => {
    active += 1;
    activeGauge.set(active);
    try {
      const result = await process(job, token);
      jobsTotal.inc({ queue: job.queueName, name: job.name, outcome: 'completed' });
      return result;
    } catch (error) {
      if (error instanceof DelayedError) {
        jobsTotal.inc({ queue: job.queueName, name: job.name, outcome: 'delayed' });
        throw error;
      }
      jobsTotal.inc({ queue: job.queueName, name: job.name, outcome: 'failed' });
      log.warn({ queue: job.queueName, job: job.id, name: job.name, err: error }, 'job failed');
      throw error;
    } finally {
      active -= 1;
      activeGauge.set(active);
    }
  };

  // A connection of its own per BullMQ worker (it blocks waiting for jobs); BullMQ leaves closing them to us.
  const connections: Redis[] = [];
  const workers = [CONTROL_QUEUE, ...config.apps.map((a) => queues.app(a.id).name)].map(
    (name) =>
      new Worker(name, run, {
        connection: connections[connections.push(connect(settings)) - 1] as Redis,
        prefix: settings.prefix,
        concurrency: options.concurrency ?? 4,
        lockDuration: settings.lockMs,
        stalledInterval: settings.stalledMs,
        maxStalledCount: settings.maxStalled,
      }),
  );
  for (const w of workers) {
    w.on('error', (error) => log.error({ queue: w.name, err: error }, 'worker error'));
  }

  let server: Server | null = null;
  let metricsUrl: string | null = null;
  if (options.metricsPort !== undefined) {
    const host = options.metricsHost ?? '127.0.0.1';
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType }).end(text);
          },
          (error: unknown) => {
            res.writeHead(500).end(String(error));
          },
        );
        return;
      }
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ owner, active }));
        return;
      }
      res.writeHead(404).end();
    });
    const listening = server;
    await new Promise<void>((done) => listening.listen(options.metricsPort, host, done));
    const address = listening.address();
    const port = typeof address === 'object' && address ? address.port : options.metricsPort;
    metricsUrl = `http://${host}:${port}/metrics`;
  }
  log.info({ owner, queues: workers.map((w) => w.name), metricsUrl }, 'worker started');

  let closing: Promise<void> | null = null;
  return {
    owner,
    settings,
    metricsUrl,
    get active() {
      return active;
    },
    close() {
      closing ??= (async () => {
        // Worker.close() stops fetching and waits for the jobs in hand: each op records its outcome before its
        // job ends, so nothing is left half-done; a job cut short by a kill is re-run by stalled-job recovery.
        await Promise.all(workers.map((w) => w.close()));
        for (const c of connections) c.disconnect();
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        await queues.close();
        await roster.close();
        await store.close();
      })();
      return closing;
    },
  };
}

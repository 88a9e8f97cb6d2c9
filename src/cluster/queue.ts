/**
 * @module Cluster mode's queues on Redis (BullMQ): one per app (its syncs and op applies) and one for control jobs
 * (apply starts, plan finalization, graph refreshes); what is enqueued, how jobs are deduplicated, depth and age,
 * the dead letters.
 */

import { type Job, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RosterConfig } from '../config/schema.js';
import { RosterError } from '../core/errors.js';

export const CONTROL_QUEUE = 'roster-control';
export const appQueueName = (appId: string): string => `roster-app-${appId}`;

/** How workers and queues behave; from roster.yaml's `queue:` and, for tuning, the environment. */
export interface ClusterSettings {
  redisUrl: string;
  /** Redis key prefix: several installations (or tests) can share one Redis. */
  prefix: string;
  /** How long a job's lock lasts without renewal: a killed worker's job runs again after about this long. */
  lockMs: number;
  /** How often workers look for stalled jobs. */
  stalledMs: number;
  /** How many times a job may stall (its worker died) before it is failed; high: a kill is not the job's fault. */
  maxStalled: number;
  /** Attempts of an op job before its op stays failed (BullMQ retries with exponential backoff). */
  opAttempts: number;
  opBackoffMs: number;
  /** How long a graph refresh waits before it starts, gathering the syncs that end meanwhile into one refresh. */
  refreshDelayMs: number;
  /** How invitations are polled (durable waits as delayed jobs). */
  waits: { timeoutMs: number; pollMs: number; maxPollMs: number };
}

const envInt = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RosterError('invalid_input', `${name}="${raw}" is not a positive whole number`, {
      where: name,
      fix: `unset ${name} or give a number of milliseconds (or a count)`,
    });
  }
  return value;
};

/** The cluster settings when roster.yaml has `queue:` (cluster mode), else null (embedded mode). */
export function clusterSettings(
  config: Pick<RosterConfig, 'queue'>,
  env: NodeJS.ProcessEnv = process.env,
): ClusterSettings | null {
  if (config.queue === undefined) return null;
  return {
    redisUrl: config.queue,
    prefix: env['ROSTER_QUEUE_PREFIX'] || 'roster',
    lockMs: envInt(env, 'ROSTER_WORKER_LOCK_MS', 30_000),
    stalledMs: envInt(env, 'ROSTER_WORKER_STALLED_MS', 15_000),
    maxStalled: envInt(env, 'ROSTER_WORKER_MAX_STALLED', 20),
    opAttempts: envInt(env, 'ROSTER_OP_ATTEMPTS', 6),
    opBackoffMs: envInt(env, 'ROSTER_OP_BACKOFF_MS', 1000),
    refreshDelayMs: envInt(env, 'ROSTER_REFRESH_DELAY_MS', 500),
    waits: {
      timeoutMs: envInt(env, 'ROSTER_WAIT_TIMEOUT_MS', 7 * 24 * 3600_000),
      pollMs: envInt(env, 'ROSTER_WAIT_POLL_MS', 5_000),
      maxPollMs: envInt(env, 'ROSTER_WAIT_MAX_POLL_MS', 10 * 60_000),
    },
  };
}

/** A Redis connection as BullMQ wants it (blocking commands must not time out). */
export function connect(settings: Pick<ClusterSettings, 'redisUrl'>): Redis {
  return new Redis(settings.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
}

export interface SyncJob {
  appId: string;
  full: boolean;
  actor: string;
}
/** What a sync job answers: the change set's head once its snapshot was written (null from an older worker). */
export interface SyncDone {
  generation: number | null;
}
export interface RefreshJob {
  actor: string;
}
export interface ApplyJob {
  planId: string;
  actor: string;
  overrideSafety: boolean;
}
export interface OpJob {
  planId: string;
  seq: number;
  /** Which start of the plan's apply enqueued it: a later start retries what an earlier one left failed. */
  run: string;
  actor: string;
}
export interface FinalizeJob {
  planId: string;
  run: string;
  actor: string;
}

/** A queue's depth and the age of its oldest waiting job, for GET /queues and the metrics. */
export interface QueueStats {
  queue: string;
  appId: string | null;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Age of the oldest job still waiting to start (ms); null when none waits. */
  oldestWaitingMs: number | null;
}

/** A job that ran out of attempts: the dead-letter list. */
export interface DeadLetter {
  queue: string;
  id: string;
  name: string;
  data: Record<string, unknown>;
  attempts: number;
  failedReason: string;
  failedAt: string | null;
}

/** The one graph refresh waiting or running (and at most one more behind it). */
const REFRESH_ID = 'graph-refresh';
/** A job in one of these states is still to run (again). */
const PENDING = new Set<string>(['waiting', 'delayed', 'active', 'prioritized']);
/** How long a plan's finalization waits to gather the ops ending meanwhile (it is one read of the whole plan). */
const FINALIZE_DELAY_MS = 250;

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: false } as const;
/** BullMQ job ids may not hold ':'; plan ids are UUIDs. */
export const opJobId = (job: Pick<OpJob, 'planId' | 'seq' | 'run'>): string =>
  `op.${job.planId}.${job.seq}.${job.run}`;

/** The producer side: what `roster serve` and the workers enqueue, and what the API reads about the queues. */
export class ClusterQueues {
  readonly control: Queue;
  private readonly apps = new Map<string, Queue>();

  constructor(
    readonly settings: ClusterSettings,
    readonly appIds: readonly string[],
    private readonly connection: Redis = connect(settings),
  ) {
    this.control = new Queue(CONTROL_QUEUE, { connection, prefix: settings.prefix });
    for (const id of appIds) {
      this.apps.set(id, new Queue(appQueueName(id), { connection, prefix: settings.prefix }));
    }
  }

  app(appId: string): Queue {
    const queue = this.apps.get(appId);
    if (!queue) {
      throw new RosterError('invalid_input', `no app "${appId}" in roster.yaml`, {
        fix: `use one of: ${this.appIds.join(', ')}`,
      });
    }
    return queue;
  }

  all(): { queue: Queue; appId: string | null }[] {
    return [
      { queue: this.control, appId: null },
      ...[...this.apps].map(([appId, queue]) => ({ queue, appId })),
    ];
  }

  /** One sync per app at a time: a request while one waits or runs joins it. Returns whether it was added. */
  async enqueueSync(job: SyncJob): Promise<boolean> {
    const queue = this.app(job.appId);
    const id = `sync.${job.appId}`;
    // Read before adding: informative only (started or joined); the deduplication itself is BullMQ's, atomic.
    const pending = await queue.getDeduplicationJobId(id);
    await queue.add('sync', job, { ...KEEP, deduplication: { id } });
    return pending === null;
  }

  /** The Redis connection the queues share (for the installation's leases). */
  get redis(): Redis {
    return this.connection;
  }

  /**
   * A sync run on the workers, start to end: enqueued (or joined, when one is pending) and polled until it ended.
   * Throws with the worker's error when the sync failed. The graph refresh it asked for may still be to run: wait
   * for the generation it answers with (src/cluster/refresh.ts) before reading findings.
   */
  async syncAndWait(job: SyncJob, pollMs = 250): Promise<SyncDone> {
    const queue = this.app(job.appId);
    const added = await queue.add('sync', job, { ...KEEP, deduplication: { id: `sync.${job.appId}` } });
    // A joined sync answers with the pending job's id: wait for that one.
    const id = String(added.id);
    for (;;) {
      const state = await queue.getJobState(id);
      if (state === 'unknown') return { generation: null };
      if (state === 'completed') {
        const done = (await queue.getJob(id))?.returnvalue as Partial<SyncDone> | undefined;
        return { generation: typeof done?.generation === 'number' ? done.generation : null };
      }
      if (state === 'failed') {
        const failed = await queue.getJob(id);
        throw new RosterError('unavailable', failed?.failedReason || `the ${job.appId} sync failed`, {
          details: { appId: job.appId, job: id },
        });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /**
   * Asks for the identity graph to be brought up to date, after a sync. Syncs ending while one refresh waits to
   * start join it; a request while one runs leaves one more to run after it (the running one may have read the
   * change set before this sync wrote it), never two at once.
   */
  async enqueueRefresh(job: RefreshJob): Promise<void> {
    await this.control.add('refresh', job, {
      ...KEEP,
      delay: this.settings.refreshDelayMs,
      attempts: 3,
      backoff: { type: 'exponential', delay: this.settings.opBackoffMs },
      deduplication: { id: REFRESH_ID, keepLastIfActive: true },
    });
  }

  /** Whether a graph refresh waits, runs, or waits for a retry. */
  async refreshPending(): Promise<boolean> {
    for (let id = await this.control.getDeduplicationJobId(REFRESH_ID); id !== null; ) {
      if (PENDING.has(await this.control.getJobState(id))) return true;
      // It ended between the two reads, and the one asked for while it ran may have taken its place.
      const next = await this.control.getDeduplicationJobId(REFRESH_ID);
      if (next === id) return false;
      id = next;
    }
    return false;
  }

  /** Starts applying a plan on the workers (one start per plan at a time). */
  async enqueueApply(job: ApplyJob): Promise<void> {
    await this.control.add('apply', job, { ...KEEP, deduplication: { id: `apply.${job.planId}` } });
  }

  /** Op jobs whose dependencies are done; ids dedupe the fan-out from several finishing dependencies. */
  async enqueueOps(jobs: readonly (OpJob & { appId: string })[]): Promise<void> {
    const opts = (job: OpJob): JobsOptions => ({
      ...KEEP,
      jobId: opJobId(job),
      attempts: this.settings.opAttempts,
      backoff: { type: 'exponential', delay: this.settings.opBackoffMs },
    });
    const byApp = new Map<string, (OpJob & { appId: string })[]>();
    for (const job of jobs) byApp.set(job.appId, [...(byApp.get(job.appId) ?? []), job]);
    for (const [appId, list] of byApp) {
      await this.app(appId).addBulk(
        list.map(({ appId: _app, ...data }) => ({ name: 'op', data, opts: opts(data) })),
      );
    }
  }

  async enqueueFinalize(job: FinalizeJob): Promise<void> {
    // One waiting behind the one running at most: the last op's request is never lost to a run that began
    // before that op finished. The delay gathers every op that ends meanwhile into one finalization, which reads
    // the whole plan: one read per FINALIZE_DELAY_MS, not one per op.
    await this.control.add('finalize', job, {
      removeOnComplete: true,
      removeOnFail: false,
      delay: FINALIZE_DELAY_MS,
      deduplication: { id: `finalize.${job.planId}`, keepLastIfActive: true },
    });
  }

  /** Whether the op job of this run is still to run again (waiting, delayed for a retry, or running). */
  async opPending(appId: string, job: Pick<OpJob, 'planId' | 'seq' | 'run'>): Promise<boolean> {
    const state = await this.app(appId).getJobState(opJobId(job));
    return state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized';
  }

  async stats(now = Date.now()): Promise<QueueStats[]> {
    return Promise.all(
      this.all().map(async ({ queue, appId }) => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        const [oldest] = await queue.getWaiting(-1, -1);
        return {
          queue: queue.name,
          appId,
          waiting: counts['waiting'] ?? 0,
          active: counts['active'] ?? 0,
          delayed: counts['delayed'] ?? 0,
          failed: counts['failed'] ?? 0,
          completed: counts['completed'] ?? 0,
          oldestWaitingMs: oldest ? Math.max(0, now - oldest.timestamp) : null,
        };
      }),
    );
  }

  /** Jobs that ran out of attempts, newest first. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const lists = await Promise.all(
      this.all().map(async ({ queue }) =>
        (await queue.getFailed(0, limit - 1)).map((job) => deadLetter(queue.name, job)),
      ),
    );
    return lists
      .flat()
      .sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''))
      .slice(0, limit);
  }

  /** Sends a dead letter back to its queue for another round of attempts. */
  async retry(queueName: string, id: string): Promise<DeadLetter> {
    const entry = this.all().find(({ queue }) => queue.name === queueName);
    const job = entry ? await entry.queue.getJob(id) : undefined;
    if (!entry || !job || (await job.getState()) !== 'failed') {
      throw new RosterError('not_found', `no failed job ${queueName}/${id}`, {
        fix: 'list the dead letters (roster worker --failed, GET /queues/failed) and use a queue/id from there',
      });
    }
    const letter = deadLetter(queueName, job);
    await job.retry('failed', { resetAttemptsMade: true });
    return letter;
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map(({ queue }) => queue.close()));
    this.connection.disconnect();
  }
}

function deadLetter(queue: string, job: Job): DeadLetter {
  return {
    queue,
    id: String(job.id),
    name: job.name,
    data: job.data as Record<string, unknown>,
    attempts: job.attemptsMade,
    failedReason: job.failedReason,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

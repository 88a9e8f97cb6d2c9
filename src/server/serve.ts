/** @module Starting and stopping `roster serve`: open the store, build the app, listen, drain on SIGTERM. */

import type { FastifyServerOptions } from 'fastify';
import { interruptedApplies } from '../app/apply.js';
import { Leases } from '../cluster/lease.js';
import { ClusterQueues, clusterSettings } from '../cluster/queue.js';
import { waitForGraph } from '../cluster/refresh.js';
import type { RosterConfig } from '../config/schema.js';
import { newOwner } from '../reconcile/apply/run-op.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { tokenStore } from '../store/tokens.js';
import { startApply } from './background.js';
import type { ScimResumeTimings, ServerContext } from './context.js';
import { FindingsCache } from './findings-cache.js';
import { Jobs } from './jobs.js';
import { Metrics } from './metrics.js';
import { Notifier } from './notify.js';
import { registerRoutes } from './routes/index.js';
import { type ClusterSchedule, SCHEDULER_ACTOR, Scheduler, type SchedulerEvents } from './scheduler.js';
import { createApp, type RosterFastify, type RouteInfo, type ServerOptions } from './server.js';

export interface RunningServer {
  app: RosterFastify;
  context: ServerContext;
  /** Every route with the scope it needs. */
  routes: RouteInfo[];
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stops taking requests and work, lets what is in flight finish or hands it back, closes the store. */
  close(): Promise<void>;
}

export interface StartServerOptions extends ServerOptions {
  config: RosterConfig;
  configPath: string;
  host?: string;
  port?: number;
  /** An already open store (tests); otherwise the config's store is opened and closed with the server. */
  store?: Store;
  clock?: () => Date;
  logger?: FastifyServerOptions['logger'];
  schedulerEvents?: SchedulerEvents;
  /** First wait between notification attempts (doubling); tests shorten it. */
  notifyRetryDelayMs?: number;
  /** The SCIM facade's passes over interrupted writes; tests shorten them. */
  scimResume?: ScimResumeTimings;
  /** Where cluster settings (the queue's key prefix, timings) are read; process.env unless given (tests). */
  env?: NodeJS.ProcessEnv;
}

/** Cluster mode's schedule: runs under leases in Redis, syncs and applies on the workers. */
function clusterSchedule(cluster: ClusterQueues, store: Store): ClusterSchedule {
  const leases = new Leases(cluster.redis, cluster.settings.prefix, newOwner('serve'));
  return {
    take: (jobId) => leases.take(jobId),
    async sync(appId, full) {
      const { generation } = await cluster.syncAndWait({ appId, full, actor: SCHEDULER_ACTOR });
      // The graph refresh the sync asked for runs as a job of its own: what follows reads findings it wrote.
      return generation === null ? false : waitForGraph(store, cluster, generation);
    },
    apply: (planId) => cluster.enqueueApply({ planId, actor: SCHEDULER_ACTOR, overrideSafety: false }),
  };
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const store = options.store ?? (await openStore(options.config.store));
  const clock = options.clock ?? (() => new Date());
  const notifierLog = { warn: (obj: object, msg: string) => built?.app.log.warn(obj, msg) };
  let built: { app: RosterFastify; context: ServerContext; routes: RouteInfo[] } | undefined;
  let resumingApplies: Promise<void> | null = null;
  const settings = clusterSettings(options.config, options.env);
  const cluster = settings
    ? new ClusterQueues(
        settings,
        options.config.apps.map((a) => a.id),
      )
    : null;
  try {
    built = await createApp(
      {
        config: options.config,
        configPath: options.configPath,
        store,
        tokens: tokenStore(store, clock),
        clock,
        jobs: new Jobs(clock),
        metrics: new Metrics(store),
        findings: new FindingsCache({ config: options.config, store, clock }),
        notifier: new Notifier(store, options.config.server?.notifications ?? [], {
          publicUrl: options.config.server?.publicUrl,
          clock,
          log: notifierLog,
          ...(options.notifyRetryDelayMs !== undefined ? { retryDelayMs: options.notifyRetryDelayMs } : {}),
        }),
        scheduler: null,
        cluster,
        ...(options.scimResume ? { scimResume: options.scimResume } : {}),
      },
      {
        ...options,
        // roster.yaml's server.rateLimit unless the caller gave one (tests, the benchmark).
        rateLimit: options.rateLimit ?? {
          max: options.config.server?.rateLimit.max ?? 600,
          timeWindowMs: options.config.server?.rateLimit.window ?? 60_000,
        },
      },
      registerRoutes,
    );
    const { app, context } = built;
    // Built before listening, so a schedule naming an unknown app stops the start with its error.
    if (options.config.schedule) {
      const events = options.schedulerEvents ?? {};
      context.scheduler = new Scheduler(
        context,
        options.config.schedule,
        {
          ...events,
          onRun(run) {
            context.metrics.observeScheduledRun(run);
            events.onRun?.(run);
          },
          onQuarantine(job) {
            void context.notifier.notify(
              'app.quarantined',
              'App quarantined',
              [
                {
                  key: `${job.id}:${job.quarantinedAt}`,
                  text: `${job.appId ?? job.id}: ${job.lastError ?? 'failing'}`,
                },
              ],
              '/schedule',
            );
            events.onQuarantine?.(job);
          },
        },
        cluster && clusterSchedule(cluster, store),
      );
    }
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
    // Applies this host's stopped server left under way go on (in cluster mode the queue retries its own).
    if (!cluster) resumingApplies = resumeApplies(context);
    // Not awaited: the first runs (due at once on a fresh store) go on while the API answers.
    void context.scheduler
      ?.start()
      .catch((error: unknown) => context.log.error({ err: error }, 'scheduler failed'));
  } catch (error) {
    await built?.app.close();
    await cluster?.close();
    if (!options.store) await store.close();
    throw error;
  }
  const { app, context, routes } = built;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | null = null;
  return {
    app,
    context,
    routes,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= (async () => {
        // Stop taking requests first, then let the syncs and applies in flight end: an apply records each
        // op's outcome as it goes, so what is not done stays pending for the next start to carry on.
        context.scheduler?.stop();
        const closed = app.close();
        const drained = context.jobs.drain();
        // An apply the start was carrying on is one of the jobs drained (or, not started yet, the next start's).
        await resumingApplies;
        await drained;
        await closed;
        await context.notifier.settle();
        await cluster?.close();
        if (!options.store) await store.close();
      })();
      return closing;
    },
  };
}

/** Who carries on, in the audit log, an apply a stopped server left under way. */
export const RESUMING_APPLY_ACTOR = 'apply-resume';

async function resumeApplies(ctx: ServerContext): Promise<void> {
  try {
    const { carryOn, left } = await interruptedApplies(ctx.store, ctx.clock());
    ctx.metrics.observeInterrupted('apply', 'started', carryOn.length);
    ctx.metrics.observeInterrupted('apply', 'left', left.length);
    for (const planId of left)
      ctx.log.warn(
        { planId },
        'an apply stopped more than a day ago is left under way: apply it again to carry it on',
      );
    for (const planId of carryOn) {
      ctx.log.info({ planId }, 'carrying on an apply a stopped server left under way');
      await startApply(ctx, planId, RESUMING_APPLY_ACTOR, false);
    }
  } catch (error) {
    ctx.log.error({ err: error }, 'interrupted applies could not be carried on');
  }
}

/**
 * Resolves once a signal has stopped the server: no new requests or scheduled runs from the first signal on;
 * syncs and applies in flight finish (an apply records every op's outcome, so nothing is left half-done).
 */
export function stopOnSignals(
  server: RunningServer,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): Promise<NodeJS.Signals> {
  return new Promise((done, fail) => {
    const stop = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, stop);
      server.app.log.info(
        { signal, inFlight: server.context.jobs.list() },
        'stopping: no new work; letting what is in flight finish',
      );
      server.close().then(() => done(signal), fail);
    };
    for (const s of signals) process.on(s, stop);
  });
}

/** @module /apps and /syncs: each app with its sync status and health; start syncs and read their history. */

import { z } from 'zod';
import type { AppConfig } from '../../config/schema.js';
import { RosterError } from '../../core/errors.js';
import type { SyncRun } from '../../store/store.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor, syncApps } from '../core.js';
import { announceFindings } from '../notify.js';
import { pageOf, pageQuery, paginate } from '../paging.js';
import { problemResponses } from '../problem.js';
import { appIdParams, appSchema, idParams, scheduledJobSchema, syncRunSchema } from '../schemas.js';
import type { RosterFastify } from '../server.js';

export const syncJobKey = (appId: string) => `sync:${appId}`;

/** The configured app an id names; unknown is 404 (a resource), with the ids there are. */
export function knownApp(ctx: ServerContext, appId: string, where = 'appId'): AppConfig {
  const app = ctx.config.apps.find((a) => a.id === appId);
  if (app) return app;
  throw new RosterError('not_found', `no app "${appId}" in roster.yaml`, {
    where,
    fix: `use one of: ${ctx.config.apps.map((a) => a.id).join(', ')}`,
  });
}

export async function registerAppRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  const capabilities = await asActor(ctx, 'server', async (roster) => roster.manifests());

  async function view(config: AppConfig): Promise<z.infer<typeof appSchema>> {
    const [last] = await ctx.store.listSyncRuns({ appId: config.id, limit: 1 });
    const [success] = await ctx.store.listSyncRuns({ appId: config.id, status: 'succeeded', limit: 1 });
    const syncing = ctx.jobs.isRunning(syncJobKey(config.id));
    const health = ctx.scheduler?.quarantined(config.id)
      ? 'quarantined'
      : syncing
        ? 'syncing'
        : last === undefined
          ? 'never_synced'
          : last.status === 'failed'
            ? 'failing'
            : 'ok';
    return {
      id: config.id,
      type: config.type,
      baseUrl: config.baseUrl,
      health,
      syncing,
      nextSyncAt: ctx.scheduler?.nextRunOf(config.id) ?? null,
      lastSync: last ?? null,
      lastSuccess: success ?? null,
      capabilities: (capabilities[config.id] ?? {}) as unknown as Record<string, unknown>,
    };
  }

  app.get(
    '/apps',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['apps'],
        summary: 'The configured apps with sync status, health and capabilities',
        response: { 200: z.object({ items: z.array(appSchema) }), ...problemResponses() },
      },
    },
    async () => ({ items: await Promise.all(ctx.config.apps.map(view)) }),
  );

  app.get(
    '/apps/:appId',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['apps'],
        summary: 'One app with its sync status, health and capabilities',
        params: appIdParams,
        response: { 200: appSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => {
      return view(knownApp(ctx, request.params.appId));
    },
  );

  app.post(
    '/syncs',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['syncs'],
        summary: 'Start a sync of some apps (default: all) in the background',
        description: 'An app already syncing is not started twice: the request joins the run in flight.',
        body: z
          .object({ apps: z.array(z.string()).min(1).optional(), full: z.boolean().default(false) })
          .default({
            full: false,
          }),
        response: {
          202: z.object({
            items: z.array(
              z.object({ appId: z.string(), started: z.boolean().describe('false: joined a run') }),
            ),
          }),
          ...problemResponses('not_found', 'unavailable'),
        },
      },
    },
    async (request, reply) => {
      const apps = (request.body.apps ?? ctx.config.apps.map((a) => a.id)).map((id) =>
        knownApp(ctx, id, 'body.apps'),
      );
      const actor = actorOf(request);
      // Cluster mode: one sync job per app, coalesced by the queue; the workers run it (src/cluster).
      const { cluster } = ctx;
      if (cluster) {
        const items = [];
        for (const a of apps) {
          items.push({
            appId: a.id,
            started: await cluster.enqueueSync({ appId: a.id, full: request.body.full, actor }),
          });
        }
        return reply.code(202).send({ items });
      }
      const items = apps.map((a) => {
        const { joined } = ctx.jobs.start(syncJobKey(a.id), () =>
          asActor(ctx, actor, async (roster) => {
            // People have their own job (schedule.people, POST /people/import); a sync here reads the app only.
            const synced = await syncApps(roster, { apps: [a.id], full: request.body.full, people: false });
            ctx.metrics.observeFindings(synced.graph.findings);
            await announceFindings(ctx.notifier, synced.graph.findings);
            for (const r of synced.apps) {
              ctx.metrics.observeSync(r);
              ctx.metrics.observeClient(r.appId, roster.connector(r.appId).http.stats());
              if (r.status === 'failed')
                ctx.log.warn({ appId: r.appId, error: r.error?.message }, 'sync failed');
            }
            return synced;
          }),
        );
        return { appId: a.id, started: !joined };
      });
      return reply.code(202).send({ items });
    },
  );

  const syncQuery = pageQuery(['startedAt'] as const, 'desc').extend({
    appId: z.string().optional(),
    status: z.enum(['running', 'succeeded', 'failed']).optional(),
  });

  app.get(
    '/syncs',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['syncs'],
        summary: 'Sync history, newest first by default; filter by app and status',
        querystring: syncQuery,
        response: { 200: pageOf(syncRunSchema), ...problemResponses('not_found') },
      },
    },
    async (request) => {
      const q = request.query;
      const apps = q.appId ? [knownApp(ctx, q.appId, 'query.appId')] : ctx.config.apps;
      const runs: SyncRun[] = [];
      for (const a of apps) {
        runs.push(
          ...(await ctx.store.listSyncRuns({ appId: a.id, ...(q.status ? { status: q.status } : {}) })),
        );
      }
      return paginate(runs, q, {
        id: (r) => r.id,
        sortBy: { startedAt: (r) => r.startedAt },
      });
    },
  );

  app.get(
    '/syncs/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['syncs'],
        summary: 'One sync run',
        params: idParams,
        response: { 200: syncRunSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => {
      const run = await ctx.store.getSyncRun({ id: request.params.id });
      if (!run) throw new RosterError('not_found', `sync run ${request.params.id} not found`);
      return run;
    },
  );
}

export async function registerScheduleRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.get(
    '/schedule',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['schedule'],
        summary: 'Scheduled jobs with their next run, last outcome, failures and quarantine',
        response: { 200: z.object({ items: z.array(scheduledJobSchema) }), ...problemResponses() },
      },
    },
    async () => ({ items: ctx.scheduler?.list() ?? [] }),
  );

  app.post(
    '/schedule/:id/run',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['schedule'],
        summary: 'Run a scheduled job now (joins its run if one is in flight)',
        params: idParams,
        response: { 202: z.object({ id: z.string() }), ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      const job = ctx.scheduler?.list().find((j) => j.id === request.params.id);
      if (!job || !ctx.scheduler) {
        throw new RosterError('not_found', `no scheduled job "${request.params.id}"`, {
          fix: 'GET /schedule lists them; jobs come from the schedule: block of roster.yaml',
        });
      }
      void ctx.scheduler.trigger(job.id);
      return reply.code(202).send({ id: job.id });
    },
  );
}

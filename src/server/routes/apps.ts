/** @module /apps and /syncs: each app with its sync status and health; start syncs and read their history. */

import { z } from 'zod';
import type { AppConfig } from '../../config/schema.js';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import { RosterError } from '../../core/errors.js';
import type { SyncRun } from '../../store/store.js';
import { startSync, syncJobKey } from '../background.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor } from '../core.js';
import { pageOf, pageQuery, paginate } from '../paging.js';
import { problemResponses } from '../problem.js';
import { appIdParams, appSchema, idParams, scheduledJobSchema, syncRunSchema } from '../schemas.js';
import type { RosterFastify } from '../server.js';

export { syncJobKey };

/** The configured app an id names; unknown is 404 (a resource), with the ids there are. */
export function knownApp(ctx: ServerContext, appId: string, where = 'appId'): AppConfig {
  const app = ctx.config.apps.find((a) => a.id === appId);
  if (app) return app;
  throw new RosterError('not_found', `no app "${appId}" in roster.yaml`, {
    where,
    fix: `use one of: ${ctx.config.apps.map((a) => a.id).join(', ')}`,
  });
}

/** An app as the API and the console show it: health (quarantine, syncing, failing…), next run, last syncs. */
export async function describeApp(
  ctx: ServerContext,
  config: AppConfig,
  manifest: CapabilityManifest | undefined,
): Promise<z.infer<typeof appSchema>> {
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
    capabilities: (manifest ?? {}) as unknown as Record<string, unknown>,
  };
}

export async function registerAppRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  const capabilities = await asActor(ctx, 'server', async (roster) => roster.manifests());

  const view = (config: AppConfig) => describeApp(ctx, config, capabilities[config.id]);

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
      const items = [];
      for (const a of apps) {
        items.push({ appId: a.id, started: !(await startSync(ctx, a.id, actor, request.body.full)) });
      }
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

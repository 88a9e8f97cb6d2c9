/** @module /queues: cluster mode's queue depth and age per app, the dead letters, and retrying one. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import { problemResponses } from '../problem.js';
import type { RosterFastify } from '../server.js';

const queueStatsSchema = z
  .object({
    queue: z.string(),
    appId: z.string().nullable().describe('null: the control queue (apply starts, finalizations)'),
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    failed: z.number().int(),
    completed: z.number().int(),
    oldestWaitingMs: z.number().int().nullable().describe('age of the oldest job waiting to start'),
  })
  .meta({ id: 'QueueStats' });

const deadLetterSchema = z
  .object({
    queue: z.string(),
    id: z.string(),
    name: z.string(),
    data: z.record(z.string(), z.unknown()),
    attempts: z.number().int(),
    failedReason: z.string(),
    failedAt: z.string().nullable(),
  })
  .meta({ id: 'DeadLetter' });

export async function registerQueueRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.get(
    '/queues',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['queues'],
        summary:
          'Cluster mode: jobs per queue (one per app, one for control) and the oldest waiting job’s age',
        response: {
          200: z.object({ mode: z.enum(['embedded', 'cluster']), items: z.array(queueStatsSchema) }),
          ...problemResponses('unavailable'),
        },
      },
    },
    async () =>
      ctx.cluster
        ? { mode: 'cluster' as const, items: await ctx.cluster.stats() }
        : { mode: 'embedded' as const, items: [] },
  );

  app.get(
    '/queues/failed',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['queues'],
        summary: 'Cluster mode: the dead letters (jobs out of attempts), newest first',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ items: z.array(deadLetterSchema) }), ...problemResponses() },
      },
    },
    async (request) => ({ items: (await ctx.cluster?.deadLetters(request.query.limit)) ?? [] }),
  );

  app.post(
    '/queues/:queue/jobs/:id/retry',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['queues'],
        summary: 'Cluster mode: send a dead letter back to its queue for another round of attempts',
        params: z.object({ queue: z.string(), id: z.string() }),
        response: { 202: deadLetterSchema, ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      if (!ctx.cluster) {
        throw new RosterError('not_found', `no failed job ${request.params.queue}/${request.params.id}`, {
          fix: 'this server runs embedded, with no queues: cluster mode needs queue: and a postgres:// store',
        });
      }
      return reply.code(202).send(await ctx.cluster.retry(request.params.queue, request.params.id));
    },
  );
}

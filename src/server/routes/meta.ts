/** @module Routes about the service itself: liveness, readiness (store reachable, migrations current), OpenAPI. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { MIGRATIONS } from '../../store/migrations/index.js';
import type { ServerContext } from '../context.js';
import { decodeKeyCursor, encodeKeyCursor } from '../paging.js';
import { problemResponses } from '../problem.js';
import type { RosterFastify } from '../server.js';

const health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const readiness = z
  .object({
    status: z.literal('ready'),
    migrations: z.object({ applied: z.number().int(), expected: z.number().int() }),
  })
  .meta({ id: 'Readiness' });

export async function registerMetaRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { scope: 'public', rateLimit: false },
      schema: {
        tags: ['service'],
        summary: 'The process is up',
        security: [],
        response: { 200: health },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public', rateLimit: false },
      schema: {
        tags: ['service'],
        summary: 'The store answers and its schema is current',
        security: [],
        response: { 200: readiness, 503: problemResponses()[500] },
      },
    },
    async () => {
      const expected = Object.keys(MIGRATIONS);
      let applied: string[];
      try {
        applied = (await ctx.store.migrations()).map((m) => m.name);
      } catch (cause) {
        throw new RosterError('unavailable', 'the store does not answer', {
          cause,
          fix: 'check the store: setting in roster.yaml and that the database is running',
        });
      }
      const missing = expected.filter((name) => !applied.includes(name));
      if (missing.length > 0) {
        throw new RosterError(
          'unavailable',
          `the store's schema is behind: ${missing.join(', ')} not applied`,
          {
            fix: 'restart roster serve, which migrates the store on start',
          },
        );
      }
      return { status: 'ready' as const, migrations: { applied: applied.length, expected: expected.length } };
    },
  );

  app.get(
    '/metrics',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: z.string(), ...problemResponses() },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply
        .type(ctx.metrics.registry.contentType)
        .serializer((s: unknown) => String(s))
        .send(text);
    },
  );

  app.get(
    '/notifications',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['service'],
        summary:
          'Notifications sent (or not), newest first: one per sink and new thing, with attempts and errors',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: z.string().optional().describe('nextCursor of the previous page'),
        }),
        response: {
          200: z.object({
            nextCursor: z.string().nullable(),
            items: z.array(
              z.object({
                id: z.string(),
                sink: z.string(),
                event: z.string(),
                key: z.string(),
                status: z.string(),
                attempts: z.number().int(),
                createdAt: z.string(),
                deliveredAt: z.string().nullable(),
                error: z.string().nullable(),
              }),
            ),
          }),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const items = await ctx.notifier.list({ limit, ...(cursor ? { after: decodeKeyCursor(cursor) } : {}) });
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: items.length === limit && last ? encodeKeyCursor(last.createdAt, last.id) : null,
      };
    },
  );

  app.get(
    '/openapi.json',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['service'],
        summary: 'This API described as OpenAPI 3.1',
        security: [],
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );
}

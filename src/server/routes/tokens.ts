/** @module /tokens: who may call the API (admin scope); the clear token is shown once, on create. */

import { z } from 'zod';
import { issueToken, parseScope, revokeToken } from '../../app/tokens.js';
import { TOKEN_SCOPES } from '../../store/tokens.js';
import { actorOf, type ServerContext } from '../context.js';
import { problemResponses } from '../problem.js';
import type { RosterFastify } from '../server.js';

/** One of the ordered scopes, or `scim:<appId>` (that app's SCIM facade and nothing else). */
const scopeSchema = z.union([
  z.enum(TOKEN_SCOPES),
  z
    .string()
    .regex(/^scim:.+$/)
    .describe("scim:<appId>: only that app's SCIM facade"),
]);

export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: scopeSchema,
    prefix: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    person: z.string().nullable().describe('the person a reviewer token answers for'),
  })
  .meta({ id: 'ApiToken' });

export async function registerTokenRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.get(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'API tokens (never their secret)',
        querystring: z.object({ includeRevoked: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ items: z.array(tokenSchema) }), ...problemResponses() },
      },
    },
    async (request) => ({
      items: await ctx.tokens.list({ includeRevoked: request.query.includeRevoked === 'true' }),
    }),
  );

  app.post(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Create a token; the response is the only time its secret is shown',
        body: z.object({
          name: z.string().min(1).max(64),
          scope: scopeSchema,
          person: z
            .string()
            .optional()
            .describe("a reviewer's email: the token sees only their review items"),
        }),
        response: {
          201: z.object({ token: z.string(), record: tokenSchema }),
          ...problemResponses('conflict'),
        },
      },
    },
    async (request, reply) => {
      const scope = parseScope(
        request.body.scope,
        'body.scope',
        ctx.config.apps.map((a) => a.id),
      );
      const issued = await issueToken(ctx, { ...request.body, scope, createdBy: actorOf(request) });
      return reply.code(201).send(issued);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token (by id or name)',
        params: z.object({ id: z.string() }),
        response: { 200: tokenSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => revokeToken(ctx, { idOrName: request.params.id, by: actorOf(request) }),
  );
}

/**
 * @module /mcp: the MCP server over streamable HTTP for AI assistants, acting as `assistant via <token name>`.
 * Any token may read; one that may plan (operate) may also propose; no token, whatever its scope, can approve or
 * apply through it (src/mcp has no such tool).
 */

import { z } from 'zod';
import { openRoster } from '../../app/index.js';
import { scopeAllows } from '../../app/tokens.js';
import { RosterError } from '../../core/errors.js';
import { assistantActor, handleMcpPost } from '../../mcp/index.js';
import type { ServerContext } from '../context.js';
import { problemResponses } from '../problem.js';
import type { RosterFastify } from '../server.js';

const message = z.looseObject({ jsonrpc: z.literal('2.0') });

export async function registerMcpRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.post(
    '/mcp',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['mcp'],
        summary: 'MCP for AI assistants (streamable HTTP, stateless, JSON responses): read and propose only',
        description:
          'Tools, resources and prompts of the Roster MCP server. Plans it proposes name "assistant via <token ' +
          'name>"; a person approves and applies them. Proposing needs an operate token; reading, any token.',
        body: z.union([message, z.array(message).min(1)]),
        response: { 200: z.unknown(), 202: z.unknown(), ...problemResponses() },
      },
    },
    async (request, reply) => {
      const token = request.token;
      if (token === null) throw new RosterError('unauthenticated', 'no API token');
      const roster = await openRoster(ctx.config, {
        actor: assistantActor(token.name),
        store: ctx.store,
        now: ctx.clock,
      });
      // The SDK writes the response itself; Fastify must not send one too.
      reply.hijack();
      reply.raw.once('close', () => void roster.close());
      await handleMcpPost({
        roster,
        req: request.raw,
        res: reply.raw,
        body: request.body,
        options: scopeAllows(token.scope, 'operate')
          ? {}
          : {
              proposeRefusal: `the token "${token.name}" has the ${token.scope} scope; proposing a plan needs operate`,
            },
      });
    },
  );

  // Stateless: no stream to open and no session to end. 405 is how the MCP spec says so.
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      config: { scope: 'read' },
      schema: {
        tags: ['mcp'],
        summary: `Not offered (stateless MCP): ${method === 'GET' ? 'no server-sent event stream' : 'no session to end'}`,
        response: problemResponses('conflict'),
      },
      handler: async (_request, reply) => {
        reply.header('allow', 'POST');
        // A status the error handler turns into a problem like any other refusal.
        throw Object.assign(new Error('Roster serves MCP statelessly: POST JSON-RPC messages to /mcp'), {
          statusCode: 405,
        });
      },
    });
  }
}

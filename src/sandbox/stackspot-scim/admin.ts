/** @module StackSpot SCIM admin extras: flip the reading switches and record a first login. */

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_PREFIX, type SandboxContext } from '../kit/server.js';
import type { SsState } from './state.js';

const PREFIX = `${ADMIN_PREFIX}/stackspot-scim`;

const configBody = z
  .object({
    echoActive: z.boolean(),
    wrongTenantStatus: z.union([z.literal(403), z.literal(404)]),
    putResetsActive: z.boolean(),
  })
  .partial();

export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext<SsState>): void {
  app.put(`${PREFIX}/config`, async (request, reply) => {
    const parsed = configBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({ error: 'invalid admin request', issues: parsed.error.issues });
    Object.assign(ctx.state.config, parsed.data);
    return ctx.state.config;
  });

  // The user signs in (and sets up OTP): never_logged turns false and required_actions empties.
  app.post(`${PREFIX}/users/:id/login`, async (request, reply) => {
    const user = ctx.state.users.get((request.params as { id: string }).id);
    if (!user) return reply.code(404).send({ error: 'no such user' });
    user.neverLogged = false;
    user.requiredActions = [];
    return { id: user.id, never_logged: false };
  });
}

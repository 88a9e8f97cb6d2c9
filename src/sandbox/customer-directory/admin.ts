/** @module customer-directory admin extras: add a user the way the product UI would, and flip reading switches. */

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ADMIN_PREFIX, type SandboxContext } from '../kit/server.js';
import { renderUser } from './routes.js';
import {
  addUser,
  type CdState,
  IDENTITY_TYPES,
  identityKey,
  isoSeconds,
  newObjectId,
  USER_STATUSES,
} from './state.js';

const PREFIX = `${ADMIN_PREFIX}/customer-directory`;

const newUserBody = z.object({
  email: z.email(),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  jobTitle: z.string().default(''),
  nickname: z.string().default(''),
  status: z.enum(USER_STATUSES).default('active'),
  isSuperDelegate: z.boolean().default(false),
  department: z.string().nullable().default(null),
  identities: z.array(z.object({ type: z.enum(IDENTITY_TYPES), value: z.string().min(1) })).default([]),
  key: z.string().nullable().default(null),
});

const configBody = z
  .object({ listShape: z.enum(['array', 'object']), integrationFilters: z.boolean() })
  .partial();

export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext<CdState>): void {
  // The API has no create endpoint: users appear through the product (HR sync, invites). This stands in for that.
  app.post(`${PREFIX}/users`, async (request, reply) => {
    const parsed = newUserBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({ error: 'invalid admin request', issues: parsed.error.issues });
    const body = parsed.data;
    const state = ctx.state;
    if (state.byEmail.has(body.email.toLowerCase())) {
      return reply.code(409).send({ error: `a user with email ${body.email} exists` });
    }
    const identities = [{ type: 'email' as const, value: body.email }, ...body.identities];
    const taken = identities.find(
      (i) => i.type !== 'email' && state.byIdentity.has(identityKey(i.type, i.value)),
    );
    if (taken) return reply.code(409).send({ error: `identity ${taken.type}:${taken.value} is taken` });
    const now = isoSeconds(ctx.now());
    const user = {
      _id: newObjectId(state),
      createdAt: now,
      updatedAt: now,
      isSuperDelegate: body.isSuperDelegate,
      email: body.email,
      firstName: body.firstName,
      jobTitle: body.jobTitle,
      lastName: body.lastName,
      nickname: body.nickname,
      status: body.status,
      seniority: null,
      department: body.department,
      office: null,
      subdepartment: null,
      pod: null,
      groupIds: [],
      roleIds: [],
      delegateIds: [],
      identities,
      key: body.key,
    };
    addUser(state, user);
    return reply.code(201).send(renderUser(user));
  });

  app.put(`${PREFIX}/config`, async (request, reply) => {
    const parsed = configBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({ error: 'invalid admin request', issues: parsed.error.issues });
    Object.assign(ctx.state.config, parsed.data);
    return ctx.state.config;
  });
}

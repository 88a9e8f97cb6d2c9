/** @module The Thought Industries sandbox definition: API key auth, error shape, state and admin extras. */

import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createRng } from '../kit/rng.js';
import {
  ADMIN_PREFIX,
  type AuthOutcome,
  type SandboxCredentials,
  type SandboxDefinition,
} from '../kit/server.js';
import { registerGraphql } from './graphql.js';
import { REST_BASE, registerRoutes, TI_UNDOCUMENTED_FLAGS } from './routes.js';
import {
  addCourse,
  createState,
  newId,
  restore,
  snapshot,
  summary,
  type TiState,
  type TiUser,
  userBody,
} from './state.js';

/** The body every Thought Industries error is answered with (the guide shows none; see README). */
export function tiErrorBody(status: number, message: string): { error: { status: number; message: string } } {
  return { error: { status, message } };
}

/**
 * The API key, from the `X-API-Key` header or the `apiKey` query parameter. Every key the request carries
 * must be the tenant's: a right header does not excuse a wrong query key.
 */
function authenticate(request: FastifyRequest, credentials: SandboxCredentials): AuthOutcome {
  const header = request.headers['x-api-key'];
  const query = (request.query as Record<string, unknown> | undefined)?.['apiKey'];
  const presented = [header, query].filter((v) => v !== undefined);
  if (presented.length === 0) {
    return { ok: false, status: 401, message: 'Missing API key: send X-API-Key or apiKey' };
  }
  if (presented.some((v) => v !== credentials.token))
    return { ok: false, status: 401, message: 'Invalid API key' };
  return { ok: true };
}

const courseAdminBody = z.object({ published: z.boolean() });
const keysAdminBody = z.object({ keys: z.array(z.string().min(1)) });
const configAdminBody = z.object({
  putSemantics: z.enum(['replace', 'merge']).optional(),
  duplicateEmailStatus: z.union([z.literal(400), z.literal(409)]).optional(),
});
const completeAdminBody = z.object({ completedAt: z.iso.datetime().optional() }).default({});

export const thoughtIndustriesSandbox: SandboxDefinition<TiState> = {
  type: 'thought-industries',
  title: 'Thought Industries',
  // "No rate limit headers or Retry-After signals are documented."
  retryAfter: 'never',
  credentials(seed) {
    const rng = createRng(seed).fork('thought-industries:credentials');
    return { token: `ti_${rng.hex(40)}`, tenant: `tenant-${rng.hex(6)}` };
  },
  baseUrl: (origin) => `${origin}${REST_BASE}`,
  createState,
  snapshot,
  restore,
  summary,
  authenticate,
  errorBody: tiErrorBody,
  undocumented: TI_UNDOCUMENTED_FLAGS,
  // The guide documents no list of groups or courses: roster.yaml names them (name → id) for the connector.
  appConfig: (state, flags) => {
    // The connector can be told to try these three; GraphQL enrollments it finds by introspection.
    const optIn = flags.filter((f) =>
      ['groups-endpoint', 'courses-endpoint', 'unenroll-endpoint'].includes(f),
    );
    return {
      groups: Object.fromEntries([...state.groups.values()].map((g) => [g.name, g.id])),
      courses: Object.fromEntries(state.courseOrder.map((c) => [c.title, c.id])),
      ...(optIn.length > 0 ? { undocumented: optIn } : {}),
    };
  },
  routes(app, ctx) {
    registerRoutes(app, ctx, tiErrorBody);
    registerGraphql(app, ctx);
  },
  adminRoutes(app, ctx) {
    const bad = (message: string) => ({ error: 'invalid admin request', message });

    // Publish or unpublish a course (the admin portal's job; enrollment depends on it).
    app.put(`${ADMIN_PREFIX}/courses/:id`, async (request, reply) => {
      const course = ctx.state.courses.get((request.params as { id: string }).id);
      if (!course) return reply.code(404).send(bad('no such course'));
      const parsed = courseAdminBody.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      course.published = parsed.data.published;
      return { ...course };
    });

    // Add a course (the API has no course creation).
    app.post(`${ADMIN_PREFIX}/courses`, async (request, reply) => {
      const parsed = z
        .object({ title: z.string().min(1), published: z.boolean().default(true) })
        .safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      const course = { id: newId(ctx.state, 'course'), ...parsed.data };
      addCourse(ctx.state, course);
      return { ...course };
    });

    // Add a group (the API has no group creation).
    app.post(`${ADMIN_PREFIX}/groups`, async (request, reply) => {
      const parsed = z.object({ name: z.string().min(1) }).safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      const group = { id: newId(ctx.state, 'group'), name: parsed.data.name };
      ctx.state.groups.set(group.id, group);
      return { ...group };
    });

    // The custom field keys configured in the admin portal; unknown keys on writes are dropped.
    app.put(`${ADMIN_PREFIX}/custom-field-keys`, async (request, reply) => {
      const parsed = keysAdminBody.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      ctx.state.customFieldKeys = [...new Set(parsed.data.keys)];
      return { keys: ctx.state.customFieldKeys };
    });

    // Switches for the readings the guide leaves open.
    app.put(`${ADMIN_PREFIX}/config`, async (request, reply) => {
      const parsed = configAdminBody.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      Object.assign(ctx.state.config, parsed.data);
      return { ...ctx.state.config };
    });

    // Find a planted account's user by its company key.
    app.get(`${ADMIN_PREFIX}/keys/:key`, async (request, reply) => {
      const id = ctx.state.keys.get((request.params as { key: string }).key);
      const user = id === undefined ? undefined : ctx.state.usersById.get(id);
      if (!user) return reply.code(404).send(bad('no user for that key'));
      return { user: userBody(user) };
    });

    // A learner finishes a course: marks the enrollment completed and fires course.completed.
    app.post(`${ADMIN_PREFIX}/users/:userId/enrollments/:courseId/complete`, async (request, reply) => {
      const { userId, courseId } = request.params as { userId: string; courseId: string };
      const enrollment = ctx.state.enrollments.get(userId)?.get(courseId);
      if (!enrollment) return reply.code(404).send(bad('no such enrollment'));
      const parsed = completeAdminBody.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(bad(parsed.error.message));
      enrollment.status = 'completed';
      enrollment.completedAt = parsed.data.completedAt ?? ctx.now().toISOString();
      const user = ctx.state.usersById.get(userId) as TiUser;
      user.lastActiveAt = enrollment.completedAt;
      ctx.emit('course.completed', { userId, courseId, completedAt: enrollment.completedAt });
      return { userId, courseId, status: enrollment.status, completedAt: enrollment.completedAt };
    });
  },
};

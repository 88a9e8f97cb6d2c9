/** @module The Thought Industries REST surface under /incoming/api/v1: users, groups, courses, enrollments. */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../kit/server.js';
import {
  addUser,
  type CustomFieldValue,
  enrollmentsOf,
  findUserByEmail,
  newId,
  removeUser,
  TI_ROLES,
  type TiEnrollment,
  type TiState,
  type TiUser,
  userBody,
} from './state.js';

export const REST_BASE = '/incoming/api/v1';

/**
 * What this sandbox serves beyond the guide, each only when started with its flag (see ../README.md). A real
 * tenant may lack every one of them, so a connector must work with all of them off.
 */
export const TI_UNDOCUMENTED = {
  groupsEndpoint: 'groups-endpoint',
  coursesEndpoint: 'courses-endpoint',
  graphqlEnrollments: 'graphql-enrollments',
  groupMemberDelete: 'group-member-delete',
  unenrollEndpoint: 'unenroll-endpoint',
} as const;

export const TI_UNDOCUMENTED_FLAGS: Readonly<Record<string, string>> = {
  [TI_UNDOCUMENTED.groupsEndpoint]: 'GET /groups: every group as {groups: [{id, name}]}',
  [TI_UNDOCUMENTED.coursesEndpoint]: 'GET /courses: paged {courses: [{id, title, published}], total}',
  [TI_UNDOCUMENTED.graphqlEnrollments]:
    'GraphQL User.enrollments { courseId status completedAt } and users(perPage:), shown by introspection',
  [TI_UNDOCUMENTED.groupMemberDelete]: 'DELETE /groups/{groupId}/users/{userId}: remove a member',
  [TI_UNDOCUMENTED.unenrollEndpoint]: 'DELETE /courses/{courseId}/enrollments/{userId}: unenroll',
};

export const DEFAULT_PER_PAGE = 25;
export const MAX_PER_PAGE = 100;

type ErrorBody = (status: number, message: string) => unknown;

export interface Paging {
  page: number;
  perPage: number;
}

/** page/per_page: 1-based pages, 25 by default; a per_page above 100 is clamped without a word. */
export function parsePaging(query: Record<string, unknown>): Paging | string {
  const page = intParam(query['page'], 1);
  const perPage = intParam(query['per_page'], DEFAULT_PER_PAGE);
  if (page === null || page < 1) return 'page must be a positive integer';
  if (perPage === null || perPage < 1) return 'per_page must be a positive integer';
  return { page, perPage: Math.min(perPage, MAX_PER_PAGE) };
}

function intParam(value: unknown, fallback: number): number | null {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** One page of an ordered list; pages after the first may see a concurrent insert or removal. */
export function pageOf<T>(
  listing: string,
  items: readonly T[],
  paging: Paging,
  page: SandboxContext<unknown>['page'],
): T[] {
  return page(listing, items, (paging.page - 1) * paging.perPage, paging.perPage);
}

const customFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const nullableString = z.string().nullable().optional();
const userWriteSchema = z.object({
  email: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
    .optional(),
  firstName: nullableString,
  lastName: nullableString,
  password: z.string().min(1).optional(),
  role: z.enum(TI_ROLES).nullable().optional(),
  groups: z.array(z.string()).optional(),
  customFields: z.record(z.string(), customFieldValue).optional(),
  active: z.boolean().optional(),
  ssoId: nullableString,
  avatarUrl: nullableString,
  language: nullableString,
});
type UserWrite = z.infer<typeof userWriteSchema>;

const userIdBody = z.object({ userId: z.string().min(1) });

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'Request body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(400, `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Keeps only the tenant's configured keys: the rest are dropped without an error. */
function knownCustomFields(
  state: TiState,
  fields: Record<string, CustomFieldValue>,
): Record<string, CustomFieldValue> {
  const out: Record<string, CustomFieldValue> = {};
  for (const key of state.customFieldKeys) if (Object.hasOwn(fields, key)) out[key] = fields[key] ?? null;
  return out;
}

function checkGroups(state: TiState, groups: string[]): string[] {
  const unknown = groups.filter((g) => !state.groups.has(g));
  if (unknown.length > 0) throw new ApiError(400, `Unknown group id(s): ${unknown.join(', ')}`);
  return [...new Set(groups)];
}

function checkEmailFree(state: TiState, email: string, self: TiUser | null): void {
  const holder = findUserByEmail(state, email);
  if (holder && holder !== self) {
    throw new ApiError(state.config.duplicateEmailStatus, `A user with email ${email} already exists`);
  }
}

function userOr404(state: TiState, id: string): TiUser {
  const user = state.usersById.get(id);
  if (!user) throw new ApiError(404, `User ${id} not found`);
  return user;
}

export function registerRoutes(
  app: FastifyInstance,
  ctx: SandboxContext<TiState>,
  errorBody: ErrorBody,
): void {
  const B = REST_BASE;
  type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;
  const wrap =
    (handler: Handler) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      try {
        return await handler(request, reply);
      } catch (error) {
        if (error instanceof ApiError)
          return reply.code(error.status).send(errorBody(error.status, error.message));
        throw error;
      }
    };
  const query = (request: FastifyRequest) => request.query as Record<string, unknown>;
  const param = (request: FastifyRequest, name: string) =>
    (request.params as Record<string, string>)[name] ?? '';
  const paging = (request: FastifyRequest): Paging => {
    const p = parsePaging(query(request));
    if (typeof p === 'string') throw new ApiError(400, p);
    return p;
  };
  const touch = (user: TiUser) => {
    user.updatedAt = ctx.now().toISOString();
  };

  // List Users: offset paging with page/per_page (default 25, max 100); `?email=` resolves one user, and a
  // miss is a 404 (the guide's sync scenario: "If user does not exist (404), call POST").
  app.get(
    `${B}/users`,
    wrap((request) => {
      const q = query(request);
      const state = ctx.state;
      if (q['email'] !== undefined) {
        if (typeof q['email'] !== 'string' || q['email'] === '')
          throw new ApiError(400, 'email must be a string');
        const user = findUserByEmail(state, q['email']);
        if (!user) throw new ApiError(404, `User with email ${q['email']} not found`);
        return { users: [userBody(user)], total: 1 };
      }
      const users = pageOf('users', state.users, paging(request), ctx.page).map(userBody);
      return { users, total: state.users.length };
    }),
  );

  // Get User by ID: 404 when the id is not in the tenant.
  app.get(
    `${B}/users/:id`,
    wrap((request) => ({ user: userBody(userOr404(ctx.state, param(request, 'id'))) })),
  );

  // Create User: email required and unique per tenant (case-insensitive); password optional and write-only.
  app.post(
    `${B}/users`,
    wrap((request) => {
      const state = ctx.state;
      const body = parseBody(userWriteSchema, request.body);
      if (body.email === undefined) throw new ApiError(400, 'email: is required');
      checkEmailFree(state, body.email, null);
      const now = ctx.now().toISOString();
      const user: TiUser = {
        id: newId(state, 'user'),
        email: body.email,
        firstName: body.firstName ?? null,
        lastName: body.lastName ?? null,
        role: body.role === undefined ? 'learner' : body.role,
        groups: checkGroups(state, body.groups ?? []),
        customFields: knownCustomFields(state, body.customFields ?? {}),
        createdAt: now,
        updatedAt: now,
        active: body.active ?? true,
        ssoId: body.ssoId ?? null,
        avatarUrl: body.avatarUrl ?? null,
        language: body.language ?? null,
        lastActiveAt: null,
        passwordSet: body.password !== undefined,
      };
      addUser(state, user);
      const out = userBody(user);
      ctx.emit('user.created', { user: out });
      return { user: out };
    }),
  );

  // Update User: full object replacement ("may apply full object replacement semantics"): every omitted
  // field goes back to its empty value, `active` to true; email (the login) and password are kept.
  app.put(
    `${B}/users/:id`,
    wrap((request) => {
      const state = ctx.state;
      const user = userOr404(state, param(request, 'id'));
      const body = parseBody(userWriteSchema, request.body);
      const groups = body.groups === undefined ? undefined : checkGroups(state, body.groups);
      if (body.email !== undefined) checkEmailFree(state, body.email, user);
      const next =
        state.config.putSemantics === 'replace' ? replaced(body, groups) : merged(user, body, groups);
      if (next.customFields !== undefined) next.customFields = knownCustomFields(state, next.customFields);
      if (body.email !== undefined && body.email !== user.email) {
        state.userIdByEmail.delete(user.email.toLowerCase());
        state.userIdByEmail.set(body.email.toLowerCase(), user.id);
        user.email = body.email;
      }
      Object.assign(user, next);
      if (body.password !== undefined) user.passwordSet = true;
      touch(user);
      const out = userBody(user);
      ctx.emit('user.updated', { user: out });
      return { user: out };
    }),
  );

  // No PATCH: the guide leaves partial update unconfirmed, so the sandbox has none.
  app.patch(
    `${B}/users/:id`,
    wrap((_request, reply) => {
      reply.header('allow', 'GET, PUT, DELETE');
      throw new ApiError(405, 'Method PATCH not allowed; use PUT with the full user object');
    }),
  );

  // Delete User: permanent; the user and its enrollment history are gone.
  app.delete(
    `${B}/users/:id`,
    wrap((request) => {
      removeUser(ctx.state, userOr404(ctx.state, param(request, 'id')));
      return { success: true };
    }),
  );

  // Get User Enrollments: paged like the user list ("may be paginated for users with many courses"), and the
  // answer carries no total: a client pages until a short page.
  app.get(
    `${B}/users/:id/enrollments`,
    wrap((request) => {
      const user = userOr404(ctx.state, param(request, 'id'));
      const enrollments = pageOf(
        `users/${user.id}/enrollments`,
        enrollmentsOf(ctx.state, user.id),
        paging(request),
        ctx.page,
      );
      return { enrollments: enrollments.map(enrollmentBody) };
    }),
  );

  // Groups list: not in the guide (flag `groups-endpoint`): lets clients resolve group ids (small, unpaged).
  if (ctx.undocumented(TI_UNDOCUMENTED.groupsEndpoint)) {
    app.get(
      `${B}/groups`,
      wrap(() => ({ groups: [...ctx.state.groups.values()].map((g) => ({ ...g })) })),
    );
  }

  // Add User to Group: the group must exist ("adding a user to a non-existent group returns an error").
  app.post(
    `${B}/groups/:groupId/users`,
    wrap((request) => {
      const state = ctx.state;
      const groupId = param(request, 'groupId');
      if (!state.groups.has(groupId)) throw new ApiError(404, `Group ${groupId} not found`);
      const { userId } = parseBody(userIdBody, request.body);
      const user = userOr404(state, userId);
      if (!user.groups.includes(groupId)) {
        user.groups.push(groupId);
        touch(user);
        ctx.emit('user.updated', { user: userBody(user) });
      }
      return { success: true };
    }),
  );

  // Remove User from Group: not in the guide (flag `group-member-delete`); the mirror of Add. Not a member is
  // a 404. The documented way is a PUT of the user with the group left out of its `groups`.
  if (ctx.undocumented(TI_UNDOCUMENTED.groupMemberDelete)) {
    app.delete(
      `${B}/groups/:groupId/users/:userId`,
      wrap((request) => {
        const state = ctx.state;
        const groupId = param(request, 'groupId');
        if (!state.groups.has(groupId)) throw new ApiError(404, `Group ${groupId} not found`);
        const user = userOr404(state, param(request, 'userId'));
        const index = user.groups.indexOf(groupId);
        if (index < 0) throw new ApiError(404, `User ${user.id} is not a member of group ${groupId}`);
        user.groups.splice(index, 1);
        touch(user);
        ctx.emit('user.updated', { user: userBody(user) });
        return { success: true };
      }),
    );
  }

  // Courses list: not in the guide (flag `courses-endpoint`): paged like users, resolves course ids.
  if (ctx.undocumented(TI_UNDOCUMENTED.coursesEndpoint)) {
    app.get(
      `${B}/courses`,
      wrap((request) => ({
        courses: pageOf('courses', ctx.state.courseOrder, paging(request), ctx.page).map((c) => ({ ...c })),
        total: ctx.state.courseOrder.length,
      })),
    );
  }

  // Enroll (common scenario 1): the course must be published and the user active, else 422 saying which.
  app.post(
    `${B}/courses/:courseId/enrollments`,
    wrap((request) => {
      const state = ctx.state;
      const courseId = param(request, 'courseId');
      const course = state.courses.get(courseId);
      if (!course) throw new ApiError(404, `Course ${courseId} not found`);
      const { userId } = parseBody(userIdBody, request.body);
      const user = userOr404(state, userId);
      const problems: string[] = [];
      if (!course.published) problems.push(`course ${course.id} is not published`);
      if (!user.active) problems.push(`user ${user.id} is not active`);
      if (problems.length > 0) throw new ApiError(422, `Cannot enroll: ${problems.join(' and ')}`);
      let byCourse = state.enrollments.get(user.id);
      if (!byCourse) {
        byCourse = new Map();
        state.enrollments.set(user.id, byCourse);
      }
      if (byCourse.has(course.id)) {
        throw new ApiError(400, `User ${user.id} is already enrolled in course ${course.id}`);
      }
      const enrollment: TiEnrollment = {
        courseId: course.id,
        status: 'not_started',
        completedAt: null,
        enrolledAt: ctx.now().toISOString(),
      };
      byCourse.set(course.id, enrollment);
      const out = { userId: user.id, ...enrollmentBody(enrollment) };
      ctx.emit('user.enrolled', { enrollment: out });
      return { enrollment: out };
    }),
  );

  // Unenroll: not in the guide (flag `unenroll-endpoint`). Not enrolled is a 404.
  if (ctx.undocumented(TI_UNDOCUMENTED.unenrollEndpoint)) {
    app.delete(
      `${B}/courses/:courseId/enrollments/:userId`,
      wrap((request) => {
        const state = ctx.state;
        const courseId = param(request, 'courseId');
        if (!state.courses.has(courseId)) throw new ApiError(404, `Course ${courseId} not found`);
        const user = userOr404(state, param(request, 'userId'));
        const byCourse = state.enrollments.get(user.id);
        if (!byCourse?.delete(courseId)) {
          throw new ApiError(404, `User ${user.id} is not enrolled in course ${courseId}`);
        }
        if (byCourse.size === 0) state.enrollments.delete(user.id);
        return { success: true };
      }),
    );
  }
}

export function enrollmentBody(e: TiEnrollment): {
  courseId: string;
  status: string;
  completedAt: string | null;
} {
  return { courseId: e.courseId, status: e.status, completedAt: e.completedAt };
}

type UserFields = Partial<
  Omit<TiUser, 'id' | 'email' | 'createdAt' | 'updatedAt' | 'lastActiveAt' | 'passwordSet'>
>;

/** PUT as full replacement: what the body omits is reset. */
function replaced(body: UserWrite, groups: string[] | undefined): UserFields {
  return {
    firstName: body.firstName ?? null,
    lastName: body.lastName ?? null,
    role: body.role ?? null,
    groups: groups ?? [],
    customFields: body.customFields ?? {},
    active: body.active ?? true,
    ssoId: body.ssoId ?? null,
    avatarUrl: body.avatarUrl ?? null,
    language: body.language ?? null,
  };
}

/** PUT as a merge (config `putSemantics: 'merge'`): what the body omits is kept. */
function merged(user: TiUser, body: UserWrite, groups: string[] | undefined): UserFields {
  const pick = <K extends keyof UserFields>(key: K, value: UserFields[K] | undefined): UserFields[K] =>
    value === undefined ? (user[key] as UserFields[K]) : value;
  return {
    firstName: pick('firstName', body.firstName),
    lastName: pick('lastName', body.lastName),
    role: pick('role', body.role),
    groups: pick('groups', groups),
    customFields: { ...user.customFields, ...body.customFields },
    active: pick('active', body.active),
    ssoId: pick('ssoId', body.ssoId),
    avatarUrl: pick('avatarUrl', body.avatarUrl),
    language: pick('language', body.language),
  };
}

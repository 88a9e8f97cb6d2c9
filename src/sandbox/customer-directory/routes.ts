/** @module The customer-directory users API: list, lookup, get, PATCH v1/v2 and DELETE, plus assumed roles/groups. */

import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../kit/server.js';
import {
  type CdNamed,
  type CdState,
  type CdUser,
  changeEmail,
  IDENTITY_TYPES,
  INTEGRATIONS,
  identityKey,
  isoSeconds,
  OBJECT_ID,
  removeUser,
  SUPER_DELEGATE_PERMISSIONS,
} from './state.js';

export const CUSTOMER_BASE = '/api/v1/customers/:customerId';

/** What this sandbox serves beyond the guide, each only when started with its flag (see ../README.md). */
export const CD_UNDOCUMENTED_FLAGS: Readonly<Record<string, string>> = {
  'roles-endpoint': 'GET /api/v1/customers/{customerId}/roles: every role as {_id, name} (bare or {roles})',
  'groups-endpoint':
    'GET /api/v1/customers/{customerId}/groups: every group as {_id, name} (bare or {groups})',
};

/** The guide prints no error body; the sandbox answers `{ statusCode, error, message }` (see README). */
export function errorBody(
  status: number,
  message: string,
): { statusCode: number; error: string; message: string } {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
}

/** A user exactly as the guide's response schema, plus the assumed `roleIds` and `delegateIds`. */
export function renderUser(user: CdUser): Record<string, unknown> {
  const out: Record<string, unknown> = {
    _id: user._id,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
  // isSuperDelegate and superDelegatePermissions are "Optional": present only for super delegates.
  if (user.isSuperDelegate) out['isSuperDelegate'] = true;
  out['email'] = user.email;
  out['firstName'] = user.firstName;
  out['jobTitle'] = user.jobTitle;
  out['lastName'] = user.lastName;
  out['nickname'] = user.nickname;
  out['status'] = user.status;
  // The optional strings are left out when never set, not sent as null or "".
  for (const field of ['seniority', 'department', 'office', 'subdepartment', 'pod'] as const) {
    const value = user[field];
    if (value !== null) out[field] = value;
  }
  // "groupIds ... nullable": a user in no group has null, not [].
  out['groupIds'] = user.groupIds.length > 0 ? [...user.groupIds] : null;
  if (user.isSuperDelegate) out['superDelegatePermissions'] = { ...SUPER_DELEGATE_PERMISSIONS };
  out['roleIds'] = [...user.roleIds];
  out['delegateIds'] = [...user.delegateIds];
  return out;
}

function list<T>(state: CdState, key: string, items: T[]): T[] | Record<string, T[]> {
  return state.config.listShape === 'array' ? items : { [key]: items };
}

/** The token is scoped to one customer: a malformed customerId is a 400, another customer's a 403. */
function customerGuard(ctx: SandboxContext<CdState>, request: FastifyRequest, reply: FastifyReply): boolean {
  const { customerId } = request.params as { customerId: string };
  if (!OBJECT_ID.test(customerId)) {
    reply
      .code(400)
      .send(errorBody(400, `customerId must be a 24-character hex object id, got "${customerId}"`));
    return false;
  }
  if (customerId.toLowerCase() !== ctx.state.customerId) {
    reply.code(403).send(errorBody(403, 'This access token does not grant access to that customer'));
    return false;
  }
  return true;
}

/** The user named by `:userId`, or an answer sent (400 malformed id, 404 unknown). */
function userFrom(ctx: SandboxContext<CdState>, request: FastifyRequest, reply: FastifyReply): CdUser | null {
  const { userId } = request.params as { userId: string };
  if (!OBJECT_ID.test(userId)) {
    reply.code(400).send(errorBody(400, `userId must be a 24-character hex object id, got "${userId}"`));
    return null;
  }
  const user = ctx.state.users.get(userId.toLowerCase());
  if (!user) {
    reply.code(404).send(errorBody(404, `User ${userId} not found`));
    return null;
  }
  return user;
}

const objectIds = z.array(z.string().regex(OBJECT_ID, 'must be a 24-character hex object id'));
/** PATCH v2 body: every field "if set, will update". Unknown fields (delegateIds on v2) are dropped. */
const patchV2Body = z
  .object({
    firstName: z.string().min(1),
    email: z.email(),
    jobTitle: z.string(),
    lastName: z.string().min(1),
    nickname: z.string(),
    roleIds: objectIds,
    seniority: z.string(),
    department: z.string(),
    office: z.string(),
    subdepartment: z.string(),
    pod: z.string(),
  })
  .partial();
const patchV1Body = patchV2Body.extend({ delegateIds: objectIds.optional() });
type PatchBody = z.infer<typeof patchV1Body>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

function applyPatch(
  ctx: SandboxContext<CdState>,
  user: CdUser,
  body: PatchBody,
): { status: 400 | 409; message: string } | null {
  const state = ctx.state;
  if (body.roleIds) {
    const unknown = body.roleIds.filter((id) => !state.roles.has(id.toLowerCase()));
    if (unknown.length > 0) return { status: 400, message: `Unknown roleIds: ${unknown.join(', ')}` };
  }
  if (body.delegateIds) {
    const unknown = body.delegateIds.filter(
      (id) => id.toLowerCase() === user._id || !state.users.has(id.toLowerCase()),
    );
    if (unknown.length > 0) return { status: 400, message: `Unknown delegateIds: ${unknown.join(', ')}` };
  }
  if (body.email !== undefined) {
    const owner = state.byEmail.get(body.email.toLowerCase());
    if (owner !== undefined && owner !== user._id) {
      return { status: 409, message: `Another user already has the email ${body.email}` };
    }
  }
  let changed = false;
  for (const field of ['firstName', 'jobTitle', 'lastName', 'nickname'] as const) {
    const value = body[field];
    if (value !== undefined) {
      user[field] = value;
      changed = true;
    }
  }
  for (const field of ['seniority', 'department', 'office', 'subdepartment', 'pod'] as const) {
    const value = body[field];
    if (value !== undefined) {
      user[field] = value;
      changed = true;
    }
  }
  if (body.email !== undefined) {
    changeEmail(state, user, body.email);
    changed = true;
  }
  if (body.roleIds) {
    user.roleIds = [...new Set(body.roleIds.map((id) => id.toLowerCase()))];
    changed = true;
  }
  if (body.delegateIds) {
    user.delegateIds = [...new Set(body.delegateIds.map((id) => id.toLowerCase()))];
    changed = true;
  }
  if (changed) user.updatedAt = isoSeconds(ctx.now());
  return null;
}

export function registerRoutes(app: FastifyInstance, ctx: SandboxContext<CdState>): void {
  // GET /api/v1/customers/{customerId}/users: `integration` is a required enum the guide leaves blank;
  // `search` matches first & last names, nickname and email. No pagination is documented: every user at once.
  app.get(`${CUSTOMER_BASE}/users`, async (request, reply) => {
    if (!customerGuard(ctx, request, reply)) return reply;
    const query = request.query as { integration?: string; search?: string };
    if (!INTEGRATIONS.includes(query.integration as (typeof INTEGRATIONS)[number])) {
      const got = query.integration === undefined ? 'it is missing' : `got "${query.integration}"`;
      return reply
        .code(400)
        .send(
          errorBody(400, `integration is required and must be one of: ${INTEGRATIONS.join(', ')} (${got})`),
        );
    }
    const needle = (query.search ?? '').trim().toLowerCase();
    const users: Record<string, unknown>[] = [];
    for (const user of ctx.state.users.values()) {
      if (
        ctx.state.config.integrationFilters &&
        !user.identities.some((identity) => identity.type === query.integration)
      ) {
        continue;
      }
      if (
        needle !== '' &&
        !user.firstName.toLowerCase().includes(needle) &&
        !user.lastName.toLowerCase().includes(needle) &&
        !user.nickname.toLowerCase().includes(needle) &&
        !user.email.toLowerCase().includes(needle)
      ) {
        continue;
      }
      users.push(renderUser(user));
    }
    // "application/json or": a bare array by default, `{ users }` when config.listShape is 'object'.
    return list(ctx.state, 'users', users);
  });

  // GET /api/v1/customers/{customerId}/users/lookup: the guide renders type/value/customerId under the
  // response; they are query parameters naming one external identity. None found is a 404.
  app.get(`${CUSTOMER_BASE}/users/lookup`, async (request, reply) => {
    if (!customerGuard(ctx, request, reply)) return reply;
    const query = request.query as { type?: string; value?: string; customerId?: string };
    if (!IDENTITY_TYPES.includes(query.type as (typeof IDENTITY_TYPES)[number])) {
      const got = query.type === undefined ? 'it is missing' : `got "${query.type}"`;
      return reply
        .code(400)
        .send(errorBody(400, `type is required and must be one of: ${IDENTITY_TYPES.join(', ')} (${got})`));
    }
    if (query.value === undefined || query.value === '') {
      return reply.code(400).send(errorBody(400, 'value is required'));
    }
    if (query.customerId !== undefined) {
      if (!OBJECT_ID.test(query.customerId)) {
        return reply.code(400).send(errorBody(400, 'customerId must be a 24-character hex object id'));
      }
      if (query.customerId.toLowerCase() !== ctx.state.customerId) {
        return reply
          .code(403)
          .send(errorBody(403, 'This access token does not grant access to that customer'));
      }
    }
    // type=email finds the user's current email (case-insensitive); other types match the identity exactly.
    const id =
      query.type === 'email'
        ? ctx.state.byEmail.get(query.value.toLowerCase())
        : ctx.state.byIdentity.get(identityKey(query.type as string, query.value));
    const user = id === undefined ? undefined : ctx.state.users.get(id);
    if (!user) {
      return reply.code(404).send(errorBody(404, `No user with a ${query.type} identity "${query.value}"`));
    }
    return renderUser(user);
  });

  // GET /api/v1/customers/{customerId}/users/{userId}: "returns a user by its id".
  app.get(`${CUSTOMER_BASE}/users/:userId`, async (request, reply) => {
    if (!customerGuard(ctx, request, reply)) return reply;
    const user = userFrom(ctx, request, reply);
    return user ? renderUser(user) : reply;
  });

  // PATCH v1 and v2 "updates a user": each field "if set, will update"; v1 also takes delegateIds, v2 drops it.
  for (const [version, schema] of [
    ['v1', patchV1Body],
    ['v2', patchV2Body],
  ] as const) {
    app.patch(`/api/${version}/customers/:customerId/users/:userId`, async (request, reply) => {
      if (!customerGuard(ctx, request, reply)) return reply;
      const user = userFrom(ctx, request, reply);
      if (!user) return reply;
      const parsed = schema.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send(errorBody(400, describeIssues(parsed.error)));
      const failure = applyPatch(ctx, user, parsed.data);
      if (failure) return reply.code(failure.status).send(errorBody(failure.status, failure.message));
      return renderUser(user);
    });
  }

  // DELETE /api/v1/customers/{customerId}/users/{userId}: answers the deleted user; the isForwarded and
  // originalPrincipal* query parameters are accepted and have no effect. The user is gone: a second DELETE is 404.
  app.delete(`${CUSTOMER_BASE}/users/:userId`, async (request, reply) => {
    if (!customerGuard(ctx, request, reply)) return reply;
    const user = userFrom(ctx, request, reply);
    if (!user) return reply;
    const body = renderUser(user);
    removeUser(ctx.state, user);
    return body;
  });

  // Not in the guide (flags `roles-endpoint`, `groups-endpoint`): the roles PATCH roleIds refers to, and the
  // groups behind groupIds. Without the flag the path is unknown, as on an instance that lacks it.
  for (const kind of ['roles', 'groups'] as const) {
    if (!ctx.undocumented(`${kind}-endpoint`)) continue;
    app.get(`${CUSTOMER_BASE}/${kind}`, async (request, reply) => {
      if (!customerGuard(ctx, request, reply)) return reply;
      const items: CdNamed[] = [...ctx.state[kind].values()].map((item) => ({
        _id: item._id,
        name: item.name,
      }));
      return list(ctx.state, kind, items);
    });
  }
}

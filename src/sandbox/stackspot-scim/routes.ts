/** @module The StackSpot SCIM Users API: list/filter/page, get, create, replace, patch and delete, per tenant. */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../kit/server.js';
import { applyOperation, PATCH_OP_SCHEMA, PatchError, type PatchOpName } from './patch.js';
import {
  addUser,
  CORE_SCHEMA,
  CUSTOM_SCHEMA,
  isoSeconds,
  newUserId,
  removeUser,
  renameUser,
  type SsState,
  type SsUser,
} from './state.js';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 100;
const SCIM_JSON = 'application/scim+json; charset=utf-8';

export interface ScimError {
  schemas: string[];
  status: string;
  detail: string;
  scimType?: string;
}

/** SCIM Error JSON (RFC 7644 §3.12): `status` is a string. */
export function errorBody(status: number, message: string, scimType?: string): ScimError {
  const body: ScimError = { schemas: [ERROR_SCHEMA], status: String(status), detail: message };
  if (scimType !== undefined) body.scimType = scimType;
  return body;
}

function fail(reply: FastifyReply, status: number, detail: string, scimType?: string): FastifyReply {
  return reply
    .code(status)
    .type(SCIM_JSON)
    .send(errorBody(status, detail, scimType));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function emailDisplay(type: string): string {
  return `${type.charAt(0).toUpperCase()}${type.slice(1).toLowerCase()} Email`;
}

/**
 * A user as the guide's examples print it: StackSpot's own flat fields (is_blocked, never_logged, human,
 * required_actions...), the extension's known fields flattened, and no `active` unless config.echoActive.
 */
export function renderUser(user: SsUser, state: SsState): Record<string, unknown> {
  const ext = user.extension ?? {};
  const out: Record<string, unknown> = {
    attributes: null,
    block_and_date: '',
    block_start_date: '',
    block_type_name: '',
    company: text(ext['company']),
    displayName: user.displayName,
    emails: user.emails.map((email) => ({
      display: emailDisplay(email.type),
      type: email.type,
      value: email.value,
    })),
    gender: text(ext['gender']),
    groups: null,
    hire_date: text(ext['hireDate']),
    human: typeof ext['human'] === 'boolean' ? ext['human'] : true,
    id: user.id,
    is_blocked: !user.active || ext['blocked'] === true,
    is_email_verified: ext['is_email_verified'] === true,
    is_phone_verified: false,
    machine_name: text(ext['machineName']),
    meta: {
      resourceType: 'User',
      created: user.created,
      lastModified: user.lastModified,
      location: `Users/${user.id}`,
      version: String(user.version),
    },
    name: {
      familyName: user.familyName,
      formatted: [user.givenName, user.familyName].filter((part) => part !== '').join(' '),
      givenName: user.givenName,
    },
    never_logged: user.neverLogged,
    phoneNumbers: user.phoneNumbers.map((phone) => ({ value: phone.value })),
    preferredLanguage: user.preferredLanguage,
    preferredLoginName: text(ext['preferredLoginName']),
    profileUrl: user.profileUrl,
    properties: ext['properties'] ?? null,
    required_actions: [...user.requiredActions],
    resource_owner: text(ext['resourceOwner']),
    schemas: [CORE_SCHEMA, CUSTOM_SCHEMA],
    userName: user.userName,
  };
  if (user.externalId !== null) out['externalId'] = user.externalId;
  if (user.extension !== null) out[CUSTOM_SCHEMA] = structuredClone(user.extension);
  if (state.config.echoActive) out['active'] = user.active;
  return out;
}

/**
 * The tenant comes from the path (`/{tenant}/scim/Users`, the examples) or the X-Tenant-Id header
 * (`/scim/Users`, the endpoint table). Another tenant than the token's is answered per config.wrongTenantStatus.
 */
function tenantGuard(ctx: SandboxContext<SsState>, request: FastifyRequest, reply: FastifyReply): boolean {
  const fromPath = (request.params as { tenant?: string }).tenant;
  const header = request.headers['x-tenant-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromPath === undefined && (fromHeader === undefined || fromHeader === '')) {
    fail(reply, 400, 'X-Tenant-Id header is required', 'invalidValue');
    return false;
  }
  const wanted = [fromPath, fromHeader].filter(
    (value): value is string => value !== undefined && value !== '',
  );
  if (wanted.some((tenant) => tenant !== ctx.state.tenant)) {
    const status = ctx.state.config.wrongTenantStatus;
    fail(reply, status, status === 404 ? 'Tenant not found' : 'The token has no access to this tenant');
    return false;
  }
  return true;
}

function userFrom(ctx: SandboxContext<SsState>, request: FastifyRequest, reply: FastifyReply): SsUser | null {
  const { id } = request.params as { id: string };
  const user = ctx.state.users.get(id);
  if (!user) {
    fail(reply, 404, `User ${id} not found`);
    return null;
  }
  return user;
}

/** startIndex/count as RFC 7644 §3.4.2.4: 1-based, below 1 is 1; count defaults to 100, larger is clamped. */
function paging(query: Record<string, string | undefined>): { startIndex: number; count: number } | string {
  const parse = (raw: string | undefined, fallback: number): number | null => {
    if (raw === undefined || raw === '') return fallback;
    return /^-?\d+$/.test(raw.trim()) ? Number.parseInt(raw, 10) : null;
  };
  const startIndex = parse(query['startIndex'], 1);
  const count = parse(query['count'], DEFAULT_COUNT);
  if (startIndex === null) return 'startIndex must be an integer';
  if (count === null) return 'count must be an integer';
  return { startIndex: Math.max(1, startIndex), count: Math.min(MAX_COUNT, Math.max(0, count)) };
}

const FILTER = /^\s*(userName|emails\.value)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i;

/** Only `userName eq "…"` and `emails.value eq "…"` are understood; both compare case-insensitively. */
function filtered(state: SsState, filter: string): SsUser[] | null {
  const match = FILTER.exec(filter);
  if (!match) return null;
  const wanted = (match[2] ?? '').replace(/\\(.)/g, '$1').toLowerCase();
  if (match[1]?.toLowerCase() === 'username') {
    const id = state.byUserName.get(wanted);
    const user = id === undefined ? undefined : state.users.get(id);
    return user ? [user] : [];
  }
  const out: SsUser[] = [];
  for (const user of state.users.values()) {
    if (user.emails.some((email) => email.value.toLowerCase() === wanted)) out.push(user);
  }
  return out;
}

const emailSchema = z.object({
  type: z.string().default('work'),
  value: z.string(),
  primary: z.boolean().optional(),
  display: z.string().optional(),
});
const phoneSchema = z.object({
  value: z.string(),
  type: z.string().optional(),
  primary: z.boolean().optional(),
});
const nameSchema = z.object({
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  formatted: z.string().optional(),
});
/** domain.CreateUser: every field optional in the guide; userName is required here as RFC 7643 requires. */
const createSchema = z.object({
  userName: z.string().trim().min(1),
  externalId: z.string().optional(),
  active: z.boolean().optional(),
  displayName: z.string().optional(),
  nickName: z.string().optional(),
  locale: z.string().optional(),
  preferredLanguage: z.string().optional(),
  profileUrl: z.string().optional(),
  timezone: z.string().optional(),
  title: z.string().optional(),
  userType: z.string().optional(),
  password: z.string().optional(),
  name: nameSchema.optional(),
  emails: z.array(emailSchema).optional(),
  phoneNumbers: z.array(phoneSchema).optional(),
  [CUSTOM_SCHEMA]: z.record(z.string(), z.unknown()).optional(),
});
/** domain.UpdateUser (emails, name, phoneNumbers, the extension, userName) plus `active`. */
const replaceSchema = z.object({
  userName: z.string().trim().min(1).optional(),
  active: z.boolean().optional(),
  name: nameSchema.optional(),
  emails: z.array(emailSchema).optional(),
  phoneNumbers: z.array(phoneSchema).optional(),
  [CUSTOM_SCHEMA]: z.record(z.string(), z.unknown()).optional(),
});
const patchSchema = z.object({
  schemas: z.union([z.string(), z.array(z.string())]),
  Operations: z
    .array(z.object({ op: z.string(), path: z.string().optional(), value: z.unknown().optional() }))
    .min(1),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

function touch(ctx: SandboxContext<SsState>, user: SsUser): void {
  user.version += 1;
  user.lastModified = isoSeconds(ctx.now());
}

/** Users in creation order, cached until a user is added or removed (pages must not copy 100k users each). */
const orderCache = new WeakMap<Map<string, SsUser>, { size: number; list: SsUser[] }>();
function ordered(state: SsState): SsUser[] {
  const cached = orderCache.get(state.users);
  if (cached && cached.size === state.users.size) return cached.list;
  const list = [...state.users.values()];
  orderCache.set(state.users, { size: state.users.size, list });
  return list;
}
export function invalidateOrder(state: SsState): void {
  orderCache.delete(state.users);
}

export function registerRoutes(app: FastifyInstance, ctx: SandboxContext<SsState>): void {
  for (const base of ['/scim/Users', '/:tenant/scim/Users']) {
    // GET /scim/Users "Get All User": a SCIM ListResponse; itemsPerPage is the page size asked for, as the
    // guide's example answers itemsPerPage 100 for one resource.
    app.get(base, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const query = request.query as Record<string, string | undefined>;
      const page = paging(query);
      if (typeof page === 'string') return fail(reply, 400, page, 'invalidValue');
      let users: SsUser[];
      if (query['filter'] !== undefined) {
        const hits = filtered(ctx.state, query['filter']);
        if (hits === null) {
          return fail(
            reply,
            400,
            `Unsupported filter: ${query['filter']} (only userName eq and emails.value eq)`,
            'invalidFilter',
          );
        }
        users = hits;
      } else {
        users = ordered(ctx.state);
      }
      const offset = page.startIndex - 1;
      const slice = ctx.page(`Users?${String(query['filter'] ?? '')}`, users, offset, page.count);
      return reply.type(SCIM_JSON).send({
        Resources: slice.map((user) => renderUser(user, ctx.state)),
        itemsPerPage: page.count,
        schemas: [LIST_SCHEMA],
        startIndex: page.startIndex,
        totalResults: users.length,
      });
    });

    // GET /{tenant}/scim/Users/{id} "Get User By Id" (in the examples, not the endpoint table).
    app.get(`${base}/:id`, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const user = userFrom(ctx, request, reply);
      return user ? reply.type(SCIM_JSON).send(renderUser(user, ctx.state)) : reply;
    });

    // POST /scim/Users "Create a new User" → 201; a userName already taken (any case) is a 409 uniqueness.
    app.post(base, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const parsed = createSchema.safeParse(request.body ?? {});
      if (!parsed.success) return fail(reply, 400, describeIssues(parsed.error), 'invalidValue');
      const body = parsed.data;
      if (ctx.state.byUserName.has(body.userName.toLowerCase())) {
        return fail(reply, 409, `userName ${body.userName} is already in use`, 'uniqueness');
      }
      const now = isoSeconds(ctx.now());
      const givenName = body.name?.givenName ?? '';
      const familyName = body.name?.familyName ?? '';
      const user: SsUser = {
        id: newUserId(ctx.state),
        userName: body.userName,
        externalId: body.externalId ?? null,
        active: body.active ?? true,
        displayName: body.displayName ?? [givenName, familyName].filter((p) => p !== '').join(' '),
        givenName,
        familyName,
        emails: (body.emails ?? []).map(({ type, value, primary }) =>
          primary === undefined ? { type, value } : { type, value, primary },
        ),
        phoneNumbers: body.phoneNumbers ?? [],
        nickName: body.nickName ?? '',
        locale: body.locale ?? '',
        preferredLanguage: body.preferredLanguage ?? 'und',
        profileUrl: body.profileUrl ?? '',
        timezone: body.timezone ?? '',
        title: body.title ?? '',
        userType: body.userType ?? '',
        password: body.password ?? null,
        extension: body[CUSTOM_SCHEMA] ?? null,
        neverLogged: true,
        requiredActions: ['otp-configure'],
        created: now,
        lastModified: now,
        version: 1,
        key: null,
      };
      addUser(ctx.state, user);
      invalidateOrder(ctx.state);
      return reply.code(201).type(SCIM_JSON).send(renderUser(user, ctx.state));
    });

    // PUT /scim/Users/{id} "Update Users" with domain.UpdateUser: emails, name, phoneNumbers, the extension and
    // userName are replaced (absent → cleared, userName absent → kept); other attributes are not touched.
    app.put(`${base}/:id`, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const user = userFrom(ctx, request, reply);
      if (!user) return reply;
      const parsed = replaceSchema.safeParse(request.body ?? {});
      if (!parsed.success) return fail(reply, 400, describeIssues(parsed.error), 'invalidValue');
      const body = parsed.data;
      if (body.userName !== undefined) {
        const owner = ctx.state.byUserName.get(body.userName.toLowerCase());
        if (owner !== undefined && owner !== user.id) {
          return fail(reply, 409, `userName ${body.userName} is already in use`, 'uniqueness');
        }
        renameUser(ctx.state, user, body.userName);
      }
      user.givenName = body.name?.givenName ?? '';
      user.familyName = body.name?.familyName ?? '';
      user.emails = (body.emails ?? []).map(({ type, value, primary }) =>
        primary === undefined ? { type, value } : { type, value, primary },
      );
      user.phoneNumbers = body.phoneNumbers ?? [];
      user.extension = body[CUSTOM_SCHEMA] ?? null;
      // The resources carry no `active`, so a PUT of what was read back has none: RFC replace makes it true.
      if (body.active !== undefined) user.active = body.active;
      else if (ctx.state.config.putResetsActive) user.active = true;
      touch(ctx, user);
      return reply.type(SCIM_JSON).send(renderUser(user, ctx.state));
    });

    // PATCH /scim/Users/{id} "Patch Operation User": Operations with add/replace/remove (any case), all or nothing.
    app.patch(`${base}/:id`, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const user = userFrom(ctx, request, reply);
      if (!user) return reply;
      const parsed = patchSchema.safeParse(request.body ?? {});
      if (!parsed.success) return fail(reply, 400, describeIssues(parsed.error), 'invalidSyntax');
      const schemas = [parsed.data.schemas].flat();
      if (!schemas.includes(PATCH_OP_SCHEMA)) {
        return fail(reply, 400, `schemas must contain ${PATCH_OP_SCHEMA}`, 'invalidSyntax');
      }
      const draft = structuredClone(user);
      try {
        for (const operation of parsed.data.Operations) {
          const op = operation.op.toLowerCase();
          if (op !== 'add' && op !== 'replace' && op !== 'remove') {
            throw new PatchError('invalidSyntax', `Unknown op "${operation.op}"`);
          }
          applyOperation(draft, op as PatchOpName, operation.path, operation.value);
        }
      } catch (error) {
        if (error instanceof PatchError) return fail(reply, 400, error.message, error.scimType);
        throw error;
      }
      if (draft.userName !== user.userName) {
        const owner = ctx.state.byUserName.get(draft.userName.toLowerCase());
        if (owner !== undefined && owner !== user.id) {
          return fail(reply, 409, `userName ${draft.userName} is already in use`, 'uniqueness');
        }
        renameUser(ctx.state, user, draft.userName);
      }
      Object.assign(user, draft);
      touch(ctx, user);
      return reply.type(SCIM_JSON).send(renderUser(user, ctx.state));
    });

    // DELETE /scim/Users/{id} "Delete User" → 204 with no body; the user is gone (GET is 404 after).
    app.delete(`${base}/:id`, async (request, reply) => {
      if (!tenantGuard(ctx, request, reply)) return reply;
      const user = userFrom(ctx, request, reply);
      if (!user) return reply;
      removeUser(ctx.state, user);
      invalidateOrder(ctx.state);
      return reply.code(204).send();
    });
  }
}

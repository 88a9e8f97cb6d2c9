/** @module The Targetprocess REST API v1 routes the sandbox serves: Users, Roles, Teams and TeamMembers. */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../kit/server.js';
import {
  type CompiledWhere,
  compileWhere,
  type EntityDef,
  type FieldPlan,
  namedEntity,
  planFields,
  project,
  teamMemberEntity,
  userEntity,
} from './entities.js';
import { type IncludeSpec, parseFieldList, parseWhere, QueryError } from './query.js';
import { errorBody, negotiate, type ResponseFormat, send } from './render.js';
import {
  insertTeamMember,
  insertUser,
  membershipsOf,
  reindexUser,
  removeTeamMember,
  type TargetprocessState,
  type TpTeamMember,
  type TpUser,
} from './state.js';

export const API_PREFIX = '/api/v1';
/** Vendor docs: `take` defaults to 25; above 1000 it is treated as 1000, Next links included. */
export const DEFAULT_TAKE = 25;
export const MAX_TAKE = 1000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Call {
  request: FastifyRequest;
  query: URLSearchParams;
  state: TargetprocessState;
}

interface Answer {
  status?: number;
  root: string;
  body: unknown;
}

type Handler = (call: Call) => Answer;

function queryOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf('?');
  // URLSearchParams decodes `+` as a space, so `where=(Email+eq+'a@b.c')` reads as the guide prints it.
  return new URLSearchParams(at < 0 ? '' : request.url.slice(at + 1));
}

/** The real API matches paths regardless of case and with or without a trailing slash. */
function variants(path: string): string[] {
  return [...new Set([path, `${path}/`, path.toLowerCase(), `${path.toLowerCase()}/`])];
}

function fieldList(query: URLSearchParams, name: string): IncludeSpec[] | null {
  const raw = query.get(name);
  return raw === null ? null : parseFieldList(raw);
}

function plan<T>(def: EntityDef<T>, query: URLSearchParams): FieldPlan {
  return planFields(def, fieldList(query, 'include'), fieldList(query, 'exclude'));
}

function where<T>(def: EntityDef<T>, query: URLSearchParams): CompiledWhere<T> | null {
  const raw = query.get('where');
  if (raw === null || raw.trim() === '') return null;
  return compileWhere(def, parseWhere(raw));
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ApiError(400, `Invalid '${name}' parameter`);
  const value = Number(raw);
  if (value < min) throw new ApiError(400, `Invalid '${name}' parameter`);
  return value;
}

function pathId(request: FastifyRequest): number {
  const raw = (request.params as { id?: string }).id ?? '';
  if (!/^\d+$/.test(raw)) throw new ApiError(400, `Invalid Id '${raw}'`);
  return Number(raw);
}

function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function refId(value: unknown, what: string): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, `${what} must be a reference object with an Id`);
  }
  const id = (value as { Id?: unknown }).Id;
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new ApiError(400, `${what} must be referenced by Id`);
  }
  return id;
}

/**
 * One page of a list: Items, plus Next while more items exist and Prev when skip > 0, as absolute URLs that
 * keep every other query parameter. Pages after the first may drift (a record landed or vanished meanwhile).
 */
function page<T extends { Id: number }>(
  call: Call,
  ctx: SandboxContext<TargetprocessState>,
  def: EntityDef<T>,
  items: readonly T[],
): Answer {
  const fields = plan(def, call.query);
  const take = Math.min(intParam(call.query, 'take', DEFAULT_TAKE, 1), MAX_TAKE);
  const skip = intParam(call.query, 'skip', 0, 0);
  const slice = ctx.page(`${def.plural}?${call.query.get('where') ?? ''}`, items, skip, take);
  const link = (nextSkip: number) => {
    const params = new URLSearchParams(call.query);
    params.set('take', String(take));
    params.set('skip', String(nextSkip));
    const path = call.request.url.split('?')[0];
    return `${call.request.protocol}://${call.request.headers.host ?? 'localhost'}${path}?${params.toString()}`;
  };
  const body: Record<string, unknown> = {};
  if (skip > 0) body['Prev'] = link(Math.max(0, skip - take));
  if (skip + take < items.length) body['Next'] = link(skip + take);
  body['Items'] = slice.map((e) => project(def, e, fields));
  return { root: def.plural, body };
}

function filteredUsers(state: TargetprocessState, compiled: CompiledWhere<TpUser> | null): readonly TpUser[] {
  const hideDeleted = state.settings.excludeDeletedByDefault && !compiled?.paths.has('deletedate');
  if (!compiled && !hideDeleted) return state.users;
  const test = (u: TpUser) => (!hideDeleted || u.DeleteDate === null) && (!compiled || compiled.test(u));
  // Index lookups for the common exact-match filters, so finding one user among 100k is not a scan.
  const email = compiled?.equalities.get('email');
  const login = compiled?.equalities.get('login');
  const id = compiled?.equalities.get('id');
  let candidates: readonly TpUser[] = state.users;
  if (typeof email === 'string') candidates = [...(state.usersByEmail.get(email) ?? [])];
  else if (typeof login === 'string') candidates = [...(state.usersByLogin.get(login) ?? [])];
  else if (typeof id === 'number') candidates = state.usersById.has(id) ? [state.usersById.get(id)!] : [];
  const out = candidates.filter(test);
  if (candidates !== state.users) out.sort((a, b) => a.Id - b.Id);
  return out;
}

function filteredMembers(
  state: TargetprocessState,
  compiled: CompiledWhere<TpTeamMember> | null,
): TpTeamMember[] {
  const userId = compiled?.equalities.get('user.id') ?? compiled?.equalities.get('user');
  const candidates =
    typeof userId === 'number' ? membershipsOf(state, userId) : [...state.teamMembers.values()];
  return compiled ? candidates.filter((m) => compiled.test(m)) : candidates;
}

function nonEmptyString(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new ApiError(400, `${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ApiError(400, `${name} must be a non-empty string`);
  }
  return value;
}

function optionalBool(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ApiError(400, `${name} must be true or false`);
  return value;
}

/** Email must be unique (case-insensitively), soft-deleted users included: they keep their address. */
function assertUnique(
  state: TargetprocessState,
  field: 'Email' | 'Login',
  value: string,
  self: TpUser | null,
) {
  const index = field === 'Email' ? state.usersByEmail : state.usersByLogin;
  const other = (index.get(value.toLowerCase()) ?? []).find((u) => u !== self);
  if (!other) return;
  const deleted = other.DeleteDate !== null ? ' (by a deleted user)' : '';
  throw new ApiError(400, `${field} '${value}' is already in use${deleted}`);
}

/** Applies the given fields of a create/update body to a user; only the fields present change. */
function applyUserFields(
  state: TargetprocessState,
  user: TpUser,
  body: Record<string, unknown>,
  creating: boolean,
): void {
  const first = nonEmptyString(body, 'FirstName', creating);
  const last = nonEmptyString(body, 'LastName', creating);
  const email = nonEmptyString(body, 'Email', creating);
  const login = nonEmptyString(body, 'Login', creating);
  const password = nonEmptyString(body, 'Password', creating && !state.settings.sso);
  const active = optionalBool(body, 'IsActive');
  const admin = optionalBool(body, 'IsAdministrator');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) throw new ApiError(400, 'Email is not valid');
  let roleId: number | null | undefined;
  if (body['Role'] === null) roleId = null;
  else if (body['Role'] !== undefined) {
    // Roles are assigned by Id only (the guide: fetch /Roles to map names to Ids).
    roleId = refId(body['Role'], 'Role');
    if (!state.rolesById.has(roleId)) throw new ApiError(400, `Role with Id ${roleId} does not exist`);
  }
  if (email !== undefined) assertUnique(state, 'Email', email, creating ? null : user);
  if (login !== undefined) assertUnique(state, 'Login', login, creating ? null : user);
  if (first !== undefined) user.FirstName = first;
  if (last !== undefined) user.LastName = last;
  if (password !== undefined) user.password = password;
  if (active !== undefined) user.IsActive = active;
  if (admin !== undefined) user.IsAdministrator = admin;
  if (roleId !== undefined) user.RoleId = roleId;
  if (!creating) reindexUser(state, user, { Email: email, Login: login });
  else {
    user.Email = email!;
    user.Login = login!;
  }
}

function findUser(state: TargetprocessState, id: number): TpUser {
  const user = state.usersById.get(id);
  if (!user) throw new ApiError(404, `User with Id ${id} not found`);
  return user;
}

export function registerRoutes(app: FastifyInstance, ctx: SandboxContext<TargetprocessState>): void {
  const route = (method: 'GET' | 'POST' | 'DELETE', path: string, handler: Handler) => {
    const run = async (request: FastifyRequest, reply: FastifyReply) => {
      const query = queryOf(request);
      const state = ctx.state;
      let format: ResponseFormat = 'json';
      try {
        format = negotiate(query, request);
        const answer = handler({ request, query, state });
        return send(reply, { format, isoDates: state.settings.isoDates, ...answer });
      } catch (error) {
        if (!(error instanceof ApiError || error instanceof QueryError)) throw error;
        const status = error instanceof ApiError ? error.status : 400;
        return send(reply, {
          format,
          isoDates: false,
          status,
          root: 'Error',
          body: errorBody(status, error.message),
        });
      }
    };
    for (const url of variants(`${API_PREFIX}${path}`)) app.route({ method, url, handler: run });
  };
  // Guide: updates are POSTs to /Users/{id}; there is no PUT or PATCH verb.
  const notAllowed = (path: string, methods: ('PUT' | 'PATCH' | 'DELETE')[], allow: string) => {
    for (const url of variants(`${API_PREFIX}${path}`)) {
      app.route({
        method: methods,
        url,
        handler: async (_request, reply) =>
          reply
            .code(405)
            .header('allow', allow)
            .send(errorBody(405, 'The requested resource does not support this HTTP method')),
      });
    }
  };

  const users = () => userEntity(ctx.state);
  const members = () => teamMemberEntity(ctx.state);
  const roles = namedEntity('Role');
  const teams = namedEntity('Team');

  // List Users. Caveat: soft-deleted users still list unless the client filters `DeleteDate is null`.
  route('GET', '/Users', (call) => {
    const def = users();
    return page(call, ctx, def, filteredUsers(call.state, where(def, call.query)));
  });

  // Get User by ID: deleted users are retained and still answer, with DeleteDate set.
  route('GET', '/Users/:id', (call) => {
    const def = users();
    const user = findUser(call.state, pathId(call.request));
    return { root: 'User', body: project(def, user, plan(def, call.query)) };
  });

  // Create User. Real Targetprocess: a POST whose body carries an Id updates that user instead.
  route('POST', '/Users', (call) => {
    const body = bodyObject(call.request);
    if (body['Id'] !== undefined && body['Id'] !== null && body['Id'] !== 0) {
      if (typeof body['Id'] !== 'number') throw new ApiError(400, 'Id must be a number');
      return updateUser(call, findUser(call.state, body['Id']), body);
    }
    const now = ctx.now().toISOString();
    const user: TpUser = {
      Id: call.state.nextUserId,
      FirstName: '',
      LastName: '',
      Email: '',
      Login: '',
      IsActive: true,
      IsAdministrator: false,
      CreateDate: now,
      ModifyDate: now,
      DeleteDate: null,
      LastLoginDate: null,
      RoleId: null,
      password: null,
      key: null,
      externalId: null,
    };
    applyUserFields(call.state, user, body, true);
    insertUser(call.state, user);
    const def = users();
    return { root: 'User', body: project(def, user, plan(def, new URLSearchParams())) };
  });

  const updateUser = (call: Call, user: TpUser, body: Record<string, unknown>): Answer => {
    applyUserFields(call.state, user, body, false);
    user.ModifyDate = ctx.now().toISOString();
    const def = users();
    return { root: 'User', body: project(def, user, plan(def, new URLSearchParams())) };
  };

  // Update User: POST (not PUT/PATCH) to /Users/{id} with only the fields to change.
  route('POST', '/Users/:id', (call) =>
    updateUser(call, findUser(call.state, pathId(call.request)), bodyObject(call.request)),
  );

  // Delete User: a soft delete. DeleteDate is set, the record stays; a second DELETE is a 404.
  route('DELETE', '/Users/:id', (call) => {
    const user = findUser(call.state, pathId(call.request));
    if (user.DeleteDate !== null) throw new ApiError(404, `User with Id ${user.Id} is already deleted`);
    const now = ctx.now().toISOString();
    user.DeleteDate = now;
    user.ModifyDate = now;
    return { root: 'User', body: {} };
  });

  // List Roles: role Ids are what user create/update take.
  route('GET', '/Roles', (call) => {
    const compiled = where(roles, call.query);
    const items = compiled ? call.state.roles.filter((r) => compiled.test(r)) : call.state.roles;
    return page(call, ctx, roles, items);
  });
  route('GET', '/Roles/:id', (call) => {
    const role = call.state.rolesById.get(pathId(call.request));
    if (!role) throw new ApiError(404, 'Role not found');
    return { root: 'Role', body: project(roles, role, plan(roles, call.query)) };
  });

  // List Teams. Caveat: membership lives on TeamMembers, not on the User object.
  route('GET', '/Teams', (call) => {
    const compiled = where(teams, call.query);
    const items = compiled ? call.state.teams.filter((t) => compiled.test(t)) : call.state.teams;
    return page(call, ctx, teams, items);
  });
  route('GET', '/Teams/:id', (call) => {
    const team = call.state.teamsById.get(pathId(call.request));
    if (!team) throw new ApiError(404, 'Team not found');
    return { root: 'Team', body: project(teams, team, plan(teams, call.query)) };
  });

  // TeamMembers: where=(User.Id eq 42) or (Team.Id eq 10). Changes here do not touch the user's ModifyDate.
  route('GET', '/TeamMembers', (call) => {
    const def = members();
    return page(call, ctx, def, filteredMembers(call.state, where(def, call.query)));
  });
  route('GET', '/TeamMembers/:id', (call) => {
    const def = members();
    const member = call.state.teamMembers.get(pathId(call.request));
    if (!member) throw new ApiError(404, 'TeamMember not found');
    return { root: 'TeamMember', body: project(def, member, plan(def, call.query)) };
  });

  // Guide scenario: POST /TeamMembers with the stored User Id and the target Team Id.
  route('POST', '/TeamMembers', (call) => {
    const body = bodyObject(call.request);
    const userId = refId(body['User'], 'User');
    const teamId = refId(body['Team'], 'Team');
    if (!call.state.usersById.has(userId)) throw new ApiError(400, `User with Id ${userId} does not exist`);
    if (!call.state.teamsById.has(teamId)) throw new ApiError(400, `Team with Id ${teamId} does not exist`);
    if (membershipsOf(call.state, userId).some((m) => m.TeamId === teamId)) {
      throw new ApiError(400, 'The user is already a member of this team');
    }
    const member: TpTeamMember = { Id: call.state.nextTeamMemberId, UserId: userId, TeamId: teamId };
    insertTeamMember(call.state, member);
    const def = members();
    return { root: 'TeamMember', body: project(def, member, plan(def, new URLSearchParams())) };
  });

  route('DELETE', '/TeamMembers/:id', (call) => {
    const member = call.state.teamMembers.get(pathId(call.request));
    if (!member) throw new ApiError(404, 'TeamMember not found');
    removeTeamMember(call.state, member);
    return { root: 'TeamMember', body: {} };
  });

  notAllowed('/Users', ['PUT', 'PATCH', 'DELETE'], 'GET, POST');
  notAllowed('/Users/:id', ['PUT', 'PATCH'], 'GET, POST, DELETE');
  notAllowed('/TeamMembers', ['PUT', 'PATCH', 'DELETE'], 'GET, POST');
  notAllowed('/TeamMembers/:id', ['PUT', 'PATCH'], 'GET, DELETE');
}

/** @module The Process Street members API under /api/v1: members (list, get, invite, remove) and group membership. */

import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../kit/server.js';
import {
  addMember,
  addToGroup,
  avatarFor,
  homeOrganization,
  newId,
  PS_ROLES,
  type PsGroup,
  type PsMember,
  type PsState,
  removeFromGroup,
  removeMember,
  seatsUsed,
} from './state.js';

export const API_BASE = '/api/v1';

/** The guide prints no error body; the sandbox answers `{ error: <reason phrase>, message }` (see README). */
export function errorBody(status: number, message: string): { error: string; message: string } {
  return { error: STATUS_CODES[status] ?? 'Error', message };
}

export interface Paging {
  offset: number;
  limit: number;
}

/**
 * offset/limit with a page size the guide never documents: 20 when `limit` is absent, and a larger `limit`
 * is clamped to 100 without a word. No total and no next link: a client pages until a short page.
 */
export function parsePaging(query: Record<string, unknown>, config: PsState['config']): Paging | string {
  const offset = intParam(query['offset'], 0);
  const limit = intParam(query['limit'], config.defaultPageSize);
  if (offset === null) return 'offset must be a non-negative integer';
  if (limit === null || limit < 1) return 'limit must be a positive integer';
  return { offset, limit: Math.min(limit, config.maxPageSize) };
}

function intParam(value: unknown, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** One page of an ordered list; pages after the first may see a concurrent insert or removal. */
function pageOf<T>(listing: string, items: readonly T[], paging: Paging, ctx: SandboxContext<PsState>): T[] {
  return ctx.page(listing, items, paging.offset, paging.limit);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const inviteSchema = z.object({
  email: z.string({ error: 'email is required' }).regex(EMAIL, 'email must be an email address'),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  username: z.string().optional(),
  role: z.enum(PS_ROLES, { error: `role must be one of ${PS_ROLES.join(', ')}` }).optional(),
});
const groupMemberSchema = z.object({
  memberId: z.string({ error: 'memberId is required' }).min(1, 'memberId is required'),
});

function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send(errorBody(status, message));
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request body';
  return issue.path.length > 0 && issue.code === 'invalid_type' && issue.input === undefined
    ? `${issue.path.join('.')} is required`
    : issue.message;
}

/** A member of the authenticated organization, or undefined: another org's member is as absent as none. */
export function memberInOrg(state: PsState, id: string): PsMember | undefined {
  const member = state.membersById.get(id);
  return member && member.organizationId === state.organizationId ? member : undefined;
}

function groupInOrg(state: PsState, id: string): PsGroup | undefined {
  const group = state.groupsById.get(id);
  return group && group.organizationId === state.organizationId ? group : undefined;
}

function memberNotFound(reply: FastifyReply, id: string): FastifyReply {
  return fail(reply, 404, `Member ${id} not found in this organization`);
}

function groupNotFound(reply: FastifyReply, id: string): FastifyReply {
  return fail(reply, 404, `Group ${id} not found in this organization`);
}

type Params<K extends string> = { Params: Record<K, string> };

export function registerRoutes(app: FastifyInstance, ctx: SandboxContext<PsState>): void {
  // GET /members: members of the key's organization only ("No cross-org queries"), offset-paged.
  app.get(`${API_BASE}/members`, async (request, reply) => {
    const paging = parsePaging(request.query as Record<string, unknown>, ctx.state.config);
    if (typeof paging === 'string') return fail(reply, 400, paging);
    const page = pageOf('members', homeOrganization(ctx.state).members, paging, ctx);
    return { members: page.map((m) => ({ ...m })) };
  });

  // GET /members/{memberId}: "Member must belong to the authenticated organization" — else 404.
  app.get<Params<'memberId'>>(`${API_BASE}/members/:memberId`, async (request, reply) => {
    const member = memberInOrg(ctx.state, request.params.memberId);
    if (!member) return memberNotFound(reply, request.params.memberId);
    return { member: { ...member } };
  });

  // POST /members invites: status 'invited' until the person accepts; "Seat limits apply per plan" (402).
  app.post(`${API_BASE}/members`, async (request, reply) => {
    const parsed = inviteSchema.safeParse(request.body ?? {});
    if (!parsed.success) return fail(reply, 400, firstIssue(parsed.error));
    const body = parsed.data;
    const state = ctx.state;
    const org = homeOrganization(state);
    if (org.memberIdByEmail.has(body.email.toLowerCase())) {
      return fail(reply, 409, `${body.email} is already a member of this organization`);
    }
    const used = seatsUsed(state);
    if (used >= state.seatLimit) {
      return fail(
        reply,
        402,
        `Seat limit reached: your plan allows ${state.seatLimit} seats and ${used} are in use ` +
          '(active and invited members). Remove a member or upgrade your plan.',
      );
    }
    const member: PsMember = {
      id: newId(state, 'member'),
      email: body.email,
      firstName: body.firstName ?? null,
      lastName: body.lastName ?? null,
      username: body.username ?? null,
      role: body.role ?? 'member',
      organizationId: org.id,
      status: 'invited',
      avatarUrl: avatarFor(body.email),
      createdDate: ctx.now().toISOString(),
    };
    addMember(state, member);
    // The guide's response carries only id, email and status: read the member back for the rest.
    return reply.code(201).send({ member: { id: member.id, email: member.email, status: member.status } });
  });

  // DELETE /members/{memberId}: "Permanently removes the member from the org" (and from its groups).
  app.delete<Params<'memberId'>>(`${API_BASE}/members/:memberId`, async (request, reply) => {
    const member = memberInOrg(ctx.state, request.params.memberId);
    if (!member) return memberNotFound(reply, request.params.memberId);
    removeMember(ctx.state, member);
    return {};
  });

  // No update endpoint: member attributes are "not updatable via API" / "not documented".
  app.route<Params<'memberId'>>({
    method: ['PUT', 'PATCH'],
    url: `${API_BASE}/members/:memberId`,
    handler: async (request, reply) => {
      reply.header('allow', 'GET, DELETE');
      return fail(
        reply,
        405,
        `${request.method} is not supported: members cannot be updated through the API`,
      );
    },
  });

  // GET /groups: "Groups are org-scoped"; paged like /members unless config.pageGroups is off.
  app.get(`${API_BASE}/groups`, async (request, reply) => {
    const groups = homeOrganization(ctx.state).groups;
    let page: readonly PsGroup[] = groups;
    if (ctx.state.config.pageGroups) {
      const paging = parsePaging(request.query as Record<string, unknown>, ctx.state.config);
      if (typeof paging === 'string') return fail(reply, 400, paging);
      page = pageOf('groups', groups, paging, ctx);
    }
    return { groups: page.map((g) => ({ id: g.id, name: g.name })) };
  });

  // GET /groups/{groupId}/members: current membership for directory sync, paged like /members.
  app.get<Params<'groupId'>>(`${API_BASE}/groups/:groupId/members`, async (request, reply) => {
    const group = groupInOrg(ctx.state, request.params.groupId);
    if (!group) return groupNotFound(reply, request.params.groupId);
    const paging = parsePaging(request.query as Record<string, unknown>, ctx.state.config);
    if (typeof paging === 'string') return fail(reply, 400, paging);
    const members: PsMember[] = [];
    for (const id of pageOf(`groups/${group.id}/members`, group.memberIds, paging, ctx)) {
      const member = ctx.state.membersById.get(id);
      if (member) members.push({ ...member });
    }
    return { members };
  });

  // POST /groups/{groupId}/members: the member must already exist in the org and have accepted the invite.
  app.post<Params<'groupId'>>(`${API_BASE}/groups/:groupId/members`, async (request, reply) => {
    const group = groupInOrg(ctx.state, request.params.groupId);
    if (!group) return groupNotFound(reply, request.params.groupId);
    const parsed = groupMemberSchema.safeParse(request.body ?? {});
    if (!parsed.success) return fail(reply, 400, firstIssue(parsed.error));
    const member = memberInOrg(ctx.state, parsed.data.memberId);
    if (!member) return memberNotFound(reply, parsed.data.memberId);
    if (member.status === 'invited') {
      return fail(
        reply,
        400,
        `Member ${member.id} has not accepted the invitation yet; only active members can be added to a group`,
      );
    }
    addToGroup(group, member.id);
    return {};
  });

  // DELETE /groups/{groupId}/members/{memberId}: "Only removes from the group; does not deactivate the org member."
  app.delete<Params<'groupId' | 'memberId'>>(
    `${API_BASE}/groups/:groupId/members/:memberId`,
    async (request, reply) => {
      const group = groupInOrg(ctx.state, request.params.groupId);
      if (!group) return groupNotFound(reply, request.params.groupId);
      if (!removeFromGroup(group, request.params.memberId)) {
        return fail(reply, 404, `Member ${request.params.memberId} is not in group ${group.id}`);
      }
      return {};
    },
  );
}

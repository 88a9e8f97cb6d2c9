/** @module Process Street admin actions under /__admin: accept invitations, seat limit, groups, config. */

import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ADMIN_PREFIX, type SandboxContext } from '../kit/server.js';
import { addGroup, homeOrganization, newId, type PsMember, type PsState, seatsUsed } from './state.js';

/** What a person does when they click the invitation link: the member becomes active. */
export function acceptInvitation(member: PsMember): void {
  if (member.status === 'active') return;
  member.status = 'active';
  member.username ??= member.email.split('@')[0] ?? member.email;
}

const seatLimitBody = z.object({ seatLimit: z.number().int().min(0) });
const acceptAfterBody = z.object({ requests: z.number().int().min(1) });
const groupBody = z.object({ name: z.string().min(1), organizationId: z.string().min(1).optional() });
const configBody = z
  .object({
    defaultPageSize: z.number().int().min(1),
    maxPageSize: z.number().int().min(1),
    pageGroups: z.boolean(),
  })
  .partial();

type MemberParams = { Params: { id: string } };

export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext<PsState>): void {
  const bad = (reply: FastifyReply, error: z.ZodError) =>
    reply.code(400).send({ error: 'invalid admin request', issues: error.issues });
  const noMember = (reply: FastifyReply, id: string) => reply.code(404).send({ error: `no member ${id}` });

  // Invitations accepted "after N more API requests": counted as each API answer goes out.
  app.addHook('onResponse', async (request) => {
    if (request.url.startsWith(ADMIN_PREFIX)) return;
    const pending = ctx.state.pendingAccepts;
    if (pending.size === 0) return;
    for (const [id, left] of pending) {
      if (left > 1) {
        pending.set(id, left - 1);
        continue;
      }
      pending.delete(id);
      const member = ctx.state.membersById.get(id);
      if (member) acceptInvitation(member);
    }
  });

  app.post<MemberParams>(`${ADMIN_PREFIX}/members/:id/accept`, async (request, reply) => {
    const member = ctx.state.membersById.get(request.params.id);
    if (!member) return noMember(reply, request.params.id);
    acceptInvitation(member);
    ctx.state.pendingAccepts.delete(member.id);
    return { member: { ...member } };
  });

  app.post<MemberParams>(`${ADMIN_PREFIX}/members/:id/accept-after`, async (request, reply) => {
    const member = ctx.state.membersById.get(request.params.id);
    if (!member) return noMember(reply, request.params.id);
    const parsed = acceptAfterBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    if (member.status === 'invited') ctx.state.pendingAccepts.set(member.id, parsed.data.requests);
    return { member: { ...member }, acceptsAfterRequests: ctx.state.pendingAccepts.get(member.id) ?? 0 };
  });

  app.put(`${ADMIN_PREFIX}/seat-limit`, async (request, reply) => {
    const parsed = seatLimitBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    ctx.state.seatLimit = parsed.data.seatLimit;
    return { seatLimit: ctx.state.seatLimit, seatsUsed: seatsUsed(ctx.state) };
  });

  // Groups are made in the app's UI; the API has no endpoint for it, so tests make them here.
  app.post(`${ADMIN_PREFIX}/groups`, async (request, reply) => {
    const parsed = groupBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const organizationId = parsed.data.organizationId ?? homeOrganization(ctx.state).id;
    const group = addGroup(ctx.state, {
      id: newId(ctx.state, 'group'),
      name: parsed.data.name,
      organizationId,
      memberIds: [],
    });
    return { group: { id: group.id, name: group.name, organizationId } };
  });

  app.put(`${ADMIN_PREFIX}/config`, async (request, reply) => {
    const parsed = configBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    Object.assign(ctx.state.config, parsed.data);
    return { config: ctx.state.config };
  });
}

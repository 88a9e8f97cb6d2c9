/** @module /plans, /tasks and /audit: plan, approve, apply in the background, cancel; manual tasks; the audit log. */

import { z } from 'zod';
import { approve, pagePlans, planChanges, showPlan } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { OP_STATUSES } from '../../store/rows.js';
import type { PlanRecord } from '../../store/store.js';
import { applyErrorOf, applyJobKey, startApply as startBackgroundApply } from '../background.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor, cancelPlan, completeTask } from '../core.js';
import { announcePlan } from '../notify.js';
import { pageOf, pageQuery, paginate } from '../paging.js';
import { problemResponses } from '../problem.js';
import {
  auditEventSchema,
  idParams,
  opSchema,
  planDetailSchema,
  planSchema,
  planStatus,
  taskSchema,
} from '../schemas.js';
import type { RosterFastify } from '../server.js';

export { applyJobKey };

export async function registerPlanRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  const planView = (plan: PlanRecord) => {
    const { body: _body, ...rest } = plan;
    return {
      ...rest,
      applying: ctx.jobs.isRunning(applyJobKey(plan.id)),
      applyError: applyErrorOf(ctx, plan.id),
    };
  };
  // Plans are addressed by their full id here: a prefix or `latest` is a CLI convenience, not a resource name.
  const getPlan = async (actor: string, id: string) => {
    const shown = await asActor(ctx, actor, (roster) => showPlan(roster, id));
    if (shown.plan.id !== id)
      throw new RosterError('not_found', `plan ${id} not found`, { fix: 'GET /plans lists them' });
    return shown;
  };
  const startApply = (planId: string, actor: string, overrideSafety: boolean): Promise<boolean> =>
    startBackgroundApply(ctx, planId, actor, overrideSafety);

  const detail = async (actor: string, id: string) => {
    const { plan, body, ops } = await getPlan(actor, id);
    return { plan: planView(plan), body: body as unknown as Record<string, unknown>, ops };
  };

  app.post(
    '/plans',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['plans'],
        summary: 'Work out and save what must change for the apps to hold what the policy says',
        body: z
          .object({
            apps: z.array(z.string()).min(1).optional(),
            person: z.string().optional().describe("only this person's ops (employee id or email)"),
          })
          .default({}),
        response: { 201: planDetailSchema, ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const planned = await asActor(ctx, actor, (roster) =>
        planChanges(roster, {
          ...(request.body.apps ? { apps: request.body.apps } : {}),
          ...(request.body.person ? { person: request.body.person } : {}),
        }),
      );
      await announcePlan(ctx.notifier, ctx.store, planned.plan.id);
      return reply.code(201).send(await detail(actor, planned.plan.id));
    },
  );

  app.get(
    '/plans',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['plans'],
        summary: 'Saved plans, newest first',
        description:
          'Every plan, however old, a page at a time; a nextCursor pages on only in the order it came from.',
        querystring: pageQuery(['createdAt'] as const, 'desc').extend({
          status: planStatus.optional(),
          source: z
            .enum(['policy', 'facade'])
            .optional()
            .describe("only the plans made from the policy, or only the SCIM facade's (one per IdP write)"),
        }),
        response: { 200: pageOf(planSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const { limit, cursor, order, status, source } = request.query;
      // Paged in the store: a busy facade writes hundreds of plans an hour, and every one of them is reachable.
      const page = await asActor(ctx, actorOf(request), (roster) =>
        pagePlans(roster, {
          limit,
          order,
          ...(cursor ? { cursor } : {}),
          ...(status ? { status } : {}),
          ...(source ? { facade: source === 'facade' } : {}),
        }),
      );
      return { ...page, items: page.items.map(planView) };
    },
  );

  app.get(
    '/plans/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['plans'],
        summary: 'A plan with its body and every op (status readable while an apply runs)',
        params: idParams,
        response: { 200: planDetailSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => detail(actorOf(request), request.params.id),
  );

  app.get(
    '/plans/:id/ops',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['plans'],
        summary: "A plan's ops; filter by status, app or kind",
        params: idParams,
        querystring: pageQuery(['seq'] as const).extend({
          status: z.enum(OP_STATUSES).optional(),
          appId: z.string().optional(),
          kind: z.string().optional(),
          awaitingApproval: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: pageOf(opSchema), ...problemResponses('not_found') },
      },
    },
    async (request) => {
      const q = request.query;
      const { ops } = await getPlan(actorOf(request), request.params.id);
      const filtered = ops.filter(
        (o) =>
          (q.status === undefined || o.status === q.status) &&
          (q.appId === undefined || o.appId === q.appId) &&
          (q.kind === undefined || o.kind === q.kind) &&
          (q.awaitingApproval === undefined ||
            (o.requiresApproval && o.status === 'pending') === (q.awaitingApproval === 'true')),
      );
      return paginate(filtered, q, {
        id: (o) => String(o.seq).padStart(9, '0'),
        sortBy: { seq: (o) => o.seq },
      });
    },
  );

  app.post(
    '/plans/:id/approve',
    {
      config: { scope: 'approve' },
      schema: {
        tags: ['plans'],
        summary: 'Approve ops that need a person (all waiting ones, or the given seqs)',
        description: 'With policy.safety.fourEyes, the token that asked for the plan cannot approve it.',
        params: idParams,
        body: z.object({ seqs: z.array(z.number().int().min(1)).min(1).optional() }).default({}),
        response: {
          200: z.object({ planId: z.string(), approved: z.array(z.number().int()), by: z.string() }),
          ...problemResponses('not_found', 'conflict'),
        },
      },
    },
    async (request) => {
      await getPlan(actorOf(request), request.params.id);
      const approved = await asActor(ctx, actorOf(request), (roster) =>
        approve(roster, { plan: request.params.id, seqs: request.body.seqs }),
      );
      return { ...approved, by: actorOf(request) };
    },
  );

  app.post(
    '/plans/:id/apply',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['plans'],
        summary: 'Apply a plan in the background; GET /plans/{id} shows its progress',
        description: 'Ops that need approval and have none wait; a stale or blocked plan is refused.',
        params: idParams,
        body: z.object({ overrideSafety: z.boolean().default(false) }).default({ overrideSafety: false }),
        response: {
          202: z.object({
            planId: z.string(),
            started: z.boolean().describe('false: joined the apply in flight'),
          }),
          ...problemResponses('not_found', 'conflict', 'unavailable'),
        },
      },
    },
    async (request, reply) => {
      const { plan } = await getPlan(actorOf(request), request.params.id);
      if (plan.status === 'cancelled' || plan.status === 'applied') {
        throw new RosterError('conflict', `plan ${plan.id} is ${plan.status}`, {
          fix: plan.status === 'applied' ? 'make a new plan (POST /plans)' : undefined,
        });
      }
      const joined = await startApply(plan.id, actorOf(request), request.body.overrideSafety);
      return reply.code(202).send({ planId: plan.id, started: !joined });
    },
  );

  app.post(
    '/people/:id/provision',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['people', 'plans'],
        summary: "Provision on demand: plan this person's changes only and apply them in the background",
        description:
          'Like Entra\'s "provision on demand": the plan holds only ops for this person (safety limits and ' +
          'approvals as usual: ops that need approval wait). GET /plans/{planId} shows progress.',
        params: idParams,
        body: z
          .object({ apps: z.array(z.string()).min(1).optional(), apply: z.boolean().default(true) })
          .default({ apply: true }),
        response: {
          202: z.object({
            planId: z.string(),
            ops: z.number().int(),
            awaitingApproval: z.number().int(),
            applying: z.boolean(),
          }),
          ...problemResponses('not_found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const planned = await asActor(ctx, actor, (roster) =>
        planChanges(roster, {
          person: request.params.id,
          ...(request.body.apps ? { apps: request.body.apps } : {}),
        }),
      );
      await announcePlan(ctx.notifier, ctx.store, planned.plan.id);
      const runnable = request.body.apply && planned.summary.total > planned.summary.approvals;
      if (runnable) await startApply(planned.plan.id, actor, false);
      return reply.code(202).send({
        planId: planned.plan.id,
        ops: planned.summary.total,
        awaitingApproval: planned.summary.approvals,
        applying: runnable,
      });
    },
  );

  app.post(
    '/plans/:id/cancel',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['plans'],
        summary: 'Cancel a plan that is not applying or applied',
        params: idParams,
        response: { 200: planSchema, ...problemResponses('not_found', 'conflict') },
      },
    },
    async (request) => {
      if (ctx.jobs.isRunning(applyJobKey(request.params.id))) {
        throw new RosterError('conflict', `plan ${request.params.id} is being applied now`);
      }
      await getPlan(actorOf(request), request.params.id);
      return planView(
        await asActor(ctx, actorOf(request), (roster) => cancelPlan(roster, request.params.id)),
      );
    },
  );

  app.get(
    '/tasks',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['tasks'],
        summary: 'Manual tasks: what a person must do in an app whose API cannot',
        querystring: pageQuery(['createdAt'] as const).extend({
          status: z.enum(['open', 'done', 'cancelled']).optional(),
          appId: z.string().optional(),
        }),
        response: { 200: pageOf(taskSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const tasks = await ctx.store.listTasks({
        ...(q.status ? { status: q.status } : {}),
        ...(q.appId ? { appId: q.appId } : {}),
      });
      return paginate(tasks, q, { id: (t) => t.id, sortBy: { createdAt: (t) => t.createdAt } });
    },
  );

  app.post(
    '/tasks/:id/done',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['tasks'],
        summary: 'Mark a manual task done, with a note (a later sync checks the change really happened)',
        params: idParams,
        body: z.object({ note: z.string().trim().min(1).max(2000) }),
        response: { 200: taskSchema, ...problemResponses('not_found', 'conflict') },
      },
    },
    async (request) =>
      asActor(ctx, actorOf(request), (roster) =>
        completeTask(roster, { id: request.params.id, note: request.body.note }),
      ),
  );

  app.get(
    '/audit',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, oldest first; cursor = the last seq seen',
        querystring: z.object({
          afterSeq: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          appId: z.string().optional(),
          kind: z.string().optional(),
          actor: z.string().optional(),
          subject: z.string().optional(),
        }),
        response: {
          200: z.object({ items: z.array(auditEventSchema), nextAfterSeq: z.number().int().nullable() }),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const q = request.query;
      // Every filter in the store's query: a rare kind in a long log is found by SQL, not by parsing the whole log here.
      const events = await ctx.store.listAudit({
        afterSeq: q.afterSeq,
        limit: q.limit + 1,
        ...(q.appId ? { appId: q.appId } : {}),
        ...(q.kind ? { search: { kind: q.kind } } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.subject ? { subjects: [q.subject] } : {}),
      });
      const items = events.slice(0, q.limit);
      return { items, nextAfterSeq: events.length > q.limit ? (items[items.length - 1]?.seq ?? null) : null };
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Walk the whole hash chain and say whether it is unbroken',
        response: {
          200: z.object({
            ok: z.boolean(),
            count: z.number().int(),
            brokenAt: z.number().int().optional(),
            reason: z.string().optional(),
          }),
          ...problemResponses(),
        },
      },
    },
    async () => ctx.store.verifyAudit(),
  );
}

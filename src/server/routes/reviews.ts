/**
 * @module /reviews: access-review campaigns. Operators start, reassign, close (into a plan) and verify; a reviewer's
 * token (made with a person) sees and decides only that person's items; auditors fetch the evidence as CSV or HTML.
 */

import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  closeReview,
  decideItem,
  listReviews,
  reassignItem,
  remindReviews,
  reviewEvidence,
  showReview,
  startReview,
  verifyReview,
} from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { evidenceCsv, evidenceHtml } from '../../reviews/evidence.js';
import { reviewSubjectSchema } from '../../store/review-schemas.js';
import {
  REVIEW_DECISIONS,
  REVIEW_SELECTIONS,
  REVIEW_STATUSES,
  REVIEWER_REASONS,
  REVIEWER_SOURCES,
} from '../../store/reviews.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor } from '../core.js';
import { announcePlan, announceReviewReminders } from '../notify.js';
import { problemResponses } from '../problem.js';
import { idParams } from '../schemas.js';
import type { RosterFastify } from '../server.js';

const reviewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: z.object({ apps: z.array(z.string()), select: z.enum(REVIEW_SELECTIONS) }),
    rule: z.object({ order: z.array(z.enum(REVIEWER_SOURCES)), fallback: z.string() }),
    dueAt: z.string(),
    revokeWhen: z.enum(['close', 'decided']),
    status: z.enum(REVIEW_STATUSES),
    createdAt: z.string(),
    createdBy: z.string(),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    planIds: z.array(z.string()),
  })
  .meta({ id: 'Review' });

const progressSchema = z
  .object({
    total: z.number(),
    decided: z.number(),
    keep: z.number(),
    revoke: z.number(),
    change: z.number(),
    overdue: z.number(),
    planned: z.number(),
    carriedOut: z.number(),
    verified: z.number(),
  })
  .meta({ id: 'ReviewProgress' });

const itemSchema = z
  .object({
    reviewId: z.string(),
    seq: z.number(),
    appId: z.string(),
    accountId: z.string(),
    subject: reviewSubjectSchema,
    reviewer: z.string(),
    reviewerReason: z.enum(REVIEWER_REASONS),
    history: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        reason: z.enum(REVIEWER_REASONS),
        by: z.string(),
        at: z.string(),
        note: z.string().optional(),
      }),
    ),
    decision: z.enum(REVIEW_DECISIONS).nullable(),
    changeTo: z.string().nullable(),
    comment: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    remindedAt: z.string().nullable(),
    escalatedAt: z.string().nullable(),
    planId: z.string().nullable(),
    opSeq: z.number().nullable(),
    verifiedAt: z.string().nullable(),
    verifiedBy: z.string().nullable(),
    op: z
      .object({
        kind: z.string(),
        status: z.string(),
        approvedBy: z.string().nullable(),
        finishedAt: z.string().nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'ReviewItem' });

const detailSchema = z
  .object({ review: reviewSchema, progress: progressSchema, items: z.array(itemSchema) })
  .meta({ id: 'ReviewDetail' });
// The item number is checked in the handler: a request's body is validated before it, as on every route.
const itemParams = z.object({ id: z.string(), seq: z.string().describe('the item number, from 1') });

function seqOf(value: string): number {
  const seq = Number(value);
  if (Number.isInteger(seq) && seq >= 1) return seq;
  throw new RosterError('invalid_input', `"${value}" is not an item number`, {
    where: 'params.seq',
    fix: 'items are numbered from 1: GET /reviews/{id} lists them',
  });
}

/** The person a reviewer's token answers for; deciding needs one. */
function reviewerOf(request: FastifyRequest): string {
  const person = request.token?.person ?? null;
  if (person === null) {
    throw new RosterError('forbidden', `token "${actorOf(request)}" does not answer for a person`, {
      fix: 'reviewers decide with their own token: roster tokens create --name NAME --scope read --person <their email>',
    });
  }
  return person;
}

export async function registerReviewRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.post(
    '/reviews',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['reviews'],
        summary: 'Start an access review: freeze the access in scope and give each item its reviewer',
        body: z.object({
          name: z.string().optional(),
          apps: z.array(z.string()).min(1).optional().describe('app ids; all apps when absent'),
          select: z.enum(REVIEW_SELECTIONS).default('all'),
          order: z
            .array(z.enum(REVIEWER_SOURCES))
            .optional()
            .describe('who reviews first; default manager, owner'),
          fallback: z.string().describe('who reviews what no manager or owner can (and self-reviews)'),
          dueAt: z.string().optional(),
          dueInDays: z.number().int().min(1).optional(),
          revokeWhen: z.enum(['close', 'decided']).optional(),
        }),
        response: { 201: detailSchema, ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      const started = await asActor(ctx, actorOf(request), (roster) => startReview(roster, request.body));
      return reply.code(201).send(started);
    },
  );

  app.get(
    '/reviews',
    {
      config: { scope: 'read', reviewer: true },
      schema: {
        tags: ['reviews'],
        summary: "Campaigns, newest first (a reviewer's token: those with items for them)",
        querystring: z.object({ status: z.enum(REVIEW_STATUSES).optional() }),
        response: {
          200: z.object({ items: z.array(z.object({ review: reviewSchema, progress: progressSchema })) }),
          ...problemResponses(),
        },
      },
    },
    async (request) => ({
      items: await asActor(ctx, actorOf(request), (roster) =>
        listReviews(roster, { status: request.query.status, reviewer: request.token?.person ?? null }),
      ),
    }),
  );

  app.get(
    '/reviews/:id',
    {
      config: { scope: 'read', reviewer: true },
      schema: {
        tags: ['reviews'],
        summary: "A campaign, its progress and items (a reviewer's token: only their items), flagged first",
        params: idParams,
        response: { 200: detailSchema, ...problemResponses('not_found') },
      },
    },
    async (request) =>
      asActor(ctx, actorOf(request), (roster) =>
        showReview(roster, request.params.id, { reviewer: request.token?.person ?? null }),
      ),
  );

  app.post(
    '/reviews/:id/items/:seq/decision',
    {
      config: { scope: 'read', reviewer: true },
      schema: {
        tags: ['reviews'],
        summary: "Keep, revoke or change one of the token's person's items (never their own access)",
        description:
          'Needs a reviewer token (created with a person): the decision is recorded as that person.',
        params: itemParams,
        body: z.object({
          decision: z.enum(REVIEW_DECISIONS),
          comment: z.string().max(2000).optional(),
          changeTo: z.string().optional().describe('change: the entitlement the access becomes'),
        }),
        response: { 200: itemSchema, ...problemResponses('not_found', 'conflict') },
      },
    },
    async (request) => {
      const as = reviewerOf(request);
      return asActor(ctx, actorOf(request), (roster) =>
        decideItem(roster, {
          review: request.params.id,
          seq: seqOf(request.params.seq),
          as,
          decision: request.body.decision,
          comment: request.body.comment,
          changeTo: request.body.changeTo,
        }),
      );
    },
  );

  app.post(
    '/reviews/:id/items/:seq/delegate',
    {
      config: { scope: 'read', reviewer: true },
      schema: {
        tags: ['reviews'],
        summary: "Hand one of the token's person's items to someone else (not the person reviewed)",
        params: itemParams,
        body: z.object({ to: z.string(), note: z.string().max(2000).optional() }),
        response: { 200: itemSchema, ...problemResponses('not_found', 'conflict') },
      },
    },
    async (request) => {
      const as = reviewerOf(request);
      return asActor(ctx, actorOf(request), (roster) =>
        reassignItem(roster, {
          review: request.params.id,
          seq: seqOf(request.params.seq),
          as,
          ...request.body,
        }),
      );
    },
  );

  app.post(
    '/reviews/:id/items/:seq/reassign',
    {
      config: { scope: 'approve' },
      schema: {
        tags: ['reviews'],
        summary: 'Move an undecided item to another reviewer (not the person reviewed)',
        params: itemParams,
        body: z.object({ to: z.string(), note: z.string().max(2000).optional() }),
        response: { 200: itemSchema, ...problemResponses('not_found', 'conflict') },
      },
    },
    async (request) =>
      asActor(ctx, actorOf(request), (roster) =>
        reassignItem(roster, { review: request.params.id, seq: seqOf(request.params.seq), ...request.body }),
      ),
  );

  app.post(
    '/reviews/:id/close',
    {
      config: { scope: 'approve' },
      schema: {
        tags: ['reviews'],
        summary:
          'Close the campaign: its revoke and change decisions become a plan (approve and apply it as usual)',
        params: idParams,
        body: z.object({ force: z.boolean().optional() }).default({}),
        response: {
          200: detailSchema.extend({ planId: z.string().nullable() }),
          ...problemResponses('not_found', 'conflict'),
        },
      },
    },
    async (request) => {
      const closed = await asActor(ctx, actorOf(request), (roster) =>
        closeReview(roster, { review: request.params.id, force: request.body.force }),
      );
      if (closed.planId) await announcePlan(ctx.notifier, ctx.store, closed.planId);
      return closed;
    },
  );

  app.post(
    '/reviews/:id/verify',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['reviews'],
        summary: 'Mark the revocations a sync after their op shows gone from the app',
        params: idParams,
        response: {
          200: z.object({ verified: z.array(z.number()), pending: z.array(z.number()) }),
          ...problemResponses('not_found'),
        },
      },
    },
    async (request) => asActor(ctx, actorOf(request), (roster) => verifyReview(roster, request.params.id)),
  );

  app.post(
    '/reviews/remind',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['reviews'],
        summary: "Remind reviewers of undecided items; escalate overdue ones to the reviewer's manager",
        response: {
          200: z.object({
            reminders: z.array(
              z.object({
                reviewId: z.string(),
                name: z.string(),
                reviewer: z.string(),
                items: z.number(),
                dueAt: z.string(),
              }),
            ),
            escalations: z.array(
              z.object({
                reviewId: z.string(),
                name: z.string(),
                seq: z.number(),
                from: z.string(),
                to: z.string(),
                item: z.string(),
              }),
            ),
          }),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const result = await asActor(ctx, actorOf(request), (roster) => remindReviews(roster));
      await announceReviewReminders(ctx.notifier, result, ctx.clock().toISOString().slice(0, 10));
      return result;
    },
  );

  app.get(
    '/reviews/:id/evidence.csv',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reviews'],
        summary:
          'The evidence as CSV: who reviewed what, when, the decision, and the proof it was carried out',
        params: idParams,
        response: { 200: z.string(), ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      const evidence = await asActor(ctx, actorOf(request), (roster) =>
        reviewEvidence(roster, request.params.id),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="review-${evidence.review.id}.csv"`)
        .serializer((s: unknown) => String(s))
        .send(evidenceCsv(evidence));
    },
  );

  app.get(
    '/reviews/:id/evidence.html',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reviews'],
        summary: 'The evidence as a self-contained printable page (print to PDF from the browser)',
        params: idParams,
        response: { 200: z.string(), ...problemResponses('not_found') },
      },
    },
    async (request, reply) => {
      const evidence = await asActor(ctx, actorOf(request), (roster) =>
        reviewEvidence(roster, request.params.id),
      );
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .serializer((s: unknown) => String(s))
        .send(evidenceHtml(evidence));
    },
  );
}

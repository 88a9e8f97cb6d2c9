/** @module Access reviews in SQL: a campaign and its frozen items written together; decisions and moves item by item. */

import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { parseEnum, parseJsonColumn, stringArray, toJsonColumn } from '../json.js';
import { reviewSubjectSchema } from '../review-schemas.js';
import {
  type NewReview,
  type NewReviewItem,
  REVIEW_DECISIONS,
  REVIEW_SELECTIONS,
  REVIEW_STATUSES,
  REVIEWER_REASONS,
  REVIEWER_SOURCES,
  type ReviewItemPatch,
  type ReviewItemRecord,
  type ReviewPatch,
  type ReviewRecord,
  type ReviewSubject,
} from '../reviews.js';
import type { ReviewItemsTable, ReviewsTable } from '../schema.js';
import type { Sql } from './context.js';

const scopeSchema = z.object({ apps: stringArray, select: z.enum(REVIEW_SELECTIONS) });
const ruleSchema = z.object({ order: z.array(z.enum(REVIEWER_SOURCES)), fallback: z.string() });
const subjectSchema: z.ZodType<ReviewSubject> = reviewSubjectSchema;
const historySchema = z.array(
  z.object({
    from: z.string(),
    to: z.string(),
    reason: z.enum(REVIEWER_REASONS),
    by: z.string(),
    at: z.string(),
    note: z.string().optional(),
  }),
);

function toReview(row: Selectable<ReviewsTable>): ReviewRecord {
  return {
    id: row.id,
    name: row.name,
    scope: parseJsonColumn(scopeSchema, row.scope, 'reviews.scope'),
    rule: parseJsonColumn(ruleSchema, row.rule, 'reviews.rule'),
    dueAt: row.due_at,
    revokeWhen: parseEnum(['close', 'decided'] as const, row.revoke_when, 'reviews.revoke_when'),
    status: parseEnum(REVIEW_STATUSES, row.status, 'reviews.status'),
    createdAt: row.created_at,
    createdBy: row.created_by,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    planIds: parseJsonColumn(stringArray, row.plan_ids, 'reviews.plan_ids'),
  };
}

function toItem(row: Selectable<ReviewItemsTable>): ReviewItemRecord {
  return {
    reviewId: row.review_id,
    seq: Number(row.seq),
    appId: row.app_id,
    accountId: row.account_id,
    subject: parseJsonColumn(subjectSchema, row.subject, 'review_items.subject'),
    reviewer: row.reviewer,
    reviewerReason: parseEnum(REVIEWER_REASONS, row.reviewer_reason, 'review_items.reviewer_reason'),
    history: parseJsonColumn(historySchema, row.history, 'review_items.history'),
    decision:
      row.decision === null ? null : parseEnum(REVIEW_DECISIONS, row.decision, 'review_items.decision'),
    changeTo: row.change_to,
    comment: row.comment,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    remindedAt: row.reminded_at,
    escalatedAt: row.escalated_at,
    planId: row.plan_id,
    opSeq: row.op_seq === null ? null : Number(row.op_seq),
    verifiedAt: row.verified_at,
    verifiedBy: row.verified_by,
  };
}

export async function createReview(
  s: Sql,
  input: { review: NewReview; items: readonly NewReviewItem[] },
): Promise<ReviewRecord> {
  const review: ReviewRecord = {
    ...input.review,
    id: randomUUID(),
    status: 'open',
    createdAt: s.now(),
    closedAt: null,
    closedBy: null,
    planIds: [],
  };
  await s.write(async (tx) => {
    await tx.db
      .insertInto('reviews')
      .values({
        id: review.id,
        name: review.name,
        scope: toJsonColumn(review.scope),
        rule: toJsonColumn(review.rule),
        due_at: review.dueAt,
        revoke_when: review.revokeWhen,
        status: review.status,
        created_at: review.createdAt,
        created_by: review.createdBy,
        closed_at: null,
        closed_by: null,
        plan_ids: toJsonColumn([]),
      })
      .execute();
    await tx.insertRows(
      'review_items',
      input.items.map((item, i) => ({
        review_id: review.id,
        seq: i + 1,
        app_id: item.appId,
        account_id: item.accountId,
        subject: toJsonColumn(item.subject),
        reviewer: item.reviewer,
        reviewer_reason: item.reviewerReason,
        history: toJsonColumn([]),
        decision: null,
        change_to: null,
        comment: null,
        decided_by: null,
        decided_at: null,
        reminded_at: null,
        escalated_at: null,
        plan_id: null,
        op_seq: null,
        verified_at: null,
        verified_by: null,
      })),
    );
  });
  return review;
}

export async function getReview(s: Sql, input: { id: string }): Promise<ReviewRecord | null> {
  const row = await s.db.selectFrom('reviews').selectAll().where('id', '=', input.id).executeTakeFirst();
  return row === undefined ? null : toReview(row);
}

/** Newest first. */
export async function listReviews(
  s: Sql,
  input: { status?: ReviewRecord['status'] } = {},
): Promise<ReviewRecord[]> {
  let query = s.db.selectFrom('reviews').selectAll().orderBy('created_at', 'desc').orderBy('id');
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  return (await query.execute()).map(toReview);
}

export async function updateReview(s: Sql, input: { id: string; set: ReviewPatch }): Promise<ReviewRecord> {
  const { set } = input;
  const values: Partial<ReviewsTable> = {
    ...(set.status !== undefined ? { status: set.status } : {}),
    ...(set.closedAt !== undefined ? { closed_at: set.closedAt } : {}),
    ...(set.closedBy !== undefined ? { closed_by: set.closedBy } : {}),
    ...(set.planIds !== undefined ? { plan_ids: toJsonColumn(set.planIds) } : {}),
  };
  if (Object.keys(values).length > 0) {
    await s.db.updateTable('reviews').set(values).where('id', '=', input.id).execute();
  }
  const review = await getReview(s, { id: input.id });
  if (review === null) throw new RosterError('not_found', `review ${input.id} is not in the store`);
  return review;
}

/** Items in order; a reviewer's only when one is named. */
export async function listReviewItems(
  s: Sql,
  input: { reviewId: string; reviewer?: string },
): Promise<ReviewItemRecord[]> {
  let query = s.db.selectFrom('review_items').selectAll().where('review_id', '=', input.reviewId);
  if (input.reviewer !== undefined) query = query.where('reviewer', '=', input.reviewer);
  return (await query.orderBy('seq').execute()).map(toItem);
}

export async function updateReviewItem(
  s: Sql,
  input: { reviewId: string; seq: number; set: ReviewItemPatch },
): Promise<ReviewItemRecord> {
  const { set } = input;
  const values: Partial<ReviewItemsTable> = {};
  const columns: [keyof ReviewItemPatch, keyof ReviewItemsTable][] = [
    ['reviewer', 'reviewer'],
    ['reviewerReason', 'reviewer_reason'],
    ['decision', 'decision'],
    ['changeTo', 'change_to'],
    ['comment', 'comment'],
    ['decidedBy', 'decided_by'],
    ['decidedAt', 'decided_at'],
    ['remindedAt', 'reminded_at'],
    ['escalatedAt', 'escalated_at'],
    ['planId', 'plan_id'],
    ['opSeq', 'op_seq'],
    ['verifiedAt', 'verified_at'],
    ['verifiedBy', 'verified_by'],
  ];
  for (const [field, column] of columns) {
    if (set[field] !== undefined) (values as Record<string, unknown>)[column] = set[field];
  }
  if (set.history !== undefined) values.history = toJsonColumn(set.history);
  if (Object.keys(values).length > 0) {
    await s.db
      .updateTable('review_items')
      .set(values)
      .where('review_id', '=', input.reviewId)
      .where('seq', '=', input.seq)
      .execute();
  }
  const row = await s.db
    .selectFrom('review_items')
    .selectAll()
    .where('review_id', '=', input.reviewId)
    .where('seq', '=', input.seq)
    .executeTakeFirst();
  if (row === undefined) {
    throw new RosterError('not_found', `review ${input.reviewId} has no item ${input.seq}`);
  }
  return toItem(row);
}

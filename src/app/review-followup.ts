/**
 * @module What follows an access review's decisions: verifying by a later sync that revocations took (each one
 * written into the audit chain), and reminding reviewers — escalating overdue items to the reviewer's manager.
 */

import { LIVE } from '../reconcile/diff/context.js';
import { isSelfReview } from '../reviews/reviewer.js';
import type { ReviewItemRecord } from '../store/reviews.js';
import type { Roster } from './context.js';
import { describeItem, findReview, moveItem, opsOf } from './reviews.js';

/**
 * Marks the carried-out revocations that a sync after the op shows gone from the app (the account no longer
 * live, or the grant no longer held), and writes each verification into the audit chain.
 */
export async function verifyReview(
  roster: Roster,
  id: string,
): Promise<{ verified: number[]; pending: number[] }> {
  const review = await findReview(roster, id);
  const items = await roster.store.listReviewItems({ reviewId: review.id });
  const ops = await opsOf(roster, items);
  const verified: number[] = [];
  const pending: number[] = [];
  for (const item of items) {
    if (item.planId === null || item.verifiedAt !== null) continue;
    const op = item.opSeq === null ? null : ops.get(`${item.planId}#${item.opSeq}`);
    if (op && op.status !== 'succeeded') {
      pending.push(item.seq);
      continue;
    }
    const [run] = await roster.store.listSyncRuns({ appId: item.appId, status: 'succeeded', limit: 1 });
    // Only a sync that finished after the op can say the app no longer holds the access.
    const after = op?.finishedAt ?? null;
    if (
      !run?.finishedAt ||
      (after !== null && run.finishedAt <= after) ||
      !(await accessGone(roster, item))
    ) {
      pending.push(item.seq);
      continue;
    }
    const at = roster.now().toISOString();
    await roster.store.transaction(async (tx) => {
      await tx.updateReviewItem({
        reviewId: review.id,
        seq: item.seq,
        set: { verifiedAt: at, verifiedBy: run.id },
      });
      await tx.appendAudit({
        actor: roster.actor,
        kind: 'review.verified',
        appId: item.appId,
        subject: `${review.id}#${item.seq}`,
        data: {
          account: item.accountId,
          ...(item.subject.entitlement ? { entitlement: item.subject.entitlement.name } : {}),
          syncRun: run.id,
          syncFinishedAt: run.finishedAt,
          planId: item.planId,
          ...(op ? { opSeq: op.seq } : {}),
        },
      });
    });
    verified.push(item.seq);
  }
  return { verified, pending };
}

async function accessGone(roster: Roster, item: ReviewItemRecord): Promise<boolean> {
  const account = await roster.store.getAccount({ appId: item.appId, id: item.accountId });
  if (!account || !LIVE.has(account.status)) return true;
  const entitlement = item.subject.entitlement;
  if (entitlement === null) return false;
  const grants = await roster.store.listGrants({ appId: item.appId, accountId: item.accountId });
  if (grants.some((g) => g.entitlementId === entitlement.id)) return false;
  if (item.decision !== 'change' || item.changeTo === null) return true;
  // A change took when the new entitlement is held instead of the old one.
  const target = (await roster.store.listEntitlements({ appId: item.appId })).find(
    (e) => e.kind === entitlement.kind && e.name.toLowerCase() === item.changeTo?.toLowerCase(),
  );
  return target !== undefined && grants.some((g) => g.entitlementId === target.id);
}

export interface ReviewReminders {
  /** Reviewers with undecided items in a campaign not yet due. */
  reminders: { reviewId: string; name: string; reviewer: string; items: number; dueAt: string }[];
  /** Overdue items moved to the reviewer's manager (or the fallback when they have none). */
  escalations: { reviewId: string; name: string; seq: number; from: string; to: string; item: string }[];
}

/**
 * What reminders are due now: every reviewer with undecided items hears about them; an item undecided past the
 * due date moves up to its reviewer's manager from the HR export (the fallback when there is none), once.
 */
export async function remindReviews(roster: Roster): Promise<ReviewReminders> {
  const now = roster.now();
  const result: ReviewReminders = { reminders: [], escalations: [] };
  for (const review of await roster.store.listReviews({ status: 'open' })) {
    const items = await roster.store.listReviewItems({ reviewId: review.id });
    const overdue = now.getTime() > Date.parse(review.dueAt);
    const counts = new Map<string, number>();
    for (const item of items) {
      if (item.decision !== null) continue;
      if (overdue && item.escalatedAt === null) {
        const manager = (await roster.store.getPerson({ email: item.reviewer }))?.managerEmail?.toLowerCase();
        const candidates = [manager, review.rule.fallback].filter(
          (c): c is string => !!c && c !== item.reviewer && !isSelfReview(c, item.subject.person),
        );
        const to = candidates[0];
        if (to !== undefined) {
          await moveItem(roster, review, item, to, 'escalated', roster.actor, 'overdue', {
            escalatedAt: now.toISOString(),
          });
          result.escalations.push({
            reviewId: review.id,
            name: review.name,
            seq: item.seq,
            from: item.reviewer,
            to,
            item: describeItem(item),
          });
          counts.set(to, (counts.get(to) ?? 0) + 1);
          continue;
        }
      }
      counts.set(item.reviewer, (counts.get(item.reviewer) ?? 0) + 1);
      await roster.store.updateReviewItem({
        reviewId: review.id,
        seq: item.seq,
        set: { remindedAt: now.toISOString() },
      });
    }
    for (const [reviewer, n] of counts) {
      result.reminders.push({
        reviewId: review.id,
        name: review.name,
        reviewer,
        items: n,
        dueAt: review.dueAt,
      });
    }
    if (counts.size > 0) {
      await roster.store.appendAudit({
        actor: roster.actor,
        kind: 'review.reminded',
        subject: review.id,
        data: {
          reviewers: [...counts.keys()],
          escalated: result.escalations.filter((e) => e.reviewId === review.id).length,
        },
      });
    }
  }
  return result;
}

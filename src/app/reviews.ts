/**
 * @module Access reviews: start a campaign over a frozen snapshot of access, let each reviewer decide their own
 * items (never their own access), move items (delegate, reassign), and close it into a plan of revocations that
 * goes through approvals and safety limits like any other (verifying and reminding: review-followup.ts).
 */

import { RosterError } from '../core/errors.js';
import { planRevocations, type Revocation } from '../reconcile/revocations.js';
import { isSelfReview, pickReviewer } from '../reviews/reviewer.js';
import { scopeItems } from '../reviews/scope.js';
import type {
  ReviewDecision,
  ReviewerReason,
  ReviewerSource,
  ReviewItemRecord,
  ReviewRecord,
  ReviewSelection,
  ReviewStatus,
  RevokeWhen,
} from '../store/reviews.js';
import type { OpRecord } from '../store/store.js';
import { type Roster, selectApps } from './context.js';
import { accessReviewRows } from './review-export.js';

const DAY_MS = 86_400_000;

export interface StartReviewInput {
  name?: string | undefined;
  /** App ids; all configured apps when empty. */
  apps?: readonly string[] | undefined;
  select: ReviewSelection;
  /** Who reviews, in order of preference; the fallback takes what none of them can. Default: manager, owner. */
  order?: readonly ReviewerSource[] | undefined;
  fallback: string;
  /** An ISO date or date-time; or `dueInDays` from now (default 14). */
  dueAt?: string | undefined;
  dueInDays?: number | undefined;
  revokeWhen?: RevokeWhen | undefined;
}

export interface ReviewProgress {
  total: number;
  decided: number;
  keep: number;
  revoke: number;
  change: number;
  /** Undecided items past the due date. */
  overdue: number;
  /** Revocations (revoke and change decisions) put into a plan, carried out, and verified by a later sync. */
  planned: number;
  carriedOut: number;
  verified: number;
}

export interface ReviewView {
  review: ReviewRecord;
  progress: ReviewProgress;
}

export interface ReviewDetail extends ReviewView {
  items: ReviewItemView[];
}

export interface ReviewItemView extends ReviewItemRecord {
  /** What became of the op that carries the decision out, once planned. */
  op: { kind: string; status: string; approvedBy: string | null; finishedAt: string | null } | null;
}

function normEmail(value: string, where: string): string {
  const email = value.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new RosterError('invalid_input', `"${value}" is not an email address`, {
      where,
      fix: 'give the address the HR export has for the person',
    });
  }
  return email;
}

function dueDateOf(roster: Roster, input: StartReviewInput): string {
  if (input.dueAt !== undefined) {
    const at = Date.parse(input.dueAt);
    if (Number.isNaN(at)) {
      throw new RosterError('invalid_input', `"${input.dueAt}" is not a date`, {
        where: 'due',
        fix: 'write it as YYYY-MM-DD (or an ISO date-time)',
      });
    }
    return new Date(at).toISOString();
  }
  const days = input.dueInDays ?? 14;
  if (!Number.isInteger(days) || days < 1) {
    throw new RosterError('invalid_input', `${days} is not a number of days`, {
      where: 'dueInDays',
      fix: 'give a whole number of days, 1 or more',
    });
  }
  return new Date(roster.now().getTime() + days * DAY_MS).toISOString();
}

/**
 * Starts a campaign: the graph is brought up to date, the access in scope is frozen as items, and each item gets
 * its reviewer by the rule. A scope with nothing in it is an error, not an empty campaign.
 */
export async function startReview(roster: Roster, input: StartReviewInput): Promise<ReviewDetail> {
  const apps = selectApps(roster, input.apps);
  const fallback = normEmail(input.fallback, 'fallback');
  const order = [...(input.order ?? (['manager', 'owner'] as const))];
  const dueAt = dueDateOf(roster, input);
  const rows = (await accessReviewRows(roster)).filter((r) => apps.includes(r.app));
  const scoped = scopeItems(rows, input.select);
  if (scoped.length === 0) {
    throw new RosterError(
      'invalid_input',
      `nothing to review: no ${input.select} access in ${apps.join(', ')}`,
      {
        where: 'scope',
        fix: 'widen the scope (more apps, or select all), or run roster sync first',
      },
    );
  }
  const fallbackManager = (await roster.store.getPerson({ email: fallback }))?.managerEmail ?? null;
  const rule = { order, fallback };
  const items = scoped.map((item) => {
    const picked = pickReviewer(rule, {
      person: item.subject.person,
      appOwner: roster.app(item.appId).owner ?? null,
      fallbackManager,
    });
    return { ...item, reviewer: picked.reviewer, reviewerReason: picked.reason };
  });
  const name = input.name?.trim() || `Access review ${roster.now().toISOString().slice(0, 10)}`;
  const review = await roster.store.transaction(async (tx) => {
    const created = await tx.createReview({
      review: {
        name,
        scope: { apps, select: input.select },
        rule,
        dueAt,
        revokeWhen: input.revokeWhen ?? 'close',
        createdBy: roster.actor,
      },
      items,
    });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'review.started',
      subject: created.id,
      data: { name, apps, select: input.select, items: items.length, dueAt, rule },
    });
    return created;
  });
  return showReview(roster, review.id);
}

export async function findReview(roster: Roster, id: string): Promise<ReviewRecord> {
  const review = await roster.store.getReview({ id });
  if (review) return review;
  const matches = (await roster.store.listReviews()).filter((r) => r.id.startsWith(id));
  if (matches.length === 1 && matches[0]) return matches[0];
  throw new RosterError(
    matches.length > 1 ? 'invalid_input' : 'not_found',
    matches.length > 1 ? `"${id}" matches ${matches.length} reviews` : `no review "${id}"`,
    { where: 'review id', fix: 'roster review list shows the campaigns and their ids' },
  );
}

export async function opsOf(
  roster: Roster,
  items: readonly ReviewItemRecord[],
): Promise<Map<string, OpRecord>> {
  const ops = new Map<string, OpRecord>();
  for (const planId of new Set(items.map((i) => i.planId).filter((p): p is string => p !== null))) {
    for (const op of await roster.store.listOps({ planId })) ops.set(`${planId}#${op.seq}`, op);
  }
  return ops;
}

function progressOf(review: ReviewRecord, items: readonly ReviewItemView[], now: Date): ReviewProgress {
  const count = (d: ReviewDecision) => items.filter((i) => i.decision === d).length;
  const revocations = items.filter((i) => i.decision === 'revoke' || i.decision === 'change');
  const overdue = review.status === 'open' && now.getTime() > Date.parse(review.dueAt);
  return {
    total: items.length,
    decided: items.filter((i) => i.decision !== null).length,
    keep: count('keep'),
    revoke: count('revoke'),
    change: count('change'),
    overdue: overdue ? items.filter((i) => i.decision === null).length : 0,
    planned: revocations.filter((i) => i.planId !== null).length,
    carriedOut: revocations.filter((i) => i.op?.status === 'succeeded' || (i.planId && i.opSeq === null))
      .length,
    verified: revocations.filter((i) => i.verifiedAt !== null).length,
  };
}

/**
 * A campaign with its items and progress. With `reviewer`, only that person's items (what a reviewer's token
 * sees); progress is always the whole campaign's.
 */
export async function showReview(
  roster: Roster,
  id: string,
  options: { reviewer?: string | null | undefined } = {},
): Promise<ReviewDetail> {
  const review = await findReview(roster, id);
  const all = await roster.store.listReviewItems({ reviewId: review.id });
  const ops = await opsOf(roster, all);
  const views: ReviewItemView[] = all.map((item) => {
    const op = item.planId && item.opSeq !== null ? ops.get(`${item.planId}#${item.opSeq}`) : undefined;
    return {
      ...item,
      op: op
        ? { kind: op.kind, status: op.status, approvedBy: op.approvedBy, finishedAt: op.finishedAt }
        : null,
    };
  });
  const reviewer = options.reviewer ? options.reviewer.toLowerCase() : null;
  return {
    review,
    progress: progressOf(review, views, roster.now()),
    items: reviewer === null ? views : views.filter((i) => i.reviewer === reviewer),
  };
}

export async function listReviews(
  roster: Roster,
  filter: { status?: ReviewStatus | undefined; reviewer?: string | null | undefined } = {},
): Promise<ReviewView[]> {
  const reviews = await roster.store.listReviews(filter.status ? { status: filter.status } : {});
  const views: ReviewView[] = [];
  for (const review of reviews) {
    const detail = await showReview(roster, review.id, { reviewer: filter.reviewer });
    // A reviewer's list holds the campaigns they have items in.
    if (filter.reviewer && detail.items.length === 0) continue;
    views.push({ review: detail.review, progress: detail.progress });
  }
  return views;
}

async function openItem(
  roster: Roster,
  reviewId: string,
  seq: number,
): Promise<{ review: ReviewRecord; item: ReviewItemRecord }> {
  const review = await findReview(roster, reviewId);
  if (review.status !== 'open') {
    throw new RosterError('conflict', `review ${review.id} is closed`, {
      fix: 'decisions and moves are made while a campaign is open',
    });
  }
  const item = (await roster.store.listReviewItems({ reviewId: review.id })).find((i) => i.seq === seq);
  if (!item) {
    throw new RosterError('not_found', `review ${review.id} has no item ${seq}`, {
      where: 'item',
      fix: 'roster review show <id> lists the items and their numbers',
    });
  }
  return { review, item };
}

export const describeItem = (item: ReviewItemRecord): string =>
  `${item.appId} ${item.subject.accountEmail || item.accountId}${
    item.subject.entitlement ? ` (${item.subject.entitlement.kind} "${item.subject.entitlement.name}")` : ''
  }`;

function refuseSelfReview(who: string, item: ReviewItemRecord): void {
  if (!isSelfReview(who, item.subject.person)) return;
  throw new RosterError(
    'forbidden',
    `self-review: ${who} cannot review their own access (${describeItem(item)})`,
    {
      where: 'reviewer',
      fix: 'the item stays with its reviewer; access is reviewed by someone else (the manager, the app owner or the fallback)',
    },
  );
}

export interface DecideInput {
  review: string;
  seq: number;
  /** The reviewer deciding (their email): only the item's reviewer may decide it. */
  as: string;
  decision: ReviewDecision;
  comment?: string | undefined;
  /** change: the entitlement (same kind, same app) the access becomes. */
  changeTo?: string | undefined;
}

/**
 * Records a reviewer's decision on one of their items. Someone else's item, or their own access, is refused.
 * A decision can be changed until it is planned. With `revokeWhen: decided`, a revocation is planned at once.
 */
export async function decideItem(roster: Roster, input: DecideInput): Promise<ReviewItemView> {
  const as = normEmail(input.as, 'reviewer');
  const { review, item } = await openItem(roster, input.review, input.seq);
  refuseSelfReview(as, item);
  if (item.reviewer !== as) {
    throw new RosterError(
      'forbidden',
      `item ${item.seq} of review ${review.id} is for ${item.reviewer} to review, not ${as}`,
      {
        where: 'item',
        fix: `${item.reviewer} can decide it, or delegate it; an operator can reassign it`,
      },
    );
  }
  if (item.planId !== null) {
    throw new RosterError('conflict', `item ${item.seq} is already planned (plan ${item.planId})`, {
      fix: 'a planned decision is carried out as planned; cancel the plan to stop it',
    });
  }
  let changeTo: string | null = null;
  if (input.decision === 'change') {
    if (!item.subject.entitlement || !input.changeTo?.trim()) {
      throw new RosterError('invalid_input', 'a change names the entitlement the access becomes', {
        where: 'changeTo',
        fix: item.subject.entitlement
          ? `give the ${item.subject.entitlement.kind} to change "${item.subject.entitlement.name}" to`
          : 'this item is a whole account: keep or revoke it',
      });
    }
    changeTo = input.changeTo.trim();
    const kind = item.subject.entitlement.kind;
    const known = (await roster.store.listEntitlements({ appId: item.appId })).some(
      (e) => e.kind === kind && e.name.toLowerCase() === changeTo?.toLowerCase(),
    );
    if (!known) {
      throw new RosterError('invalid_input', `${item.appId} has no ${kind} "${changeTo}"`, {
        where: 'changeTo',
        fix: `name a ${kind} the app has (roster graph entitlements lists them)`,
      });
    }
  }
  const at = roster.now().toISOString();
  const comment = input.comment?.trim() || null;
  const decided = await roster.store.transaction(async (tx) => {
    const updated = await tx.updateReviewItem({
      reviewId: review.id,
      seq: item.seq,
      set: { decision: input.decision, changeTo, comment, decidedBy: as, decidedAt: at },
    });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'review.decided',
      appId: item.appId,
      subject: `${review.id}#${item.seq}`,
      data: {
        reviewer: as,
        decision: input.decision,
        account: item.accountId,
        ...(item.subject.entitlement ? { entitlement: item.subject.entitlement.name } : {}),
        ...(changeTo ? { changeTo } : {}),
        ...(comment ? { comment } : {}),
      },
    });
    return updated;
  });
  if (review.revokeWhen === 'decided' && input.decision !== 'keep') {
    await planDecisions(roster, review, [decided]);
  }
  return itemView(roster, review.id, item.seq);
}

async function itemView(roster: Roster, reviewId: string, seq: number): Promise<ReviewItemView> {
  const detail = await showReview(roster, reviewId);
  return detail.items.find((i) => i.seq === seq) as ReviewItemView;
}

export interface ReassignInput {
  review: string;
  seq: number;
  to: string;
  /** Set when the item's reviewer hands it on (delegation); absent when an operator reassigns it. */
  as?: string | undefined;
  note?: string | undefined;
}

/** Delegation (by the item's reviewer) or reassignment (by an operator); never to the person reviewed. */
export async function reassignItem(roster: Roster, input: ReassignInput): Promise<ReviewItemView> {
  const to = normEmail(input.to, 'to');
  const { review, item } = await openItem(roster, input.review, input.seq);
  const as = input.as === undefined ? null : normEmail(input.as, 'reviewer');
  if (as !== null && item.reviewer !== as) {
    throw new RosterError(
      'forbidden',
      `item ${item.seq} is for ${item.reviewer} to review: ${as} cannot delegate it`,
      {
        where: 'item',
        fix: 'only the reviewer delegates an item; an operator can reassign it',
      },
    );
  }
  refuseSelfReview(to, item);
  if (item.decision !== null) {
    throw new RosterError('conflict', `item ${item.seq} is already decided (${item.decision})`, {
      fix: 'a decided item stays with whoever decided it',
    });
  }
  await moveItem(
    roster,
    review,
    item,
    to,
    as === null ? 'reassigned' : 'delegated',
    as ?? roster.actor,
    input.note,
  );
  return itemView(roster, review.id, item.seq);
}

export async function moveItem(
  roster: Roster,
  review: ReviewRecord,
  item: ReviewItemRecord,
  to: string,
  reason: ReviewerReason,
  by: string,
  note?: string,
  extra: { escalatedAt?: string } = {},
): Promise<void> {
  const at = roster.now().toISOString();
  const move = { from: item.reviewer, to, reason, by, at, ...(note?.trim() ? { note: note.trim() } : {}) };
  await roster.store.transaction(async (tx) => {
    await tx.updateReviewItem({
      reviewId: review.id,
      seq: item.seq,
      set: { reviewer: to, reviewerReason: reason, history: [...item.history, move], ...extra },
    });
    await tx.appendAudit({
      actor: roster.actor,
      kind: `review.${reason}`,
      appId: item.appId,
      subject: `${review.id}#${item.seq}`,
      data: { from: item.reviewer, to, by, ...(move.note ? { note: move.note } : {}) },
    });
  });
}

async function planDecisions(
  roster: Roster,
  review: ReviewRecord,
  items: readonly ReviewItemRecord[],
): Promise<string | null> {
  const wanted = items.filter(
    (i) => (i.decision === 'revoke' || i.decision === 'change') && i.planId === null,
  );
  if (wanted.length === 0) return null;
  const revocations: Revocation[] = wanted.map((i) => ({
    key: String(i.seq),
    appId: i.appId,
    accountId: i.accountId,
    entitlementId: i.subject.entitlement?.id ?? null,
    changeTo: i.decision === 'change' ? i.changeTo : null,
    why: `access review "${review.name}": ${i.decidedBy ?? 'the reviewer'} decided ${i.decision}${
      i.comment ? ` (${i.comment})` : ''
    }`,
  }));
  const planned = await planRevocations({
    store: roster.store,
    config: roster.config,
    manifests: roster.manifests(),
    now: roster.now(),
    revocations,
    requestedBy: roster.actor,
  });
  const planId = planned.plan.id;
  const seqOfRef = new Map(planned.ops.map((op) => [String(op.target.ref), op.seq]));
  await roster.store.transaction(async (tx) => {
    for (const item of wanted) {
      const ref = planned.opRefs.get(String(item.seq));
      await tx.updateReviewItem({
        reviewId: review.id,
        seq: item.seq,
        set: { planId, opSeq: ref === undefined ? null : (seqOfRef.get(ref) ?? null) },
      });
    }
    const current = (await tx.getReview({ id: review.id })) ?? review;
    await tx.updateReview({ id: review.id, set: { planIds: [...current.planIds, planId] } });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'review.planned',
      subject: review.id,
      data: { planId, items: wanted.map((i) => i.seq), ops: planned.ops.length },
    });
  });
  return planId;
}

export interface CloseReviewResult extends ReviewDetail {
  /** The plan holding the campaign's revocations (null: nothing to revoke); approve and apply it as any plan. */
  planId: string | null;
}

/**
 * Closes a campaign and turns its revoke and change decisions into a plan. Undecided items stop a close unless
 * `force`: the evidence then shows them as not reviewed.
 */
export async function closeReview(
  roster: Roster,
  input: { review: string; force?: boolean | undefined },
): Promise<CloseReviewResult> {
  const review = await findReview(roster, input.review);
  if (review.status === 'closed') {
    throw new RosterError('conflict', `review ${review.id} is already closed`, { fix: 'nothing to do' });
  }
  const items = await roster.store.listReviewItems({ reviewId: review.id });
  const undecided = items.filter((i) => i.decision === null);
  if (undecided.length > 0 && !input.force) {
    throw new RosterError('conflict', `review ${review.id} has ${undecided.length} undecided item(s)`, {
      fix: `wait for the reviewers (roster review remind), or close anyway with --force: they are reported as not reviewed (${[
        ...new Set(undecided.map((i) => i.reviewer)),
      ].join(', ')})`,
    });
  }
  const planId = await planDecisions(roster, review, items);
  await roster.store.transaction(async (tx) => {
    await tx.updateReview({
      id: review.id,
      set: { status: 'closed', closedAt: roster.now().toISOString(), closedBy: roster.actor },
    });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'review.closed',
      subject: review.id,
      data: { planId, undecided: undecided.map((i) => i.seq) },
    });
  });
  return { ...(await showReview(roster, review.id)), planId };
}

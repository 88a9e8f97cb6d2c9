/**
 * @module The SCIM facade's removal hold: past N deactivations and deletions in a window, further ones wait for
 * a person, who lists them, releases (approves) or rejects (cancels) them.
 */

import { randomUUID } from 'node:crypto';
import { RosterError } from '../core/errors.js';
import type { PlanOp } from '../reconcile/diff.js';
import { bodyWithOps, toOpInputs } from '../reconcile/plan.js';
import { EVER, type PlanRecord, type Store } from '../store/store.js';
import type { Roster } from './context.js';
import { approve, findPlan } from './plan.js';
import { cancelPlan } from './service.js';

export interface HoldSettings {
  /** Removals (deactivations and deletions) through the facade allowed per window, across every app. */
  max: number;
  windowMs: number;
  /** What a held request is told to wait before retrying (Retry-After). */
  retryAfterMs: number;
}

/** What the summary of a facade plan carries for the hold. */
export interface HoldSummary {
  source: 'scim';
  /** Removals the plan makes (counted against the window). */
  removals: number;
  /** Set on a held plan: which account and change it is, so the IdP's retry finds it. */
  hold?: { key: string };
}

const REMOVAL = new Set<PlanOp['kind']>(['delete', 'deactivate']);

export const removalsIn = (ops: readonly PlanOp[]): number => ops.filter((op) => REMOVAL.has(op.kind)).length;

/** The account and change a request's removal is about (`app|kind|account`), or null when it removes nothing. */
export function holdKey(appId: string, ops: readonly PlanOp[]): string | null {
  const removal = ops.find((op) => REMOVAL.has(op.kind));
  if (!removal) return null;
  const account = removal.account && 'id' in removal.account ? removal.account.id : removal.ref;
  return `${appId}|${removal.kind}|${account}`;
}

const facadeSummary = (plan: PlanRecord) => plan.summary as Partial<HoldSummary>;

/** Only the plans the facade held: picked out by the store, never found among every plan read whole. */
const HELD = { facade: true, held: true } as const;

/**
 * Removals the facade carried out (or is carrying out) inside the window; held and rejected ones do not count. Only
 * the plans that remove something are read whole: an IdP that provisions a company writes tens of thousands of plans
 * an hour (with 20k in the window, reading them all took 120 ms for every removal while every other request waited;
 * picking out the few that remove something takes 35 ms).
 */
async function removalsSince(store: Store, since: string): Promise<number> {
  let total = 0;
  for (const plan of await store.listPlans({ createdSince: since, facade: true, removals: true })) {
    const summary = facadeSummary(plan);
    if (summary.source !== 'scim' || summary.hold || plan.status === 'cancelled') continue;
    total += summary.removals ?? 0;
  }
  return total;
}

/**
 * The held plan for this account and change: one still waiting (a draft, any age), or one a person rejected
 * inside the window (so the IdP's retries are told, not held again). Only held facade plans are read: drafts that
 * `roster plan` left behind are read whole otherwise (megabytes each when saved before the ops were split out), and
 * this runs for every removal.
 */
async function findHeld(store: Store, key: string, since: string): Promise<PlanRecord | null> {
  const candidates = [
    ...(await store.listPlans({ status: 'draft', createdSince: EVER, ...HELD })),
    ...(await store.listPlans({ status: 'cancelled', updatedSince: since, ...HELD })),
  ];
  return (
    candidates.find((p) => facadeSummary(p).source === 'scim' && facadeSummary(p).hold?.key === key) ?? null
  );
}

/** What the facade is to do with a write, as the hold decides it. */
export type ScimWriteDecision =
  /** Not a removal past the limit: run it as a plan of its own. */
  | { decision: 'run' }
  /** A person released the held plan for this change: run its ops now, on the IdP's retry. */
  | { decision: 'released'; planId: string; ops: PlanOp[] }
  /** Held for a person (`created`: just now, so notify); the IdP is to retry after `retryAfterSeconds`. */
  | { decision: 'held'; planId: string; created: boolean; retryAfterSeconds: number; detail: string }
  /** A person rejected this change: the app keeps the account as it is. */
  | { decision: 'rejected'; planId: string; detail: string };

function heldDetail(planId: string, settings: HoldSettings): string {
  return (
    `held: more than ${settings.max} deactivations or deletions through the SCIM facade in ` +
    `${Math.round(settings.windowMs / 60_000)} min; plan ${planId} waits for a person ` +
    `(roster scim release ${planId} --by NAME, or roster scim reject ${planId} --by NAME)`
  );
}

/**
 * The hold rule: a removal past `max` in the window is saved as a plan whose ops need approval (and audited),
 * not run; the IdP's retries of the same change find that plan — held while it waits, run once released, told
 * once rejected. Writes that remove nothing, and every write without settings, run.
 */
export async function decideScimWrite(
  roster: Roster,
  input: { appId: string; ops: PlanOp[]; settings?: HoldSettings | undefined },
): Promise<ScimWriteDecision> {
  const { appId, ops, settings } = input;
  const key = settings ? holdKey(appId, ops) : null;
  if (!key || !settings) return { decision: 'run' };
  const since = new Date(roster.now().getTime() - settings.windowMs).toISOString();
  const retryAfterSeconds = Math.max(1, Math.ceil(settings.retryAfterMs / 1000));
  const held = await findHeld(roster.store, key, since);
  if (held?.status === 'cancelled')
    return {
      decision: 'rejected',
      planId: held.id,
      detail: `a person rejected this change (held plan ${held.id}); ${appId} keeps the account as it is`,
    };
  if (held) {
    const records = await roster.store.listOps({ planId: held.id });
    const waiting = records.some((o) => o.requiresApproval && o.status === 'pending');
    if (waiting)
      return {
        decision: 'held',
        planId: held.id,
        created: false,
        retryAfterSeconds,
        detail: heldDetail(held.id, settings),
      };
    // Released: what the person approved runs now, on the IdP's retry.
    return {
      decision: 'released',
      planId: held.id,
      ops: bodyWithOps<{ ops: PlanOp[] }>(held.body, records).ops,
    };
  }
  const removals = removalsIn(ops);
  if ((await removalsSince(roster.store, since)) + removals <= settings.max) return { decision: 'run' };
  const { plan } = await roster.store.createPlan({
    stateHash: `scim:${randomUUID()}`,
    summary: { total: ops.length, source: 'scim', removals, hold: { key }, approvals: ops.length },
    body: { source: 'scim', requestedBy: roster.actor, ops },
    ops: toOpInputs(
      ops.map((op) => ({
        ...op,
        requiresApproval: true,
        approvalReasons: [`more than ${settings.max} removals through the SCIM facade in the window`],
      })),
    ),
  });
  await roster.store.appendAudit({
    actor: roster.actor,
    kind: 'scim.held',
    appId,
    subject: plan.id,
    data: { key, max: settings.max, windowMs: settings.windowMs },
  });
  return {
    decision: 'held',
    planId: plan.id,
    created: true,
    retryAfterSeconds,
    detail: heldDetail(plan.id, settings),
  };
}

export interface ScimHold {
  planId: string;
  /** `app|kind|account`: which account and which removal. */
  key: string;
  requestedBy: string | null;
  createdAt: string;
  /** waiting: for a person; released: approved, runs on the IdP's retry; rejected; done: it ran. */
  state: 'waiting' | 'released' | 'rejected' | 'done';
}

const holdOf = (plan: PlanRecord) =>
  (plan.summary as { source?: unknown; hold?: { key?: unknown } }).source === 'scim'
    ? (plan.summary as { hold?: { key?: string } }).hold
    : undefined;

async function toHold(roster: Roster, plan: PlanRecord): Promise<ScimHold> {
  // Only a draft's ops tell waiting from released: `--all` lists thousands of settled holds, read plan by plan.
  const state: ScimHold['state'] =
    plan.status === 'cancelled'
      ? 'rejected'
      : plan.status === 'draft'
        ? (await roster.store.listOps({ planId: plan.id })).some(
            (o) => o.requiresApproval && o.status === 'pending',
          )
          ? 'waiting'
          : 'released'
        : 'done';
  return {
    planId: plan.id,
    key: holdOf(plan)?.key ?? '',
    requestedBy: (plan.body as { requestedBy?: string }).requestedBy ?? null,
    createdAt: plan.createdAt,
    state,
  };
}

/**
 * Held removals, newest first (the waiting ones by default; with `all`, the newest 5,000 ever held). Picked out by
 * the store: the newest plans of a busy facade are its writes, and held ones were lost among them.
 */
export async function listScimHolds(roster: Roster, input: { all?: boolean } = {}): Promise<ScimHold[]> {
  const plans = (
    await roster.store.listPlans(
      input.all ? { limit: 5000, ...HELD } : { status: 'draft', createdSince: EVER, ...HELD },
    )
  ).filter((p) => holdOf(p) !== undefined);
  const holds = await Promise.all(plans.map((p) => toHold(roster, p)));
  return input.all ? holds : holds.filter((h) => h.state === 'waiting');
}

async function heldPlan(roster: Roster, ref: string): Promise<PlanRecord> {
  const plan = await findPlan(roster, ref);
  if (!holdOf(plan)) {
    throw new RosterError('invalid_input', `plan ${plan.id} is not a removal the SCIM facade held`, {
      fix: 'roster scim holds lists them',
    });
  }
  return plan;
}

/** Releases a held removal: its ops are approved (four eyes apply), and it runs when the IdP retries. */
export async function releaseScimHold(roster: Roster, ref: string): Promise<ScimHold> {
  const plan = await heldPlan(roster, ref);
  await approve(roster, { plan: plan.id });
  return toHold(roster, plan);
}

/** Rejects a held removal: the account stays; the IdP's retries are told so. */
export async function rejectScimHold(roster: Roster, ref: string): Promise<ScimHold> {
  const plan = await heldPlan(roster, ref);
  return toHold(roster, await cancelPlan(roster, plan.id));
}

/** The hold a plan is, when the facade held it (so `roster approve` can say it runs on the IdP's retry). */
export async function scimHoldOf(roster: Roster, planId: string): Promise<ScimHold | null> {
  const plan = await roster.store.getPlan({ id: planId });
  return plan && holdOf(plan) ? toHold(roster, plan) : null;
}

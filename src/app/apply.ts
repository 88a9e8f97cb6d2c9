/** @module applyPlan: carries out a saved plan through the executor, after the checks every caller must get. */

import type { Connector } from '../connectors/sdk/types.js';
import { RosterError } from '../core/errors.js';
import {
  type ApplyResult,
  applyPlan as executePlan,
  type OpReport,
  type WaitOptions,
} from '../reconcile/apply/index.js';
import { ownerIsDead } from '../reconcile/apply/run-op.js';
import type { PlanBody } from '../reconcile/plan.js';
import { EVER, type Store } from '../store/store.js';
import type { Roster } from './context.js';
import { findPlan } from './plan.js';

export interface ApplyPlanOptions {
  /** Plan id, a unique prefix or suffix of it, or `latest` (default). */
  plan?: string | undefined;
  /** The caller has confirmed; apply refuses without it. */
  yes: boolean;
  resume?: boolean;
  overrideSafety?: boolean;
  waits?: WaitOptions;
  concurrency?: number;
  onOp?: (report: OpReport) => void;
}

/** Applies a saved plan (by id, prefix or latest) with the connectors of the apps it touches. */
export async function applyPlan(roster: Roster, options: ApplyPlanOptions): Promise<ApplyResult> {
  const plan = await findPlan(roster, options.plan, { resume: options.resume ?? false });
  if ((plan.summary as { source?: unknown }).source === 'scim') {
    throw new RosterError('invalid_input', `plan ${plan.id} is an IdP's write through the SCIM facade`, {
      where: 'plan id',
      fix: 'the facade runs its own writes as they come (see roster audit); apply a plan made by roster plan',
    });
  }
  const body = plan.body as PlanBody;
  // The executor refuses a stale, blocked or erroneous plan: those checks hold for every caller, workers too.
  const connectors: Record<string, Connector> = {};
  for (const appId of body.apps) connectors[appId] = roster.connector(appId);
  return executePlan({
    store: roster.store,
    config: roster.config,
    planId: plan.id,
    connectors,
    actor: roster.actor,
    yes: options.yes,
    resume: options.resume ?? false,
    overrideSafety: options.overrideSafety ?? false,
    now: () => roster.now(),
    ...(options.waits ? { waits: options.waits } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.onOp ? { onOp: options.onOp } : {}),
  });
}

/**
 * Plans an apply was carrying out when its process died: still `applying`, their lock held by an owner that ran
 * on this host and whose process is gone (an apply that ended, even with waits left, let go of its lock). Oldest
 * first. A server started again carries on those that died within the last day (`carryOn`), as the person who
 * started them asked; the checks every apply gets still hold (a stale or blocked plan is refused). One that died
 * longer ago (`left`) waits for a person to apply it again: what was asked then may no longer be meant.
 */
export async function interruptedApplies(
  store: Store,
  now: Date = new Date(),
): Promise<{ carryOn: string[]; left: string[] }> {
  const applying = await store.listPlans({ status: 'applying', facade: false, createdSince: EVER });
  const found = { carryOn: [] as string[], left: [] as string[] };
  for (const plan of applying.reverse()) {
    const lock = await store.getPlanLock({ planId: plan.id });
    if (lock === null || !ownerIsDead(lock.owner)) continue;
    // A live apply renews its lock every third of its lease: it died about when the lock ran out.
    const recent = now.getTime() - Date.parse(lock.expiresAt) <= CARRY_ON_WITHIN_MS;
    (recent ? found.carryOn : found.left).push(plan.id);
  }
  return found;
}

/** How long after it died an interrupted apply is still carried on unasked. */
export const CARRY_ON_WITHIN_MS = 24 * 60 * 60 * 1000;

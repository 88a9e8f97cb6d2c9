/** @module The facade's removal hold: past N deactivations and deletions in a window, further ones wait for a person. */

import type { PlanOp } from '../../reconcile/diff.js';
import type { PlanRecord, Store } from '../../store/store.js';

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

/** Plans the facade made recently enough to matter: every one inside the window, newest first. */
async function recentFacadePlans(store: Store, since: string): Promise<PlanRecord[]> {
  const plans = await store.listPlans({ limit: 5000 });
  return plans.filter((p) => p.createdAt >= since && (p.summary as Partial<HoldSummary>).source === 'scim');
}

/** Removals the facade carried out (or is carrying out) inside the window; held and rejected ones do not count. */
export async function removalsSince(store: Store, since: string): Promise<number> {
  let total = 0;
  for (const plan of await recentFacadePlans(store, since)) {
    const summary = plan.summary as Partial<HoldSummary>;
    if (summary.hold || plan.status === 'cancelled') continue;
    total += summary.removals ?? 0;
  }
  return total;
}

/**
 * The held plan for this account and change: one still waiting (any age), or one a person rejected inside the
 * window (so the IdP's retries are told, not held again).
 */
export async function findHeld(store: Store, key: string, since: string): Promise<PlanRecord | null> {
  const plans = await store.listPlans({ limit: 5000 });
  return (
    plans.find((p) => {
      const summary = p.summary as Partial<HoldSummary>;
      if (summary.source !== 'scim' || summary.hold?.key !== key) return false;
      return p.status === 'draft' || (p.status === 'cancelled' && p.updatedAt >= since);
    }) ?? null
  );
}

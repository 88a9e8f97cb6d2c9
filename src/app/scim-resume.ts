/**
 * @module The SCIM facade's writes a stopped server left half done. A facade write is a plan run while the IdP
 * waits for its answer; when the server stops mid-write (a crash, a kill, a lost machine), the app may hold what
 * the IdP asked for while the snapshot and the plan do not. The IdP retries, finds no such user in the snapshot,
 * and would create it again. The server carries such plans on as it starts, before it takes writes.
 */

import { ownerIsDead } from '../reconcile/apply/run-op.js';
import { EVER, type OpRecord, type PlanRecord, type Store } from '../store/store.js';
import { OP_LEASE_MS } from './ops.js';
import type { HoldSummary } from './scim-holds.js';

/**
 * The app's facade plans a stopped server left unfinished, oldest first, each with its ops: still drafts (a facade
 * plan is settled as its request ends), not held (a held plan waits for a person, and runs on the IdP's retry once
 * released), begun (an op's intent was recorded: a plan never begun asked the app nothing), and with no op claimed
 * by an owner that may be alive. The run is known dead when its owner (kept in the plan's body, or holding an op's
 * claim) ran on this host and its process is gone; else the plan must be older than an op's claim lasts (its
 * claims have run out, and no request waits that long).
 */
export async function interruptedFacadePlans(
  store: Store,
  appId: string,
  now: Date = new Date(),
): Promise<{ plan: PlanRecord; ops: OpRecord[] }[]> {
  const found: { plan: PlanRecord; ops: OpRecord[] }[] = [];
  const drafts = await store.listPlans({ status: 'draft', facade: true, createdSince: EVER });
  const oldestFirst = (a: PlanRecord, b: PlanRecord) =>
    a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
  for (const plan of drafts.sort(oldestFirst)) {
    if ((plan.summary as Partial<HoldSummary>).hold !== undefined) continue;
    const ops = await store.listOps({ planId: plan.id });
    if (ops.length === 0 || ops.some((op) => op.appId !== appId) || !ops.some((op) => op.attempts > 0))
      continue;
    const claimed = ops.filter((op) => op.claimedBy !== null);
    const runner = (plan.body as { owner?: unknown } | null)?.owner;
    const dead =
      (typeof runner === 'string' && ownerIsDead(runner)) ||
      claimed.some((op) => ownerIsDead(op.claimedBy as string));
    const live = claimed.some(
      (op) => !ownerIsDead(op.claimedBy as string) && Date.parse(op.claimExpiresAt ?? '') > now.getTime(),
    );
    const old = now.getTime() - Date.parse(plan.createdAt) > OP_LEASE_MS;
    if (!live && (dead || old)) found.push({ plan, ops });
  }
  return found;
}

/** @module Removals the SCIM facade held past its threshold: list them, release (approve) or reject (cancel) them. */

import { RosterError } from '../core/errors.js';
import type { PlanRecord } from '../store/store.js';
import type { Roster } from './context.js';
import { approve, findPlan } from './plan.js';
import { cancelPlan } from './service.js';

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
  const ops = await roster.store.listOps({ planId: plan.id });
  const state: ScimHold['state'] =
    plan.status === 'cancelled'
      ? 'rejected'
      : plan.status === 'draft'
        ? ops.some((o) => o.requiresApproval && o.status === 'pending')
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

/** Held removals, newest first (the waiting ones by default). */
export async function listScimHolds(roster: Roster, input: { all?: boolean } = {}): Promise<ScimHold[]> {
  const plans = (await roster.store.listPlans({ limit: 5000 })).filter((p) => holdOf(p) !== undefined);
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

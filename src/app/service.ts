/**
 * @module The steps a running service takes besides the CLI's: cancel a plan, mark a task done with a note,
 * reconcile after a scheduled run (graph, plan, the ops the policy lets run unattended), re-read one account.
 */

import { RosterError } from '../core/errors.js';
import { removeSnapshotAccount, upsertSnapshotAccount } from '../store/account-upsert.js';
import type { PlanRecord, TaskRecord } from '../store/store.js';
import { applyPlan } from './apply.js';
import type { Roster } from './context.js';
import { updateGraph } from './graph.js';
import { findPlan, planChanges } from './plan.js';

export async function cancelPlan(roster: Roster, ref: string): Promise<PlanRecord> {
  const plan = await findPlan(roster, ref);
  if (plan.status === 'applying' || plan.status === 'applied') {
    throw new RosterError('conflict', `plan ${plan.id} is ${plan.status} and cannot be cancelled`);
  }
  if (plan.status === 'cancelled') return plan;
  return roster.store.transaction(async (tx) => {
    const cancelled = await tx.setPlanStatus({ id: plan.id, status: 'cancelled' });
    await tx.appendAudit({ actor: roster.actor, kind: 'plan.cancelled', subject: plan.id });
    return cancelled;
  });
}

/** Marks a manual task done with a note; the next sync still checks the change is really there. */
export async function completeTask(roster: Roster, input: { id: string; note: string }): Promise<TaskRecord> {
  const task = (await roster.store.listTasks({})).find((t) => t.id === input.id);
  if (!task)
    throw new RosterError('not_found', `task ${input.id} not found`, { fix: 'GET /tasks lists them' });
  if (task.status !== 'open') throw new RosterError('conflict', `task ${input.id} is already ${task.status}`);
  return roster.store.transaction(async (tx) => {
    const closed = await tx.closeTask({ id: input.id, status: 'done', closedBy: roster.actor });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'task.done',
      appId: task.appId,
      subject: task.id,
      data: { note: input.note },
    });
    return closed;
  });
}

export interface ReconcileResult {
  planId: string | null;
  planned: number;
  applied: { status: string; succeeded: number } | null;
  /** Why an auto-apply did not run (a plan with errors, blocked by the safety limits...). */
  notApplied: string | null;
}

/**
 * What follows a scheduled sync or a changed import: a plan for the apps (the core refreshes the graph first),
 * and with autoApply the plan's ops that need no approval are applied; the others wait for a person.
 */
export async function reconcile(
  roster: Roster,
  input: { apps?: readonly string[]; person?: string; plan: boolean; autoApply: boolean },
): Promise<ReconcileResult> {
  if (!input.plan) return { planId: null, planned: 0, applied: null, notApplied: null };
  const planned = await planChanges(roster, {
    ...(input.apps ? { apps: input.apps } : {}),
    ...(input.person ? { person: input.person } : {}),
  });
  const result: ReconcileResult = {
    planId: planned.plan.id,
    planned: planned.summary.total,
    applied: null,
    notApplied: null,
  };
  if (!input.autoApply || planned.summary.total === 0) return result;
  try {
    const applied = await applyPlan(roster, { plan: planned.plan.id, yes: true, waits: { holdMs: 0 } });
    result.applied = {
      status: applied.status,
      succeeded: applied.ops.filter((o) => o.state === 'succeeded').length,
    };
  } catch (error) {
    // The core refuses plans with errors and blocked plans: unattended, that is an answer, not a failure.
    if (!(error instanceof RosterError) || error.code !== 'conflict') throw error;
    result.notApplied = error.message;
  }
  return result;
}

export interface ResyncResult {
  appId: string;
  accountId: string | null;
  /** updated: read back and written; removed: the app no longer holds it; unknown: no such account. */
  outcome: 'updated' | 'removed' | 'unknown';
  employeeId: string | null;
  planId: string | null;
  planned: number;
}

/**
 * A targeted re-sync of one account (a webhook said it changed): read it by id (or email) through the app's API,
 * write that one row into the snapshot, refresh the graph, and plan for its owner only. No listing.
 */
export async function resyncAccount(
  roster: Roster,
  input: { appId: string; accountId?: string | undefined; email?: string | undefined; plan: boolean },
): Promise<ResyncResult> {
  const connector = roster.connector(input.appId);
  const { get, findByEmail } = connector.accounts;
  let accountId = input.accountId ?? null;
  let account = null;
  if (accountId !== null && get) {
    // Thought Industries guide: GET /users/{id} returns one user.
    account = await get.call(connector.accounts, { id: accountId });
  } else if (input.email && findByEmail) {
    [account = null] = await findByEmail.call(connector.accounts, { email: input.email });
    accountId = account?.id ?? null;
  } else {
    throw new RosterError(
      'invalid_input',
      `${input.appId} cannot read one account by what the event carries`,
      {
        where: 'body',
        fix: get ? 'send accountId' : findByEmail ? 'send email' : 'this app can only be synced in full',
      },
    );
  }
  let outcome: ResyncResult['outcome'] = 'unknown';
  if (account) {
    await upsertSnapshotAccount(roster.store, account);
    outcome = 'updated';
  } else if (
    accountId !== null &&
    (await removeSnapshotAccount(roster.store, { appId: input.appId, id: accountId }))
  ) {
    outcome = 'removed';
  }
  await roster.store.appendAudit({
    actor: roster.actor,
    kind: 'account.resynced',
    appId: input.appId,
    subject: accountId,
    data: { outcome },
  });
  await updateGraph(roster);
  const [link] =
    accountId === null
      ? []
      : await roster.store.listGraphLinks({ appId: input.appId, accountIds: [accountId] });
  const employeeId = link?.situation === 'linked' ? link.employeeId : null;
  const result: ResyncResult = {
    appId: input.appId,
    accountId,
    outcome,
    employeeId,
    planId: null,
    planned: 0,
  };
  if (input.plan && employeeId) {
    const planned = await planChanges(roster, { apps: [input.appId], person: employeeId });
    result.planId = planned.plan.id;
    result.planned = planned.summary.total;
  }
  return result;
}

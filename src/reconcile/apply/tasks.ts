/** @module Manual tasks: closes the ones a later sync shows done (the account exists, is gone, the field matches). */

import type { Store, StoredAccount, TaskRecord } from '../../store/store.js';
import { accountField, type PlanOp } from '../diff.js';
import { planStatusOf } from './executor.js';
import { planOpOf } from './run-op.js';

const sameEmail = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();

/** Whether the store's snapshot of the app shows a task's change made. */
async function satisfied(store: Store, task: TaskRecord, op: PlanOp): Promise<boolean> {
  const accounts = await store.listAccounts({ appId: task.appId });
  const live = (a: StoredAccount) => a.status !== 'deleted';
  const byId =
    op.account && 'id' in op.account
      ? accounts.find((a) => a.id === (op.account as { id: string }).id)
      : undefined;
  const byEmail = op.person
    ? accounts.find((a) => live(a) && sameEmail(a.email, op.person?.email ?? ''))
    : undefined;
  const account = byId ?? byEmail;
  switch (task.kind) {
    case 'create':
      return byEmail !== undefined;
    case 'deactivate':
      return byId === undefined || byId.status === 'inactive' || byId.status === 'deleted';
    case 'delete':
      return byId === undefined || byId.status === 'deleted';
    case 'reactivate':
    case 'invite':
      return account?.status === 'active';
    case 'update':
      if (!account) return false;
      return Object.entries(op.changes ?? {}).every(
        ([field, c]) => (accountField(account, field) ?? '') === c.to,
      );
    case 'grant':
    case 'revoke': {
      if (!account || !op.entitlement) return false;
      const grants = await store.listGrants({ appId: task.appId, accountId: account.id });
      const has = grants.some((g) => g.entitlementId === op.entitlement?.id);
      return task.kind === 'grant' ? has : !has;
    }
    default:
      return false;
  }
}

/** Closes (as done, by `sync`) every open task whose change the latest snapshots show; returns those closed. */
export async function closeSatisfiedTasks(input: { store: Store; closedBy?: string }): Promise<TaskRecord[]> {
  const { store } = input;
  const closed: TaskRecord[] = [];
  const opsByPlan = new Map<string, Map<number, PlanOp>>();
  for (const task of await store.listTasks({ status: 'open' })) {
    if (task.planId === null || task.opSeq === null) continue;
    let ops = opsByPlan.get(task.planId);
    if (!ops) {
      ops = new Map((await store.listOps({ planId: task.planId })).map((r) => [r.seq, planOpOf(r)]));
      opsByPlan.set(task.planId, ops);
    }
    const op = ops.get(task.opSeq);
    if (!op || !(await satisfied(store, task, op))) continue;
    closed.push(await store.closeTask({ id: task.id, status: 'done', closedBy: input.closedBy ?? 'sync' }));
    await store.appendAudit({
      actor: input.closedBy ?? 'sync',
      kind: 'task.done',
      appId: task.appId,
      subject: op.person?.email ?? task.id,
      data: { taskId: task.id, planId: task.planId, seq: task.opSeq, kind: task.kind },
    });
  }
  // Closing a task finished the task ops that waited on it, in whichever plan: a plan left with nothing open
  // is applied (or failed, when an op of it failed).
  if (closed.length > 0) {
    for (const plan of await store.listPlans({ status: 'tasks_open', limit: 10_000 })) {
      const status = planStatusOf(await store.listOps({ planId: plan.id }));
      if (status !== plan.status) await store.setPlanStatus({ id: plan.id, status });
    }
  }
  return closed;
}

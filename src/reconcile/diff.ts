/** @module Diff: desired state against what the apps hold → ops with reasons, dependencies, risk, approvals and safety. */

import type { Person } from '../core/types.js';
import type { DesiredAccount, DesiredState } from './desired.js';
import { diffAccount } from './diff/accounts.js';
import { appDiff, type PersonRef } from './diff/context.js';
import { diffGrants, missingErrors, resolveWanted } from './diff/grants.js';
import { diffRemovals } from './diff/removals.js';
import { applySafety } from './diff/safety.js';
import type { DiffApp, DiffLink, DiffResult } from './diff/types.js';
import type { Policy } from './policy.js';

export { accountField, comparesAttributes } from './diff/accounts.js';
export type {
  AccountRef,
  AppBlock,
  DiffAccount,
  DiffApp,
  DiffLink,
  DiffResult,
  EntitlementRef,
  PlanError,
  PlanOp,
  PlanOpKind,
  Risk,
} from './diff/types.js';

/** What every app's diff shares: the desired state, the policy, the people by id and one ref per person. */
export interface DiffShared {
  desired: DesiredState;
  policy: Policy;
  people: ReadonlyMap<string, Person>;
  refs: Map<string, PersonRef>;
}

/** Compares what each app holds against the desired state. Pure. */
export function diff(input: {
  desired: DesiredState;
  people: readonly Person[];
  links: readonly DiffLink[];
  apps: readonly DiffApp[];
  policy: Policy;
}): DiffResult {
  const result: DiffResult = { ops: [], errors: [], blocks: [], untouched: {} };
  const shared = diffShared(input);
  // Each app reads only its own links: grouped once, not filtered out of every link for every app.
  const linksOf = new Map<string, DiffLink[]>();
  for (const link of input.links) {
    const list = linksOf.get(link.appId);
    if (list === undefined) linksOf.set(link.appId, [link]);
    else list.push(link);
  }
  for (const app of input.apps) diffApp(app, linksOf.get(app.id) ?? [], shared, result);
  return result;
}

export function diffShared(input: {
  desired: DesiredState;
  people: readonly Person[];
  policy: Policy;
}): DiffShared {
  return {
    desired: input.desired,
    policy: input.policy,
    people: new Map(input.people.map((p) => [p.employeeId, p])),
    refs: new Map(),
  };
}

/**
 * One app's diff, its ops, errors, block and untouched accounts added to `result`. Pure; a plan runs it app by app,
 * so only one app's snapshot is held at a time.
 */
export function diffApp(
  app: DiffApp,
  links: readonly DiffLink[],
  shared: DiffShared,
  result: DiffResult,
  /** The app's desired accounts, in people order, when made one at a time (desiredAccountsOf); else the shared ones. */
  desired?: Iterable<DesiredAccount>,
): void {
  const ctx = appDiff(
    app,
    { desired: shared.desired, policy: shared.policy, links },
    shared.people,
    result,
    shared.refs,
  );
  // Who has an account here by the policy: the removals read it once every account is planned.
  const wants = new Set<string>();
  for (const want of desired ?? shared.desired.accounts.get(app.id)?.values() ?? []) {
    wants.add(want.employeeId);
    const wanted = resolveWanted(ctx, want);
    const plan = diffAccount(ctx, want, wanted);
    if (plan) diffGrants(ctx, want, wanted, plan);
  }
  diffRemovals(ctx, wants);
  applySafety(ctx);
  for (const error of missingErrors(ctx)) result.errors.push(error);
  // A loop, not push(...): spreading tens of thousands of ops as arguments can overflow the stack.
  for (const op of ctx.ops) result.ops.push(op);
}

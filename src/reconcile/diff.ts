/** @module Diff: desired state against what the apps hold → ops with reasons, dependencies, risk, approvals and safety. */

import type { Link, Person } from '../core/types.js';
import type { DesiredAccount, DesiredState } from './desired.js';
import { diffAccount } from './diff/accounts.js';
import { appDiff, type PersonRef } from './diff/context.js';
import { diffGrants, missingErrors, resolveWanted } from './diff/grants.js';
import { diffRemovals } from './diff/removals.js';
import { applySafety } from './diff/safety.js';
import type { DiffApp, DiffResult } from './diff/types.js';
import type { Policy } from './policy.js';

export { accountField } from './diff/accounts.js';
export type {
  AccountRef,
  AppBlock,
  DiffApp,
  DiffResult,
  EntitlementRef,
  PlanError,
  PlanOp,
  PlanOpKind,
  Risk,
} from './diff/types.js';

/** Compares what each app holds against the desired state. Pure. */
export function diff(input: {
  desired: DesiredState;
  people: readonly Person[];
  links: readonly Link[];
  apps: readonly DiffApp[];
  policy: Policy;
}): DiffResult {
  const result: DiffResult = { ops: [], errors: [], blocks: [], untouched: {} };
  const people = new Map(input.people.map((p) => [p.employeeId, p]));
  // Each app reads only its own links: grouped once, not filtered out of every link for every app.
  const linksOf = new Map<string, Link[]>();
  for (const link of input.links) {
    const list = linksOf.get(link.appId);
    if (list === undefined) linksOf.set(link.appId, [link]);
    else list.push(link);
  }
  const refs = new Map<string, PersonRef>();
  for (const app of input.apps) {
    const ctx = appDiff(app, { ...input, links: linksOf.get(app.id) ?? [] }, people, result, refs);
    const desiredHere = input.desired.accounts.get(app.id) ?? new Map<string, DesiredAccount>();
    for (const want of desiredHere.values()) {
      const wanted = resolveWanted(ctx, want);
      const plan = diffAccount(ctx, want, wanted);
      if (plan) diffGrants(ctx, want, wanted, plan);
    }
    diffRemovals(ctx);
    applySafety(ctx);
    result.errors.push(...missingErrors(ctx));
    // A loop, not push(...): spreading tens of thousands of ops as arguments can overflow the stack.
    for (const op of ctx.ops) result.ops.push(op);
  }
  return result;
}

/**
 * @module planRevocations: a saved plan that takes away named access (an account, or one entitlement of it) or
 * changes it to another entitlement — what an access review decided — with the same ops, approvals and safety
 * limits a policy plan gets, and the same staleness check at apply.
 */

import type { RosterConfig } from '../config/schema.js';
import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { Entitlement } from '../core/types.js';
import type { Store } from '../store/store.js';
import { currentStateInputs } from './apply/state.js';
import { type AppDiff, appDiff, byKindAndName, LIVE } from './diff/context.js';
import { removal } from './diff/removals.js';
import { applySafety } from './diff/safety.js';
import type { DiffResult, EntitlementRef, PlanOp } from './diff/types.js';
import { type ComputedPlan, OVERRIDE_FLAG, type PlanBody, stateHashOf, summarize } from './plan.js';
import { defaultPolicy, type Policy } from './policy.js';
import { storedBodyOf, toOpInputs } from './stored-plan.js';

export interface Revocation {
  /** The caller's name for it (a review item); the result maps it to the op that carries it out. */
  key: string;
  appId: string;
  accountId: string;
  /** null: the account itself goes (deactivated, or deleted where that is how the app removes access). */
  entitlementId: string | null;
  /** Instead of taking the entitlement away, change it to this one (same kind, by name). */
  changeTo?: string | null;
  /** Why, in words the plan shows (who decided, in which campaign). */
  why: string;
}

export interface PlannedRevocations extends ComputedPlan {
  /** Revocation key → the ref of the op that carries it out; absent when there was nothing left to take away. */
  opRefs: Map<string, string>;
  /** Revocation key → why no op was needed. */
  nothingToDo: Map<string, string>;
}

const REASON_RULE = 'access review';

/** Plans the revocations and saves the plan (requestedBy: who asked). */
export async function planRevocations(input: {
  store: Store;
  config: Pick<RosterConfig, 'apps' | 'policy'>;
  manifests: Readonly<Record<string, CapabilityManifest>>;
  now: Date;
  revocations: readonly Revocation[];
  requestedBy: string;
}): Promise<PlannedRevocations> {
  const { store, config, manifests, now } = input;
  const policy: Policy = (config.policy as Policy | undefined) ?? defaultPolicy();
  const appIds = config.apps.map((a) => a.id).filter((id) => input.revocations.some((r) => r.appId === id));
  const people = new Map((await store.listPeople()).map((p) => [p.employeeId, p]));
  const links = await store.listLinks();
  const inputs = await currentStateInputs({ store, config, apps: appIds });
  const result: DiffResult = { ops: [], errors: [], blocks: [], untouched: {} };
  const desired = { accounts: new Map(), denied: new Map(), leavers: new Map(), warnings: [], errors: [] };
  const opRefs = new Map<string, string>();
  const nothingToDo = new Map<string, string>();

  for (const appId of appIds) {
    const app = config.apps.find((a) => a.id === appId) as RosterConfig['apps'][number];
    const manifest = manifests[appId];
    if (!manifest) throw new Error(`no capability manifest for ${appId}`);
    const ctx = appDiff(
      {
        id: app.id,
        type: app.type,
        manifest,
        ...(app.privilegedRoles ? { privilegedRoles: app.privilegedRoles } : {}),
        accounts: await store.listAccounts({ appId }),
        entitlements: await store.listEntitlements({ appId }),
        grants: await store.listGrants({ appId }),
      },
      { desired, links, policy },
      people,
      result,
    );
    const mine = input.revocations.filter((r) => r.appId === appId);
    // Whole accounts first: an entitlement of an account that goes with it needs no op of its own.
    const accountOps = new Map<string, PlanOp>();
    for (const r of mine.filter((m) => m.entitlementId === null)) {
      const op = revokeAccount(ctx, r, nothingToDo);
      if (op) {
        accountOps.set(r.accountId, op);
        opRefs.set(r.key, op.ref);
      }
    }
    for (const r of mine.filter((m) => m.entitlementId !== null)) {
      const gone = accountOps.get(r.accountId);
      if (gone) opRefs.set(r.key, gone.ref);
      else {
        const op = revokeEntitlement(ctx, r, nothingToDo);
        if (op) opRefs.set(r.key, op.ref);
      }
    }
    applySafety(ctx);
    result.ops.push(...ctx.ops);
  }

  const body: PlanBody = {
    version: 1,
    createdAt: now.toISOString(),
    inputs,
    apps: appIds,
    ops: result.ops,
    errors: result.errors,
    applicable: result.errors.length === 0,
    warnings: [...nothingToDo.values()],
    blocked:
      result.blocks.length > 0
        ? { reasons: result.blocks, override: { required: true, flag: OVERRIDE_FLAG } }
        : null,
    untouched: result.untouched,
    requestedBy: input.requestedBy,
  };
  const summary = summarize(body);
  const saved = await store.createPlan({
    stateHash: stateHashOf(inputs),
    summary,
    body: storedBodyOf(body),
    ops: toOpInputs(body.ops),
  });
  return { ...saved, body, summary, opRefs, nothingToDo };
}

function whoOf(ctx: AppDiff, accountId: string): PlanOp['person'] {
  for (const [employeeId, accounts] of ctx.linked) {
    if (!accounts.some((a) => a.id === accountId)) continue;
    const p = ctx.people.get(employeeId);
    if (p) return { employeeId, email: p.email, name: `${p.firstName} ${p.lastName}`.trim() };
  }
  return null;
}

function revokeAccount(ctx: AppDiff, r: Revocation, nothingToDo: Map<string, string>): PlanOp | null {
  const account = ctx.app.accounts.find((a) => a.id === r.accountId);
  if (!account || !LIVE.has(account.status)) {
    nothingToDo.set(r.key, `${r.appId} account ${r.accountId} is already ${account?.status ?? 'gone'}`);
    return null;
  }
  const before = ctx.ops.length;
  removal(ctx, account, whoOf(ctx, account.id), 'deactivate', { rule: REASON_RULE, text: r.why });
  return ctx.ops.length > before ? (ctx.ops[ctx.ops.length - 1] as PlanOp) : null;
}

function refOf(ctx: AppDiff, e: Entitlement): EntitlementRef {
  return { id: e.id, kind: e.kind, name: e.name, privileged: ctx.isPrivileged(e) };
}

function revokeEntitlement(ctx: AppDiff, r: Revocation, nothingToDo: Map<string, string>): PlanOp | null {
  const { app, policy } = ctx;
  const held = (ctx.grantsOf.get(r.accountId) ?? []).some((g) => g.entitlementId === r.entitlementId);
  const e = ctx.entitlementsById.get(r.entitlementId as string);
  if (!held || !e) {
    nothingToDo.set(r.key, `${app.id} account ${r.accountId} no longer holds ${e?.name ?? r.entitlementId}`);
    return null;
  }
  const who = whoOf(ctx, r.accountId);
  const name = who?.name ?? r.accountId;
  const entitlement = refOf(ctx, e);
  const reason = { rule: REASON_RULE, text: r.why };
  const base = `${app.id}:${r.accountId}:review`;
  if (r.changeTo) {
    const target = byKindAndName(ctx, e.kind, r.changeTo);
    if (!target) {
      ctx.result.errors.push({
        appId: app.id,
        rule: REASON_RULE,
        message: `${app.id} has no ${e.kind} "${r.changeTo}" to change ${name}'s "${e.name}" to`,
      });
      return null;
    }
    const to = refOf(ctx, target);
    const singleValued = (ctx.traits.singleValued ?? []).includes(e.kind);
    const approvalReasons: string[] = [];
    if (policy.safety.approval.privileged && to.privileged) {
      approvalReasons.push(`${e.kind} "${to.name}" is privileged`);
    }
    if (policy.safety.approval.privileged && entitlement.privileged) {
      approvalReasons.push(`takes privileged ${e.kind} "${e.name}" away from ${name}`);
    }
    const op = {
      ref: `${base}:grant:${e.kind}:${target.id}`,
      account: { id: r.accountId },
      person: who,
      entitlement: to,
      ...(singleValued ? { replaces: entitlement } : {}),
      reason,
      dependsOn: [],
    };
    if (!ctx.app.manifest.entitlements[e.kind]?.grant) {
      return ctx.task(
        op,
        'grant',
        `${ctx.note('grant')} Change ${name}'s ${e.kind} "${e.name}" to "${to.name}".`,
      );
    }
    const grant = ctx.push({
      ...op,
      appId: app.id,
      kind: 'grant',
      risk: to.privileged ? 'high' : 'medium',
      approvalReasons,
    });
    if (singleValued) return grant;
    // A multi-valued kind: the old one is taken away once the new one is there.
    return revokeOp(ctx, { ...r, changeTo: null }, e, [grant.ref]) ?? grant;
  }
  return revokeOp(ctx, r, e, []);
}

function revokeOp(ctx: AppDiff, r: Revocation, e: Entitlement, dependsOn: string[]): PlanOp {
  const who = whoOf(ctx, r.accountId);
  const name = who?.name ?? r.accountId;
  const entitlement = refOf(ctx, e);
  const op = {
    ref: `${ctx.app.id}:${r.accountId}:review:revoke:${e.kind}:${e.id}`,
    account: { id: r.accountId },
    person: who,
    entitlement,
    reason: { rule: REASON_RULE, text: r.why },
    dependsOn,
  };
  if (!ctx.app.manifest.entitlements[e.kind]?.revoke) {
    return ctx.task(
      op,
      'revoke',
      `${ctx.note('revoke')} Remove ${e.kind} "${e.name}" from ${name} in ${ctx.app.id}.`,
    );
  }
  // Taking privileged access away is as sensitive as giving it: the policy's privileged approval covers both.
  const approvalReasons =
    ctx.policy.safety.approval.privileged && entitlement.privileged
      ? [`takes privileged ${e.kind} "${e.name}" away from ${name}`]
      : [];
  return ctx.push({
    ...op,
    appId: ctx.app.id,
    kind: 'revoke',
    risk: entitlement.privileged ? 'high' : 'medium',
    approvalReasons,
  });
}

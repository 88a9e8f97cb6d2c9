/** @module The entitlement half of a person's diff: grants the account lacks, changes of a single-valued kind, revokes. */

import { closest } from '../../core/suggest.js';
import type { Entitlement, Person } from '../../core/types.js';
import type { DesiredAccount } from '../desired.js';
import type { AccountPlan } from './accounts.js';
import { type AppDiff, byKindAndName } from './context.js';
import type { EntitlementRef, PlanError } from './types.js';

/**
 * The app's entitlements a desired account names. An unknown name is a plan error, never a silent skip; it is
 * counted per rule and name so a typo shared by 262 people is one error saying 262.
 */
export function resolveWanted(ctx: AppDiff, want: DesiredAccount): Entitlement[] {
  const wanted: Entitlement[] = [];
  for (const e of want.entitlements) {
    const found = byKindAndName(ctx, e.kind, e.name);
    if (found) {
      wanted.push(found);
      continue;
    }
    const key = `${e.rule}\u0000${e.kind}\u0000${e.name.toLowerCase()}`;
    const seen = ctx.missing.get(key);
    if (seen) seen.people += 1;
    else ctx.missing.set(key, { rule: e.rule, kind: e.kind, name: e.name, people: 1 });
  }
  return wanted;
}

/** One error per unknown entitlement name, with the number of people it affects and the nearest real name. */
export function missingErrors(ctx: AppDiff): PlanError[] {
  return [...ctx.missing.values()].map(({ rule, kind, name, people }) => {
    const known = ctx.app.entitlements.filter((x) => x.kind === kind).map((x) => x.name);
    const guess = closest(name, known);
    const hint = guess ? `did you mean "${guess}"?` : `it has: ${known.join(', ') || 'none'}`;
    return {
      appId: ctx.app.id,
      rule,
      people,
      message: `rule "${rule}" gives ${kind} "${name}" in ${ctx.app.id}, which has no such ${kind} (${hint}); ${people} ${people === 1 ? 'person does' : 'people do'} not get it`,
    };
  });
}

const refOf = (ctx: AppDiff, e: Entitlement): EntitlementRef => ({
  id: e.id,
  kind: e.kind,
  name: e.name,
  privileged: ctx.isPrivileged(e),
});

/**
 * Grants the account lacks and revokes of managed kinds no rule gives any more. Where the kind is single-valued
 * (one Role per Targetprocess user) a grant over a held one is one change op that says what it replaces; taking a
 * privileged one away is high risk and needs approval, or is left alone when the rule says `keepPrivileged`.
 */
export function diffGrants(
  ctx: AppDiff,
  want: DesiredAccount,
  wanted: readonly Entitlement[],
  plan: AccountPlan,
): void {
  const held = plan.current ? ctx.grantsOf.get(plan.current.id) : undefined;
  // Most people want no entitlement and hold none: nothing to grant or revoke, and nothing worth building for it.
  if (wanted.length === 0 && (held === undefined || held.length === 0)) return;
  const { app, policy } = ctx;
  const manifest = app.manifest;
  const who = ctx.who(ctx.people.get(want.employeeId) as Person);
  const rule = want.rules[0] as string;
  const base = `${app.id}:${want.employeeId}`;
  const singleValued = new Set(ctx.traits.singleValued ?? []);
  const heldEntitlements = (held ?? [])
    .map((g) => ctx.entitlementsById.get(g.entitlementId))
    .filter((e): e is Entitlement => e !== undefined);
  const heldIds = new Set(heldEntitlements.map((e) => e.id));
  const wantedIds = new Set(wanted.map((e) => e.id));
  /** Held entitlements a grant of the same single-valued kind takes away, or that are kept on purpose. */
  const settled = new Set<string>();
  const grantedKinds = new Set<Entitlement['kind']>();

  for (const e of wanted) {
    if (heldIds.has(e.id)) continue;
    const from = want.entitlements.find(
      (d) => d.kind === e.kind && d.name.toLowerCase() === e.name.toLowerCase(),
    );
    const ruleName = from?.rule ?? rule;
    const entitlement = refOf(ctx, e);
    const ref = `${base}:grant:${e.kind}:${e.id}`;
    grantedKinds.add(e.kind);
    const old = singleValued.has(e.kind) ? heldEntitlements.find((h) => h.kind === e.kind) : undefined;
    const replaces = old ? refOf(ctx, old) : undefined;
    if (replaces) settled.add(replaces.id);
    if (replaces?.privileged && want.keepPrivileged) {
      ctx.leave(`privileged ${e.kind} kept (keepPrivileged)`, `${plan.current?.id} (${replaces.name})`);
      continue;
    }
    const reason = {
      rule: ruleName,
      text: replaces
        ? `rule "${ruleName}" changes ${e.kind} "${replaces.name}" → "${e.name}" (one ${e.kind} per account in ${app.id})`
        : `rule "${ruleName}" gives ${e.kind} "${e.name}"`,
    };
    const approvalReasons: string[] = [];
    if (policy.safety.approval.privileged) {
      if (entitlement.privileged) approvalReasons.push(`${e.kind} "${e.name}" is privileged`);
      if (replaces?.privileged)
        approvalReasons.push(`takes privileged ${e.kind} "${replaces.name}" away from ${who.name}`);
    }
    const op = {
      ref,
      account: plan.account,
      person: who,
      entitlement,
      ...(replaces ? { replaces } : {}),
      reason,
      dependsOn: [...plan.ready],
    };
    if (manifest.entitlements[e.kind]?.grant) {
      ctx.push({
        ...op,
        appId: app.id,
        kind: 'grant',
        risk: entitlement.privileged || replaces?.privileged ? 'high' : 'low',
        approvalReasons,
      });
    } else {
      const change = replaces
        ? `Change ${who.name}'s ${e.kind} "${replaces.name}" to "${e.name}"`
        : `Give ${who.name} the ${e.kind} "${e.name}"`;
      ctx.task(op, 'grant', `${ctx.note('grant')} ${change} in ${app.id}.`);
    }
  }

  for (const e of heldEntitlements) {
    if (wantedIds.has(e.id) || settled.has(e.id)) continue;
    if (!ctx.managed.has(e.kind) || ctx.unmanaged.has(e.name.toLowerCase())) continue;
    const entitlement = refOf(ctx, e);
    if (entitlement.privileged && want.keepPrivileged) {
      ctx.leave(`privileged ${e.kind} kept (keepPrivileged)`, `${plan.current?.id} (${e.name})`);
      continue;
    }
    const reason = {
      rule,
      text: `no rule gives ${who.name} ${e.kind} "${e.name}" any more (${e.kind}s are managed)`,
    };
    const ref = `${base}:revoke:${e.kind}:${e.id}`;
    const op = { ref, account: plan.account, person: who, entitlement, reason, dependsOn: [...plan.ready] };
    if (manifest.entitlements[e.kind]?.revoke) {
      ctx.push({ ...op, appId: app.id, kind: 'revoke', risk: 'medium' });
    } else if (!grantedKinds.has(e.kind)) {
      ctx.task(
        op,
        'revoke',
        `${ctx.note('revoke')} Remove ${e.kind} "${e.name}" from ${who.name} in ${app.id}.`,
      );
    }
  }
}

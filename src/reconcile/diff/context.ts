/** @module One app's diff context: what the app holds, indexed; who each account belongs to; how ops are added. */

import { traitsOf } from '../../connectors/registry.js';
import type { CapabilityManifest, ConnectorTraits } from '../../connectors/sdk/types.js';
import type { Account, Entitlement, Grant, Person } from '../../core/types.js';
import type { DesiredState } from '../desired.js';
import type { Policy } from '../policy.js';
import type { DiffAccount, DiffApp, DiffLink, DiffResult, PlanOp, PlanOpKind } from './types.js';

export const LIVE: ReadonlySet<Account['status']> = new Set(['active', 'invited']);
const STATUS_RANK: Record<Account['status'], number> = { active: 0, invited: 1, inactive: 2, deleted: 3 };

export const nameOf = (p: Person) => `${p.firstName} ${p.lastName}`.trim();
export type PersonRef = NonNullable<PlanOp['person']>;
/**
 * One ref per person, shared by all their ops (a plan makes several per person; they are never changed). Kept by
 * employee id in a map the diff owns: a module-wide WeakMap of every person made each collection walk its table.
 */
export function personRef(refs: Map<string, PersonRef>, p: Person): PersonRef {
  let ref = refs.get(p.employeeId);
  if (ref === undefined) {
    ref = { employeeId: p.employeeId, email: p.email, name: nameOf(p) };
    refs.set(p.employeeId, ref);
  }
  return ref;
}

export type NewOp = Omit<PlanOp, 'requiresApproval' | 'approvalReasons'> & { approvalReasons?: string[] };

export interface AppDiff {
  app: DiffApp;
  traits: ConnectorTraits;
  policy: Policy;
  desired: DesiredState;
  people: ReadonlyMap<string, Person>;
  /** The person as their ops name them: one object per person for the whole plan. */
  who(person: Person): PersonRef;
  result: DiffResult;
  /** This app's ops, in the order they were added. */
  ops: PlanOp[];
  byName: ReadonlyMap<string, Entitlement>;
  entitlementsById: ReadonlyMap<string, Entitlement>;
  grantsOf: ReadonlyMap<string, Grant[]>;
  managed: ReadonlySet<string>;
  unmanaged: ReadonlySet<string>;
  /** Linked accounts per person, best first (active, invited, inactive, deleted). */
  linked: Map<string, DiffAccount[]>;
  orphans: DiffAccount[];
  /** People an unresolved account may belong to: creating one for them could make a duplicate. */
  contested: Map<string, string>;
  /** Entitlements rules name that the app does not have, by rule, kind and name, with how many people want each. */
  missing: Map<string, { rule: string; kind: Entitlement['kind']; name: string; people: number }>;
  can(capability: keyof CapabilityManifest['accounts']): boolean;
  /** Why the app lacks a capability (the connector's words). */
  note(capability: string): string;
  push(op: NewOp): PlanOp;
  task(
    base: Pick<PlanOp, 'ref' | 'account' | 'person' | 'reason' | 'dependsOn'> & Partial<PlanOp>,
    instead: PlanOpKind,
    instructions: string,
  ): PlanOp;
  leave(why: string, accountId: string): void;
  /** Privileged by the connector's marking or by the app's configured `privilegedRoles`. */
  isPrivileged(entitlement: Pick<Entitlement, 'name' | 'privileged'>): boolean;
}

const entitlementKey = (kind: string, name: string) => `${kind}:${name.toLowerCase()}`;

/** Looks an entitlement up by kind and name, any case. */
export function byKindAndName(ctx: AppDiff, kind: string, name: string): Entitlement | undefined {
  return ctx.byName.get(entitlementKey(kind, name));
}

export function appDiff(
  app: DiffApp,
  input: { desired: DesiredState; links: readonly DiffLink[]; policy: Policy },
  people: ReadonlyMap<string, Person>,
  result: DiffResult,
  refs: Map<string, PersonRef> = new Map(),
): AppDiff {
  const { policy } = input;
  const accounts = new Map<string, DiffAccount>();
  for (const a of app.accounts) accounts.set(a.id, a);
  const byName = new Map<string, Entitlement>();
  for (const e of app.entitlements) byName.set(entitlementKey(e.kind, e.name), e);
  const grantsOf = new Map<string, Grant[]>();
  for (const g of app.grants) {
    const list = grantsOf.get(g.accountId);
    if (list === undefined) grantsOf.set(g.accountId, [g]);
    else list.push(g);
  }
  const privilegedNames = new Set((app.privilegedRoles ?? []).map((n) => n.toLowerCase()));
  const ops: PlanOp[] = [];

  const ctx: AppDiff = {
    app,
    traits: traitsOf(app.type),
    policy,
    desired: input.desired,
    people,
    who: (person) => personRef(refs, person),
    result,
    ops,
    byName,
    entitlementsById: new Map(app.entitlements.map((e) => [e.id, e])),
    grantsOf,
    managed: new Set(policy.managed[app.id] ?? []),
    unmanaged: new Set((policy.unmanaged[app.id] ?? []).map((n) => n.toLowerCase())),
    linked: new Map(),
    orphans: [],
    contested: new Map(),
    missing: new Map(),
    can: (capability) => app.manifest.accounts[capability],
    note: (capability) =>
      app.manifest.notes[capability as keyof CapabilityManifest['notes']] ??
      `${app.id} has no ${capability} through its API.`,
    push(op) {
      // Completed in place, not copied: every caller hands over a fresh object, and a plan makes tens of thousands.
      // The keys land where a copy would put them (approvalReasons where it was given, else after the rest).
      const full = op as PlanOp;
      if (full.approvalReasons === undefined) full.approvalReasons = [];
      full.requiresApproval = full.approvalReasons.length > 0;
      ops.push(full);
      return full;
    },
    task(base, instead, instructions) {
      return ctx.push({ ...base, appId: app.id, kind: 'task', risk: 'low', task: { instead, instructions } });
    },
    leave(why, accountId) {
      const list = result.untouched[why] ?? [];
      list.push(`${app.id}:${accountId}`);
      result.untouched[why] = list;
    },
    isPrivileged: (e) => e.privileged || privilegedNames.has(e.name.toLowerCase()),
  };

  // Linked accounts per person; disputed and suggested ones are never touched.
  for (const link of input.links) {
    if (link.appId !== app.id) continue;
    const account = accounts.get(link.accountId);
    if (!account) continue;
    if (link.situation === 'disputed' || link.situation === 'suggested') {
      ctx.leave(link.situation, account.id);
      for (const candidate of link.candidates) ctx.contested.set(candidate, account.id);
    } else if (link.situation === 'linked' && link.employeeId !== null && people.has(link.employeeId)) {
      const list = ctx.linked.get(link.employeeId);
      if (list === undefined) ctx.linked.set(link.employeeId, [account]);
      else list.push(account);
    } else if (link.situation === 'unmatched' && link.method !== 'manual') {
      ctx.orphans.push(account);
    }
  }
  for (const list of ctx.linked.values()) list.sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]);
  return ctx;
}

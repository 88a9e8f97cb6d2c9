/** @module Diff: desired state against what the apps hold → ops with reasons, dependencies, risk, approvals and safety. */

import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { Account, AppType, Entitlement, EntitlementKind, Grant, Link, Person } from '../core/types.js';
import type { OpKind } from '../store/store.js';
import type { DesiredAccount, DesiredState } from './desired.js';
import {
  DEACTIVATE_BY_DELETE,
  IDENTITY_FIELDS,
  INPUT_FIELDS,
  INVITE_ON_CREATE,
  type Policy,
} from './policy.js';

/** What an op does: the store's op kinds, one for one. */
export type PlanOpKind = OpKind;
export type Risk = 'low' | 'medium' | 'high';

/** An account an op acts on: one the app holds, or the one an earlier op of this plan creates. */
export type AccountRef = { id: string } | { createdBy: string };

/** One change, carrying everything an executor needs without reading anything else. */
export interface PlanOp {
  /** Stable within the plan; dependencies name ops by it. */
  ref: string;
  appId: string;
  kind: PlanOpKind;
  account: AccountRef | null;
  person: { employeeId: string; email: string; name: string } | null;
  entitlement?: { id: string; kind: EntitlementKind; name: string; privileged: boolean };
  /** create: the `AccountInput` to send (no password: the executor adds one where the app needs it). */
  input?: {
    email: string;
    firstName: string;
    lastName: string;
    login?: string;
    externalId?: string;
    attributes?: Record<string, string>;
  };
  /** update: what changes, from what the app holds to what the policy says. */
  changes?: Record<string, { from: string | null; to: string }>;
  /** create on an invite-only app: the account exists only once the person accepts. */
  invite?: boolean;
  /** wait: what is waited for. */
  waitFor?: 'invite_acceptance';
  /** task: which capability the API lacks, and what a person must do instead. */
  task?: { instead: PlanOpKind; instructions: string };
  reason: { rule?: string; finding?: string; text: string };
  dependsOn: string[];
  risk: Risk;
  requiresApproval: boolean;
  approvalReasons: string[];
}

export interface PlanError {
  appId: string;
  rule: string;
  message: string;
}

export interface AppBlock {
  appId: string;
  removals: number;
  liveAccounts: number;
  message: string;
}

export interface DiffApp {
  id: string;
  type: AppType;
  manifest: CapabilityManifest;
  privilegedRoles?: readonly string[];
  accounts: readonly Account[];
  entitlements: readonly Entitlement[];
  grants: readonly Grant[];
}

export interface DiffResult {
  ops: PlanOp[];
  errors: PlanError[];
  blocks: AppBlock[];
  /** Accounts deliberately left alone, by why (disputed, suggested, in grace...), as `app:accountId`. */
  untouched: Record<string, string[]>;
}

const LIVE: ReadonlySet<Account['status']> = new Set(['active', 'invited']);
const STATUS_RANK: Record<Account['status'], number> = { active: 0, invited: 1, inactive: 2, deleted: 3 };

const nameOf = (p: Person) => `${p.firstName} ${p.lastName}`.trim();
const personRef = (p: Person) => ({ employeeId: p.employeeId, email: p.email, name: nameOf(p) });

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
  for (const app of input.apps) diffApp(app, input, people, result);
  return result;
}

function diffApp(
  app: DiffApp,
  input: { desired: DesiredState; links: readonly Link[]; policy: Policy },
  people: Map<string, Person>,
  result: DiffResult,
): void {
  const { policy } = input;
  const ops: PlanOp[] = [];
  const leave = (why: string, accountId: string) => {
    const list = result.untouched[why] ?? [];
    list.push(`${app.id}:${accountId}`);
    result.untouched[why] = list;
  };
  const accounts = new Map(app.accounts.map((a) => [a.id, a]));
  const byName = new Map<string, Entitlement>();
  for (const e of app.entitlements) byName.set(`${e.kind}:${e.name.toLowerCase()}`, e);
  const entitlementsById = new Map(app.entitlements.map((e) => [e.id, e]));
  const grantsOf = new Map<string, Grant[]>();
  for (const g of app.grants) grantsOf.set(g.accountId, [...(grantsOf.get(g.accountId) ?? []), g]);
  const managed = new Set(policy.managed[app.id] ?? []);
  const unmanaged = new Set((policy.unmanaged[app.id] ?? []).map((n) => n.toLowerCase()));
  const manifest = app.manifest;
  const can = (cap: keyof CapabilityManifest['accounts']) => manifest.accounts[cap];
  const note = (cap: string) =>
    manifest.notes[cap as keyof CapabilityManifest['notes']] ?? `${app.id} has no ${cap} through its API.`;

  // Linked accounts per person; disputed and suggested ones are never touched.
  const linked = new Map<string, Account[]>();
  const orphans: Account[] = [];
  /** People an unresolved account may belong to: creating one for them could make a duplicate. */
  const contested = new Map<string, string>();
  for (const link of input.links) {
    if (link.appId !== app.id) continue;
    const account = accounts.get(link.accountId);
    if (!account) continue;
    if (link.situation === 'disputed' || link.situation === 'suggested') {
      leave(link.situation, account.id);
      for (const candidate of link.candidates) contested.set(candidate, account.id);
    } else if (link.situation === 'linked' && link.employeeId !== null && people.has(link.employeeId)) {
      linked.set(link.employeeId, [...(linked.get(link.employeeId) ?? []), account]);
    } else if (link.situation === 'unmatched' && link.method !== 'manual') {
      orphans.push(account);
    }
  }
  for (const list of linked.values()) list.sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]);

  const push = (
    op: Omit<PlanOp, 'requiresApproval' | 'approvalReasons'> & { approvalReasons?: string[] },
  ) => {
    const full: PlanOp = { ...op, approvalReasons: op.approvalReasons ?? [], requiresApproval: false };
    full.requiresApproval = full.approvalReasons.length > 0;
    ops.push(full);
    return full;
  };
  const task = (
    base: Pick<PlanOp, 'ref' | 'account' | 'person' | 'reason' | 'dependsOn'> & Partial<PlanOp>,
    instead: PlanOpKind,
    instructions: string,
  ) => push({ ...base, appId: app.id, kind: 'task', risk: 'low', task: { instead, instructions } });

  const desiredHere = input.desired.accounts.get(app.id) ?? new Map<string, DesiredAccount>();
  for (const [employeeId, want] of desiredHere) {
    const person = people.get(employeeId) as Person;
    const who = personRef(person);
    const rule = want.rules[0] as string;
    const current = (linked.get(employeeId) ?? []).find((a) => a.status !== 'deleted') ?? null;
    const base = `${app.id}:${employeeId}`;
    let accountRef: AccountRef;
    let ready: string[] = [];

    // Resolve every named entitlement first: an unknown name is a plan error, never a silent skip.
    const wanted: Entitlement[] = [];
    for (const e of want.entitlements) {
      const found = byName.get(`${e.kind}:${e.name.toLowerCase()}`);
      if (found) wanted.push(found);
      else {
        const known = app.entitlements.filter((x) => x.kind === e.kind).map((x) => x.name);
        result.errors.push({
          appId: app.id,
          rule: e.rule,
          message: `rule "${e.rule}" gives ${e.kind} "${e.name}" in ${app.id}, which has no such ${e.kind} (it has: ${known.join(', ') || 'none'})`,
        });
      }
    }

    if (!current && contested.has(employeeId)) {
      // The person may already hold the disputed account; a create would make a second one. Decide the
      // dispute (roster link) and the next plan creates or grants.
      leave('candidate of a disputed or suggested account', `${contested.get(employeeId)} (${employeeId})`);
      continue;
    }
    if (!current) {
      const inputFields = accountInput(want, person);
      const reason = { rule, text: `rule "${rule}" gives ${who.name} an account in ${app.id}` };
      if (!can('create')) {
        const op = task(
          { ref: `${base}:create`, account: null, person: who, reason, dependsOn: [], input: inputFields },
          'create',
          `${note('create')} Person: ${who.name} <${who.email}>.`,
        );
        accountRef = { createdBy: op.ref };
        // Grants wait for the manual creation; a later sync links the account and a new plan grants.
        ready = [op.ref];
      } else {
        const invite = INVITE_ON_CREATE.has(app.type);
        const op = push({
          ref: `${base}:create`,
          appId: app.id,
          kind: 'create',
          account: null,
          person: who,
          input: inputFields,
          ...(invite ? { invite: true } : {}),
          reason,
          dependsOn: [],
          risk: 'low',
        });
        accountRef = { createdBy: op.ref };
        ready = [op.ref];
        if (invite && wanted.length > 0) {
          ready = [waitOp(push, app.id, base, accountRef, who, [op.ref]).ref];
        }
      }
    } else {
      accountRef = { id: current.id };
      if (current.status === 'inactive') {
        const reason = {
          rule,
          text: `rule "${rule}" gives ${who.name} ${app.id}, but the account is inactive`,
        };
        const op = can('reactivate')
          ? push({
              ref: `${base}:reactivate`,
              appId: app.id,
              kind: 'reactivate',
              account: accountRef,
              person: who,
              reason,
              dependsOn: [],
              risk: 'medium',
            })
          : task(
              { ref: `${base}:reactivate`, account: accountRef, person: who, reason, dependsOn: [] },
              'reactivate',
              note('reactivate'),
            );
        ready = [op.ref];
      }
      const changes = attributeChanges(want, current);
      if (Object.keys(changes).length > 0) {
        const fieldRules = [
          ...new Set(Object.keys(changes).map((f) => want.fields[f]?.rule ?? `defaults for ${app.type}`)),
        ];
        const reason = {
          rule: fieldRules[0] ?? rule,
          text: `${Object.keys(changes).join(', ')} differ from HR (${fieldRules.join(', ')})`,
        };
        if (can('update')) {
          push({
            ref: `${base}:update`,
            appId: app.id,
            kind: 'update',
            account: accountRef,
            person: who,
            changes,
            reason,
            dependsOn: [...ready],
            risk: 'low',
          });
        } else {
          const list = Object.entries(changes)
            .map(([f, c]) => `${f}: "${c.from ?? ''}" → "${c.to}"`)
            .join('; ');
          task(
            {
              ref: `${base}:update`,
              account: accountRef,
              person: who,
              changes,
              reason,
              dependsOn: [...ready],
            },
            'update',
            `${note('update')} Change for ${who.name}: ${list}.`,
          );
        }
      }
      if (current.status === 'invited' && INVITE_ON_CREATE.has(app.type)) {
        const held = new Set((grantsOf.get(current.id) ?? []).map((g) => g.entitlementId));
        if (wanted.some((e) => !held.has(e.id)))
          ready = [waitOp(push, app.id, base, accountRef, who, ready).ref];
      }
    }

    // Grants the account lacks; revokes of managed kinds the policy no longer gives.
    const held = current ? (grantsOf.get(current.id) ?? []) : [];
    const heldIds = new Set(held.map((g) => g.entitlementId));
    const wantedIds = new Set(wanted.map((e) => e.id));
    const grantedKinds = new Set<EntitlementKind>();
    for (const e of wanted) {
      if (heldIds.has(e.id)) continue;
      const from = want.entitlements.find(
        (d) => d.kind === e.kind && d.name.toLowerCase() === e.name.toLowerCase(),
      );
      const reason = {
        rule: from?.rule ?? rule,
        text: `rule "${from?.rule ?? rule}" gives ${e.kind} "${e.name}"`,
      };
      const privileged = e.privileged || isPrivilegedName(e.name, app.privilegedRoles);
      const entitlement = { id: e.id, kind: e.kind, name: e.name, privileged };
      grantedKinds.add(e.kind);
      if (manifest.entitlements[e.kind]?.grant) {
        push({
          ref: `${base}:grant:${e.kind}:${e.id}`,
          appId: app.id,
          kind: 'grant',
          account: accountRef,
          person: who,
          entitlement,
          reason,
          dependsOn: [...ready],
          risk: privileged ? 'high' : 'low',
          approvalReasons:
            privileged && policy.safety.approval.privileged ? [`${e.kind} "${e.name}" is privileged`] : [],
        });
      } else {
        task(
          {
            ref: `${base}:grant:${e.kind}:${e.id}`,
            account: accountRef,
            person: who,
            entitlement,
            reason,
            dependsOn: [...ready],
          },
          'grant',
          `${note('grant')} Give ${who.name} the ${e.kind} "${e.name}" in ${app.id}.`,
        );
      }
    }
    for (const g of held) {
      const e = entitlementsById.get(g.entitlementId);
      if (!e || wantedIds.has(e.id) || !managed.has(e.kind) || unmanaged.has(e.name.toLowerCase())) continue;
      const entitlement = { id: e.id, kind: e.kind, name: e.name, privileged: e.privileged };
      const reason = {
        rule,
        text: `no rule gives ${who.name} ${e.kind} "${e.name}" any more (${e.kind}s are managed)`,
      };
      const ref = `${base}:revoke:${e.kind}:${e.id}`;
      if (manifest.entitlements[e.kind]?.revoke) {
        push({
          ref,
          appId: app.id,
          kind: 'revoke',
          account: accountRef,
          person: who,
          entitlement,
          reason,
          dependsOn: [...ready],
          risk: 'medium',
        });
      } else if (!grantedKinds.has(e.kind)) {
        // Where a grant replaces the held one (one role per Targetprocess user), the grant is the revoke.
        task(
          { ref, account: accountRef, person: who, entitlement, reason, dependsOn: [...ready] },
          'revoke',
          `${note('revoke')} Remove ${e.kind} "${e.name}" from ${who.name} in ${app.id}.`,
        );
      }
    }
  }

  // People who must not have the app any more: leavers past grace, and (when accounts are managed) movers.
  const removal = (
    account: Account,
    who: PlanOp['person'],
    action: 'deactivate' | 'delete',
    reason: PlanOp['reason'],
  ) => {
    let kind: 'deactivate' | 'delete' = action;
    const notes: string[] = [];
    if (kind === 'deactivate' && !can('deactivate') && DEACTIVATE_BY_DELETE.has(app.type) && can('delete')) {
      kind = 'delete';
      notes.push(note('deactivate'));
    }
    if (kind === 'deactivate' && account.status !== 'active' && account.status !== 'invited') return;
    const ref = `${app.id}:${account.id}:${kind}`;
    const text = notes.length > 0 ? `${reason.text}; ${notes.join(' ')}` : reason.text;
    if (!can(kind)) {
      task(
        { ref, account: { id: account.id }, person: who, reason: { ...reason, text }, dependsOn: [] },
        kind,
        `${note(kind)} Account ${account.email ?? account.id}.`,
      );
      return;
    }
    push({
      ref,
      appId: app.id,
      kind,
      account: { id: account.id },
      person: who,
      reason: { ...reason, text },
      dependsOn: [],
      risk: kind === 'delete' ? 'high' : 'medium',
      approvalReasons: kind === 'delete' && policy.safety.approval.delete ? ['deletion'] : [],
    });
  };
  for (const [employeeId, list] of linked) {
    const person = people.get(employeeId) as Person;
    const verdict = input.desired.leavers.get(employeeId);
    for (const account of list) {
      if (account.status === 'deleted') continue;
      if (verdict) {
        if (!verdict.due) {
          leave('leaver in grace', account.id);
          continue;
        }
        if (verdict.action === 'deactivate' && !LIVE.has(account.status)) continue;
        removal(account, personRef(person), verdict.action, {
          finding: 'leaver_with_access',
          text: `${nameOf(person)} left (end date ${person.endDate ?? 'not given'})`,
        });
      } else if (!desiredHere.has(employeeId) && managed.has('account') && LIVE.has(account.status)) {
        removal(account, personRef(person), 'deactivate', {
          finding: 'no_longer_entitled',
          text: `no rule gives ${nameOf(person)} ${app.id} any more (accounts are managed)`,
        });
      }
    }
  }
  for (const account of orphans) {
    if (!LIVE.has(account.status)) continue;
    if (policy.orphans === 'deactivate') {
      removal(account, null, 'deactivate', {
        finding: 'orphan',
        text: `${account.email ?? account.id} belongs to nobody in HR`,
      });
    } else leave('orphan (reported only)', account.id);
  }

  // Safety: a mass removal (an empty or truncated HR file) blocks the whole plan until overridden.
  const removals = ops.filter(
    (o) =>
      o.kind === 'deactivate' ||
      o.kind === 'delete' ||
      (o.kind === 'task' && (o.task?.instead === 'deactivate' || o.task?.instead === 'delete')),
  ).length;
  const live = app.accounts.filter((a) => LIVE.has(a.status)).length;
  const { count, share } = policy.safety.maxDeactivations;
  const over: string[] = [];
  if (count !== null && removals > count) over.push(`more than ${count}`);
  if (share !== null && live > 0 && removals / live > share)
    over.push(`more than ${Math.round(share * 100)}% of its ${live} live accounts`);
  if (over.length > 0) {
    result.blocks.push({
      appId: app.id,
      removals,
      liveAccounts: live,
      message: `${app.id}: the plan would deactivate or delete ${removals} of ${live} live accounts (${over.join(' and ')}); an empty or truncated HR file looks exactly like this`,
    });
  }
  const limit = policy.safety.approval.opsPerApp;
  if (ops.length > limit) {
    for (const op of ops) {
      op.approvalReasons.push(`${app.id} has ${ops.length} ops, over the ${limit} that run without approval`);
      op.requiresApproval = true;
    }
  }
  result.ops.push(...ops);
}

function waitOp(
  push: (op: Omit<PlanOp, 'requiresApproval' | 'approvalReasons'>) => PlanOp,
  appId: string,
  base: string,
  account: AccountRef,
  who: PlanOp['person'],
  dependsOn: string[],
): PlanOp {
  return push({
    ref: `${base}:wait`,
    appId,
    kind: 'wait',
    account,
    person: who,
    waitFor: 'invite_acceptance',
    // Process Street guide: an invited member joins groups only after accepting the invitation.
    reason: {
      text: `${who?.name ?? 'the person'} must accept the ${appId} invitation before joining groups`,
    },
    dependsOn,
    risk: 'low',
  });
}

function isPrivilegedName(name: string, privileged: readonly string[] | undefined): boolean {
  return (privileged ?? []).some((p) => p.toLowerCase() === name.toLowerCase());
}

/** The create input for a desired account: identity fields and names at the top, the rest as attributes. */
function accountInput(want: DesiredAccount, person: Person): NonNullable<PlanOp['input']> {
  const value = (f: string) => want.fields[f]?.value;
  const input: NonNullable<PlanOp['input']> = {
    email: value('email') ?? person.email,
    firstName: value('firstName') ?? person.firstName,
    lastName: value('lastName') ?? person.lastName,
  };
  const login = value('login');
  if (login !== undefined) input.login = login;
  const externalId = value('externalId');
  if (externalId !== undefined) input.externalId = externalId;
  const attributes: Record<string, string> = {};
  for (const [field, { value: v }] of Object.entries(want.fields)) {
    if (!(INPUT_FIELDS as readonly string[]).includes(field)) attributes[field] = v;
  }
  if (Object.keys(attributes).length > 0) input.attributes = attributes;
  return input;
}

/** Managed fields whose value in the app differs from the policy's; identity fields are never changed. */
function attributeChanges(
  want: DesiredAccount,
  account: Account,
): Record<string, { from: string | null; to: string }> {
  const changes: Record<string, { from: string | null; to: string }> = {};
  for (const [field, { value }] of Object.entries(want.fields)) {
    if (IDENTITY_FIELDS.has(field)) continue;
    const from = accountField(account, field);
    if (from !== value) changes[field] = { from, to: value };
  }
  return changes;
}

/** What an account holds for a policy field: the name fields, or a connector attribute; null when unset. */
export function accountField(account: Account, field: string): string | null {
  const raw =
    field === 'firstName'
      ? account.firstName
      : field === 'lastName'
        ? account.lastName
        : account.attributes[field];
  return raw === null || raw === undefined ? null : String(raw);
}

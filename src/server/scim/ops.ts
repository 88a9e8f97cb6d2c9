/** @module What an IdP's write asks of the app, as plan ops (the facade runs each through runOp): pure translation. */

import type { AccountInput } from '../../connectors/sdk/types.js';
import type { Account, Entitlement } from '../../core/types.js';
import type { PlanOp, PlanOpKind } from '../../reconcile/diff.js';
import type { AppAbilities, AppProfile } from './discovery.js';
import { badRequest } from './errors.js';
import type { GroupChangeSet, UserChangeSet } from './mapping.js';

/** Who asked, for each op's reason (and so the audit): the request line and the token's name. */
export interface FacadeRequest {
  method: string;
  path: string;
  /** The name of the bearer token the IdP used (never the token). */
  tokenName: string;
}

export type Capability = 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete' | 'grant' | 'revoke';

function base(profile: AppProfile, request: FacadeRequest, ref: string, kind: PlanOpKind): PlanOp {
  return {
    ref,
    appId: profile.appId,
    kind,
    account: null,
    person: null,
    reason: { text: `SCIM ${request.method} ${request.path} (token ${request.tokenName})` },
    dependsOn: [],
    risk: kind === 'delete' || kind === 'deactivate' || kind === 'revoke' ? 'medium' : 'low',
    requiresApproval: false,
    approvalReasons: [],
  };
}

function able(abilities: AppAbilities, capability: Capability): boolean {
  switch (capability) {
    case 'deactivate':
      return abilities.deactivateBy !== null;
    case 'grant':
      return abilities.addMembers;
    case 'revoke':
      return abilities.removeMembers;
    default:
      return abilities[capability];
  }
}

/**
 * The op for a capability, or a task in its place when the app's API lacks it (with the connector's reason as
 * the instructions): the facade then answers 501, never a success for a change that did not happen.
 */
function opFor(profile: AppProfile, request: FacadeRequest, ref: string, capability: Capability): PlanOp {
  if (able(profile.abilities, capability)) {
    // An app without deactivation (Process Street) removes the account instead.
    const kind =
      capability === 'deactivate' && profile.abilities.deactivateBy === 'delete' ? 'delete' : capability;
    return base(profile, request, ref, kind);
  }
  const note = profile.abilities.notes[capability] ?? `the ${profile.title} API cannot ${capability}`;
  return { ...base(profile, request, ref, 'task'), task: { instead: capability, instructions: note } };
}

const str = (v: string | number | boolean | null | undefined) =>
  v === null || v === undefined ? '' : String(v);

/** A POST /Users: the create, then a deactivation when the IdP created the user inactive. */
export function createOps(
  profile: AppProfile,
  input: AccountInput,
  active: boolean,
  request: FacadeRequest,
  inviteOnCreate = false,
): PlanOp[] {
  const create = opFor(profile, request, 'scim-create', 'create');
  if (create.kind === 'task' && create.task) {
    // One task per person asked for (the task key is the op's ref when no account exists yet), saying who.
    create.ref = `scim-create:${input.email.toLowerCase()}`;
    create.task.instructions = `Create ${input.email} (${input.firstName} ${input.lastName}) in ${profile.title}: ${create.task.instructions}`;
  }
  if (create.kind === 'create') {
    create.input = {
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      ...(input.login ? { login: input.login } : {}),
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.attributes
        ? { attributes: Object.fromEntries(Object.entries(input.attributes).map(([k, v]) => [k, str(v)])) }
        : {}),
    };
    if (inviteOnCreate) create.invite = true;
  }
  const ops = [create];
  if (!active && create.kind === 'create') {
    const off = opFor(profile, request, 'scim-deactivate', 'deactivate');
    off.account = { createdBy: create.ref };
    off.dependsOn = [create.ref];
    ops.push(off);
  }
  return ops;
}

const FIELDS = ['firstName', 'lastName'] as const;

/**
 * What ties an account to its person: Roster never changes these in an app (its own plans do not either), so an
 * IdP asking to is told so — a clear SCIM error it shows its admin, not a 500 after a half-done write.
 */
const IDENTITY = ['email', 'login', 'externalId'] as const;

const same = (a: unknown, b: unknown) => String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();

/**
 * A PATCH or PUT of a User: a reactivation first (an inactive account may refuse updates), then the update of
 * the fields that changed (`from` what the account holds), then a deactivation last (so the update still lands).
 */
export function userOps(
  profile: AppProfile,
  account: Account,
  set: UserChangeSet,
  request: FacadeRequest,
): PlanOp[] {
  for (const field of IDENTITY) {
    const wanted = set.changes[field];
    if (wanted !== undefined && !same(wanted, account[field])) {
      throw badRequest(
        'mutability',
        `${field} of an existing account cannot be changed through Roster (it ties the account to its person): ` +
          `change it in ${profile.title}, and the next sync picks it up`,
      );
    }
  }
  const ops: PlanOp[] = [];
  const on = (op: PlanOp) => {
    op.account = { id: account.id };
    op.dependsOn = ops.length > 0 ? [ops[ops.length - 1]!.ref] : [];
    ops.push(op);
  };
  const live = account.status === 'active' || account.status === 'invited';
  if (set.active === true && !live) on(opFor(profile, request, 'scim-reactivate', 'reactivate'));
  const changes: Record<string, { from: string | null; to: string }> = {};
  for (const field of FIELDS)
    if (set.changes[field] !== undefined)
      changes[field] = { from: account[field], to: str(set.changes[field]) };
  for (const [name, value] of Object.entries(set.changes.attributes ?? {}))
    changes[name] = {
      from: account.attributes[name] === undefined ? null : str(account.attributes[name]),
      to: str(value),
    };
  if (Object.keys(changes).length > 0) {
    const update = opFor(profile, request, 'scim-update', 'update');
    if (update.kind === 'update') update.changes = changes;
    on(update);
  }
  if (set.active === false && live) on(opFor(profile, request, 'scim-deactivate', 'deactivate'));
  return ops;
}

/** A DELETE /Users/{id}. */
export function deleteOps(profile: AppProfile, account: Account, request: FacadeRequest): PlanOp[] {
  const op = opFor(profile, request, 'scim-delete', 'delete');
  op.account = { id: account.id };
  return [op];
}

/** A PATCH or PUT of a Group: one grant per member added, one revoke per member removed. */
export function memberOps(
  profile: AppProfile,
  entitlement: Entitlement,
  set: GroupChangeSet,
  request: FacadeRequest,
): PlanOp[] {
  const ref = {
    id: entitlement.id,
    kind: entitlement.kind,
    name: entitlement.name,
    privileged: entitlement.privileged,
  };
  const one = (capability: 'grant' | 'revoke', accountId: string, i: number) => {
    const op = opFor(profile, request, `scim-${capability}-${i}`, capability);
    op.account = { id: accountId };
    op.entitlement = ref;
    return op;
  };
  return [
    ...set.added.map((id, i) => one('grant', id, i)),
    ...set.removed.map((id, i) => one('revoke', id, i)),
  ];
}

/** Whether the app's API lacks a capability (the facade then records a task in its place). */
export function cannot(profile: AppProfile, capability: Capability): boolean {
  return !able(profile.abilities, capability);
}

/**
 * A change the app's schema refuses because its API cannot make it (an update on Process Street, a deactivation
 * or a group membership on customer-directory): one task op for a person, so the facade answers 501 with a
 * task instead of a bare refusal.
 */
export function unableOp(
  profile: AppProfile,
  request: FacadeRequest,
  capability: Capability,
  subject: { account?: Account; entitlement?: Entitlement },
): PlanOp {
  const op = opFor(profile, request, `scim-${capability}`, capability);
  if (subject.account) op.account = { id: subject.account.id };
  if (subject.entitlement)
    op.entitlement = {
      id: subject.entitlement.id,
      kind: subject.entitlement.kind,
      name: subject.entitlement.name,
      privileged: subject.entitlement.privileged,
    };
  return op;
}

/** @module The plan's vocabulary: ops, the accounts they act on, plan errors and safety blocks, diff's input and result. */

import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import type { Account, AppType, Entitlement, EntitlementKind, Grant, Link } from '../../core/types.js';
import type { OpKind } from '../../store/store.js';

/** What an op does: the store's op kinds, one for one. */
export type PlanOpKind = OpKind;
export type Risk = 'low' | 'medium' | 'high';

/** An account an op acts on: one the app holds, or the one an earlier op of this plan creates. */
export type AccountRef = { id: string } | { createdBy: string };

export interface EntitlementRef {
  id: string;
  kind: EntitlementKind;
  name: string;
  privileged: boolean;
}

/** One change, carrying everything an executor needs without reading anything else. */
export interface PlanOp {
  /** Stable within the plan; dependencies name ops by it. */
  ref: string;
  appId: string;
  kind: PlanOpKind;
  account: AccountRef | null;
  person: { employeeId: string; email: string; name: string } | null;
  entitlement?: EntitlementRef;
  /**
   * grant of a single-valued kind (a Targetprocess Role): the entitlement this grant takes away, because an
   * account holds one of its kind. Shown as a change `~ role "Administrator" → "Developer"`.
   */
  replaces?: EntitlementRef;
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
  /** How many people the error stops from getting what the rule says (one error, not one line each). */
  people?: number;
}

export interface AppBlock {
  appId: string;
  removals: number;
  liveAccounts: number;
  message: string;
}

/** What the diff reads of an account: a stored account has more, none of which a plan looks at. */
export type DiffAccount = Pick<Account, 'id' | 'email' | 'firstName' | 'lastName' | 'status' | 'attributes'>;
/** What the diff reads of a link. */
export type DiffLink = Pick<
  Link,
  'appId' | 'accountId' | 'employeeId' | 'situation' | 'method' | 'candidates'
>;

export interface DiffApp {
  id: string;
  type: AppType;
  manifest: CapabilityManifest;
  privilegedRoles?: readonly string[];
  accounts: readonly DiffAccount[];
  entitlements: readonly Entitlement[];
  grants: readonly Grant[];
  /** Accounts an IdP manages through the SCIM facade: Roster's own policy never removes them. */
  idpManaged?: ReadonlySet<string>;
}

export interface DiffResult {
  ops: PlanOp[];
  errors: PlanError[];
  blocks: AppBlock[];
  /** Accounts deliberately left alone, by why (disputed, suggested, in grace...), as `app:accountId`. */
  untouched: Record<string, string[]>;
}

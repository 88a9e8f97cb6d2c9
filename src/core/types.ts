/** @module Roster's domain types: people, app accounts, entitlements, grants and the links between them. */

import type { AppType } from '../connectors/registry.js';

/** The kinds of app Roster has a connector for, derived from the connector registry (`scim`: any SCIM 2.0 service). */
export type { AppType };

/** The five apps whose API guides are in shared/seeds and that have a sandbox. */
export const SEED_APP_TYPES = [
  'targetprocess',
  'process-street',
  'thought-industries',
  'customer-directory',
  'stackspot-scim',
] as const satisfies readonly AppType[];
export type SeedAppType = (typeof SEED_APP_TYPES)[number];

export type PersonStatus = 'active' | 'leaver' | 'on_leave' | 'pending';

/** Someone from the source of truth (an HR export today). */
export interface Person {
  employeeId: string;
  email: string;
  aliases: string[];
  firstName: string;
  lastName: string;
  status: PersonStatus;
  department: string | null;
  title: string | null;
  managerEmail: string | null;
  startDate: string | null;
  endDate: string | null;
  /** Every other column of the source, kept as given. */
  attributes: Record<string, string>;
}

/**
 * An account's lifecycle state as Roster sees it, whatever the app calls it:
 * `invited` has not accepted yet, `inactive` cannot log in but exists, `deleted` is soft-deleted.
 */
export type AccountStatus = 'active' | 'inactive' | 'invited' | 'deleted';

export interface Account {
  appId: string;
  /** The app's own id for the account, as a string. */
  id: string;
  email: string | null;
  login: string | null;
  /** An id from outside the app (SSO id, SCIM externalId, external identity). */
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  status: AccountStatus;
  isAdmin: boolean;
  lastLoginAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  /** Normalized extra fields (department, title, role name...), flat and typed. */
  attributes: Record<string, string | number | boolean | null>;
}

export type EntitlementKind = 'role' | 'team' | 'group' | 'course' | 'delegate';

/** Something an account can be given in an app: a role, a team, a group, a course. */
export interface Entitlement {
  appId: string;
  id: string;
  kind: EntitlementKind;
  name: string;
  privileged: boolean;
}

/** An account holds an entitlement. */
export interface Grant {
  appId: string;
  entitlementId: string;
  accountId: string;
}

export type LinkSituation = 'linked' | 'unmatched' | 'disputed' | 'suggested';
export type LinkMethod = 'manual' | 'external_id' | 'email' | 'login' | 'name';

/** How an account is tied to a person (or why it is not). */
export interface Link {
  appId: string;
  accountId: string;
  employeeId: string | null;
  situation: LinkSituation;
  method: LinkMethod | null;
  confidence: number;
  candidates: string[];
}

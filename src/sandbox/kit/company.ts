/** @module The app-neutral shape of the generated sample company that every sandbox seeds itself from. */

import type { SeedAppType } from '../../core/types.js';

/** One row of the sample HR export, with the column names of the default CSV mapping. */
export interface HrRecord {
  employee_id: string;
  email: string;
  first_name: string;
  last_name: string;
  status: 'active' | 'leaver';
  department: string;
  title: string;
  manager_email: string;
  start_date: string;
  end_date: string;
  /** Other addresses the person is known by, `;`-separated in the CSV. */
  aliases: string;
  /** The person's id in the IdP (what SSO-linked accounts carry as ssoId / externalId). */
  idp_id: string;
}

/**
 * An account as the generator planted it, before any app's own shape. `key` is stable across seeds of
 * the same size so tests can name an account; `employeeId` is who it really belongs to (null: nobody).
 */
export interface PlantedAccount {
  key: string;
  employeeId: string | null;
  email: string;
  firstName: string;
  lastName: string;
  /** A login/userName when the app has one. */
  login: string;
  /** An id from the IdP (Thought Industries ssoId, SCIM externalId, customer-directory identity). */
  externalId: string | null;
  state: 'active' | 'inactive' | 'invited' | 'deleted';
  admin: boolean;
  /** Names of the app's roles/groups/teams/courses this account holds. */
  role: string | null;
  groups: string[];
  courses: string[];
  department: string | null;
  title: string | null;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface PlantedAppState {
  accounts: PlantedAccount[];
  roles: string[];
  groups: string[];
  /** Course names with whether they are published (Thought Industries). */
  courses: { name: string; published: boolean }[];
}

/** What the generator planted on purpose, by finding kind, so tests can assert set equality. */
export interface PlantedDrift {
  /** `${app}:${key}` of accounts still active or invited for people who left. */
  leaversWithAccess: string[];
  /** Accounts that belong to nobody in HR. */
  orphans: string[];
  /** Accounts whose email differs from HR only by case, whitespace, a domain alias or a listed alias. */
  aliasMatches: string[];
  /** Accounts that more than one person could own. */
  disputed: string[];
  /** Accounts with admin rights. */
  admins: string[];
  /** Invitations never accepted. */
  pendingInvites: string[];
  /** Soft-deleted accounts (Targetprocess DeleteDate set). */
  softDeleted: string[];
  /** Active people with no account in an app their department should have (`${app}:${employeeId}`). */
  missingAccounts: string[];
  /** A second account for a person who already has one in the app. */
  duplicates: string[];
  /** Active accounts never used (no last login) or invitations older than 30 days. */
  dormant: string[];
  /** Accounts whose department or title differs from HR. */
  attributeDrift: string[];
}

export interface SampleCompany {
  seed: number;
  domain: string;
  /** The other domain the company's mail also answers to (acme.com <-> acme.io). */
  aliasDomain: string;
  /** "Today" for the company: dates are relative to it. */
  asOf: string;
  hr: HrRecord[];
  /** Which departments each app is for: the birthright the sample policy grants. */
  appDepartments: Record<SeedAppType, string[]>;
  apps: Record<SeedAppType, PlantedAppState>;
  planted: PlantedDrift;
}

/** Nothing planted yet: where the generator starts, and what a hand-built company holds. */
export function emptyDrift(): PlantedDrift {
  return {
    leaversWithAccess: [],
    orphans: [],
    aliasMatches: [],
    disputed: [],
    admins: [],
    pendingInvites: [],
    softDeleted: [],
    missingAccounts: [],
    duplicates: [],
    dormant: [],
    attributeDrift: [],
  };
}

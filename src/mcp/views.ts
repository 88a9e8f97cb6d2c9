/**
 * @module What MCP answers show of people, accounts and findings: the fields an assistant reasons with, as zod
 * schemas (the tools' output schemas) and the projections that fill them. HR columns beyond these, account
 * attributes and raw evidence stay out unless a tool is about them: an answer is a view, not a dump.
 */

import { z } from 'zod';
import type { Account, Person } from '../core/types.js';
import { FINDING_RULES, type Finding, SEVERITIES } from '../identity/index.js';

export const personView = z.object({
  employeeId: z.string(),
  email: z.string(),
  name: z.string(),
  status: z.string().describe('active, leaver, on_leave or pending, as the HR export says'),
  department: z.string().nullable(),
  title: z.string().nullable(),
  endDate: z.string().nullable().describe('the last day, for a leaver'),
});
export type PersonView = z.infer<typeof personView>;

export function personOf(person: Person): PersonView {
  return {
    employeeId: person.employeeId,
    email: person.email,
    name: `${person.firstName} ${person.lastName}`.trim(),
    status: person.status,
    department: person.department,
    title: person.title,
    endDate: person.endDate,
  };
}

export const accountView = z.object({
  appId: z.string(),
  id: z.string().describe("the app's own id for the account"),
  email: z.string().nullable(),
  login: z.string().nullable(),
  displayName: z.string().nullable(),
  status: z.string().describe('active, inactive, invited or deleted'),
  isAdmin: z.boolean(),
  lastLoginAt: z.string().nullable(),
});
export type AccountView = z.infer<typeof accountView>;

export function accountOf(account: Account): AccountView {
  return {
    appId: account.appId,
    id: account.id,
    email: account.email,
    login: account.login,
    displayName: account.displayName,
    status: account.status,
    isAdmin: account.isAdmin,
    lastLoginAt: account.lastLoginAt,
  };
}

export const findingView = z.object({
  id: z.string().describe('stable across runs: rule:app:account'),
  rule: z.enum(FINDING_RULES),
  severity: z.enum(SEVERITIES),
  appId: z.string(),
  accountId: z.string(),
  accountEmail: z.string().nullable(),
  employeeId: z.string().nullable(),
  personEmail: z.string().nullable(),
  title: z.string(),
});
export type FindingView = z.infer<typeof findingView>;

export function findingOf(
  finding: Finding & { accountEmail?: string | null; personEmail?: string | null },
): FindingView {
  return {
    id: finding.id,
    rule: finding.rule,
    severity: finding.severity,
    appId: finding.appId,
    accountId: finding.accountId,
    accountEmail: finding.accountEmail ?? null,
    employeeId: finding.employeeId,
    personEmail: finding.personEmail ?? null,
    title: finding.title,
  };
}

/** When each app's snapshot was taken: what an answer is "as of". */
export const asOfView = z.record(z.string(), z.string().nullable());

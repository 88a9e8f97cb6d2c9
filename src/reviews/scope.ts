/** @module What a campaign reviews: the access sheet's rows narrowed to its scope, frozen as items, flagged ones first. */

import type { ReviewSelection, ReviewSubject } from '../store/reviews.js';

/** One account × entitlement as the access sheet lists it (an account without one has empty entitlement fields). */
export interface AccessRow {
  app: string;
  accountId: string;
  accountEmail: string;
  accountStatus: string;
  personId: string;
  personEmail: string;
  personName: string;
  manager: string;
  entitlementKind: string;
  entitlementId: string;
  entitlement: string;
  privileged: boolean;
  lastActivity: string;
  /** Finding rules, space separated. */
  findings: string;
}

export interface ScopedItem {
  appId: string;
  accountId: string;
  subject: ReviewSubject;
}

/** Findings that mean the access is probably not needed: such items come first, with revoke suggested. */
const FLAGGED: Readonly<Record<string, string>> = {
  leaver_with_access: 'the HR export says this person left',
  orphan: 'nobody in the HR export owns this account',
  dormant: 'the account has not been used for a long time',
};

export function suggestionOf(findings: readonly string[]): ReviewSubject['suggestion'] {
  const why = findings.map((f) => FLAGGED[f]).filter((w): w is string => w !== undefined);
  return why.length > 0 ? { decision: 'revoke', why: why.join('; ') } : null;
}

/**
 * The items of a campaign: each held entitlement (or the account itself where it holds none, or where the
 * account is privileged by itself), narrowed to all, privileged only, or accounts with findings. Deleted
 * accounts hold nothing to review. Flagged items first, then by app and account, as the sheet lists them.
 */
export function scopeItems(rows: readonly AccessRow[], select: ReviewSelection): ScopedItem[] {
  const items: ScopedItem[] = [];
  const byAccount = new Map<string, AccessRow[]>();
  for (const row of rows) {
    if (row.accountStatus === 'deleted') continue;
    const key = `${row.app}\u0000${row.accountId}`;
    byAccount.set(key, [...(byAccount.get(key) ?? []), row]);
  }
  for (const accountRows of byAccount.values()) {
    const first = accountRows[0] as AccessRow;
    const findings = first.findings.split(' ').filter((f) => f !== '');
    const accountPrivileged = findings.includes('privileged');
    let chosen: { row: AccessRow; entitlement: boolean }[] = accountRows.map((row) => ({
      row,
      entitlement: row.entitlementId !== '',
    }));
    if (select === 'findings' && findings.length === 0) chosen = [];
    if (select === 'privileged') {
      chosen = chosen.filter((c) => c.row.privileged);
      // Privileged by the account itself (an app admin flag) with no privileged entitlement: review the account.
      if (chosen.length === 0 && accountPrivileged) chosen = [{ row: first, entitlement: false }];
    }
    for (const { row, entitlement } of chosen) {
      items.push({
        appId: row.app,
        accountId: row.accountId,
        subject: {
          accountEmail: row.accountEmail,
          accountStatus: row.accountStatus,
          entitlement: entitlement
            ? {
                id: row.entitlementId,
                kind: row.entitlementKind,
                name: row.entitlement,
                privileged: row.privileged,
              }
            : null,
          privileged: entitlement ? row.privileged : accountPrivileged || row.privileged,
          person:
            row.personId === ''
              ? null
              : {
                  employeeId: row.personId,
                  email: row.personEmail,
                  name: row.personName,
                  managerEmail: row.manager === '' ? null : row.manager,
                },
          lastActivity: row.lastActivity === '' ? null : row.lastActivity,
          findings,
          suggestion: suggestionOf(findings),
        },
      });
    }
  }
  // Stable: the sheet's order within flagged and unflagged.
  return [
    ...items.filter((i) => i.subject.suggestion !== null),
    ...items.filter((i) => i.subject.suggestion === null),
  ];
}

/** @module The access-review sheet: every account × entitlement with its owner, their manager, activity and findings. */

import type { Roster } from './context.js';
import { refreshGraph } from './graph.js';

export interface AccessReviewRow {
  app: string;
  accountId: string;
  accountEmail: string;
  accountStatus: string;
  personId: string;
  personEmail: string;
  personName: string;
  manager: string;
  department: string;
  entitlementKind: string;
  /** The entitlement's id in the app (empty on an account's row without one). */
  entitlementId: string;
  entitlement: string;
  privileged: boolean;
  /** The app's last-login time where it reports one; empty where the app cannot show activity. */
  lastActivity: string;
  findings: string;
}

/** One row per entitlement an account holds (one row for an account that holds none), app by app. */
export async function accessReviewRows(
  roster: Roster,
  filter: { appId?: string } = {},
): Promise<AccessReviewRow[]> {
  const graph = await refreshGraph(roster);
  const apps =
    filter.appId === undefined ? roster.config.apps.map((a) => a.id) : [roster.app(filter.appId).id];
  const people = new Map((await roster.store.listPeople()).map((p) => [p.employeeId, p]));
  const findings = new Map<string, string[]>();
  for (const f of graph.findings) {
    const key = `${f.appId}\u0000${f.accountId}`;
    findings.set(key, [...(findings.get(key) ?? []), f.rule]);
  }
  const rows: AccessReviewRow[] = [];
  for (const appId of apps) {
    const owners = new Map(
      (await roster.store.listLinks({ appId, situation: 'linked' })).map((l) => [l.accountId, l.employeeId]),
    );
    const entitlements = new Map((await roster.store.listEntitlements({ appId })).map((e) => [e.id, e]));
    const held = new Map<string, string[]>();
    for (const g of await roster.store.listGrants({ appId })) {
      held.set(g.accountId, [...(held.get(g.accountId) ?? []), g.entitlementId]);
    }
    for (const account of await roster.store.listAccounts({ appId })) {
      const ownerId = owners.get(account.id) ?? null;
      const person = ownerId ? people.get(ownerId) : undefined;
      const base = {
        app: appId,
        accountId: account.id,
        accountEmail: account.email ?? account.login ?? '',
        accountStatus: account.status,
        personId: person?.employeeId ?? '',
        personEmail: person?.email ?? '',
        personName: person ? `${person.firstName} ${person.lastName}`.trim() : '',
        manager: person?.managerEmail ?? '',
        department: person?.department ?? '',
        lastActivity: account.lastLoginAt ?? '',
        findings: (findings.get(`${appId}\u0000${account.id}`) ?? []).join(' '),
      };
      const ids = held.get(account.id) ?? [];
      if (ids.length === 0)
        rows.push({
          ...base,
          entitlementKind: '',
          entitlementId: '',
          entitlement: '',
          privileged: account.isAdmin,
        });
      for (const id of ids) {
        const e = entitlements.get(id);
        rows.push({
          ...base,
          entitlementKind: e?.kind ?? '',
          entitlementId: id,
          entitlement: e?.name ?? id,
          privileged: e?.privileged ?? false,
        });
      }
    }
  }
  return rows;
}

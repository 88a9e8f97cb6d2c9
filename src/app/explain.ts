/**
 * @module explainAccess: why a person holds what they hold — how each account is tied to them (rule, confidence,
 * manual decision) and, for each entitlement, the policy rule that gives it or the fact that none does.
 */

import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { Account, EntitlementKind, LinkMethod, LinkSituation } from '../core/types.js';
import { type Finding, personFindings } from '../identity/index.js';
import { desiredState } from '../reconcile/desired.js';
import { desiredAppOf } from '../reconcile/plan.js';
import { defaultPolicy, type Policy } from '../reconcile/policy.js';
import type { StoredLink, StoredPerson } from '../store/store.js';
import type { Roster } from './context.js';
import { findPerson, updateGraph } from './graph.js';

export interface HeldEntitlement {
  kind: EntitlementKind;
  name: string;
  privileged: boolean;
  /** The policy rules that give it to this person; empty when no rule does. */
  rules: string[];
  /** Whether Roster manages this kind in this app (and would revoke it when no rule gives it). */
  managed: boolean;
}

export interface ExplainedAccount {
  appId: string;
  account: Account;
  link: {
    situation: LinkSituation | null;
    method: LinkMethod | null;
    confidence: number;
    manual: boolean;
    decidedBy: string | null;
    /** In words: "email matches the HR record", "decided by ana on 2026-11-02"... */
    why: string;
  };
  /** The rules that give the person an account in this app; empty when none does. */
  rules: string[];
  entitlements: HeldEntitlement[];
}

export interface AccessExplanation {
  person: StoredPerson;
  accounts: ExplainedAccount[];
  findings: Finding[];
}

const METHOD_TEXT: Record<LinkMethod, string> = {
  manual: 'decided by hand',
  external_id: 'the IdP id matches the HR record',
  email: 'the email (or one of its aliases) matches the HR record',
  login: 'the login matches the HR record',
  name: 'the name and department look alike (a suggestion only)',
};

/** Why an account is tied to its person, in words: the correlation rule, or who decided it by hand and when. */
export function whyLinked(link: StoredLink | undefined): string {
  if (link?.manual) {
    return `decided by ${link.decidedBy ?? 'someone'}${link.decidedAt ? ` on ${link.decidedAt.slice(0, 10)}` : ''}`;
  }
  return link?.method ? METHOD_TEXT[link.method] : 'not linked';
}

/** One person's access across every app, with the reason for each piece of it. */
export async function explainAccess(roster: Roster, key: string): Promise<AccessExplanation> {
  // Brought up to date, then only this person's findings read back (not every finding of the fleet).
  await updateGraph(roster);
  const { person, accounts } = await findPerson(roster, key);
  const policy = (roster.config.policy as Policy | undefined) ?? defaultPolicy();
  const manifests = roster.manifests();
  const desired = desiredState({
    people: [person],
    policy,
    apps: roster.config.apps.map((app) => desiredAppOf(app, manifests[app.id] as CapabilityManifest)),
    now: roster.now(),
  });
  const links = await roster.store.listLinks({ employeeId: person.employeeId });
  const explained: ExplainedAccount[] = [];
  for (const view of accounts) {
    const link = links.find((l) => l.appId === view.appId && l.accountId === view.account.id);
    const want = desired.accounts.get(view.appId)?.get(person.employeeId);
    const managed = new Set<string>(policy.managed[view.appId] ?? []);
    const catalogue = await roster.store.listEntitlements({ appId: view.appId });
    const grants = await roster.store.listGrants({ appId: view.appId, accountId: view.account.id });
    const entitlements = grants.flatMap((g) => {
      const e = catalogue.find((c) => c.id === g.entitlementId);
      if (!e) return [];
      const rules = (want?.entitlements ?? [])
        .filter((d) => d.kind === e.kind && d.name.toLowerCase() === e.name.toLowerCase())
        .map((d) => d.rule);
      return [{ kind: e.kind, name: e.name, privileged: e.privileged, rules, managed: managed.has(e.kind) }];
    });
    explained.push({
      appId: view.appId,
      account: view.account,
      link: {
        situation: link?.situation ?? null,
        method: link?.method ?? null,
        confidence: link?.confidence ?? 0,
        manual: link?.manual ?? false,
        decidedBy: link?.decidedBy ?? null,
        why: whyLinked(link),
      },
      rules: want?.rules ?? [],
      entitlements,
    });
  }
  return {
    person,
    accounts: explained,
    findings: await personFindings(roster.store, person.employeeId),
  };
}

/** @module The identity graph against the store: load, correlate, write links, compute findings; and its queries. */

import type { AppConfig, IdentityConfig, RosterConfig } from '../config/schema.js';
import type { Account, Entitlement, Grant, Link, LinkMethod, LinkSituation, Person } from '../core/types.js';
import type { Store, StoredPerson } from '../store/store.js';
import { correlate } from './correlate.js';
import {
  findings as computeFindings,
  type DormancyCoverage,
  dormancyCoverage,
  type Finding,
  type FindingsApp,
} from './findings.js';

/** The parts of roster.yaml the graph reads (a whole RosterConfig fits). */
export interface GraphConfig {
  apps: readonly Pick<AppConfig, 'id' | 'type' | 'privilegedRoles'>[];
  domains?: Pick<NonNullable<RosterConfig['domains']>, 'aliases'> | undefined;
  identity?: Partial<IdentityConfig> | undefined;
}

export interface GraphSummary {
  /** Per app: how many accounts sit in each situation. */
  apps: Record<string, { accounts: number } & Record<LinkSituation, number>>;
  people: { total: number; withAccounts: number; withoutAccounts: number };
  findings: Record<string, number>;
}

/** Wall time of each phase, in ms: what the benchmark reports. */
export interface GraphTimings {
  load: number;
  correlate: number;
  writeLinks: number;
  findings: number;
}

export interface GraphResult {
  links: Link[];
  findings: Finding[];
  /** Which apps can show dormancy, and where it is unknown (no login data in the app's API). */
  dormancy: DormancyCoverage;
  summary: GraphSummary;
  timings: GraphTimings;
}

export const SITUATIONS: readonly LinkSituation[] = ['linked', 'suggested', 'disputed', 'unmatched'];

const linkKey = (link: Pick<Link, 'appId' | 'accountId'>) => `${link.appId}\u0000${link.accountId}`;

function sameLink(a: Link, b: Link): boolean {
  return (
    a.employeeId === b.employeeId &&
    a.situation === b.situation &&
    a.method === b.method &&
    a.confidence === b.confidence &&
    a.candidates.length === b.candidates.length &&
    a.candidates.every((candidate, i) => candidate === b.candidates[i])
  );
}

function findingsApps(config: GraphConfig): FindingsApp[] {
  return config.apps.map((app) => ({
    id: app.id,
    type: app.type,
    privilegedRoles: app.privilegedRoles ?? [],
  }));
}

/** Rebuilds every link from the store's people and snapshots, keeps manual decisions, and reports findings. */
export async function refreshGraph(input: {
  store: Store;
  config: GraphConfig;
  /** "Today" as an ISO date-time (default: the clock). */
  now?: string;
}): Promise<GraphResult> {
  const { store, config } = input;
  const now = input.now ?? new Date().toISOString();
  const identity = config.identity;
  let mark = performance.now();
  const lap = () => {
    const at = performance.now();
    const spent = at - mark;
    mark = at;
    return spent;
  };

  const people: Person[] = await store.listPeople();
  const accounts: Account[] = [];
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  for (const app of config.apps) {
    for (const a of await store.listAccounts({ appId: app.id })) accounts.push(a);
    for (const e of await store.listEntitlements({ appId: app.id })) entitlements.push(e);
    for (const g of await store.listGrants({ appId: app.id })) grants.push(g);
  }
  const stored = await store.listLinks();
  const manual = stored.filter((link) => link.manual);
  const load = lap();

  const links = correlate({
    people,
    accounts,
    manual,
    options: {
      externalIdAttribute: identity?.externalIdAttribute ?? 'idp_id',
      domainAliases: config.domains?.aliases ?? [],
      nameSuggestions: identity?.nameSuggestions ?? true,
    },
  });
  const correlateMs = lap();

  // Only what correlation changed is written: a re-run over an unchanged state writes nothing.
  const before = new Map(stored.map((link) => [linkKey(link), link]));
  const changed = links.filter((link) => {
    const previous = before.get(linkKey(link));
    return previous === undefined || (!previous.manual && !sameLink(previous, link));
  });
  if (changed.length > 0) await store.upsertLinks({ links: changed });
  for (const app of config.apps) await store.pruneLinks({ appId: app.id });
  const writeLinks = lap();

  const found = computeFindings({
    people,
    accounts,
    entitlements,
    grants,
    links,
    now,
    options: {
      apps: findingsApps(config),
      dormantDays: identity?.dormantDays ?? 90,
      dormantGraceDays: identity?.dormantGraceDays ?? 30,
      inviteDays: identity?.inviteDays ?? 14,
    },
  });
  const findingsMs = lap();

  return {
    links,
    findings: found,
    dormancy: dormancyCoverage(findingsApps(config)),
    summary: summarize(config, people, links, found),
    timings: { load, correlate: correlateMs, writeLinks, findings: findingsMs },
  };
}

function summarize(
  config: GraphConfig,
  people: readonly Person[],
  links: readonly Link[],
  found: readonly Finding[],
): GraphSummary {
  const apps: GraphSummary['apps'] = {};
  for (const app of config.apps) {
    apps[app.id] = { accounts: 0, linked: 0, suggested: 0, disputed: 0, unmatched: 0 };
  }
  const owners = new Set<string>();
  for (const link of links) {
    const counts = apps[link.appId];
    if (counts !== undefined) {
      counts.accounts++;
      counts[link.situation]++;
    }
    if (link.situation === 'linked' && link.employeeId !== null) owners.add(link.employeeId);
  }
  const withAccounts = people.filter((p) => owners.has(p.employeeId)).length;
  const byRule: Record<string, number> = {};
  for (const finding of found) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
  return {
    apps,
    people: { total: people.length, withAccounts, withoutAccounts: people.length - withAccounts },
    findings: byRule,
  };
}

export interface PersonAccountView {
  appId: string;
  account: Account;
  method: LinkMethod | null;
  confidence: number;
  /** Names of the entitlements the account holds, sorted. */
  entitlements: string[];
}

export interface PersonView {
  person: StoredPerson;
  accounts: PersonAccountView[];
}

/** One person (by employee id or any address they answer to) and every account linked to them, across apps. */
export async function personView(input: { store: Store; key: string }): Promise<PersonView | null> {
  const { store, key } = input;
  const person =
    (await store.getPerson({ employeeId: key })) ??
    (key.includes('@') ? await store.getPerson({ email: key }) : null);
  if (person === null) return null;
  const links = await store.listLinks({ employeeId: person.employeeId, situation: 'linked' });
  const accounts: PersonAccountView[] = [];
  const names = new Map<string, Map<string, string>>();
  for (const link of links) {
    const account = await store.getAccount({ appId: link.appId, id: link.accountId });
    if (account === null) continue;
    let byId = names.get(link.appId);
    if (byId === undefined) {
      byId = new Map((await store.listEntitlements({ appId: link.appId })).map((e) => [e.id, e.name]));
      names.set(link.appId, byId);
    }
    const grants = await store.listGrants({ appId: link.appId, accountId: link.accountId });
    accounts.push({
      appId: link.appId,
      account,
      method: link.method,
      confidence: link.confidence,
      entitlements: grants.map((g) => byId.get(g.entitlementId) ?? g.entitlementId).sort(),
    });
  }
  accounts.sort((a, b) => a.appId.localeCompare(b.appId) || a.account.id.localeCompare(b.account.id));
  return { person, accounts };
}

export interface AppAccountView {
  account: Account;
  situation: LinkSituation | null;
  /** The owner when linked; else null (see situation and candidates). */
  owner: { employeeId: string; email: string; name: string; status: Person['status'] } | null;
  method: LinkMethod | null;
  candidates: string[];
}

/** Every account of one app with its owner, or why it has none. */
export async function appView(input: { store: Store; appId: string }): Promise<AppAccountView[]> {
  const { store, appId } = input;
  const [accounts, links, people] = await Promise.all([
    store.listAccounts({ appId }),
    store.listLinks({ appId }),
    store.listPeople(),
  ]);
  const byAccount = new Map(links.map((l) => [l.accountId, l]));
  const byId = new Map(people.map((p) => [p.employeeId, p]));
  return accounts
    .map((account) => {
      const link = byAccount.get(account.id);
      const person = link?.situation === 'linked' && link.employeeId ? byId.get(link.employeeId) : undefined;
      return {
        account,
        situation: link?.situation ?? null,
        owner: person
          ? {
              employeeId: person.employeeId,
              email: person.email,
              name: `${person.firstName} ${person.lastName}`,
              status: person.status,
            }
          : null,
        method: link?.method ?? null,
        candidates: link?.candidates ?? [],
      };
    })
    .sort((a, b) => a.account.id.localeCompare(b.account.id, undefined, { numeric: true }));
}

/** @module The identity graph against the store: load, correlate, write links, compute findings; and its queries. */

import type { AppConfig, IdentityConfig, RosterConfig } from '../config/schema.js';
import type { Account, Entitlement, Grant, Link, LinkMethod, LinkSituation, Person } from '../core/types.js';
import { appScope, PEOPLE_SCOPE } from '../store/graph-scopes.js';
import type { Store, StoredLink, StoredPerson } from '../store/store.js';
import { type CorrelateOptions, correlator } from './correlate.js';
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

/** Bumped when correlation's rules change, so links a previous version stored are computed again. */
const CORRELATION_VERSION = 1;

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

function correlateOptions(config: GraphConfig): CorrelateOptions {
  return {
    externalIdAttribute: config.identity?.externalIdAttribute ?? 'idp_id',
    domainAliases: config.domains?.aliases ?? [],
    nameSuggestions: config.identity?.nameSuggestions ?? true,
  };
}

/** Everything that decides links besides people and snapshots: a change recomputes every app. */
function fingerprint(config: GraphConfig): string {
  return JSON.stringify({
    version: CORRELATION_VERSION,
    apps: config.apps.map((a) => a.id).sort(),
    ...correlateOptions(config),
  });
}

/** What changed since the graph last ran: the marks read now, and the apps whose links may be stale. */
interface Staleness {
  marks: Record<string, number>;
  config: string;
  /** Apps to correlate again: their snapshot or manual links changed, or the people or the settings did. */
  dirty: Set<string>;
}

async function staleness(store: Store, config: GraphConfig): Promise<Staleness> {
  // Marks are read before any input: a write landing after this read leaves its scope dirty for the next run.
  const [marks, state] = await Promise.all([store.graphMarks(), store.graphState()]);
  const current = fingerprint(config);
  const seen = state?.config === current ? state.marks : null;
  const changed = (scope: string) => seen === null || (marks[scope] ?? 0) !== (seen[scope] ?? 0);
  const everything = changed(PEOPLE_SCOPE);
  const dirty = new Set(config.apps.map((a) => a.id).filter((id) => everything || changed(appScope(id))));
  return { marks, config: current, dirty };
}

/** Where the people and each dirty app's accounts and stored links come from: the store, or rows already loaded. */
interface LinkInputs {
  people(): Promise<readonly Person[]>;
  accounts(appId: string): Promise<readonly Account[]>;
  links(appId: string): Promise<readonly StoredLink[]>;
}

interface Recomputed {
  /** The fresh links of each app that was correlated again. */
  byApp: Map<string, Link[]>;
  written: number;
  removed: number;
  timings: Pick<GraphTimings, 'load' | 'correlate' | 'writeLinks'>;
}

/**
 * Correlates the dirty apps' accounts again, writes only the links that changed, drops links of accounts gone
 * from their snapshot, then records the marks it ran from. The record comes last: a run that stops half-way
 * leaves the old marks, and the next run does the work again.
 */
async function recompute(
  store: Store,
  config: GraphConfig,
  stale: Staleness,
  inputs: LinkInputs,
): Promise<Recomputed> {
  const byApp = new Map<string, Link[]>();
  const timings = { load: 0, correlate: 0, writeLinks: 0 };
  let mark = performance.now();
  const lap = (phase: keyof typeof timings) => {
    const at = performance.now();
    timings[phase] += at - mark;
    mark = at;
  };
  const people = stale.dirty.size === 0 ? [] : await inputs.people();
  lap('load');
  const run = correlator(people, correlateOptions(config));
  lap('correlate');
  const changed: Link[] = [];
  const pruned: string[] = [];
  for (const app of config.apps) {
    if (!stale.dirty.has(app.id)) continue;
    const [accounts, stored] = await Promise.all([inputs.accounts(app.id), inputs.links(app.id)]);
    lap('load');
    const links = run(
      accounts,
      stored.filter((link) => link.manual),
    );
    byApp.set(app.id, links);
    const before = new Map<string, StoredLink>();
    for (const link of stored) before.set(link.accountId, link);
    for (const link of links) {
      const previous = before.get(link.accountId);
      if (previous === undefined || (!previous.manual && !sameLink(previous, link))) changed.push(link);
    }
    const present = new Set<string>();
    for (const account of accounts) present.add(account.id);
    if (stored.some((link) => !link.manual && !present.has(link.accountId))) pruned.push(app.id);
    lap('correlate');
  }
  let written = 0;
  if (changed.length > 0) written = (await store.upsertLinks({ links: changed })).written;
  let removed = 0;
  for (const appId of pruned) removed += (await store.pruneLinks({ appId })).removed;
  await store.saveGraphState({ marks: stale.marks, config: stale.config });
  lap('writeLinks');
  return { byApp, written, removed, timings };
}

export interface LinkUpdate {
  /** Nothing changed since the graph last ran: only the change marks were read. */
  upToDate: boolean;
  /** Apps whose accounts were correlated again. */
  recomputed: string[];
  /** Links written (new or changed) and removed (their account left the snapshot). */
  written: number;
  removed: number;
  timings: Pick<GraphTimings, 'load' | 'correlate' | 'writeLinks'>;
}

/**
 * Brings the links up to date with the people and snapshots, correlating only the apps whose snapshot or manual
 * links changed since the graph last ran (every app when the people or the settings did). With nothing changed
 * it reads two small rows and returns: what `plan` runs to be sure it never plans from stale links.
 */
export async function updateLinks(input: { store: Store; config: GraphConfig }): Promise<LinkUpdate> {
  const { store, config } = input;
  const stale = await staleness(store, config);
  if (stale.dirty.size === 0) {
    return {
      upToDate: true,
      recomputed: [],
      written: 0,
      removed: 0,
      timings: { load: 0, correlate: 0, writeLinks: 0 },
    };
  }
  const done = await recompute(store, config, stale, {
    people: () => store.listPeople(),
    accounts: (appId) => store.listGraphAccounts({ appId }),
    links: (appId) => store.listLinks({ appId }),
  });
  return {
    upToDate: false,
    recomputed: [...done.byApp.keys()],
    written: done.written,
    removed: done.removed,
    timings: done.timings,
  };
}

/**
 * Brings the links up to date (see {@link updateLinks}), then computes findings over every account: the whole
 * graph, for the commands that show it.
 */
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

  const stale = await staleness(store, config);
  const people: Person[] = await store.listPeople();
  const accountsByApp = new Map<string, Account[]>();
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  for (const app of config.apps) {
    accountsByApp.set(app.id, await store.listGraphAccounts({ appId: app.id }));
    for (const e of await store.listEntitlements({ appId: app.id })) entitlements.push(e);
    for (const g of await store.listGrants({ appId: app.id })) grants.push(g);
  }
  const storedByApp = new Map<string, StoredLink[]>();
  for (const link of await store.listLinks()) {
    const list = storedByApp.get(link.appId);
    if (list === undefined) storedByApp.set(link.appId, [link]);
    else list.push(link);
  }
  const load = lap();

  const done = await recompute(store, config, stale, {
    people: async () => people,
    accounts: async (appId) => accountsByApp.get(appId) ?? [],
    links: async (appId) => storedByApp.get(appId) ?? [],
  });
  lap();
  const accounts: Account[] = [];
  const links: Link[] = [];
  for (const app of config.apps) {
    const appAccounts = accountsByApp.get(app.id) ?? [];
    for (const account of appAccounts) accounts.push(account);
    const fresh = done.byApp.get(app.id);
    if (fresh !== undefined) {
      for (const link of fresh) links.push(link);
      continue;
    }
    // An app nothing touched keeps its stored links; a manual one whose account is gone is not in the graph.
    const ids = new Set(appAccounts.map((a) => a.id));
    for (const link of storedByApp.get(app.id) ?? []) if (ids.has(link.accountId)) links.push(link);
  }
  lap();

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
    timings: {
      load: load + done.timings.load,
      correlate: done.timings.correlate,
      writeLinks: done.timings.writeLinks,
      findings: findingsMs,
    },
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

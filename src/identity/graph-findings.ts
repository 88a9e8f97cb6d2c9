/**
 * @module The graph brought up to date with its findings: links first, then findings recomputed only for the
 * accounts whose inputs changed (their row, grants, link, owner, or the clock crossing one of their thresholds),
 * stored, so an unchanged graph reads its state and returns what it stored.
 */

import type { Account, Entitlement, Grant, Link, LinkSituation, Person } from '../core/types.js';
import type { AccountKey, GraphDirtyRow, GraphFindingRow, Store, StoredLink } from '../store/store.js';
import { correlator } from './correlate.js';
import {
  findings as computeFindings,
  type DormancyCoverage,
  dormancyCoverage,
  FINDING_RULES,
  type Finding,
  type FindingRule,
  type FindingsApp,
  type FindingsOptions,
  peopleById,
  SEVERITIES,
  type Severity,
  sortFindings,
} from './findings.js';
import {
  correlateOptions,
  type GraphConfig,
  type GraphTimings,
  keepIndex,
  linksFingerprint,
  recompute,
  relinkApp,
  type Staleness,
  staleness,
  storeInputs,
} from './graph-links.js';

export interface GraphSummary {
  /** Per app: how many accounts sit in each situation. */
  apps: Record<string, { accounts: number } & Record<LinkSituation, number>>;
  people: { total: number; withAccounts: number; withoutAccounts: number };
  findings: Record<string, number>;
}

/** The graph brought up to date: its summary (findings counted per rule) without the findings themselves. */
export interface GraphUpdate {
  /** Which apps can show dormancy, and where it is unknown (no login data in the app's API). */
  dormancy: DormancyCoverage;
  summary: GraphSummary;
  /** Nothing changed since the last run: nothing was recomputed. */
  upToDate: boolean;
  /** Accounts whose findings were computed this run (every account on a first run). */
  recomputed: number;
  /** Links written this run (new or changed; a manual decision is never overwritten). */
  written: number;
  timings: GraphTimings;
}

export interface GraphResult extends GraphUpdate {
  /** Every finding, most severe first. */
  findings: Finding[];
}

/** A run's outcome, with every finding when the run computed them all in memory (else they are in the store). */
interface Ran extends GraphUpdate {
  findings?: Finding[];
}

/** Past this many accounts to look at again, one pass over everything costs less than targeted reads. */
const INCREMENTAL_LIMIT = 20_000;
const DAY = 86_400_000;

function findingsApps(config: GraphConfig): FindingsApp[] {
  return config.apps.map((app) => ({
    id: app.id,
    type: app.type,
    privilegedRoles: app.privilegedRoles ?? [],
  }));
}

function findingsOptions(config: GraphConfig): FindingsOptions {
  const identity = config.identity;
  return {
    apps: findingsApps(config),
    dormantDays: identity?.dormantDays ?? 90,
    dormantGraceDays: identity?.dormantGraceDays ?? 30,
    inviteDays: identity?.inviteDays ?? 14,
  };
}

/** Everything besides the data that decides findings: a change computes every account's again. */
function findingsFingerprint(config: GraphConfig): string {
  return JSON.stringify({ links: linksFingerprint(config), findings: findingsOptions(config) });
}

const akey = (appId: string, accountId: string) => `${appId}\u0000${accountId}`;

const RULES = new Set<string>(FINDING_RULES);
const LEVELS = new Set<string>(SEVERITIES);

function fromRow(row: GraphFindingRow): Finding {
  if (!RULES.has(row.rule) || !LEVELS.has(row.severity)) {
    throw new Error(
      `stored finding ${row.rule}:${row.appId}:${row.accountId} has an unknown rule or severity`,
    );
  }
  return {
    id: `${row.rule}:${row.appId}:${row.accountId}`,
    rule: row.rule as FindingRule,
    severity: row.severity as Severity,
    appId: row.appId,
    accountId: row.accountId,
    employeeId: row.employeeId,
    title: row.title,
    evidence: row.evidence as Finding['evidence'],
  };
}

function toRow(f: Finding): GraphFindingRow {
  return {
    appId: f.appId,
    accountId: f.accountId,
    rule: f.rule,
    severity: f.severity,
    employeeId: f.employeeId,
    title: f.title,
    evidence: f.evidence,
  };
}

function countRules(found: readonly Finding[]): Record<string, number> {
  const byRule: Record<string, number> = {};
  for (const finding of found) byRule[finding.rule] = (byRule[finding.rule] ?? 0) + 1;
  return byRule;
}

class Laps {
  readonly timings: GraphTimings = { load: 0, correlate: 0, writeLinks: 0, findings: 0 };
  private mark = performance.now();
  lap(phase: keyof GraphTimings): void {
    const at = performance.now();
    this.timings[phase] += at - this.mark;
    this.mark = at;
  }
  add(t: Partial<GraphTimings>): void {
    for (const [phase, ms] of Object.entries(t)) this.timings[phase as keyof GraphTimings] += ms;
  }
}

interface GraphInput {
  store: Store;
  config: GraphConfig;
  /** "Today" as an ISO date-time (default: the clock). */
  now?: string;
}

/**
 * Brings the links up to date (see `updateLinks`), then the stored findings: every account's on a first run or
 * after a change of settings, else only those of accounts whose inputs changed since they last ran. With nothing
 * changed it reads the graph's state, the change set's head and the findings' counts, and returns.
 */
export async function updateGraph(input: GraphInput): Promise<GraphUpdate> {
  const { findings: _, ...update } = await run(input);
  return update;
}

/** {@link updateGraph}, then every finding, most severe first (read back from the store unless just computed). */
export async function refreshGraph(input: GraphInput): Promise<GraphResult> {
  const ran = await run(input);
  if (ran.findings !== undefined) return { ...ran, findings: ran.findings };
  const at = performance.now();
  const findings = sortFindings((await input.store.listGraphFindings()).map(fromRow));
  ran.timings.findings += performance.now() - at;
  return { ...ran, findings };
}

/** The stored findings naming one person, most severe first: call after {@link updateGraph} for current ones. */
export async function personFindings(store: Store, employeeId: string): Promise<Finding[]> {
  return sortFindings((await store.listGraphFindings({ employeeId })).map(fromRow));
}

async function run(input: GraphInput): Promise<Ran> {
  const { store, config } = input;
  const now = input.now ?? new Date().toISOString();
  const laps = new Laps();
  const stale = await staleness(store, config);
  const fingerprint = findingsFingerprint(config);
  const previous = stale.state?.findings ?? null;
  const valid = !stale.everything && previous !== null && previous.config === fingerprint;
  const dormancy = dormancyCoverage(findingsApps(config));
  if (!valid) return full(store, config, stale, now, fingerprint, [], laps);

  const since =
    previous.generation === stale.state?.generation
      ? stale.changes
      : await store.changedSince({ since: previous.generation });
  const dirtyRows = await store.listGraphDirty();
  const unchanged =
    stale.dirty.size === 0 &&
    since.accounts.length === 0 &&
    since.people.length === 0 &&
    dirtyRows.length === 0 &&
    previous.now === now;
  if (unchanged) {
    // Nothing the findings read has changed: the stored ones stand, and only their counts are read.
    const counts = await store.graphFindingCounts();
    laps.lap('load');
    return {
      dormancy,
      summary: { ...(previous.summary as GraphSummary), findings: counts },
      upToDate: true,
      recomputed: 0,
      written: 0,
      timings: laps.timings,
    };
  }
  // A new import touches every link: one pass over everything is as cheap as any other way.
  if (since.people.length > INCREMENTAL_LIMIT || since.accounts.length > INCREMENTAL_LIMIT) {
    return full(store, config, stale, now, fingerprint, dirtyRows, laps);
  }

  const done = await recompute(store, config, stale, true);
  laps.add(done.timings);
  const moved = [...dirtyRows, ...(await store.listGraphDirty())];
  const keys = new Map<string, Set<string>>(config.apps.map((a) => [a.id, new Set<string>()]));
  const owners = new Set<string>();
  const look = (appId: string, accountId: string) => keys.get(appId)?.add(accountId);
  for (const c of since.accounts) look(c.appId, c.id);
  for (const p of since.people) owners.add(p.employeeId);
  for (const row of moved) {
    look(row.appId, row.accountId);
    if (row.employeeId !== '') owners.add(row.employeeId);
  }
  if (previous.now !== now) {
    for (const k of await timeCandidates(store, config, previous.now, now)) look(k.appId, k.accountId);
  }
  const total = [...keys.values()].reduce((n, ids) => n + ids.size, 0);
  if (total > INCREMENTAL_LIMIT) return full(store, config, stale, now, fingerprint, moved, laps);

  // An account's findings read its owner, and duplicates read every account the owner has in the app: the
  // owners of the accounts looked at, and those accounts' siblings, are looked at too.
  const links = new Map<string, StoredLink>();
  for (const [appId, ids] of keys) {
    for (const link of await store.listGraphLinks({ appId, accountIds: [...ids] })) {
      links.set(akey(appId, link.accountId), link);
      if (link.employeeId !== null) owners.add(link.employeeId);
    }
  }
  for (const [appId, ids] of keys) {
    for (const link of await store.listGraphLinks({ appId, employeeIds: [...owners] })) {
      ids.add(link.accountId);
      links.set(akey(appId, link.accountId), link);
    }
  }
  const accounts: Account[] = [];
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  const looked: AccountKey[] = [];
  for (const [appId, ids] of keys) {
    if (ids.size === 0) continue;
    const list = [...ids];
    for (const accountId of list) looked.push({ appId, accountId });
    for (const a of await store.listGraphAccounts({ appId, ids: list })) accounts.push(a);
    for (const g of await store.listGraphGrants({ appId, accountIds: list })) grants.push(g);
    if (grants.length > 0) for (const e of await store.listEntitlements({ appId })) entitlements.push(e);
  }
  const people = await store.listGraphPeople({ employeeIds: [...owners] });
  laps.lap('load');
  const fresh = computeFindings({
    people,
    accounts,
    entitlements,
    grants,
    links: [...links.values()],
    now,
    options: findingsOptions(config),
  });
  laps.lap('findings');
  // A situation count moves only where a link moved, an account came or went, or a person decided a link (in
  // the change set, though no link is written): those apps are counted again.
  const touched = new Set<string>();
  for (const row of moved) touched.add(row.appId);
  for (const c of since.accounts) touched.add(c.appId);
  const linksMoved = done.written > 0 || done.removed > 0 || touched.size > 0 || since.people.length > 0;
  const summary = linksMoved
    ? await countLinks(store, config, previous.summary as GraphSummary, touched)
    : (previous.summary as GraphSummary);
  await store.replaceGraphFindings({
    accounts: looked,
    findings: fresh.map(toRow),
    consumed: moved,
    state: { generation: stale.changes.generation, config: fingerprint, now, summary },
  });
  laps.lap('writeLinks');
  const counts = await store.graphFindingCounts();
  laps.lap('findings');
  return {
    dormancy,
    summary: { ...summary, findings: counts },
    upToDate: false,
    recomputed: looked.length,
    written: done.written,
    timings: laps.timings,
  };
}

/**
 * Accounts whose dormancy or invitation age may read differently between two "now"s: a last login or a creation
 * that crossed its threshold in between, and every invitation old enough to be reported (its age in days moves).
 */
async function timeCandidates(store: Store, config: GraphConfig, before: string, now: string) {
  const options = findingsOptions(config);
  const [from, to] = [Date.parse(before), Date.parse(now)].sort((a, b) => a - b) as [number, number];
  const iso = (ms: number) => new Date(ms).toISOString();
  const window = (days: number) => [iso(from - (days + 1) * DAY), iso(to - (days - 1) * DAY)] as const;
  return store.listGraphTimeCandidates({
    lastLogin: window(options.dormantDays ?? 90),
    created: window(options.dormantGraceDays ?? 30),
    invitedBefore: iso(to - ((options.inviteDays ?? 14) - 1) * DAY),
  });
}

/**
 * Link counts per app and situation, and people with and without a linked account, from the store: the apps
 * in `touched` counted again, the others' counts kept from `previous`.
 */
async function countLinks(
  store: Store,
  config: GraphConfig,
  previous: GraphSummary,
  touched: ReadonlySet<string>,
): Promise<GraphSummary> {
  const again = config.apps.filter((a) => touched.has(a.id) || previous.apps?.[a.id] === undefined);
  const counts = await store.graphLinkCounts({ appIds: again.map((a) => a.id) });
  const apps: GraphSummary['apps'] = {};
  for (const app of config.apps) {
    const kept = again.includes(app) ? undefined : previous.apps[app.id];
    apps[app.id] =
      kept === undefined ? { accounts: 0, linked: 0, suggested: 0, disputed: 0, unmatched: 0 } : { ...kept };
  }
  for (const row of counts.apps) {
    const app = apps[row.appId];
    if (app === undefined) continue;
    app.accounts += row.count;
    app[row.situation] += row.count;
  }
  return {
    apps,
    people: {
      total: counts.people,
      withAccounts: counts.owners,
      withoutAccounts: counts.people - counts.owners,
    },
    findings: {},
  };
}

/**
 * Every account's links and findings, app by app: a first run, new settings, or a big change. Every rule looks
 * at one account and its owner, or at one owner's accounts in one app, so an app at a time gives the same
 * findings as everything at once while only one app's accounts are held in memory.
 */
async function full(
  ...[store, ...rest]: Parameters<typeof fullOn> extends [Store, Store, ...infer R] ? [Store, ...R] : never
): Promise<Ran> {
  // A first pass writes every link: the store takes them in bulk (see Store.bulkLinks).
  return store.bulkLinks((bulk) => fullOn(store, bulk, ...rest));
}

/** `given`: the store the caller was given (what the people index is kept for); `store`: the one to read and write. */
async function fullOn(
  given: Store,
  store: Store,
  config: GraphConfig,
  stale: Staleness,
  now: string,
  fingerprint: string,
  consumed: readonly GraphDirtyRow[],
  laps: Laps,
): Promise<Ran> {
  const lap = laps.lap.bind(laps);
  const options = findingsOptions(config);
  // The stored findings are cleared first and their state with them: a run that stops half-way leaves none
  // that could pass for current, and the next run starts over.
  await store.replaceGraphFindings({
    accounts: 'all',
    findings: [],
    consumed: [...consumed, ...(await store.listGraphDirty())],
    state: null,
  });
  const people: readonly Person[] = await store.listGraphPeople({});
  lap('load');
  const run = correlator(people, correlateOptions(config));
  keepIndex(given, stale, run);
  const byId = peopleById(people);
  lap('correlate');
  const found: Finding[] = [];
  const apps: GraphSummary['apps'] = {};
  const owners = new Set<string>();
  let written = 0;
  let recomputed = 0;
  for (const app of config.apps) {
    let accounts: readonly Account[];
    let links: Link[];
    let linkedTo: (Person | undefined)[] | undefined;
    if (stale.dirty.has(app.id)) {
      const done = await relinkApp(store, app.id, run, storeInputs(store), false, lap);
      ({ accounts, links } = done);
      linkedTo = done.owners;
      written += done.written;
    } else {
      // An app nothing touched keeps its stored links; a manual one whose account is gone is not in the graph.
      accounts = await store.listGraphAccounts({ appId: app.id });
      const ids = new Set(accounts.map((a) => a.id));
      links = (await store.listLinks({ appId: app.id })).filter((l) => ids.has(l.accountId));
    }
    const entitlements = await store.listEntitlements({ appId: app.id });
    const grants = await store.listGrants({ appId: app.id });
    lap('load');
    const appFindings = computeFindings({
      people: byId,
      accounts,
      entitlements,
      grants,
      links,
      ...(linkedTo === undefined ? {} : { owners: linkedTo }),
      now,
      options,
    });
    const counts = { accounts: 0, linked: 0, suggested: 0, disputed: 0, unmatched: 0 };
    for (const link of links) {
      counts.accounts++;
      counts[link.situation]++;
      if (link.situation === 'linked' && link.employeeId !== null) owners.add(link.employeeId);
    }
    apps[app.id] = counts;
    recomputed += accounts.length;
    lap('findings');
    await store.replaceGraphFindings({ accounts: [], findings: appFindings.map(toRow), consumed: [] });
    for (const f of appFindings) found.push(f);
    lap('writeLinks');
  }
  let withAccounts = 0;
  for (const p of people) if (owners.has(p.employeeId)) withAccounts++;
  const summary: GraphSummary = {
    apps,
    people: { total: people.length, withAccounts, withoutAccounts: people.length - withAccounts },
    findings: {},
  };
  // Links and findings are recorded current together, last.
  await store.saveGraphState({
    config: stale.config,
    generation: stale.changes.generation,
    findings: { generation: stale.changes.generation, config: fingerprint, now, summary },
  });
  lap('writeLinks');
  sortFindings(found);
  summary.findings = countRules(found);
  lap('findings');
  return {
    findings: found,
    dormancy: dormancyCoverage(findingsApps(config)),
    summary,
    upToDate: false,
    recomputed,
    written,
    timings: laps.timings,
  };
}

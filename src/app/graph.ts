/**
 * @module The identity graph as use cases: bring it up to date, read findings, see a person's or an app's
 * accounts, decide a link by hand (audited), and explain why someone holds what they hold.
 */

import { RosterError } from '../core/errors.js';
import { suggestion } from '../core/suggest.js';
import type { Account, Entitlement, LinkSituation } from '../core/types.js';
import {
  type AppAccountView,
  accountView,
  appView,
  compareSeverity,
  FINDING_RULES,
  type Finding,
  filterBySeverity,
  type GraphResult,
  type GraphUpdate,
  type LinkUpdate,
  type PersonView,
  peopleById,
  personView,
  refreshGraph as refreshIdentityGraph,
  type Severity,
  updateGraph as updateIdentityGraph,
  updateLinks as updateIdentityLinks,
} from '../identity/index.js';
import type { Page, StoredLink, StoredPerson } from '../store/store.js';
import type { Roster } from './context.js';

/** Correlates every account with the latest people import and snapshots, writes the links, computes findings. */
export async function refreshGraph(roster: Roster): Promise<GraphResult> {
  return refreshIdentityGraph({
    store: roster.store,
    config: roster.config,
    now: roster.now().toISOString(),
  });
}

/** The links and stored findings brought up to date, without reading the findings back: their counts per rule. */
export async function updateGraph(roster: Roster): Promise<GraphUpdate> {
  return updateIdentityGraph({
    store: roster.store,
    config: roster.config,
    now: roster.now().toISOString(),
  });
}

/**
 * Brings the links up to date with the latest people import and snapshots, recomputing only what changed since
 * the graph last ran; with nothing changed it is a check of two small rows. What a plan runs before it plans.
 */
export async function updateLinks(roster: Roster): Promise<LinkUpdate> {
  return updateIdentityLinks({ store: roster.store, config: roster.config });
}

export interface FindingFilter {
  /** Rule names (`leaver_with_access`) or finding ids; unknown rule names are an error. */
  rules?: readonly string[];
  minSeverity?: Severity;
  appId?: string;
  employeeId?: string;
}

export interface FindingRow extends Finding {
  accountEmail: string | null;
  personEmail: string | null;
}

export interface FindingsResult {
  findings: FindingRow[];
  /** Findings per rule among those selected, most common first. */
  counts: Record<string, number>;
  /** When each app's snapshot was taken: what the findings are "as of". */
  asOf: Record<string, string | null>;
  /** Apps a plan was applied to after their snapshot was taken: findings there may be fixed already. */
  staleAfterApply: string[];
}

/** The graph brought up to date, then its findings filtered, most severe first, with the addresses people read. */
export async function listFindings(roster: Roster, filter: FindingFilter = {}): Promise<FindingsResult> {
  if (filter.appId !== undefined) roster.app(filter.appId);
  const rules = new Set<string>(FINDING_RULES);
  for (const wanted of filter.rules ?? []) {
    // A finding id is `${rule}:${appId}:${accountId}`: its rule must exist too.
    const rule = wanted.split(':')[0] ?? wanted;
    if (!rules.has(rule)) {
      throw new RosterError('invalid_input', `"${wanted}" is not a finding Roster reports`, {
        where: 'finding',
        fix: suggestion(rule, FINDING_RULES),
      });
    }
  }
  const graph = await refreshGraph(roster);
  const wanted = new Set(filter.rules ?? []);
  const selected = filterBySeverity(graph.findings, filter.minSeverity ?? 'info')
    .filter((f) => filter.appId === undefined || f.appId === filter.appId)
    .filter((f) => filter.employeeId === undefined || f.employeeId === filter.employeeId)
    .filter((f) => wanted.size === 0 || wanted.has(f.rule) || wanted.has(f.id))
    .sort((a, b) => compareSeverity(a.severity, b.severity));
  const findings = await withAddresses(roster, selected);
  const asOf = await snapshotTimes(roster);
  return {
    findings,
    counts: countByRule(findings),
    asOf,
    staleAfterApply: await staleAfterApply(roster, asOf),
  };
}

/** Apps whose snapshot is older than the last apply that touched them: a re-sync would show the changes. */
async function staleAfterApply(roster: Roster, asOf: Record<string, string | null>): Promise<string[]> {
  // Policy plans only: the facade keeps the snapshot current with each IdP write it runs.
  const applied = (await roster.store.listPlans({ limit: 20, facade: false })).filter(
    (p) => p.status === 'applied' || p.status === 'applying' || p.status === 'failed',
  );
  const stale = new Set<string>();
  for (const plan of applied) {
    for (const appId of (plan.body as { apps?: string[] }).apps ?? []) {
      const at = asOf[appId];
      if (at && at < plan.updatedAt) stale.add(appId);
    }
  }
  return [...stale].sort();
}

/** Findings per rule, most common first. */
export function countByRule(rows: readonly Pick<Finding, 'rule'>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.rule] = (counts[row.rule] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/**
 * The findings with the addresses a person reads them by. Only the accounts and people the findings name are read,
 * lean (no raw record): reading every account of every app whole cost 14 s and 1.3 GiB for the 222k findings of
 * 1M accounts, where these reads take about 2 s.
 */
async function withAddresses(roster: Roster, findings: readonly Finding[]): Promise<FindingRow[]> {
  const named = new Map<string, Set<string>>();
  const employees = new Set<string>();
  for (const f of findings) {
    const ids = named.get(f.appId);
    if (ids === undefined) named.set(f.appId, new Set([f.accountId]));
    else ids.add(f.accountId);
    if (f.employeeId !== null) employees.add(f.employeeId);
  }
  const accountEmails = new Map<string, Map<string, string | null>>();
  for (const [appId, ids] of named) {
    const emails = new Map<string, string | null>();
    for (const a of await roster.store.listGraphAccounts({ appId, ids: [...ids] })) {
      emails.set(a.id, a.email ?? a.login);
    }
    accountEmails.set(appId, emails);
  }
  const personEmails = new Map<string, string>();
  if (employees.size > 0) {
    for (const p of await roster.store.listGraphPeople({ employeeIds: [...employees] })) {
      personEmails.set(p.employeeId, p.email);
    }
  }
  // One literal of one shape per finding: a spread of each (222k of them) cost a second.
  return findings.map((f) => ({
    id: f.id,
    rule: f.rule,
    severity: f.severity,
    appId: f.appId,
    accountId: f.accountId,
    employeeId: f.employeeId,
    title: f.title,
    evidence: f.evidence,
    accountEmail: accountEmails.get(f.appId)?.get(f.accountId) ?? null,
    personEmail: f.employeeId === null ? null : (personEmails.get(f.employeeId) ?? null),
  }));
}

/** Per app, when its latest successful sync finished (null: never synced). */
export async function snapshotTimes(roster: Roster): Promise<Record<string, string | null>> {
  const asOf: Record<string, string | null> = {};
  for (const app of roster.config.apps) {
    const [run] = await roster.store.listSyncRuns({ appId: app.id, status: 'succeeded', limit: 1 });
    asOf[app.id] = run?.finishedAt ?? null;
  }
  return asOf;
}

/** Refuses to read a store no sync ever filled: an empty answer there would look like "all is well". */
export async function requireSynced(roster: Roster): Promise<void> {
  const asOf = await snapshotTimes(roster);
  if (Object.values(asOf).some((at) => at !== null)) return;
  throw new RosterError('not_found', `no app has been synced into ${roster.config.store} yet`, {
    fix: 'run `roster sync` first',
  });
}

/** One person (employee id or any address they answer to) and their linked accounts across apps. */
export async function findPerson(roster: Roster, key: string): Promise<PersonView> {
  const view = await personView({ store: roster.store, key });
  if (view !== null) return view;
  throw new RosterError('not_found', `no person "${key}" in the last import`, {
    where: key,
    fix: 'give an employee id or an address the person answers to; `roster people` lists them',
  });
}

/**
 * Every account of one app (or all apps) with its owner, or why it has none; `withRaw`: each account as stored, with
 * the app's raw record (see appView).
 */
export async function listAccounts(
  roster: Roster,
  filter: { appId?: string; situation?: LinkSituation; withRaw?: boolean } = {},
): Promise<(AppAccountView & { appId: string })[]> {
  const apps =
    filter.appId === undefined ? roster.config.apps.map((a) => a.id) : [roster.app(filter.appId).id];
  const rows: (AppAccountView & { appId: string })[] = [];
  const people = peopleById(await roster.store.listGraphPeople({}));
  for (const appId of apps) {
    for (const view of await appView({
      store: roster.store,
      appId,
      people,
      withRaw: filter.withRaw ?? false,
    })) {
      if (filter.situation === undefined || view.situation === filter.situation)
        rows.push({ appId, ...view });
    }
  }
  return rows;
}

/**
 * One page of the accounts of one app (or every configured app) by (app, id), `desc` last first, each with its
 * owner or why it has none (only those in one `situation`, if given), and how many the filters keep: only the page's accounts, their links and their owners
 * are read, never every account of the fleet.
 */
export async function pageAccountViews(
  roster: Roster,
  input: {
    appId?: string | undefined;
    status?: Account['status'] | undefined;
    admin?: boolean | undefined;
    situation?: LinkSituation | undefined;
    order?: 'asc' | 'desc';
    cursor?: string | undefined;
    limit?: number;
  },
): Promise<Page<AppAccountView & { appId: string }> & { total: number }> {
  const filter = {
    appIds: input.appId === undefined ? roster.config.apps.map((a) => a.id) : [roster.app(input.appId).id],
    ...(input.status ? { status: input.status } : {}),
    ...(input.admin === undefined ? {} : { admin: input.admin }),
    ...(input.situation ? { situation: input.situation } : {}),
  };
  const page = await roster.store.pageAccounts({
    ...filter,
    ...(input.order ? { order: input.order } : {}),
    ...(input.cursor ? { cursor: input.cursor } : {}),
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
  const links = new Map<string, StoredLink>();
  for (const appId of new Set(page.items.map((a) => a.appId))) {
    const accountIds = page.items.filter((a) => a.appId === appId).map((a) => a.id);
    for (const link of await roster.store.listGraphLinks({ appId, accountIds }))
      links.set(`${appId}\u0000${link.accountId}`, link);
  }
  const linkOf = (account: Account) => links.get(`${account.appId}\u0000${account.id}`);
  const owners = new Set<string>();
  for (const account of page.items) {
    const link = linkOf(account);
    if (link?.situation === 'linked' && link.employeeId) owners.add(link.employeeId);
  }
  const people = new Map(
    (owners.size === 0 ? [] : await roster.store.listGraphPeople({ employeeIds: [...owners] })).map((p) => [
      p.employeeId,
      p,
    ]),
  );
  const items = page.items.map((account) => {
    const link = linkOf(account);
    const person = link?.situation === 'linked' && link.employeeId ? people.get(link.employeeId) : undefined;
    return { appId: account.appId, ...accountView(account, link, person) };
  });
  return { items, nextCursor: page.nextCursor, total: await roster.store.countAccounts(filter) };
}

/** One page of the links by (app, account), `desc` last first, with how many the filters keep. */
export async function pageLinks(
  roster: Roster,
  input: {
    appId?: string;
    employeeId?: string;
    situation?: LinkSituation;
    manual?: boolean;
    order?: 'asc' | 'desc';
    cursor?: string;
    limit?: number;
  },
): Promise<Page<StoredLink> & { total: number }> {
  const { order, cursor, limit, ...filter } = input;
  const page = await roster.store.pageLinks({
    ...filter,
    ...(order ? { order } : {}),
    ...(cursor ? { cursor } : {}),
    ...(limit === undefined ? {} : { limit }),
  });
  return { ...page, total: await roster.store.countLinks(filter) };
}

async function existingAccount(roster: Roster, appId: string, accountId: string) {
  const account = await roster.store.getAccount({ appId, id: accountId });
  if (account !== null) return account;
  throw new RosterError('not_found', `${appId} has no account "${accountId}" in the last sync`, {
    where: `${appId}/${accountId}`,
    fix: `check the id with \`roster accounts --app ${appId}\`, or run \`roster sync\` first`,
  });
}

async function existingPerson(roster: Roster, key: string): Promise<StoredPerson> {
  const person = key.includes('@')
    ? await roster.store.getPerson({ email: key })
    : await roster.store.getPerson({ employeeId: key });
  if (person !== null) return person;
  throw new RosterError('not_found', `no person "${key}" in the last import`, {
    where: key,
    fix: 'give an employee id or an address the person answers to; `roster people` lists them',
  });
}

export interface LinkDecision {
  appId: string;
  accountId: string;
  /** Employee id or email of the owner; null: the account belongs to nobody (a service or shared account). */
  person: string | null;
  reason?: string;
}

/** Ties an account to a person (or to nobody) by hand; kept across syncs until withdrawn; audited. */
export async function linkAccount(
  roster: Roster,
  decision: LinkDecision,
): Promise<{ link: StoredLink; person: StoredPerson | null }> {
  const appId = roster.app(decision.appId, 'app').id;
  const account = await existingAccount(roster, appId, decision.accountId);
  const person = decision.person === null ? null : await existingPerson(roster, decision.person);
  const link = await roster.store.transaction(async (tx) => {
    const decided = await tx.decideLink({
      appId,
      accountId: decision.accountId,
      employeeId: person?.employeeId ?? null,
      decidedBy: roster.actor,
    });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'link.decided',
      appId,
      subject: decision.accountId,
      data: {
        employeeId: decided.employeeId,
        accountEmail: account.email,
        ...(decision.reason ? { reason: decision.reason } : {}),
      },
    });
    return decided;
  });
  return { link, person };
}

/** Withdraws a manual link; correlation decides the account again at once, and its verdict is returned. */
export async function unlinkAccount(
  roster: Roster,
  input: { appId: string; accountId: string; reason?: string },
): Promise<{ withdrawn: StoredLink; link: StoredLink | null }> {
  const appId = roster.app(input.appId, 'app').id;
  await existingAccount(roster, appId, input.accountId);
  const decided = (await roster.store.listLinks({ appId })).find(
    (l) => l.accountId === input.accountId && l.manual,
  );
  if (decided === undefined) {
    throw new RosterError('not_found', `${appId} account ${input.accountId} has no manual link to withdraw`, {
      where: 'unlink',
      fix: 'an account linked by correlation has nothing to withdraw; `roster link` decides it by hand',
    });
  }
  await roster.store.transaction(async (tx) => {
    await tx.undecideLink({ appId, accountId: input.accountId });
    await tx.appendAudit({
      actor: roster.actor,
      kind: 'link.withdrawn',
      appId,
      subject: input.accountId,
      data: { employeeId: decided.employeeId, ...(input.reason ? { reason: input.reason } : {}) },
    });
  });
  await updateGraph(roster);
  const link = (await roster.store.listLinks({ appId })).find((l) => l.accountId === input.accountId) ?? null;
  return { withdrawn: decided, link };
}

export interface CatalogueEntry extends Entitlement {
  /** Accounts holding it in the last snapshot. */
  holders: number;
}

/** Each app's roles, groups, teams and courses with how many accounts hold them: the names a policy can use. */
export async function listEntitlements(
  roster: Roster,
  filter: { appId?: string } = {},
): Promise<CatalogueEntry[]> {
  const apps =
    filter.appId === undefined ? roster.config.apps.map((a) => a.id) : [roster.app(filter.appId).id];
  const rows: CatalogueEntry[] = [];
  for (const appId of apps) {
    const holders = new Map<string, number>();
    for (const g of await roster.store.listGrants({ appId })) {
      holders.set(g.entitlementId, (holders.get(g.entitlementId) ?? 0) + 1);
    }
    for (const e of await roster.store.listEntitlements({ appId })) {
      rows.push({
        appId,
        id: e.id,
        kind: e.kind,
        name: e.name,
        privileged: e.privileged,
        holders: holders.get(e.id) ?? 0,
      });
    }
  }
  return rows.sort(
    (a, b) => a.appId.localeCompare(b.appId) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
}

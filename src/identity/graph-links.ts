/**
 * @module The graph's links kept current from the store's change set: which apps changed since the links last ran,
 * correlating only those again, and writing only the links that moved (remembering them for the findings).
 */

import type { AppConfig, IdentityConfig, RosterConfig } from '../config/schema.js';
import type { Account, Link, Person } from '../core/types.js';
import type { ChangeSet, GraphDirtyRow, GraphState, Store, StoredLink } from '../store/store.js';
import { type CorrelateOptions, type Correlator, correlator } from './correlate.js';

/** The parts of roster.yaml the graph reads (a whole RosterConfig fits). */
export interface GraphConfig {
  apps: readonly Pick<AppConfig, 'id' | 'type' | 'privilegedRoles'>[];
  domains?: Pick<NonNullable<RosterConfig['domains']>, 'aliases'> | undefined;
  identity?: Partial<IdentityConfig> | undefined;
}

/** Wall time of each phase, in ms: what the benchmark reports. */
export interface GraphTimings {
  load: number;
  correlate: number;
  writeLinks: number;
  findings: number;
}

/** Bumped when correlation's rules change, so links a previous version stored are computed again. */
const CORRELATION_VERSION = 1;

/**
 * Past this many changed accounts in one app, correlating the whole app costs less than reading the changed ones
 * by id (a sync that touched most of an app).
 */
const TARGETED_LIMIT = 20_000;

/** A change set read with `since` past any generation: only its head (the column is a 32-bit integer on Postgres). */
const HEAD_ONLY = 2 ** 31 - 1;

/** The change set's newest generation: what a graph run must reach to include everything written so far. */
export async function changeHead(store: Store): Promise<number> {
  return (await store.changedSince({ since: HEAD_ONLY })).generation;
}

export function correlateOptions(config: GraphConfig): CorrelateOptions {
  return {
    externalIdAttribute: config.identity?.externalIdAttribute ?? 'idp_id',
    domainAliases: config.domains?.aliases ?? [],
    nameSuggestions: config.identity?.nameSuggestions ?? true,
  };
}

/** Everything that decides links besides people and snapshots: a change recomputes every app. */
export function linksFingerprint(config: GraphConfig): string {
  return JSON.stringify({
    version: CORRELATION_VERSION,
    apps: config.apps.map((a) => a.id).sort(),
    ...correlateOptions(config),
  });
}

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

/** What changed since the links last ran, from the store's change set (the one change tracker). */
export interface Staleness {
  state: GraphState | null;
  /** The change set since the links' generation; its `generation` is the head this run brings them up to. */
  changes: ChangeSet;
  config: string;
  /** The links were never computed with these settings: every app is correlated again. */
  everything: boolean;
  /** Apps to correlate again: their accounts (or a decision on one) changed, or the people or the settings did. */
  dirty: Set<string>;
  /**
   * Dirty apps where only these accounts need correlating again: the people and settings are as they were, and
   * an account's link reads only its own row, the people and a decision on it. Apps not here are done whole.
   */
  only: Map<string, string[]>;
}

export async function staleness(store: Store, config: GraphConfig): Promise<Staleness> {
  // The change set is read before any input: a write landing after this read is past its head, so the next
  // run sees it again (at worst work done twice, never missed).
  const state = await store.graphState();
  const current = linksFingerprint(config);
  const everything = state === null || state.config !== current || state.generation < 0;
  const changes = await store.changedSince({ since: everything ? HEAD_ONLY : (state?.generation ?? 0) });
  const ids = config.apps.map((a) => a.id);
  let dirty: Set<string>;
  const only = new Map<string, string[]>();
  if (everything || changes.people.length > 0) dirty = new Set(ids);
  else {
    const changed = new Map<string, Set<string>>();
    for (const c of changes.accounts) {
      const set = changed.get(c.appId);
      if (set === undefined) changed.set(c.appId, new Set([c.id]));
      else set.add(c.id);
    }
    dirty = new Set(ids.filter((id) => changed.has(id)));
    for (const id of dirty) {
      const accounts = changed.get(id) as Set<string>;
      if (accounts.size <= TARGETED_LIMIT) only.set(id, [...accounts]);
    }
  }
  return { state, changes, config: current, everything, dirty, only };
}

/**
 * Where the people and each dirty app's accounts and stored links come from: the store, or rows already loaded.
 * With `ids`, only those accounts (the ones still in the snapshot) and their links.
 */
export interface LinkInputs {
  people(): Promise<readonly Person[]>;
  accounts(appId: string, ids?: readonly string[]): Promise<readonly Account[]>;
  links(appId: string, ids?: readonly string[]): Promise<readonly StoredLink[]>;
}

export interface Recomputed {
  /** Apps whose accounts were correlated again. */
  apps: string[];
  written: number;
  removed: number;
  timings: Pick<GraphTimings, 'load' | 'correlate' | 'writeLinks'>;
}

/** One app correlated again: its accounts, their fresh links, and what was written. */
export interface Relinked {
  accounts: readonly Account[];
  links: Link[];
  /** The person each linked account was linked to by correlation, at the account's position. */
  owners: (Person | undefined)[];
  written: number;
  removed: number;
}

type Lap = (phase: 'load' | 'correlate' | 'writeLinks') => void;

/**
 * Correlates one app's accounts again (only the accounts `ids` names, when given) and, in one transaction,
 * writes only the links that changed, drops links of accounts gone from the snapshot and notes those accounts
 * for the findings (`remember`).
 */
export async function relinkApp(
  store: Store,
  appId: string,
  run: Correlator,
  inputs: LinkInputs,
  remember: boolean,
  lap: Lap,
  ids?: readonly string[],
): Promise<Relinked> {
  const [accounts, stored] = await Promise.all([inputs.accounts(appId, ids), inputs.links(appId, ids)]);
  lap('load');
  const manual: StoredLink[] = [];
  const before = new Map<string, StoredLink>();
  for (const link of stored) {
    before.set(link.accountId, link);
    if (link.manual) manual.push(link);
  }
  const owners: (Person | undefined)[] = new Array(accounts.length);
  const links = run(accounts, manual, owners);
  const changed: Link[] = [];
  const dirty: GraphDirtyRow[] = [];
  for (const link of links) {
    const previous = before.get(link.accountId);
    if (previous === undefined || (!previous.manual && !sameLink(previous, link))) {
      changed.push(link);
      if (remember) dirty.push({ appId, accountId: link.accountId, employeeId: previous?.employeeId ?? '' });
    }
  }
  before.clear();
  let gone = false;
  // No stored link (a first pass): no set of the accounts present is needed to find the gone ones.
  const present = new Set<string>();
  if (stored.length > 0) for (const account of accounts) present.add(account.id);
  for (const link of stored) {
    if (link.manual || present.has(link.accountId)) continue;
    gone = true;
    if (remember) dirty.push({ appId, accountId: link.accountId, employeeId: link.employeeId ?? '' });
  }
  lap('correlate');
  let written = 0;
  let removed = 0;
  if (changed.length > 0 || gone) {
    await store.transaction(async (tx) => {
      if (changed.length > 0) written = (await tx.upsertLinks({ links: changed })).written;
      if (gone)
        removed = (await tx.pruneLinks(ids === undefined ? { appId } : { appId, accountIds: ids })).removed;
      if (dirty.length > 0) await tx.markGraphDirty({ rows: dirty });
    });
  }
  lap('writeLinks');
  return { accounts, links, owners, written, removed };
}

/**
 * Correlates the dirty apps' accounts again, app by app (see {@link relinkApp}), then records the generation it
 * ran from. The record comes last: a run that stops half-way leaves the old generation, and the next run does
 * the work again (finding the links already written, it writes nothing twice). The links are written in bulk
 * when none is stored yet (see Store.bulkLinks), reading through the store the bulk write hands over.
 */
export async function recompute(
  store: Store,
  config: GraphConfig,
  stale: Staleness,
  remember: boolean,
): Promise<Recomputed> {
  if (stale.dirty.size === 0) return relinkAll(store, store, config, stale, remember);
  return store.bulkLinks((bulk) => relinkAll(store, bulk, config, stale, remember));
}

/** `store`: the one the caller was given (what the people index is kept for); `on`: the one to read and write. */
async function relinkAll(
  store: Store,
  on: Store,
  config: GraphConfig,
  stale: Staleness,
  remember: boolean,
): Promise<Recomputed> {
  const inputs = storeInputs(on);
  const timings = { load: 0, correlate: 0, writeLinks: 0 };
  const lap = laps(timings);
  let run = stale.dirty.size === 0 ? correlator([], correlateOptions(config)) : keptIndex(store, stale);
  if (run === undefined) {
    const people = await inputs.people();
    lap('load');
    run = correlator(people, correlateOptions(config));
    keepIndex(store, stale, run);
  }
  lap('correlate');
  const apps: string[] = [];
  let written = 0;
  let removed = 0;
  for (const app of config.apps) {
    if (!stale.dirty.has(app.id)) continue;
    const done = await relinkApp(on, app.id, run, inputs, remember, lap, stale.only.get(app.id));
    apps.push(app.id);
    written += done.written;
    removed += done.removed;
  }
  await on.saveGraphState({ config: stale.config, generation: stale.changes.generation });
  lap('writeLinks');
  return { apps, written, removed, timings };
}

/**
 * The people indexed for correlation, kept between runs on one store. Reading and indexing everyone (200k people:
 * about 2 s) was nearly all a run that correlates a few changed accounts again cost: each webhook's sync of one
 * account, in a service whose store holds a million. It costs memory while kept: about 1.3 KB a person (256 MiB
 * for 200k). An index is made from the people as a run read them, after it read the change set up to `generation`.
 */
interface KeptIndex {
  generation: number;
  settings: string;
  run: Correlator;
}

const keptIndexes = new WeakMap<Store, KeptIndex>();

/**
 * The index kept for `store`, when it still holds everyone as they are: the links were last brought up to the
 * generation it was made at (by this process: a run elsewhere may have seen people this one did not), with these
 * settings, and no person changed since. A person changed after the index was read shows in the change set after
 * that generation, so nothing is missed: at worst an index that already held a change is made again.
 */
function keptIndex(store: Store, stale: Staleness): Correlator | undefined {
  const kept = keptIndexes.get(store);
  const current =
    kept !== undefined &&
    stale.state?.generation === kept.generation &&
    stale.changes.people.length === 0 &&
    kept.settings === stale.config;
  if (!current) return undefined;
  // Nobody changed up to this run's head either: the index holds everyone as of it, which this run's links reach.
  kept.generation = stale.changes.generation;
  return kept.run;
}

/** Keeps a run's index for the next run on `store` (see {@link keptIndex}). */
export function keepIndex(store: Store, stale: Staleness, run: Correlator): void {
  keptIndexes.set(store, { generation: stale.changes.generation, settings: stale.config, run });
}

/** A stopwatch adding each lap to its phase. */
export function laps<P extends string>(timings: Record<P, number>): (phase: P) => void {
  let mark = performance.now();
  return (phase) => {
    const at = performance.now();
    timings[phase] += at - mark;
    mark = at;
  };
}

export interface LinkUpdate {
  /** Nothing changed since the graph last ran: only the change set's head and the graph's state were read. */
  upToDate: boolean;
  /** Apps whose accounts were correlated again. */
  recomputed: string[];
  /** Links written (new or changed) and removed (their account left the snapshot). */
  written: number;
  removed: number;
  timings: Pick<GraphTimings, 'load' | 'correlate' | 'writeLinks'>;
}

/** Loads from the store what a recompute of the dirty apps reads. */
export function storeInputs(store: Store): LinkInputs {
  return {
    people: () => store.listGraphPeople({}),
    accounts: (appId, ids) => store.listGraphAccounts(ids === undefined ? { appId } : { appId, ids }),
    links: (appId, ids) =>
      ids === undefined ? store.listLinks({ appId }) : store.listGraphLinks({ appId, accountIds: ids }),
  };
}

/**
 * Brings the links up to date with the people and snapshots, correlating only the apps whose accounts changed
 * since the graph last ran (every app when the people or the settings did). With nothing changed it reads two
 * small rows and returns: what `plan` runs to be sure it never plans from stale links.
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
  // Findings that never ran need no note of what moved: their first run looks at everything.
  const done = await recompute(store, config, stale, stale.state?.findings != null);
  return {
    upToDate: false,
    recomputed: done.apps,
    written: done.written,
    removed: done.removed,
    timings: done.timings,
  };
}

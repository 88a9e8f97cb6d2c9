/**
 * @module Sync: pulls every app's accounts, entitlements and grants through its connector into the store.
 * A full sync stages page by page and swaps the snapshot in atomically (resumable after a crash); an
 * incremental one (apps that can list what changed) merges the changes into the last snapshot.
 */

import type { HttpClientStats } from '../connectors/http/index.js';
import { grantKey, walkPages } from '../connectors/sdk/paging.js';
import type { AccountPage, Connector, ListInput, Page } from '../connectors/sdk/types.js';
import { isRosterError, RosterError } from '../core/errors.js';
import type { Account, EntitlementKind, Grant } from '../core/types.js';
import type {
  SnapshotAccount,
  SnapshotEntitlement,
  SnapshotGrant,
  Store,
  SyncMode,
  SyncRun,
} from '../store/store.js';

/** A resource whose pages are all staged: a resumed run skips it. */
const DONE = '~done';
const WATERMARK = 'accounts';

export type SyncPhase =
  | 'accounts'
  | `entitlements:${EntitlementKind}`
  | `grants:${EntitlementKind}`
  | 'commit';

export interface SyncProgress {
  appId: string;
  phase: SyncPhase;
  /** Items read so far in this phase. */
  items: number;
  /** What the app says the total is, when it says. */
  total: number | null;
  requests: number;
  retries: number;
}

export interface AppSyncResult {
  appId: string;
  type: string;
  status: 'succeeded' | 'failed';
  mode: SyncMode;
  runId: string | null;
  /** The run this one carried on from after an interruption. */
  resumed: boolean;
  /**
   * An interrupted run whose staged pages were too old to commit (apps[].sync.resumeWithinMinutes): they were
   * thrown away and this sync read everything again.
   */
  startedOver: { runId: string; stagedAgeMinutes: number; limitMinutes: number } | null;
  counts: { accounts: number; entitlements: number; grants: number };
  requests: {
    total: number;
    retries: number;
    rateLimited: number;
    timeouts: number;
    byEndpoint: Record<string, number>;
  };
  durationMs: number;
  error: { code: string; message: string; fix: string | null } | null;
}

export interface SyncOptions {
  store: Store;
  connectors: readonly Connector[];
  /** Ignore watermarks: list everything even where the app can list changes only. */
  full?: boolean;
  /** Where each app sits in roster.yaml (`apps[1]`), so a failure can say what to check. */
  configPaths?: Readonly<Record<string, string>>;
  /**
   * Commit a full sync even when it removes more of an app's accounts than apps[].sync.maxDropShare allows
   * (`roster sync --accept-drop`): for when the accounts really are gone.
   */
  acceptDrop?: boolean;
  onProgress?: (progress: SyncProgress) => void;
  now?: () => number;
}

/** Syncs every app at once, each within its own HTTP limits; one app failing does not stop the others. */
export async function syncApps(options: SyncOptions): Promise<AppSyncResult[]> {
  return Promise.all(options.connectors.map((connector) => syncApp(connector, options)));
}

export async function syncApp(connector: Connector, options: SyncOptions): Promise<AppSyncResult> {
  const { store } = options;
  const clock = options.now ?? Date.now;
  const started = clock();
  const before = connector.http.stats();
  const result: AppSyncResult = {
    appId: connector.appId,
    type: connector.type,
    status: 'failed',
    mode: 'full',
    runId: null,
    resumed: false,
    startedOver: null,
    counts: { accounts: 0, entitlements: 0, grants: 0 },
    requests: { total: 0, retries: 0, rateLimited: 0, timeouts: 0, byEndpoint: {} },
    durationMs: 0,
    error: null,
  };
  let run: SyncRun | null = null;
  try {
    if (!connector.accounts.list) {
      throw new RosterError('invalid_input', `${connector.appId}: this connector cannot list accounts`);
    }
    await store.upsertApp({ id: connector.appId, type: connector.type, baseUrl: connector.http.baseUrl });
    const watermark = await currentWatermark(store, connector, options.full === true);
    result.mode = watermark === null ? 'full' : 'incremental';
    const configPath = options.configPaths?.[connector.appId];
    let resumable = watermark === null ? await interruptedRun(store, connector.appId) : null;
    // Staged pages show the app as it was when they were read: past the window, a user staged active may have
    // been deactivated since, so the old pages are thrown away rather than committed.
    if (resumable !== null && tooOld(resumable, connector, clock)) {
      result.startedOver = await abandon(store, resumable, connector, clock);
      resumable = null;
    }
    run = resumable ?? (await store.startSyncRun({ appId: connector.appId, mode: result.mode }));
    result.runId = run.id;
    result.resumed = resumable !== null;
    const progress = (phase: SyncPhase, items: number, total: number | null) => {
      const now = connector.http.stats();
      options.onProgress?.({
        appId: connector.appId,
        phase,
        items,
        total,
        requests: now.requests - before.requests,
        retries: now.retries - before.retries,
      });
    };
    const settings: FullSyncSettings = { progress, configPath, acceptDrop: options.acceptDrop === true };
    let outcome: Outcome;
    if (watermark !== null) {
      outcome = await incrementalSync(store, connector, run, watermark, progress, configPath);
    } else {
      const staged = await fullSync(store, connector, run, settings);
      // The resumed run took so long that its first pages are now too old as well: read everything again.
      if (result.resumed && tooOld(run, connector, clock)) {
        result.startedOver = await abandon(store, run, connector, clock);
        run = await store.startSyncRun({ appId: connector.appId, mode: 'full' });
        result.runId = run.id;
        result.resumed = false;
        outcome = await commitFull(store, connector, run, await fullSync(store, connector, run, settings));
      } else {
        outcome = await commitFull(store, connector, run, staged);
      }
    }
    result.counts = outcome.counts;
    if (outcome.watermark !== null) {
      await store.putCheckpoint({
        appId: connector.appId,
        resource: WATERMARK,
        cursor: null,
        watermark: outcome.watermark,
        runId: run.id,
      });
    }
    result.status = 'succeeded';
  } catch (error) {
    const answered = answeredSince(before, connector.http.stats());
    result.error = describeFailure(error, connector, options.configPaths?.[connector.appId], answered);
    if (run) await store.discardStaged({ runId: run.id }).catch(() => undefined);
  }
  result.requests = requestDelta(before, connector.http.stats());
  result.durationMs = clock() - started;
  if (run) {
    await store.finishSyncRun({
      id: run.id,
      status: result.status,
      counts: result.counts,
      requests: {
        total: result.requests.total,
        retries: result.requests.retries,
        rateLimited: result.requests.rateLimited,
        timeouts: result.requests.timeouts,
      },
      error: result.error ? result.error.message : null,
    });
  }
  return result;
}

type Progress = (phase: SyncPhase, items: number, total: number | null) => void;
interface Outcome {
  counts: AppSyncResult['counts'];
  watermark: string | null;
}

interface FullSyncSettings {
  progress: Progress;
  configPath: string | undefined;
  acceptDrop: boolean;
}

/** A full sync staged whole, not yet committed: what the drop guard and the commit need. */
interface Staged {
  settings: FullSyncSettings;
  watermark: string | null;
  /** Ids of the accounts this process staged; null when earlier pages were staged by a run that died. */
  accountIds: Set<string> | null;
}

/** Incremental only when the app can list changes, a watermark exists, and no full sync was asked for. */
async function currentWatermark(store: Store, connector: Connector, full: boolean): Promise<string | null> {
  if (full || !connector.manifest.incremental) return null;
  const checkpoint = await store.getCheckpoint({ appId: connector.appId, resource: WATERMARK });
  return checkpoint?.watermark ?? null;
}

/** A run that was killed mid-way (still `running`) and has staged pages: the next run carries it on. */
async function interruptedRun(store: Store, appId: string): Promise<SyncRun | null> {
  const [latest] = await store.listSyncRuns({ appId, status: 'running', limit: 1 });
  if (latest?.mode !== 'full') return null;
  return (await store.stagedProgress({ runId: latest.id })) ? latest : null;
}

/** The run's first pages were staged when it started: older than the app's window, they are not committed. */
function tooOld(run: SyncRun, connector: Connector, clock: () => number): boolean {
  return clock() - Date.parse(run.startedAt) > connector.sync.resumeWithinMs;
}

/** Throws an interrupted run's staged pages away and records why; the sync then starts over. */
async function abandon(
  store: Store,
  run: SyncRun,
  connector: Connector,
  clock: () => number,
): Promise<NonNullable<AppSyncResult['startedOver']>> {
  const stagedAgeMinutes = Math.floor((clock() - Date.parse(run.startedAt)) / 60_000);
  const limitMinutes = Math.round(connector.sync.resumeWithinMs / 60_000);
  await store.discardStaged({ runId: run.id });
  await store.finishSyncRun({
    id: run.id,
    status: 'failed',
    error: `abandoned: its staged pages were ${stagedAgeMinutes} minutes old, past the ${limitMinutes}-minute window for resuming; a new sync read everything again`,
  });
  return { runId: run.id, stagedAgeMinutes, limitMinutes };
}

async function fullSync(
  store: Store,
  connector: Connector,
  run: SyncRun,
  settings: FullSyncSettings,
): Promise<Staged> {
  const { progress } = settings;
  const staged = await store.stagedProgress({ runId: run.id });
  const cursors = staged?.cursors ?? {};
  const accountIds = staged === null ? new Set<string>() : null;
  let watermark: string | null = null;
  const walk = { connector, cursors, progress, configPath: settings.configPath };
  const buffer = new PageBuffer(store, run.id);
  // Grants embedded in account pages (a user's Role) are staged with their page; the commit checks that both
  // ends of every grant were staged.
  await readPages(
    { ...walk, phase: 'accounts', itemsBefore: staged?.accounts ?? 0 },
    connector.accounts.list!,
    async (page, cursor) => {
      if (page.watermark && (watermark === null || page.watermark > watermark)) watermark = page.watermark;
      for (const account of page.items) accountIds?.add(account.id);
      await buffer.add('accounts', cursor, {
        accounts: page.items as SnapshotAccount[],
        grants: (page as AccountPage).grants ?? [],
      });
    },
  );
  for (const [kind, ops] of entitlementEntries(connector)) {
    await readPages({ ...walk, phase: `entitlements:${kind}` }, ops.list, async (page, cursor) => {
      await buffer.add(`entitlements:${kind}`, cursor, { entitlements: page.items as SnapshotEntitlement[] });
    });
  }
  for (const [kind, ops] of entitlementEntries(connector)) {
    if (!ops.listGrants) continue;
    await readPages({ ...walk, phase: `grants:${kind}` }, ops.listGrants, async (page, cursor) => {
      // An account made after the account pages were read (an apply under way, an admin) shows up in the
      // grant listing too: its grants wait for the next sync with it, as an incremental sync's do, instead of
      // failing this one. (A resumed run does not know every staged id; the commit's check stands there.)
      const grants = accountIds === null ? page.items : page.items.filter((g) => accountIds.has(g.accountId));
      await buffer.add(`grants:${kind}`, cursor, { grants });
    });
  }
  await buffer.flush();
  return { settings, watermark, accountIds };
}

/** Staging grows from one page a batch, doubling, up to this many rows a batch. */
const MAX_BATCH_ROWS = 2000;

/**
 * Pages read and not yet staged. Each staged batch is a transaction with its cursors, so a crash loses at most
 * the pages of one batch; batches start at one page (a short listing resumes page by page) and double up to
 * MAX_BATCH_ROWS rows, because a transaction per page was most of what a long sync spent in the store. A row a
 * later page repeats (offset paging that drifts) replaces the earlier one, as a re-staged row does in the store.
 */
class PageBuffer {
  private accounts = new Map<string, SnapshotAccount>();
  private entitlements = new Map<string, SnapshotEntitlement>();
  /** Grants by entitlement, then account: no key string built per grant. */
  private grants = new Map<string, Map<string, SnapshotGrant>>();
  private grantCount = 0;
  private cursors: Record<string, string> = {};
  private pages = 0;
  private batchPages = 1;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
  ) {}

  async add(
    resource: string,
    cursor: string,
    page: { accounts?: SnapshotAccount[]; entitlements?: SnapshotEntitlement[]; grants?: SnapshotGrant[] },
  ): Promise<void> {
    for (const a of page.accounts ?? []) this.accounts.set(a.id, a);
    for (const e of page.entitlements ?? []) this.entitlements.set(e.id, e);
    for (const g of page.grants ?? []) {
      let holders = this.grants.get(g.entitlementId);
      if (holders === undefined) {
        holders = new Map();
        this.grants.set(g.entitlementId, holders);
      }
      if (holders.has(g.accountId)) continue;
      holders.set(g.accountId, g);
      this.grantCount += 1;
    }
    this.cursors[resource] = cursor;
    this.pages += 1;
    const rows = this.accounts.size + this.entitlements.size + this.grantCount;
    if (this.pages >= this.batchPages || rows >= MAX_BATCH_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pages === 0) return;
    await this.store.stageBatch({
      runId: this.runId,
      accounts: [...this.accounts.values()],
      entitlements: [...this.entitlements.values()],
      grants: [...this.grants.values()].flatMap((holders) => [...holders.values()]),
      cursors: this.cursors,
    });
    this.accounts = new Map();
    this.entitlements = new Map();
    this.grants = new Map();
    this.grantCount = 0;
    this.cursors = {};
    this.pages = 0;
    this.batchPages *= 2;
  }
}

/**
 * Fewer removals than this are never taken for a mass removal, whatever their share: in a three-account app,
 * Roster's own approved deletion of one leaver is a third of it. A listing cut to nothing still trips the guard
 * wherever the app held this many accounts or more.
 */
const MIN_GUARDED_DROP = 3;

/** The drop guard, then the swap: a listing cut short must not read as a mass removal from the app. */
async function commitFull(
  store: Store,
  connector: Connector,
  run: SyncRun,
  staged: Staged,
): Promise<Outcome> {
  const { settings } = staged;
  if (!settings.acceptDrop) {
    const previous = await store.listAccountIds({ appId: connector.appId });
    const progress = await store.stagedProgress({ runId: run.id });
    const removed =
      staged.accountIds === null
        ? // A resumed run does not hold the ids staged before the crash: counts give the least it removes.
          Math.max(0, previous.length - (progress?.accounts ?? 0))
        : previous.filter((id) => !staged.accountIds!.has(id)).length;
    const limit = connector.sync.maxDropShare;
    if (removed >= MIN_GUARDED_DROP && removed / previous.length > limit) {
      throw dropRefused(connector.appId, settings.configPath, removed, previous.length, limit);
    }
  }
  settings.progress('commit', 0, null);
  const counts = await store.commitStaged({ runId: run.id });
  return { counts, watermark: staged.watermark };
}

function dropRefused(
  appId: string,
  configPath: string | undefined,
  removed: number,
  previous: number,
  maxDropShare: number,
): RosterError {
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  const share = removed / previous;
  const setting = `${configPath ?? 'apps[]'}.sync.maxDropShare`;
  return new RosterError(
    'conflict',
    `${appId}: this sync would remove ${removed} of the ${previous} accounts Roster holds for it (${percent(share)}), more than the ${percent(maxDropShare)} limit (${setting}); nothing was changed`,
    {
      where: appId,
      fix: `if ${removed} accounts really left ${appId}, run roster sync --accept-drop (or raise ${setting}); otherwise check ${appId}: a listing cut short looks just like a mass removal`,
      details: { appId, removed, previous, share, maxDropShare },
    },
  );
}

interface PageWalk {
  connector: Connector;
  phase: SyncPhase;
  cursors: Record<string, string | null>;
  progress: Progress;
  configPath: string | undefined;
  itemsBefore?: number;
}

/** The SDK's page walker with this app's ceiling, its redactor, and its place in roster.yaml. */
function walk<T, P extends Page<T>>(
  connector: Connector,
  phase: SyncPhase,
  configPath: string | undefined,
  list: (input: ListInput) => Promise<P>,
  extra: { from?: string | null; since?: string; itemsBefore?: number } = {},
): AsyncGenerator<P> {
  return walkPages<T, P>({
    appId: connector.appId,
    listing: phase,
    list,
    maxItems: connector.sync.maxItemsPerListing,
    maxItemsPath: `${configPath ?? 'apps[]'}.sync.maxItemsPerListing`,
    redact: connector.http.redact,
    ...extra,
  });
}

/**
 * Reads one resource page by page from where a previous run stopped, handing each page and the token that
 * follows it to `stage`; the last page is staged with the DONE mark so a resumed run skips the resource.
 */
async function readPages<T, P extends Page<T> = Page<T>>(
  at: PageWalk,
  list: (input: ListInput) => Promise<P>,
  stage: (page: P, cursor: string) => Promise<void>,
): Promise<void> {
  const from = at.cursors[at.phase];
  if (from === DONE) return;
  let items = 0;
  const pages = walk<T, P>(at.connector, at.phase, at.configPath, list, {
    from: from ?? null,
    itemsBefore: at.itemsBefore ?? 0,
  });
  for await (const page of pages) {
    items += page.items.length;
    await stage(page, page.nextPageToken ?? DONE);
    at.progress(at.phase, items, page.total ?? null);
  }
}

/**
 * Incremental: only accounts changed since the watermark are read; they are merged over the last snapshot,
 * entitlements and separately listed grants are read whole (cheap, and changes there do not move the watermark).
 */
async function incrementalSync(
  store: Store,
  connector: Connector,
  run: SyncRun,
  since: string,
  progress: Progress,
  configPath: string | undefined,
): Promise<Outcome> {
  const appId = connector.appId;
  const accounts = new Map((await store.listAccounts({ appId })).map((a) => [a.id, a as SnapshotAccount]));
  const previousGrants = await store.listGrants({ appId });
  const changed = new Set<string>();
  const changedGrants: Grant[] = [];
  let watermark = since;
  let items = 0;
  for await (const page of walk<Account, AccountPage>(
    connector,
    'accounts',
    configPath,
    connector.accounts.list!,
    {
      since,
    },
  )) {
    for (const account of page.items) {
      accounts.set(account.id, account as SnapshotAccount);
      changed.add(account.id);
    }
    changedGrants.push(...(page.grants ?? []));
    if (page.watermark && page.watermark > watermark) watermark = page.watermark;
    items += page.items.length;
    progress('accounts', items, null);
  }

  const entitlements: SnapshotEntitlement[] = [];
  const grants = new Map<string, SnapshotGrant>();
  const entitlementKind = new Map<string, EntitlementKind>();
  for (const [kind, ops] of entitlementEntries(connector)) {
    const listed = await readEvery(connector, `entitlements:${kind}`, configPath, ops.list);
    progress(`entitlements:${kind}`, listed.length, null);
    for (const e of listed) {
      entitlements.push(e as SnapshotEntitlement);
      entitlementKind.set(e.id, kind);
    }
    if (ops.listGrants) {
      const listedGrants = await readEvery(connector, `grants:${kind}`, configPath, ops.listGrants);
      progress(`grants:${kind}`, listedGrants.length, null);
      for (const g of listedGrants) grants.set(grantKey(g), g);
    }
  }
  // Embedded grants: unchanged accounts keep theirs from the last snapshot, changed ones take the new ones.
  const embeddedKinds = new Set(kindsWithEmbeddedGrants(connector));
  for (const grant of previousGrants) {
    const kind = entitlementKind.get(grant.entitlementId);
    if (kind && embeddedKinds.has(kind) && !changed.has(grant.accountId)) grants.set(grantKey(grant), grant);
  }
  for (const grant of changedGrants) grants.set(grantKey(grant), grant);
  // Grants keep Roster's mark across re-syncs (the store does this for staged and direct swaps alike).
  const valid = [...grants.values()].filter(
    (g) => accounts.has(g.accountId) && entitlementKind.has(g.entitlementId),
  );
  progress('commit', 0, null);
  const counts = await store.replaceSnapshot({
    appId,
    runId: run.id,
    accounts: [...accounts.values()],
    entitlements,
    grants: valid,
  });
  return { counts, watermark };
}

async function readEvery<T>(
  connector: Connector,
  phase: SyncPhase,
  configPath: string | undefined,
  list: (input: ListInput) => Promise<Page<T>>,
): Promise<T[]> {
  const out: T[] = [];
  for await (const page of walk<T, Page<T>>(connector, phase, configPath, list)) out.push(...page.items);
  return out;
}

function entitlementEntries(connector: Connector) {
  return Object.entries(connector.entitlements).filter(([, ops]) => ops !== undefined) as [
    EntitlementKind,
    NonNullable<Connector['entitlements'][EntitlementKind]>,
  ][];
}

function kindsWithEmbeddedGrants(connector: Connector): EntitlementKind[] {
  return entitlementEntries(connector)
    .filter(([, ops]) => ops.grantsFromAccounts === true)
    .map(([kind]) => kind);
}

function requestDelta(before: HttpClientStats, after: HttpClientStats): AppSyncResult['requests'] {
  const byEndpoint: Record<string, number> = {};
  for (const [endpoint, stats] of Object.entries(after.byEndpoint)) {
    const count = stats.requests - (before.byEndpoint[endpoint]?.requests ?? 0);
    if (count > 0) byEndpoint[endpoint] = count;
  }
  return {
    total: after.requests - before.requests,
    retries: after.retries - before.retries,
    rateLimited: after.rateLimited - before.rateLimited,
    timeouts: after.timeouts - before.timeouts,
    byEndpoint,
  };
}

const FIX_BY_CODE: Record<string, (path: string) => string> = {
  unauthenticated: (path) => `check ${path}.auth: the credentials were rejected`,
  forbidden: (path) => `check that the credentials in ${path}.auth may read users`,
  not_found: (path) => `check ${path}.baseUrl: the app does not know this path`,
  unavailable: (path) => `the app did not answer properly; check ${path}.baseUrl and try again later`,
  rate_limited: () => "the app kept refusing with 429; lower the app's concurrency or try again later",
};

/** Requests of this sync the app answered without an error: any at all shows the base URL is right. */
function answeredSince(before: HttpClientStats, after: HttpClientStats): number {
  const errors = (stats: HttpClientStats) => Object.values(stats.errors).reduce((n, c) => n + (c ?? 0), 0);
  return after.requests - before.requests - (errors(after) - errors(before));
}

/**
 * A 404 blames the base URL only when nothing in this sync was answered: once the app has answered at this
 * base URL, a 404 is about that path (an endpoint this instance lacks, an object gone meanwhile), and the
 * connector's own fix, where it gave one, says more than the generic one.
 */
function notFoundFix(error: { fix?: string | undefined; message: string }, answered: number): string | null {
  if (error.fix) return error.fix;
  if (answered === 0) return null;
  return `the base URL is right (the app answered ${answered} request${answered === 1 ? '' : 's'} of this sync); the app does not know the path in this error: an endpoint this instance lacks, or an object removed meanwhile`;
}

function describeFailure(
  error: unknown,
  connector: Connector,
  configPath: string | undefined,
  answered: number,
) {
  if (isRosterError(error)) {
    // A paging guard or a drop guard raised above HTTP already says what to do; a 404 after answered requests is
    // about its path, not the base URL. Otherwise where the app sits in roster.yaml is known here and not in the
    // HTTP layer, so its generic fix wins.
    const fromHttp = 'status' in error.details || error.fix === undefined;
    const own = error.code === 'not_found' ? notFoundFix(error, answered) : null;
    const generic = configPath && fromHttp ? FIX_BY_CODE[error.code]?.(configPath) : undefined;
    const fix = own ?? generic ?? error.fix ?? null;
    return { code: error.code, message: connector.http.redact(error.message), fix };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: connector.http.redact(`${connector.appId}: ${message}`), fix: null };
}

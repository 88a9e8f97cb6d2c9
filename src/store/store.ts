/** @module The Store contract: every read and write Roster makes to its database, one object in and one out. */

import type { Account, AppType, Entitlement, Grant, Link, LinkSituation, Person } from '../core/types.js';
import type {
  NewReview,
  NewReviewItem,
  ReviewItemPatch,
  ReviewItemRecord,
  ReviewPatch,
  ReviewRecord,
  ReviewStatus,
} from './reviews.js';

// ---- people and imports

export type ImportStatus = 'applied' | 'rejected';

export interface ImportRecord {
  id: string;
  sourcePath: string;
  /** Hash of the source file's bytes, so re-importing the same file can be recognised. */
  hash: string;
  counts: Record<string, number>;
  createdAt: string;
  status: ImportStatus;
  error: string | null;
}

export interface StoredPerson extends Person {
  importId: string;
}

// ---- apps and sync

export interface AppRecord {
  id: string;
  type: AppType;
  baseUrl: string;
  createdAt: string;
  updatedAt: string;
}

export type SyncMode = 'full' | 'incremental';
export type SyncStatus = 'running' | 'succeeded' | 'failed';

export interface SyncRun {
  id: string;
  appId: string;
  mode: SyncMode;
  status: SyncStatus;
  startedAt: string;
  finishedAt: string | null;
  /** What the run saw, by resource: `{ accounts: 1200, entitlements: 40, grants: 3100 }`. */
  counts: Record<string, number>;
  /** What the run cost upstream: `{ total: 14, retries: 2, '429': 1 }`. */
  requests: Record<string, number>;
  error: string | null;
}

/** Where an app's resource sync got to: an opaque page token, and/or a watermark such as max ModifyDate. */
export interface Checkpoint {
  appId: string;
  resource: string;
  cursor: string | null;
  watermark: string | null;
  runId: string | null;
  updatedAt: string;
}

// ---- snapshots

export type GrantedBy = 'roster' | 'external';

/** An account as a sync hands it over: the core type plus the provider payload it came from. */
export interface SnapshotAccount extends Account {
  raw?: unknown;
}

export interface SnapshotEntitlement extends Entitlement {
  raw?: unknown;
}

export interface SnapshotGrant extends Grant {
  /** Defaults to `external`; a grant Roster made keeps `roster` across re-syncs. */
  grantedBy?: GrantedBy;
}

/** An indexed lookup of one app's accounts: by address or login, equal to or starting with a value, any case. */
export interface AccountLookup {
  appId: string;
  /** externalId: the id the IdP gave the account, compared exactly (case and all), with eq only. */
  field: 'email' | 'login' | 'externalId';
  op: 'eq' | 'sw';
  value: string;
}

/** An entitlement an account holds, with its name (what a SCIM User's `groups` shows). */
export interface Membership {
  accountId: string;
  entitlementId: string;
  name: string;
  kind: Entitlement['kind'];
}

export interface StoredAccount extends Account {
  raw: unknown;
  syncRunId: string | null;
}

export interface StoredEntitlement extends Entitlement {
  raw: unknown;
  syncRunId: string | null;
}

/** An account as planning reads it: what the diff compares and names, not the raw payload (attributes only if asked). */
export type PlanAccount = Pick<
  Account,
  'appId' | 'id' | 'email' | 'firstName' | 'lastName' | 'status' | 'attributes'
>;
/** A link as planning reads it: `candidates` only of disputed and suggested links (the rest read as []). */
export type PlanLink = Pick<
  Link,
  'appId' | 'accountId' | 'employeeId' | 'situation' | 'method' | 'candidates'
>;

/** One app's snapshot and links, as a plan reads them. */
export interface PlanAppSnapshot {
  accounts: PlanAccount[];
  links: PlanLink[];
  entitlements: StoredEntitlement[];
  /** Empty unless asked for. */
  grants: Grant[];
}

export interface StoredGrant extends Grant {
  grantedBy: GrantedBy;
  syncRunId: string | null;
}

export interface SnapshotCounts {
  accounts: number;
  entitlements: number;
  grants: number;
}

/** How an account or person changed: new, different in any stored field (or grant), or gone. */
export type Change = 'added' | 'changed' | 'removed';

/**
 * What sync and import changed after a generation: each account and person once, with its latest change.
 * A consumer (the identity graph) keeps `generation` and asks again with it next time; an entity changed twice
 * shows once, as its last change.
 */
export interface ChangeSet {
  /** The newest generation the store holds: pass it as `since` next time. */
  generation: number;
  accounts: { appId: string; id: string; change: Change; generation: number }[];
  people: { employeeId: string; change: Change; generation: number }[];
}

export interface StagedProgress extends SnapshotCounts {
  runId: string;
  appId: string;
  /** The last page token staged per resource: where a resumed run carries on. */
  cursors: Record<string, string | null>;
  batches: number;
}

// ---- links

/** What the identity graph last ran from: the change-set generation and its settings' fingerprint. */
export interface GraphState {
  config: string;
  /** The change-set generation the links were last brought up to (-1: never; see `changedSince`). */
  generation: number;
  /** What the stored findings were computed from; null until findings first ran. */
  findings: GraphFindingsState | null;
  updatedAt: string;
}

/** What the stored findings were computed from: an unchanged graph at the same "now" reads them back. */
export interface GraphFindingsState {
  /** The change-set generation they saw. */
  generation: number;
  /** The fingerprint of the settings correlation and findings read. */
  config: string;
  /** The "today" they were computed for (dormancy and invitation ages depend on it). */
  now: string;
  /** The graph summary at that point (JSON). */
  summary: unknown;
}

/** One stored finding, as the identity graph wrote it. */
export interface GraphFindingRow {
  appId: string;
  accountId: string;
  rule: string;
  severity: string;
  employeeId: string | null;
  title: string;
  evidence: Record<string, unknown>;
}

/** An account to look at again, with the owner its link had before it changed ('' for none). */
export interface GraphDirtyRow {
  appId: string;
  accountId: string;
  employeeId: string;
}

/** An account by its key. */
export interface AccountKey {
  appId: string;
  accountId: string;
}

export interface StoredLink extends Link {
  /** A person's decision: correlation never overwrites it, and a re-sync leaves it alone. */
  manual: boolean;
  decidedBy: string | null;
  decidedAt: string | null;
  updatedAt: string;
}

// ---- plans, ops, tasks

/** A `createdSince` that starts at the epoch: listPlans then reads every plan that matches, however old. */
export const EVER = new Date(0).toISOString();

/** `tasks_open`: every op Roster can carry out is done; what is left are manual tasks a later sync will close. */
export type PlanStatus =
  | 'draft'
  | 'approved'
  | 'applying'
  | 'applied'
  | 'tasks_open'
  | 'failed'
  | 'cancelled';
/**
 * `task_open`: a task op whose manual task is open. It is neither done nor failed: a later sync that shows the
 * change closes the task, and the op with it (succeeded; skipped when the task is cancelled).
 */
export type OpStatus = 'pending' | 'approved' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'task_open';
export type OpKind =
  | 'create'
  | 'update'
  | 'deactivate'
  | 'reactivate'
  | 'delete'
  | 'grant'
  | 'revoke'
  /** Holds later ops until something outside Roster happens (a Process Street invite is accepted). */
  | 'wait'
  | 'task';

export interface PlanRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** Hash of the state the plan was computed from; apply refuses a plan whose state has moved. */
  stateHash: string;
  status: PlanStatus;
  summary: Record<string, unknown>;
  body: unknown;
}

export interface OpInput {
  appId: string;
  kind: OpKind;
  target: Record<string, unknown>;
  /** Seqs (1-based, in the order ops were given) that must succeed first. */
  dependsOn?: number[];
  requiresApproval?: boolean;
}

/**
 * A plan's ops handed over one at a time as they are written, for a plan of tens of thousands: no input nor record
 * is kept per op while the plan is saved (createPlan's `ops` are made only when read). Each is checked as it is
 * written, and a wrong one takes back the plan with its transaction: give one only outside a caller's transaction.
 */
export interface OpSource {
  count: number;
  /** Op i (0-based), made anew on each call. */
  op(i: number): OpInput;
}

export interface OpRecord {
  planId: string;
  seq: number;
  appId: string;
  kind: OpKind;
  target: Record<string, unknown>;
  status: OpStatus;
  attempts: number;
  /** Written before the upstream call: an op with an intent and no outcome was interrupted mid-flight. */
  intentAt: string | null;
  finishedAt: string | null;
  outcome: Record<string, unknown> | null;
  error: string | null;
  dependsOn: number[];
  requiresApproval: boolean;
  approvedBy: string | null;
  approvedAt: string | null;
  /** Who holds the op (an apply run, a worker) and until when; a claim past its expiry can be taken over. */
  claimedBy: string | null;
  claimExpiresAt: string | null;
  /** The manual task a task op opened or joined. */
  taskId: string | null;
}

export type ClaimResult =
  | { claimed: true; op: OpRecord }
  /** `held`: another owner's claim is live; `final`: the op has nothing left to do. */
  | { claimed: false; op: OpRecord; reason: 'held' | 'final' };

/** One apply per plan at a time: who holds the plan, since when, and until when the lease runs. */
export interface PlanLock {
  planId: string;
  owner: string;
  acquiredAt: string;
  expiresAt: string;
}

/** One page of a listing; `nextCursor` is opaque and null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Which audit events a listing reads: see Store.listAudit. */
export interface AuditListing {
  afterSeq?: number;
  beforeSeq?: number;
  newest?: boolean;
  appId?: string;
  /** Only events of this actor (as written). */
  actor?: string;
  subjects?: readonly string[];
  search?: AuditSearch;
  offset?: number;
  limit?: number;
}

/**
 * A search of the audit log: one kind of event, and text found in who, what, app, subject or details (case ignored:
 * ASCII letters in every engine).
 */
export interface AuditSearch {
  kind?: string;
  text?: string;
}

/** Which accounts an accounts listing keeps: see Store.pageAccounts. */
export interface AccountListing {
  appId?: string;
  appIds?: readonly string[];
  status?: Account['status'];
  email?: string;
  admin?: boolean;
  /** Only accounts whose link is in this situation (an account never correlated has none). */
  situation?: LinkSituation;
}

export interface PageInput {
  /** At most this many items (default 100, at most 1000). */
  limit?: number;
  /** What the previous page returned as `nextCursor`; absent or null for the first page. */
  cursor?: string | null;
}

export type TaskStatus = 'open' | 'done' | 'cancelled';

export interface TaskRecord {
  id: string;
  planId: string | null;
  opSeq: number | null;
  appId: string;
  kind: string;
  instructions: string;
  status: TaskStatus;
  createdAt: string;
  closedAt: string | null;
  closedBy: string | null;
  /** What the task is about (app, account or person, change): at most one open task per key. */
  key: string | null;
}

// ---- audit

/** What a store tells a watcher of changes other processes commit (see Store.watchTokens). */
export interface WatchHandlers {
  /** Listening: from now on every change committed is heard. */
  listening(): void;
  /** A change was committed (heard after its commit). */
  changed(): void;
  /** No longer listening (its connection failed or the store closed): changes from now on may go unheard. */
  lost(): void;
}

/** How a transaction may be run (see Store.transaction). */
export interface TransactionOptions {
  /**
   * The function only uses the store it is given and may run again after a rollback (a group commit's writes, an
   * audit batch). The store may then take a shortcut that can fail for a reason unrelated to the writes (on
   * Postgres, the audit events sent with the commit, refused when another writer moved the chain on), and runs it
   * once more when one does.
   */
  rerunnable?: boolean;
}

export interface AuditInput {
  actor: string;
  kind: string;
  appId?: string | null;
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  kind: string;
  appId: string | null;
  subject: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditVerification =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAt: number; reason: string };

export interface AppliedMigration {
  name: string;
  executedAt: string;
}

// ---- the interface

export interface Store {
  /** The migrations this database has applied, oldest first. */
  migrations(): Promise<AppliedMigration[]>;

  /** Replaces every person with the import's people in one transaction and records the import. */
  replacePeople(input: {
    sourcePath: string;
    hash: string;
    people: Person[];
    counts?: Record<string, number>;
  }): Promise<ImportRecord>;
  /** Records an import that was refused (bad rows) without touching the people. */
  recordRejectedImport(input: {
    sourcePath: string;
    hash: string;
    error: string;
    counts?: Record<string, number>;
  }): Promise<ImportRecord>;
  listImports(input?: { limit?: number }): Promise<ImportRecord[]>;
  /** The applied import whose people the store holds now; null while it holds no people. */
  currentImport(): Promise<ImportRecord | null>;
  /** By employee id; with `limit`, only that many from `offset` on (a numbered page of them). */
  listPeople(input?: { status?: Person['status']; offset?: number; limit?: number }): Promise<StoredPerson[]>;
  /** By employee id, or by any address the person answers to (primary or alias, case-insensitive). */
  getPerson(input: { employeeId: string } | { email: string }): Promise<StoredPerson | null>;

  upsertApp(input: { id: string; type: AppType; baseUrl: string }): Promise<AppRecord>;
  getApp(input: { id: string }): Promise<AppRecord | null>;
  listApps(): Promise<AppRecord[]>;

  startSyncRun(input: { appId: string; mode: SyncMode }): Promise<SyncRun>;
  finishSyncRun(input: {
    id: string;
    status: Exclude<SyncStatus, 'running'>;
    counts?: Record<string, number>;
    requests?: Record<string, number>;
    error?: string | null;
  }): Promise<SyncRun>;
  getSyncRun(input: { id: string }): Promise<SyncRun | null>;
  listSyncRuns(input: { appId: string; status?: SyncStatus; limit?: number }): Promise<SyncRun[]>;

  getCheckpoint(input: { appId: string; resource: string }): Promise<Checkpoint | null>;
  putCheckpoint(input: {
    appId: string;
    resource: string;
    cursor: string | null;
    watermark: string | null;
    runId: string | null;
  }): Promise<Checkpoint>;

  /** Swaps an app's accounts, entitlements and grants for these in one transaction; on failure nothing changes. */
  replaceSnapshot(input: {
    appId: string;
    runId: string | null;
    accounts: SnapshotAccount[];
    entitlements: SnapshotEntitlement[];
    grants: SnapshotGrant[];
  }): Promise<SnapshotCounts>;
  /**
   * Appends one page of a running sync to its staging area (re-staging a row replaces it, so replaying a page
   * after a crash is harmless) and records the page token reached per resource.
   */
  stageBatch(input: {
    runId: string;
    accounts?: SnapshotAccount[];
    entitlements?: SnapshotEntitlement[];
    grants?: SnapshotGrant[];
    /** Page tokens reached, per resource (`{ users: 'p3' }`), read back by `stagedProgress` to resume. */
    cursors?: Record<string, string | null>;
  }): Promise<StagedProgress>;
  /** What a run has staged so far; null when nothing is staged for it. */
  stagedProgress(input: { runId: string }): Promise<StagedProgress | null>;
  /** Swaps a run's staged rows in as the app's snapshot, in one transaction, and clears the staging. */
  commitStaged(input: { runId: string }): Promise<SnapshotCounts>;
  /** Drops a run's staged rows (an abandoned run). */
  discardStaged(input: { runId: string }): Promise<void>;

  listAccounts(input: { appId: string }): Promise<StoredAccount[]>;
  /** Just the ids of an app's accounts, in id order (the drop guard needs no more). */
  listAccountIds(input: { appId: string }): Promise<string[]>;
  /**
   * The change set since `since` (0: everything ever recorded). Full and incremental syncs, webhook re-syncs and
   * imports record every account and person they add, change or remove; a write that changes nothing records
   * nothing and does not move the generation.
   */
  changedSince(input: { since: number }): Promise<ChangeSet>;
  getAccount(input: { appId: string; id: string }): Promise<StoredAccount | null>;
  /** Accounts in any app with this address, case-insensitive (the identity graph's main join). */
  findAccountsByEmail(input: { email: string }): Promise<StoredAccount[]>;
  listEntitlements(input: { appId: string }): Promise<StoredEntitlement[]>;
  /**
   * Accounts of one app (deleted ones included) whose address or login equals, or starts with, the value
   * without regard to case: the address as normalized (trimmed, lower-cased), the login lower-cased by the
   * database (ASCII letters in every engine); or whose externalId equals it exactly. Indexed; in id order.
   */
  findAccounts(input: AccountLookup): Promise<StoredAccount[]>;
  /** One page of an app's accounts in id order (leaving out one status, e.g. deleted) and how many in all. */
  sliceAccounts(input: {
    appId: string;
    offset: number;
    limit: number;
    excludeStatus?: Account['status'];
  }): Promise<{ items: StoredAccount[]; total: number }>;
  /** What these accounts hold (of one entitlement kind when given), by account id then entitlement id. */
  listMemberships(input: {
    appId: string;
    accountIds: readonly string[];
    kind?: Entitlement['kind'];
  }): Promise<Membership[]>;
  /**
   * One account with what it holds (of one entitlement kind when given), as getAccount and listMemberships answer
   * them, in one read: the SCIM facade shows a User with its groups on every read and write of it. Null when the
   * store does not hold the account.
   */
  getAccountWithMemberships(input: {
    appId: string;
    id: string;
    kind?: Entitlement['kind'];
  }): Promise<{ account: StoredAccount; memberships: Membership[] } | null>;
  /** One app's grants by account, then entitlement; of one account, or of one entitlement (its holders), when given. */
  listGrants(input: { appId: string; accountId?: string; entitlementId?: string }): Promise<StoredGrant[]>;

  /** Writes correlation results; a link a person decided (manual) is kept, not overwritten. */
  upsertLinks(input: { links: Link[] }): Promise<{ written: number; keptManual: number }>;
  /**
   * Runs fn, which writes every app's links (a first pass), with a store suited to it: on SQLite with no link
   * stored yet, one transaction in which the links' index by person is dropped and built again at its end (one
   * sorted build costs far less than a million scattered inserts, and a failure rolls the drop back with the
   * rest); otherwise this store as it is. On a SQLite file holding many accounts the transaction's writes run on a
   * thread of their own: fn's reads then see the store as it was when fn began, never its own writes, and its
   * writes answer no counts (a first pass reads each app before writing it, and counts what it writes itself).
   */
  bulkLinks<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** A person's decision about an account (employeeId null: it belongs to nobody, e.g. a service account). */
  decideLink(input: {
    appId: string;
    accountId: string;
    employeeId: string | null;
    decidedBy: string;
  }): Promise<StoredLink>;
  /** Withdraws a manual decision; the next correlation pass decides the link again. */
  undecideLink(input: { appId: string; accountId: string }): Promise<void>;
  /**
   * Removes automatic links of accounts no longer in the app's snapshot (only among `accountIds`, if given);
   * manual ones stay.
   */
  pruneLinks(input: { appId: string; accountIds?: readonly string[] }): Promise<{ removed: number }>;
  listLinks(input?: {
    appId?: string;
    employeeId?: string;
    situation?: LinkSituation;
  }): Promise<StoredLink[]>;
  graphState(): Promise<GraphState | null>;
  /** Saves what the graph ran from; `findings` left out keeps the stored findings' state as it is. */
  saveGraphState(input: {
    config: string;
    generation?: number;
    findings?: GraphFindingsState | null;
  }): Promise<void>;
  /**
   * One app's snapshot and links as a plan reads them: the columns the diff uses. Grants only with `grants`; the accounts' attributes only
   * with `attributes` (else each account's are {}): a plan that compares none leaves them in the database.
   */
  readPlanApp(input: { appId: string; grants: boolean; attributes: boolean }): Promise<PlanAppSnapshot>;
  /** The latest `updated_at` of any link (null without links): what a plan records its links as of. */
  linksUpdatedAt(): Promise<string | null>;
  /** An app's accounts as correlation and findings read them: without the raw payload (only `ids`, if given). */
  listGraphAccounts(input: { appId: string; ids?: readonly string[] }): Promise<Account[]>;
  /** One app's links of these accounts, or of accounts linked to these people. */
  listGraphLinks(input: {
    appId: string;
    accountIds?: readonly string[];
    employeeIds?: readonly string[];
  }): Promise<StoredLink[]>;
  /** These people (those still in the import); every person, by employee id, without `employeeIds`. */
  listGraphPeople(input: { employeeIds?: readonly string[] }): Promise<StoredPerson[]>;
  /** One app's grants of these accounts. */
  listGraphGrants(input: { appId: string; accountIds: readonly string[] }): Promise<StoredGrant[]>;
  /**
   * Accounts whose dormancy or invitation age may read differently at another "now": last login or creation
   * inside the given windows (ISO bounds, inclusive), or invited before `invitedBefore`.
   */
  listGraphTimeCandidates(input: {
    lastLogin: readonly [string, string];
    created: readonly [string, string];
    invitedBefore: string;
  }): Promise<AccountKey[]>;
  /** Every stored finding. */
  /** The stored findings; only those naming this person, when `employeeId` is given. */
  listGraphFindings(input?: { employeeId?: string }): Promise<GraphFindingRow[]>;
  /** How many findings are stored under each rule (rules with none left out). */
  graphFindingCounts(): Promise<Record<string, number>>;
  /**
   * Replaces the findings of these accounts (or all findings) with the given ones, drops the dirty rows the run
   * consumed and records the findings' state (null: none is current; left out: kept), in one transaction.
   */
  replaceGraphFindings(input: {
    accounts: readonly AccountKey[] | 'all';
    findings: readonly GraphFindingRow[];
    consumed: readonly GraphDirtyRow[];
    state?: GraphFindingsState | null;
  }): Promise<void>;
  /** Records accounts whose link moved, for the next findings run (kept until it consumes them). */
  markGraphDirty(input: { rows: readonly GraphDirtyRow[] }): Promise<void>;
  listGraphDirty(): Promise<GraphDirtyRow[]>;
  /**
   * Links per app and situation over accounts in the snapshots (of these apps only, given `appIds`), and how
   * many people own a linked account.
   */
  graphLinkCounts(input?: { appIds?: readonly string[] }): Promise<{
    apps: { appId: string; situation: LinkSituation; count: number }[];
    owners: number;
    people: number;
  }>;

  /**
   * Saves a plan and its ops. `begin`: its first op is written claimed by `owner` and begun (running, attempt 1,
   * its intent now) when it needs no approval, as claimAndBeginOp would leave it, with no second statement (the
   * caller appends its intent's audit event in the same transaction).
   */
  createPlan(input: {
    stateHash: string;
    summary: Record<string, unknown>;
    body: unknown;
    ops: readonly OpInput[] | OpSource;
    begin?: { owner: string; leaseMs: number };
  }): Promise<{ plan: PlanRecord; ops: OpRecord[] }>;
  getPlan(input: { id: string }): Promise<PlanRecord | null>;
  /**
   * Newest first: the latest `limit` (default 50), or, given createdSince/updatedSince (ISO times, inclusive),
   * every plan in that window unless a limit is given.
   */
  listPlans(input?: {
    status?: PlanStatus;
    limit?: number;
    createdSince?: string;
    updatedSince?: string;
    /** Only the SCIM facade's plans (each an IdP write), or (false) only the others. */
    facade?: boolean;
    /**
     * Only plans whose summary holds a `removals` count above 0 (a facade write that deactivates or deletes). The
     * count is looked for at any depth of the summary: a caller reads the one it means.
     */
    removals?: true;
    /** Only plans whose summary holds a `hold` object (a removal the facade held), looked for at any depth. */
    held?: true;
    /** Only plans whose id starts or ends with this (case ignored). */
    idPart?: string;
  }): Promise<PlanRecord[]>;
  setPlanStatus(input: { id: string; status: PlanStatus }): Promise<PlanRecord>;
  /**
   * Sets the status of a plan the caller knows is there (it made it), answering nothing: the SCIM facade's last
   * write of each request. On Postgres it goes out with the transaction's next statement (no round trip of its own).
   */
  settlePlanStatus(input: { id: string; status: PlanStatus }): Promise<void>;
  /**
   * Marks accounts an IdP manages through the SCIM facade, in the caller's transaction (the one recording the op
   * that wrote them). An account already marked keeps its first mark.
   */
  markIdpManaged(input: { appId: string; accountIds: readonly string[]; planId: string }): Promise<void>;
  /** The ids of the app's accounts an IdP manages through the SCIM facade. */
  idpManagedAccountIds(input: { appId: string }): Promise<string[]>;
  /** The plan's ops by seq; only those with `status`, or only the seqs given (a queue worker's op and its neighbours). */
  listOps(input: { planId: string; status?: OpStatus; seqs?: readonly number[] }): Promise<OpRecord[]>;
  approveOps(input: { planId: string; seqs: number[]; approvedBy: string }): Promise<OpRecord[]>;
  /**
   * Records the intent to run an op, before the upstream call: status running, one more attempt. With an owner,
   * only that owner's claim may begin it (a taken-over op refuses its old owner).
   */
  beginOp(input: { planId: string; seq: number; owner?: string }): Promise<OpRecord>;
  /**
   * Claims an op for `owner` (until now + leaseMs) and records its intent, at once, when it is free to start
   * afresh: pending (approved if it needs approval), approved or failed, and unclaimed, the owner's or expired.
   * Null otherwise, changing nothing: claimOp then beginOp say why (held, settled, awaiting approval) or resume
   * an op found running. `target`: the op's target as the caller holds it (a plan's ops never change theirs),
   * answered as it is rather than read back.
   */
  claimAndBeginOp(input: {
    planId: string;
    seq: number;
    owner: string;
    leaseMs: number;
    target?: OpRecord['target'];
  }): Promise<OpRecord | null>;
  /**
   * Records what came of an op: succeeded, failed (retryable later with beginOp), skipped, or task_open (a task
   * op whose manual task `taskId` is open). Releases the claim; with an owner, only that owner may finish it.
   * `known`: the op as the owner's claim and begin left it. In a transaction that may run again (see
   * TransactionOptions), a store that can sends the update with the commit and answers this with the outcome set
   * on it, reading nothing back (Postgres); elsewhere its target is answered as it is rather than read back.
   */
  finishOp(input: {
    planId: string;
    seq: number;
    status: 'succeeded' | 'failed' | 'skipped' | 'task_open';
    outcome?: Record<string, unknown> | null;
    error?: string | null;
    owner?: string;
    taskId?: string | null;
    known?: OpRecord;
  }): Promise<OpRecord>;
  /**
   * Records how far a running op got without finishing it (an id the app returned before read-back, a wait's
   * poll state): the status and attempts stay as they are. `target`: as for claimAndBeginOp.
   */
  progressOp(input: {
    planId: string;
    seq: number;
    outcome: Record<string, unknown>;
    owner?: string;
    target?: OpRecord['target'];
  }): Promise<OpRecord>;
  /**
   * Claims an op for `owner` until now + leaseMs. Succeeds when the op is unclaimed, already the owner's, its
   * claim has expired, or its holder is one of `takeOverFrom` (owners the caller knows are dead).
   */
  claimOp(input: {
    planId: string;
    seq: number;
    owner: string;
    leaseMs: number;
    takeOverFrom?: readonly string[];
  }): Promise<ClaimResult>;
  /** Extends every claim `owner` holds on the plan; returns how many it still holds. */
  renewOpClaims(input: { planId: string; owner: string; leaseMs: number }): Promise<number>;
  /** Lets go of the owner's claims on the plan (one op, or all); returns how many were released. */
  releaseOpClaims(input: { planId: string; owner: string; seq?: number }): Promise<number>;

  /**
   * Takes the plan's lock for `owner` until now + leaseMs: free, already the owner's, expired, or held by
   * `takeOverFrom` (a holder the caller knows is dead). Otherwise a conflict naming the holder and since when.
   */
  lockPlan(input: {
    planId: string;
    owner: string;
    leaseMs: number;
    takeOverFrom?: string;
  }): Promise<PlanLock>;
  getPlanLock(input: { planId: string }): Promise<PlanLock | null>;
  /** Extends the owner's lock; a conflict when the lock was lost (expired and taken). */
  renewPlanLock(input: { planId: string; owner: string; leaseMs: number }): Promise<PlanLock>;
  /** Releases the owner's lock; false when the owner did not hold it. */
  unlockPlan(input: { planId: string; owner: string }): Promise<boolean>;

  createTask(input: {
    planId?: string | null;
    opSeq?: number | null;
    appId: string;
    kind: string;
    instructions: string;
  }): Promise<TaskRecord>;
  /**
   * The open task with this key, or a new one: one open task per app, account and change however many plans
   * and re-runs ask for it.
   */
  ensureTask(input: {
    key: string;
    planId?: string | null;
    opSeq?: number | null;
    appId: string;
    kind: string;
    instructions: string;
  }): Promise<{ task: TaskRecord; created: boolean }>;
  /** Closes an open task; the task ops waiting on it finish with it (done: succeeded, cancelled: skipped). */
  closeTask(input: { id: string; status: 'done' | 'cancelled'; closedBy: string }): Promise<TaskRecord>;
  listTasks(input?: { status?: TaskStatus; appId?: string }): Promise<TaskRecord[]>;

  /** Paged listings for the API: an opaque cursor, filters, a stable order (the rows' keys). */
  pagePeople(
    input: PageInput & { order?: 'asc' | 'desc'; status?: Person['status']; department?: string },
  ): Promise<Page<StoredPerson>>;
  /** How many people pagePeople pages through with these filters. */
  countPeople(input?: { status?: Person['status']; department?: string }): Promise<number>;
  /** Accounts by (appId, id), first to last or (`desc`) last to first; `appIds`: only these apps' (none: none). */
  pageAccounts(input: PageInput & { order?: 'asc' | 'desc' } & AccountListing): Promise<Page<StoredAccount>>;
  /** How many accounts pageAccounts pages through with these filters. */
  countAccounts(input?: AccountListing): Promise<number>;
  /**
   * Plans by (createdAt, id), oldest first or (`desc`) newest first, every plan however old; a cursor pages on only
   * in the order it was handed out in. `facade` as in listPlans.
   */
  pagePlans(
    input: PageInput & { order?: 'asc' | 'desc'; status?: PlanStatus; facade?: boolean },
  ): Promise<Page<PlanRecord>>;
  /** Links by (appId, accountId), first to last or (`desc`) last to first; a cursor pages on only in its order. */
  pageLinks(
    input: PageInput & {
      order?: 'asc' | 'desc';
      appId?: string;
      employeeId?: string;
      situation?: StoredLink['situation'];
      manual?: boolean;
    },
  ): Promise<Page<StoredLink>>;
  /** How many links pageLinks pages through with these filters. */
  countLinks(input?: {
    appId?: string;
    employeeId?: string;
    situation?: StoredLink['situation'];
    manual?: boolean;
  }): Promise<number>;
  /** How many plans pagePlans pages through with these filters. */
  countPlans(input?: { status?: PlanStatus; facade?: boolean }): Promise<number>;
  pageOps(
    input: PageInput & { planId?: string; appId?: string; status?: OpStatus; kind?: OpKind },
  ): Promise<Page<OpRecord>>;
  pageTasks(
    input: PageInput & { status?: TaskStatus; appId?: string; planId?: string },
  ): Promise<Page<TaskRecord>>;
  pageAudit(
    input: PageInput & { appId?: string; kind?: string; subject?: string; actor?: string },
  ): Promise<Page<AuditEvent>>;

  /**
   * Appends an event chained to the previous one: hash = sha256(prev_hash + canonical JSON of the event). In a
   * transaction, the events are chained and written when it commits (they are durable with its other writes, and
   * its own audit reads see them); its seq and hash are known then, so none is answered here.
   */
  appendAudit(input: AuditInput): Promise<void>;
  /**
   * Events in seq order (`newest`: from the newest back), at most `limit` (default 1000) past the first `offset`,
   * after `afterSeq` and before `beforeSeq`; only one app's, only those about one of `subjects` (case ignored), or
   * only those a search matches.
   */
  listAudit(input?: AuditListing): Promise<AuditEvent[]>;
  /** How many events a search matches (all of them without one). */
  countAudit(input?: AuditSearch): Promise<number>;
  /** The kinds of event the log holds, sorted. */
  auditKinds(): Promise<string[]>;
  /** Walks the whole chain and reports the first event whose hash or link does not hold. */
  verifyAudit(): Promise<AuditVerification>;

  /** A campaign and its frozen items, written together (items numbered from 1 in the order given). */
  createReview(input: { review: NewReview; items: readonly NewReviewItem[] }): Promise<ReviewRecord>;
  getReview(input: { id: string }): Promise<ReviewRecord | null>;
  /** Newest first. */
  listReviews(input?: { status?: ReviewStatus }): Promise<ReviewRecord[]>;
  updateReview(input: { id: string; set: ReviewPatch }): Promise<ReviewRecord>;
  /** A campaign's items in order; one reviewer's only when named. */
  listReviewItems(input: { reviewId: string; reviewer?: string }): Promise<ReviewItemRecord[]>;
  updateReviewItem(input: { reviewId: string; seq: number; set: ReviewItemPatch }): Promise<ReviewItemRecord>;

  /**
   * Tells `handlers` of every change to the API tokens that any process commits (a revocation above all), where the
   * store can hear of them: Postgres (a trigger's NOTIFY, migration 0033, heard on a connection of its own, opened
   * again when lost). False where it cannot (SQLite). It stops when the store closes.
   */
  watchTokens(handlers: WatchHandlers): boolean;
  /** Runs fn with a store whose every call is part of one transaction; a throw rolls all of it back. */
  transaction<T>(fn: (store: Store) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * How many write transactions the store can run side by side (1: one connection, SQLite's; a pool's size on
   * Postgres). A group commit keeps this many batches in flight at most.
   */
  readonly parallelTransactions: number;
  close(): Promise<void>;
}

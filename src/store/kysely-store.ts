/** @module The Store over Kysely, written once for every SQL dialect: a facade over one module per area (kysely/). */

import type { Kysely } from 'kysely';
import { RosterError } from '../core/errors.js';
import * as lookups from './kysely/account-lookups.js';
import * as apps from './kysely/apps.js';
import * as audit from './kysely/audit-log.js';
import * as changes from './kysely/changes.js';
import { type Db, Sql, type StoreDialect } from './kysely/context.js';
import * as graph from './kysely/graph.js';
import * as graphFindings from './kysely/graph-findings.js';
import * as idpManaged from './kysely/idp-managed.js';
import * as links from './kysely/links.js';
import * as locks from './kysely/locks.js';
import * as pages from './kysely/pages.js';
import * as people from './kysely/people.js';
import * as planInputs from './kysely/plan-inputs.js';
import * as plans from './kysely/plans.js';
import * as reviews from './kysely/reviews.js';
import * as snapshots from './kysely/snapshots.js';
import * as staging from './kysely/staging.js';
import * as tasks from './kysely/tasks.js';
import { appliedMigrations } from './migrations/index.js';
import type {
  AppliedMigration,
  SnapshotAccount,
  Store,
  StoredAccount,
  TransactionOptions,
  WatchHandlers,
} from './store.js';

export type { StoreDialect } from './kysely/context.js';

export interface KyselyStoreOptions {
  /** The clock behind every timestamp the store writes; tests pin it. */
  clock?: () => Date;
}

export class KyselyStore implements Store {
  readonly db: Db;
  private readonly sql: Sql;
  /** What watchTokens opened: closed with the store. */
  private readonly watches = new Set<{ close(): Promise<void> }>();

  constructor(db: Db, dialect: StoreDialect, options: KyselyStoreOptions = {}) {
    this.db = db;
    this.sql = new Sql(db, dialect, options.clock ?? (() => new Date()));
  }

  get parallelTransactions(): number {
    return this.sql.dialect.parallelTransactions ?? 1;
  }

  migrations(): Promise<AppliedMigration[]> {
    return appliedMigrations(this.db as unknown as Kysely<unknown>);
  }

  // ---- people

  replacePeople(input: Parameters<Store['replacePeople']>[0]): ReturnType<Store['replacePeople']> {
    return people.replacePeople(this.sql, input);
  }
  recordRejectedImport(
    input: Parameters<Store['recordRejectedImport']>[0],
  ): ReturnType<Store['recordRejectedImport']> {
    return people.recordRejectedImport(this.sql, input);
  }
  listImports(input: Parameters<Store['listImports']>[0]): ReturnType<Store['listImports']> {
    return people.listImports(this.sql, input);
  }
  currentImport(): ReturnType<Store['currentImport']> {
    return people.currentImport(this.sql);
  }
  listPeople(input: Parameters<Store['listPeople']>[0]): ReturnType<Store['listPeople']> {
    return people.listPeople(this.sql, input);
  }
  getPerson(input: Parameters<Store['getPerson']>[0]): ReturnType<Store['getPerson']> {
    return people.getPerson(this.sql, input);
  }

  // ---- apps

  upsertApp(input: Parameters<Store['upsertApp']>[0]): ReturnType<Store['upsertApp']> {
    return apps.upsertApp(this.sql, input);
  }
  getApp(input: Parameters<Store['getApp']>[0]): ReturnType<Store['getApp']> {
    return apps.getApp(this.sql, input);
  }
  listApps(): ReturnType<Store['listApps']> {
    return apps.listApps(this.sql);
  }
  startSyncRun(input: Parameters<Store['startSyncRun']>[0]): ReturnType<Store['startSyncRun']> {
    return apps.startSyncRun(this.sql, input);
  }
  finishSyncRun(input: Parameters<Store['finishSyncRun']>[0]): ReturnType<Store['finishSyncRun']> {
    return apps.finishSyncRun(this.sql, input);
  }
  getSyncRun(input: Parameters<Store['getSyncRun']>[0]): ReturnType<Store['getSyncRun']> {
    return apps.getSyncRun(this.sql, input);
  }
  listSyncRuns(input: Parameters<Store['listSyncRuns']>[0]): ReturnType<Store['listSyncRuns']> {
    return apps.listSyncRuns(this.sql, input);
  }
  getCheckpoint(input: Parameters<Store['getCheckpoint']>[0]): ReturnType<Store['getCheckpoint']> {
    return apps.getCheckpoint(this.sql, input);
  }
  putCheckpoint(input: Parameters<Store['putCheckpoint']>[0]): ReturnType<Store['putCheckpoint']> {
    return apps.putCheckpoint(this.sql, input);
  }

  // ---- snapshots

  replaceSnapshot(input: Parameters<Store['replaceSnapshot']>[0]): ReturnType<Store['replaceSnapshot']> {
    return snapshots.replaceSnapshot(this.sql, input);
  }
  stageBatch(input: Parameters<Store['stageBatch']>[0]): ReturnType<Store['stageBatch']> {
    return staging.stageBatch(this.sql, input);
  }
  stagedProgress(input: Parameters<Store['stagedProgress']>[0]): ReturnType<Store['stagedProgress']> {
    return staging.stagedProgress(this.sql, input);
  }
  commitStaged(input: Parameters<Store['commitStaged']>[0]): ReturnType<Store['commitStaged']> {
    return staging.commitStaged(this.sql, input);
  }
  discardStaged(input: Parameters<Store['discardStaged']>[0]): ReturnType<Store['discardStaged']> {
    return staging.discardStaged(this.sql, input);
  }
  listAccounts(input: Parameters<Store['listAccounts']>[0]): ReturnType<Store['listAccounts']> {
    return snapshots.listAccounts(this.sql, input);
  }
  listAccountIds(input: Parameters<Store['listAccountIds']>[0]): ReturnType<Store['listAccountIds']> {
    return snapshots.listAccountIds(this.sql, input);
  }
  changedSince(input: Parameters<Store['changedSince']>[0]): ReturnType<Store['changedSince']> {
    return changes.changedSince(this.sql, input);
  }
  /** A webhook's targeted re-sync of one account (not on Store: only the SQL stores serve webhooks). */
  upsertSnapshotAccount(account: SnapshotAccount, options?: { created?: boolean }): Promise<StoredAccount> {
    return snapshots.upsertAccount(this.sql, account, options);
  }
  removeSnapshotAccount(input: { appId: string; id: string }): Promise<boolean> {
    return snapshots.removeAccount(this.sql, input);
  }
  setSnapshotGrant(
    grant: { appId: string; entitlementId: string; accountId: string },
    held: boolean,
  ): Promise<void> {
    return snapshots.setGrant(this.sql, grant, held);
  }
  getAccount(input: Parameters<Store['getAccount']>[0]): ReturnType<Store['getAccount']> {
    return snapshots.getAccount(this.sql, input);
  }
  findAccountsByEmail(
    input: Parameters<Store['findAccountsByEmail']>[0],
  ): ReturnType<Store['findAccountsByEmail']> {
    return snapshots.findAccountsByEmail(this.sql, input);
  }
  listEntitlements(input: Parameters<Store['listEntitlements']>[0]): ReturnType<Store['listEntitlements']> {
    return snapshots.listEntitlements(this.sql, input);
  }
  listGrants(input: Parameters<Store['listGrants']>[0]): ReturnType<Store['listGrants']> {
    return snapshots.listGrants(this.sql, input);
  }
  findAccounts(input: Parameters<Store['findAccounts']>[0]): ReturnType<Store['findAccounts']> {
    return lookups.findAccounts(this.sql, input);
  }
  sliceAccounts(input: Parameters<Store['sliceAccounts']>[0]): ReturnType<Store['sliceAccounts']> {
    return lookups.sliceAccounts(this.sql, input);
  }
  getAccountWithMemberships(
    input: Parameters<Store['getAccountWithMemberships']>[0],
  ): ReturnType<Store['getAccountWithMemberships']> {
    return lookups.getAccountWithMemberships(this.sql, input);
  }
  listMemberships(input: Parameters<Store['listMemberships']>[0]): ReturnType<Store['listMemberships']> {
    return lookups.listMemberships(this.sql, input);
  }

  // ---- links

  upsertLinks(input: Parameters<Store['upsertLinks']>[0]): ReturnType<Store['upsertLinks']> {
    return links.upsertLinks(this.sql, input);
  }
  bulkLinks<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    return links.bulkLinks(this.sql, (tx) =>
      fn(tx === this.sql ? this : new KyselyStore(tx.db, tx.dialect, { clock: tx.clock })),
    );
  }
  decideLink(input: Parameters<Store['decideLink']>[0]): ReturnType<Store['decideLink']> {
    return links.decideLink(this.sql, input);
  }
  undecideLink(input: Parameters<Store['undecideLink']>[0]): ReturnType<Store['undecideLink']> {
    return links.undecideLink(this.sql, input);
  }
  pruneLinks(input: Parameters<Store['pruneLinks']>[0]): ReturnType<Store['pruneLinks']> {
    return links.pruneLinks(this.sql, input);
  }
  listLinks(input: Parameters<Store['listLinks']>[0]): ReturnType<Store['listLinks']> {
    return links.listLinks(this.sql, input);
  }
  graphState(): ReturnType<Store['graphState']> {
    return graph.graphState(this.sql);
  }
  saveGraphState(input: Parameters<Store['saveGraphState']>[0]): ReturnType<Store['saveGraphState']> {
    return graph.saveGraphState(this.sql, input);
  }
  readPlanApp(input: Parameters<Store['readPlanApp']>[0]): ReturnType<Store['readPlanApp']> {
    return planInputs.readPlanApp(this.sql, input);
  }
  linksUpdatedAt(): ReturnType<Store['linksUpdatedAt']> {
    return planInputs.linksUpdatedAt(this.sql);
  }
  listGraphAccounts(
    input: Parameters<Store['listGraphAccounts']>[0],
  ): ReturnType<Store['listGraphAccounts']> {
    return graph.listGraphAccounts(this.sql, input);
  }
  listGraphLinks(input: Parameters<Store['listGraphLinks']>[0]): ReturnType<Store['listGraphLinks']> {
    return graphFindings.listGraphLinks(this.sql, input);
  }
  listGraphPeople(input: Parameters<Store['listGraphPeople']>[0]): ReturnType<Store['listGraphPeople']> {
    return graphFindings.listGraphPeople(this.sql, input);
  }
  listGraphGrants(input: Parameters<Store['listGraphGrants']>[0]): ReturnType<Store['listGraphGrants']> {
    return graphFindings.listGraphGrants(this.sql, input);
  }
  listGraphTimeCandidates(
    input: Parameters<Store['listGraphTimeCandidates']>[0],
  ): ReturnType<Store['listGraphTimeCandidates']> {
    return graphFindings.listGraphTimeCandidates(this.sql, input);
  }
  listGraphFindings(
    input?: Parameters<Store['listGraphFindings']>[0],
  ): ReturnType<Store['listGraphFindings']> {
    return graphFindings.listGraphFindings(this.sql, input);
  }
  graphFindingCounts(): ReturnType<Store['graphFindingCounts']> {
    return graphFindings.graphFindingCounts(this.sql);
  }
  replaceGraphFindings(
    input: Parameters<Store['replaceGraphFindings']>[0],
  ): ReturnType<Store['replaceGraphFindings']> {
    return graphFindings.replaceGraphFindings(this.sql, input);
  }
  markGraphDirty(input: Parameters<Store['markGraphDirty']>[0]): ReturnType<Store['markGraphDirty']> {
    return graphFindings.markGraphDirty(this.sql, input);
  }
  listGraphDirty(): ReturnType<Store['listGraphDirty']> {
    return graphFindings.listGraphDirty(this.sql);
  }
  graphLinkCounts(input?: Parameters<Store['graphLinkCounts']>[0]): ReturnType<Store['graphLinkCounts']> {
    return graphFindings.graphLinkCounts(this.sql, input);
  }

  // ---- plans

  createPlan(input: Parameters<Store['createPlan']>[0]): ReturnType<Store['createPlan']> {
    return plans.createPlan(this.sql, input);
  }
  getPlan(input: Parameters<Store['getPlan']>[0]): ReturnType<Store['getPlan']> {
    return plans.getPlan(this.sql, input);
  }
  listPlans(input: Parameters<Store['listPlans']>[0]): ReturnType<Store['listPlans']> {
    return plans.listPlans(this.sql, input);
  }
  setPlanStatus(input: Parameters<Store['setPlanStatus']>[0]): ReturnType<Store['setPlanStatus']> {
    return plans.setPlanStatus(this.sql, input);
  }
  settlePlanStatus(input: Parameters<Store['settlePlanStatus']>[0]): ReturnType<Store['settlePlanStatus']> {
    return plans.settlePlanStatus(this.sql, input);
  }
  markIdpManaged(input: Parameters<Store['markIdpManaged']>[0]): ReturnType<Store['markIdpManaged']> {
    return idpManaged.markIdpManaged(this.sql, input);
  }
  idpManagedAccountIds(
    input: Parameters<Store['idpManagedAccountIds']>[0],
  ): ReturnType<Store['idpManagedAccountIds']> {
    return idpManaged.idpManagedAccountIds(this.sql, input);
  }
  listOps(input: Parameters<Store['listOps']>[0]): ReturnType<Store['listOps']> {
    return plans.listOps(this.sql, input);
  }
  approveOps(input: Parameters<Store['approveOps']>[0]): ReturnType<Store['approveOps']> {
    return plans.approveOps(this.sql, input);
  }
  beginOp(input: Parameters<Store['beginOp']>[0]): ReturnType<Store['beginOp']> {
    return plans.beginOp(this.sql, input);
  }
  claimAndBeginOp(input: Parameters<Store['claimAndBeginOp']>[0]): ReturnType<Store['claimAndBeginOp']> {
    return plans.claimAndBeginOp(this.sql, input);
  }
  finishOp(input: Parameters<Store['finishOp']>[0]): ReturnType<Store['finishOp']> {
    return plans.finishOp(this.sql, input);
  }

  progressOp(input: Parameters<Store['progressOp']>[0]): ReturnType<Store['progressOp']> {
    return plans.progressOp(this.sql, input);
  }
  claimOp(input: Parameters<Store['claimOp']>[0]): ReturnType<Store['claimOp']> {
    return plans.claimOp(this.sql, input);
  }
  renewOpClaims(input: Parameters<Store['renewOpClaims']>[0]): ReturnType<Store['renewOpClaims']> {
    return plans.renewOpClaims(this.sql, input);
  }
  releaseOpClaims(input: Parameters<Store['releaseOpClaims']>[0]): ReturnType<Store['releaseOpClaims']> {
    return plans.releaseOpClaims(this.sql, input);
  }

  // ---- plan locks

  lockPlan(input: Parameters<Store['lockPlan']>[0]): ReturnType<Store['lockPlan']> {
    return locks.lockPlan(this.sql, input);
  }
  getPlanLock(input: Parameters<Store['getPlanLock']>[0]): ReturnType<Store['getPlanLock']> {
    return locks.getPlanLock(this.sql, input);
  }
  renewPlanLock(input: Parameters<Store['renewPlanLock']>[0]): ReturnType<Store['renewPlanLock']> {
    return locks.renewPlanLock(this.sql, input);
  }
  unlockPlan(input: Parameters<Store['unlockPlan']>[0]): ReturnType<Store['unlockPlan']> {
    return locks.unlockPlan(this.sql, input);
  }

  // ---- tasks

  createTask(input: Parameters<Store['createTask']>[0]): ReturnType<Store['createTask']> {
    return tasks.createTask(this.sql, input);
  }
  closeTask(input: Parameters<Store['closeTask']>[0]): ReturnType<Store['closeTask']> {
    return tasks.closeTask(this.sql, input);
  }
  listTasks(input: Parameters<Store['listTasks']>[0]): ReturnType<Store['listTasks']> {
    return tasks.listTasks(this.sql, input);
  }

  ensureTask(input: Parameters<Store['ensureTask']>[0]): ReturnType<Store['ensureTask']> {
    return tasks.ensureTask(this.sql, input);
  }

  // ---- pages

  pagePeople(input: Parameters<Store['pagePeople']>[0]): ReturnType<Store['pagePeople']> {
    return pages.pagePeople(this.sql, input);
  }
  pageAccounts(input: Parameters<Store['pageAccounts']>[0]): ReturnType<Store['pageAccounts']> {
    return pages.pageAccounts(this.sql, input);
  }
  pagePlans(input: Parameters<Store['pagePlans']>[0]): ReturnType<Store['pagePlans']> {
    return pages.pagePlans(this.sql, input);
  }
  countAccounts(input?: Parameters<Store['countAccounts']>[0]): ReturnType<Store['countAccounts']> {
    return pages.countAccounts(this.sql, input);
  }
  countPeople(input?: Parameters<Store['countPeople']>[0]): ReturnType<Store['countPeople']> {
    return pages.countPeople(this.sql, input);
  }
  pageLinks(input: Parameters<Store['pageLinks']>[0]): ReturnType<Store['pageLinks']> {
    return pages.pageLinks(this.sql, input);
  }
  countLinks(input?: Parameters<Store['countLinks']>[0]): ReturnType<Store['countLinks']> {
    return pages.countLinks(this.sql, input);
  }
  countPlans(input?: Parameters<Store['countPlans']>[0]): ReturnType<Store['countPlans']> {
    return pages.countPlans(this.sql, input);
  }
  pageOps(input: Parameters<Store['pageOps']>[0]): ReturnType<Store['pageOps']> {
    return pages.pageOps(this.sql, input);
  }
  pageTasks(input: Parameters<Store['pageTasks']>[0]): ReturnType<Store['pageTasks']> {
    return pages.pageTasks(this.sql, input);
  }
  pageAudit(input: Parameters<Store['pageAudit']>[0]): ReturnType<Store['pageAudit']> {
    return pages.pageAudit(this.sql, input);
  }

  // ---- audit-log

  appendAudit(input: Parameters<Store['appendAudit']>[0]): ReturnType<Store['appendAudit']> {
    return audit.appendAudit(this.sql, input);
  }
  listAudit(input: Parameters<Store['listAudit']>[0]): ReturnType<Store['listAudit']> {
    return audit.listAudit(this.sql, input);
  }
  countAudit(input: Parameters<Store['countAudit']>[0]): ReturnType<Store['countAudit']> {
    return audit.countAudit(this.sql, input);
  }
  auditKinds(): ReturnType<Store['auditKinds']> {
    return audit.auditKinds(this.sql);
  }
  verifyAudit(): ReturnType<Store['verifyAudit']> {
    return audit.verifyAudit(this.sql);
  }

  // ---- access reviews

  createReview(input: Parameters<Store['createReview']>[0]): ReturnType<Store['createReview']> {
    return reviews.createReview(this.sql, input);
  }
  getReview(input: Parameters<Store['getReview']>[0]): ReturnType<Store['getReview']> {
    return reviews.getReview(this.sql, input);
  }
  listReviews(input: Parameters<Store['listReviews']>[0]): ReturnType<Store['listReviews']> {
    return reviews.listReviews(this.sql, input);
  }
  updateReview(input: Parameters<Store['updateReview']>[0]): ReturnType<Store['updateReview']> {
    return reviews.updateReview(this.sql, input);
  }
  listReviewItems(input: Parameters<Store['listReviewItems']>[0]): ReturnType<Store['listReviewItems']> {
    return reviews.listReviewItems(this.sql, input);
  }
  updateReviewItem(input: Parameters<Store['updateReviewItem']>[0]): ReturnType<Store['updateReviewItem']> {
    return reviews.updateReviewItem(this.sql, input);
  }

  // ---- transactions

  transaction<T>(fn: (store: Store) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.sql.write((tx) => fn(new KyselyStore(tx.db, tx.dialect, { clock: tx.clock })), options);
  }

  watchTokens(handlers: WatchHandlers): boolean {
    const listen = this.sql.dialect.listen;
    if (listen === undefined) return false;
    this.watches.add(listen('roster_api_tokens', handlers));
    return true;
  }

  async close(): Promise<void> {
    if (this.db.isTransaction) {
      throw new RosterError('conflict', 'cannot close the store from inside a transaction');
    }
    for (const watch of this.watches) await watch.close();
    this.watches.clear();
    await this.db.destroy();
  }
}

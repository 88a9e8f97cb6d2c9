/** @module The Store over Kysely, written once for every SQL dialect; a dialect supplies only its error codes and limits. */

import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { RosterError } from '../core/errors.js';
import type { Link, Person } from '../core/types.js';
import { auditBreak, auditHash, GENESIS_HASH } from './audit.js';
import { canonicalJson, toJsonColumn } from './json.js';
import { appliedMigrations } from './migrations/index.js';
import {
  accountToRow,
  entitlementToRow,
  normalizeEmail,
  personToRow,
  rowToAccount,
  rowToApp,
  rowToAudit,
  rowToCheckpoint,
  rowToEntitlement,
  rowToGrant,
  rowToImport,
  rowToLink,
  rowToOp,
  rowToPerson,
  rowToPlan,
  rowToSyncRun,
  rowToTask,
} from './rows.js';
import type { Database } from './schema.js';
import type {
  AppliedMigration,
  AppRecord,
  AuditEvent,
  AuditInput,
  AuditVerification,
  Checkpoint,
  ImportRecord,
  OpInput,
  OpRecord,
  OpStatus,
  PlanRecord,
  SnapshotAccount,
  SnapshotCounts,
  SnapshotEntitlement,
  SnapshotGrant,
  StagedProgress,
  Store,
  StoredAccount,
  StoredEntitlement,
  StoredGrant,
  StoredLink,
  StoredPerson,
  SyncRun,
  TaskRecord,
} from './store.js';

/** What differs between SQL engines, and nothing else. */
export interface StoreDialect {
  /** Where the data lives, for error messages (a file path, a host/database). */
  where: string;
  /** Most bound parameters one statement may carry. */
  maxParams: number;
  isForeignKeyViolation(error: unknown): boolean;
  isUniqueViolation(error: unknown): boolean;
  /**
   * Makes concurrent audit appends take turns, held until the caller's transaction ends; without it racing
   * writers fall back on the unique prev_hash and retry, which many writers can exhaust.
   */
  lockAuditTail?(db: Kysely<Database>): Promise<void>;
}

export interface KyselyStoreOptions {
  /** The clock behind every timestamp the store writes; tests pin it. */
  clock?: () => Date;
}

type Db = Kysely<Database>;
type TableName = keyof Database & string;

/** The row key of a staged run's `''` progress entry, which counts every batch whatever its resources. */
const WHOLE_RUN = '';
const AUDIT_APPEND_ATTEMPTS = 5;

const grantKey = (entitlementId: string, accountId: string): string => `${entitlementId}\u0000${accountId}`;

export class KyselyStore implements Store {
  readonly db: Db;
  private readonly dialect: StoreDialect;
  private readonly clock: () => Date;

  constructor(db: Db, dialect: StoreDialect, options: KyselyStoreOptions = {}) {
    this.db = db;
    this.dialect = dialect;
    this.clock = options.clock ?? (() => new Date());
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /** Runs fn in a transaction, or in the caller's when this store is already bound to one. */
  private write<T>(fn: (tx: KyselyStore) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.db
      .transaction()
      .execute((trx) => fn(new KyselyStore(trx, this.dialect, { clock: this.clock })));
  }

  /** Inserts rows in as few statements as the dialect's parameter limit allows. */
  private async insertRows<T extends TableName>(table: T, rows: readonly Insertable<Database[T]>[]) {
    const first = rows[0];
    if (first === undefined) return;
    const perRow = Object.keys(first).length;
    const chunk = Math.max(1, Math.floor(this.dialect.maxParams / perRow));
    for (let i = 0; i < rows.length; i += chunk) {
      const values = rows.slice(i, i + chunk) as Insertable<Database[TableName]>[];
      await this.db
        .insertInto(table as TableName)
        .values(values as never)
        .execute();
    }
  }

  async migrations(): Promise<AppliedMigration[]> {
    return appliedMigrations(this.db as unknown as Kysely<unknown>);
  }

  // ---- people

  async replacePeople(input: {
    sourcePath: string;
    hash: string;
    people: Person[];
    counts?: Record<string, number>;
  }): Promise<ImportRecord> {
    const seen = new Set<string>();
    for (const person of input.people) {
      if (seen.has(person.employeeId)) {
        throw new RosterError(
          'invalid_input',
          `employee id ${person.employeeId} appears twice in the import`,
          {
            where: input.sourcePath,
            fix: 'give every person a unique employee id',
          },
        );
      }
      seen.add(person.employeeId);
    }
    const record: ImportRecord = {
      id: randomUUID(),
      sourcePath: input.sourcePath,
      hash: input.hash,
      counts: input.counts ?? { people: input.people.length },
      createdAt: this.now(),
      status: 'applied',
      error: null,
    };
    await this.write(async (tx) => {
      await tx.insertImport(record);
      await tx.db.deleteFrom('person_emails').execute();
      await tx.db.deleteFrom('people').execute();
      await tx.insertRows(
        'people',
        input.people.map((p) => personToRow(p, record.id)),
      );
      const emails = input.people.flatMap((p) => {
        const primary = normalizeEmail(p.email);
        const aliases = new Set(p.aliases.map(normalizeEmail).filter((a) => a !== '' && a !== primary));
        return [
          { email_normalized: primary, employee_id: p.employeeId, is_primary: 1 },
          ...[...aliases].map((a) => ({ email_normalized: a, employee_id: p.employeeId, is_primary: 0 })),
        ];
      });
      await tx.insertRows('person_emails', emails);
    });
    return record;
  }

  async recordRejectedImport(input: {
    sourcePath: string;
    hash: string;
    error: string;
    counts?: Record<string, number>;
  }): Promise<ImportRecord> {
    const record: ImportRecord = {
      id: randomUUID(),
      sourcePath: input.sourcePath,
      hash: input.hash,
      counts: input.counts ?? {},
      createdAt: this.now(),
      status: 'rejected',
      error: input.error,
    };
    await this.insertImport(record);
    return record;
  }

  private async insertImport(record: ImportRecord): Promise<void> {
    await this.db
      .insertInto('imports')
      .values({
        id: record.id,
        source_path: record.sourcePath,
        hash: record.hash,
        counts: toJsonColumn(record.counts),
        created_at: record.createdAt,
        status: record.status,
        error: record.error,
      })
      .execute();
  }

  async listImports(input: { limit?: number } = {}): Promise<ImportRecord[]> {
    const rows = await this.db
      .selectFrom('imports')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(input.limit ?? 100)
      .execute();
    return rows.map(rowToImport);
  }

  async currentImport(): Promise<ImportRecord | null> {
    // Every person carries the id of the import that put them there, so any one of them names it: exact
    // where creation times tie (a pinned clock, two imports in one millisecond), and one indexed row read.
    const person = await this.db.selectFrom('people').select('import_id').limit(1).executeTakeFirst();
    if (person === undefined) return null;
    const row = await this.db
      .selectFrom('imports')
      .selectAll()
      .where('id', '=', person.import_id)
      .executeTakeFirst();
    return row === undefined ? null : rowToImport(row);
  }

  async listPeople(input: { status?: Person['status'] } = {}): Promise<StoredPerson[]> {
    let query = this.db.selectFrom('people').selectAll().orderBy('employee_id');
    if (input.status !== undefined) query = query.where('status', '=', input.status);
    return (await query.execute()).map(rowToPerson);
  }

  async getPerson(input: { employeeId: string } | { email: string }): Promise<StoredPerson | null> {
    if ('employeeId' in input) {
      const row = await this.db
        .selectFrom('people')
        .selectAll()
        .where('employee_id', '=', input.employeeId)
        .executeTakeFirst();
      return row === undefined ? null : rowToPerson(row);
    }
    // An address that is one person's primary wins over the same address as someone else's alias.
    const row = await this.db
      .selectFrom('person_emails')
      .innerJoin('people', 'people.employee_id', 'person_emails.employee_id')
      .selectAll('people')
      .where('person_emails.email_normalized', '=', normalizeEmail(input.email))
      .orderBy('person_emails.is_primary', 'desc')
      .orderBy('people.employee_id')
      .executeTakeFirst();
    return row === undefined ? null : rowToPerson(row);
  }

  // ---- apps

  async upsertApp(input: { id: string; type: AppRecord['type']; baseUrl: string }): Promise<AppRecord> {
    const now = this.now();
    await this.db
      .insertInto('apps')
      .values({ id: input.id, type: input.type, base_url: input.baseUrl, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ type: input.type, base_url: input.baseUrl, updated_at: now }),
      )
      .execute();
    return (await this.getApp({ id: input.id }))!;
  }

  async getApp(input: { id: string }): Promise<AppRecord | null> {
    const row = await this.db.selectFrom('apps').selectAll().where('id', '=', input.id).executeTakeFirst();
    return row === undefined ? null : rowToApp(row);
  }

  async listApps(): Promise<AppRecord[]> {
    return (await this.db.selectFrom('apps').selectAll().orderBy('id').execute()).map(rowToApp);
  }

  private async requireApp(appId: string): Promise<void> {
    if ((await this.getApp({ id: appId })) === null) {
      throw new RosterError('not_found', `app ${appId} is not in the store`, {
        where: this.dialect.where,
        fix: 'register the app (upsertApp) before syncing it',
        details: { appId },
      });
    }
  }

  // ---- sync runs and checkpoints

  async startSyncRun(input: { appId: string; mode: SyncRun['mode'] }): Promise<SyncRun> {
    await this.requireApp(input.appId);
    const run: SyncRun = {
      id: randomUUID(),
      appId: input.appId,
      mode: input.mode,
      status: 'running',
      startedAt: this.now(),
      finishedAt: null,
      counts: {},
      requests: {},
      error: null,
    };
    await this.db
      .insertInto('sync_runs')
      .values({
        id: run.id,
        app_id: run.appId,
        mode: run.mode,
        status: run.status,
        started_at: run.startedAt,
        finished_at: null,
        counts: '{}',
        requests: '{}',
        error: null,
      })
      .execute();
    return run;
  }

  async finishSyncRun(input: {
    id: string;
    status: 'succeeded' | 'failed';
    counts?: Record<string, number>;
    requests?: Record<string, number>;
    error?: string | null;
  }): Promise<SyncRun> {
    const result = await this.db
      .updateTable('sync_runs')
      .set({
        status: input.status,
        finished_at: this.now(),
        counts: toJsonColumn(input.counts ?? {}),
        requests: toJsonColumn(input.requests ?? {}),
        error: input.error ?? null,
      })
      .where('id', '=', input.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      const run = await this.requireRun(input.id);
      throw new RosterError('conflict', `sync run ${input.id} already finished (${run.status})`, {
        details: { runId: input.id, status: run.status },
      });
    }
    return this.requireRun(input.id);
  }

  async getSyncRun(input: { id: string }): Promise<SyncRun | null> {
    const row = await this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', input.id)
      .executeTakeFirst();
    return row === undefined ? null : rowToSyncRun(row);
  }

  async listSyncRuns(input: {
    appId: string;
    status?: SyncRun['status'];
    limit?: number;
  }): Promise<SyncRun[]> {
    let query = this.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('app_id', '=', input.appId)
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .limit(input.limit ?? 50);
    if (input.status !== undefined) query = query.where('status', '=', input.status);
    return (await query.execute()).map(rowToSyncRun);
  }

  private async requireRun(id: string): Promise<SyncRun> {
    const run = await this.getSyncRun({ id });
    if (run === null) {
      throw new RosterError('not_found', `sync run ${id} is not in the store`, { details: { runId: id } });
    }
    return run;
  }

  async getCheckpoint(input: { appId: string; resource: string }): Promise<Checkpoint | null> {
    const row = await this.db
      .selectFrom('sync_checkpoints')
      .selectAll()
      .where('app_id', '=', input.appId)
      .where('resource', '=', input.resource)
      .executeTakeFirst();
    return row === undefined ? null : rowToCheckpoint(row);
  }

  async putCheckpoint(input: {
    appId: string;
    resource: string;
    cursor: string | null;
    watermark: string | null;
    runId: string | null;
  }): Promise<Checkpoint> {
    const row = {
      app_id: input.appId,
      resource: input.resource,
      cursor: input.cursor,
      watermark: input.watermark,
      run_id: input.runId,
      updated_at: this.now(),
    };
    await this.db
      .insertInto('sync_checkpoints')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['app_id', 'resource']).doUpdateSet({
          cursor: row.cursor,
          watermark: row.watermark,
          run_id: row.run_id,
          updated_at: row.updated_at,
        }),
      )
      .execute();
    return rowToCheckpoint(row);
  }

  // ---- snapshots

  async replaceSnapshot(input: {
    appId: string;
    runId: string | null;
    accounts: SnapshotAccount[];
    entitlements: SnapshotEntitlement[];
    grants: SnapshotGrant[];
  }): Promise<SnapshotCounts> {
    checkBatch(input.appId, input.accounts, input.entitlements, input.grants);
    await this.requireApp(input.appId);
    const { appId, runId } = input;
    await this.write(async (tx) => {
      const roster = await tx.rosterGrantKeys(appId);
      await tx.clearSnapshot(appId);
      await tx.insertRows(
        'accounts',
        input.accounts.map((a) => accountToRow(a, runId)),
      );
      await tx.insertRows(
        'entitlements',
        input.entitlements.map((e) => entitlementToRow(e, runId)),
      );
      const grants = input.grants.map((g) => ({
        app_id: appId,
        entitlement_id: g.entitlementId,
        account_id: g.accountId,
        sync_run_id: runId,
        granted_by:
          g.grantedBy === 'roster' || roster.has(grantKey(g.entitlementId, g.accountId))
            ? 'roster'
            : 'external',
      }));
      try {
        await tx.insertRows('grants', grants);
      } catch (error) {
        if (!this.dialect.isForeignKeyViolation(error)) throw error;
        throw danglingGrant(appId, input.accounts, input.entitlements, input.grants, error);
      }
    });
    return {
      accounts: input.accounts.length,
      entitlements: input.entitlements.length,
      grants: input.grants.length,
    };
  }

  private async rosterGrantKeys(appId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('grants')
      .select(['entitlement_id', 'account_id'])
      .where('app_id', '=', appId)
      .where('granted_by', '=', 'roster')
      .execute();
    return new Set(rows.map((r) => grantKey(r.entitlement_id, r.account_id)));
  }

  private async clearSnapshot(appId: string): Promise<void> {
    await this.db.deleteFrom('grants').where('app_id', '=', appId).execute();
    await this.db.deleteFrom('accounts').where('app_id', '=', appId).execute();
    await this.db.deleteFrom('entitlements').where('app_id', '=', appId).execute();
  }

  async stageBatch(input: {
    runId: string;
    accounts?: SnapshotAccount[];
    entitlements?: SnapshotEntitlement[];
    grants?: SnapshotGrant[];
    cursors?: Record<string, string | null>;
  }): Promise<StagedProgress> {
    const run = await this.requireRun(input.runId);
    if (run.status !== 'running') {
      throw new RosterError(
        'conflict',
        `sync run ${run.id} is ${run.status}; only a running sync can stage`,
        {
          details: { runId: run.id, status: run.status },
        },
      );
    }
    const accounts = input.accounts ?? [];
    const entitlements = input.entitlements ?? [];
    const grants = input.grants ?? [];
    checkBatch(run.appId, accounts, entitlements, grants);
    const runId = run.id;
    return this.write(async (tx) => {
      // Re-staging a row replaces it, so a page replayed after a crash does not duplicate anything.
      for (let i = 0; i < accounts.length; i += tx.inListSize) {
        const ids = accounts.slice(i, i + tx.inListSize).map((a) => a.id);
        await tx.db
          .deleteFrom('staged_accounts')
          .where('run_id', '=', runId)
          .where('id', 'in', ids)
          .execute();
      }
      for (let i = 0; i < entitlements.length; i += tx.inListSize) {
        const ids = entitlements.slice(i, i + tx.inListSize).map((e) => e.id);
        await tx.db
          .deleteFrom('staged_entitlements')
          .where('run_id', '=', runId)
          .where('id', 'in', ids)
          .execute();
      }
      await tx.insertRows(
        'staged_accounts',
        accounts.map((a) => ({ ...accountToRow(a, runId), run_id: runId })),
      );
      await tx.insertRows(
        'staged_entitlements',
        entitlements.map((e) => ({ ...entitlementToRow(e, runId), run_id: runId })),
      );
      const grantRows = grants.map((g) => ({
        run_id: runId,
        app_id: run.appId,
        entitlement_id: g.entitlementId,
        account_id: g.accountId,
        sync_run_id: runId,
        granted_by: g.grantedBy ?? 'external',
      }));
      const chunk = Math.floor(tx.dialect.maxParams / 6);
      for (let i = 0; i < grantRows.length; i += chunk) {
        await tx.db
          .insertInto('staged_grants')
          .values(grantRows.slice(i, i + chunk))
          .onConflict((oc) => oc.columns(['run_id', 'entitlement_id', 'account_id']).doNothing())
          .execute();
      }
      await tx.bumpProgress(runId, WHOLE_RUN, null, false);
      for (const [resource, cursor] of Object.entries(input.cursors ?? {})) {
        if (resource === WHOLE_RUN) {
          throw new RosterError('invalid_input', 'a staged cursor needs a resource name', {
            fix: 'key cursors by resource: { users: "page-3" }',
          });
        }
        await tx.bumpProgress(runId, resource, cursor, true);
      }
      return (await tx.stagedProgress({ runId }))!;
    });
  }

  private get inListSize(): number {
    return Math.max(1, this.dialect.maxParams - 10);
  }

  private async bumpProgress(runId: string, resource: string, cursor: string | null, setCursor: boolean) {
    const now = this.now();
    const existing = await this.db
      .selectFrom('staged_progress')
      .select(['batches', 'cursor'])
      .where('run_id', '=', runId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    if (existing === undefined) {
      await this.db
        .insertInto('staged_progress')
        .values({ run_id: runId, resource, cursor: setCursor ? cursor : null, batches: 1, updated_at: now })
        .execute();
      return;
    }
    await this.db
      .updateTable('staged_progress')
      .set({ batches: existing.batches + 1, cursor: setCursor ? cursor : existing.cursor, updated_at: now })
      .where('run_id', '=', runId)
      .where('resource', '=', resource)
      .execute();
  }

  async stagedProgress(input: { runId: string }): Promise<StagedProgress | null> {
    const run = await this.getSyncRun({ id: input.runId });
    if (run === null) return null;
    const progress = await this.db
      .selectFrom('staged_progress')
      .select(['resource', 'cursor', 'batches'])
      .where('run_id', '=', input.runId)
      .orderBy('resource')
      .execute();
    const whole = progress.find((p) => p.resource === WHOLE_RUN);
    if (whole === undefined) return null;
    const count = async (table: 'staged_accounts' | 'staged_entitlements' | 'staged_grants') => {
      const row = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('run_id', '=', input.runId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    return {
      runId: run.id,
      appId: run.appId,
      accounts: await count('staged_accounts'),
      entitlements: await count('staged_entitlements'),
      grants: await count('staged_grants'),
      batches: whole.batches,
      cursors: Object.fromEntries(
        progress.filter((p) => p.resource !== WHOLE_RUN).map((p) => [p.resource, p.cursor]),
      ),
    };
  }

  async commitStaged(input: { runId: string }): Promise<SnapshotCounts> {
    const run = await this.requireRun(input.runId);
    if (run.status !== 'running') {
      throw new RosterError(
        'conflict',
        `sync run ${run.id} is ${run.status}; only a running sync can commit`,
        {
          details: { runId: run.id, status: run.status },
        },
      );
    }
    const { appId } = run;
    const runId = run.id;
    return this.write(async (tx) => {
      const progress = await tx.stagedProgress({ runId });
      if (progress === null) {
        throw new RosterError('conflict', `sync run ${runId} has staged nothing to commit`, {
          details: { runId },
        });
      }
      await tx.checkStagedGrants(runId, appId);
      const roster = await tx.rosterGrantKeys(appId);
      await tx.clearSnapshot(appId);
      await tx.db
        .insertInto('accounts')
        .columns(ACCOUNT_COLUMNS)
        .expression(tx.db.selectFrom('staged_accounts').select(ACCOUNT_COLUMNS).where('run_id', '=', runId))
        .execute();
      await tx.db
        .insertInto('entitlements')
        .columns(ENTITLEMENT_COLUMNS)
        .expression(
          tx.db.selectFrom('staged_entitlements').select(ENTITLEMENT_COLUMNS).where('run_id', '=', runId),
        )
        .execute();
      await tx.db
        .insertInto('grants')
        .columns(GRANT_COLUMNS)
        .expression(tx.db.selectFrom('staged_grants').select(GRANT_COLUMNS).where('run_id', '=', runId))
        .execute();
      for (const key of roster) {
        const [entitlementId, accountId] = key.split('\u0000') as [string, string];
        await tx.db
          .updateTable('grants')
          .set({ granted_by: 'roster' })
          .where('app_id', '=', appId)
          .where('entitlement_id', '=', entitlementId)
          .where('account_id', '=', accountId)
          .execute();
      }
      await tx.discardStaged({ runId });
      return { accounts: progress.accounts, entitlements: progress.entitlements, grants: progress.grants };
    });
  }

  /** Checked before the swap, not left to the foreign key, so the error can name the grant on every dialect. */
  private async checkStagedGrants(runId: string, appId: string): Promise<void> {
    const dangling = await this.db
      .selectFrom('staged_grants as g')
      .leftJoin('staged_accounts as a', (j) =>
        j.onRef('a.run_id', '=', 'g.run_id').onRef('a.id', '=', 'g.account_id'),
      )
      .leftJoin('staged_entitlements as e', (j) =>
        j.onRef('e.run_id', '=', 'g.run_id').onRef('e.id', '=', 'g.entitlement_id'),
      )
      .select(['g.entitlement_id', 'g.account_id', 'a.id as account', 'e.id as entitlement'])
      .where('g.run_id', '=', runId)
      .where((eb) => eb.or([eb('a.id', 'is', null), eb('e.id', 'is', null)]))
      .limit(1)
      .executeTakeFirst();
    if (dangling === undefined) return;
    const missing =
      dangling.account === null ? `account ${dangling.account_id}` : `entitlement ${dangling.entitlement_id}`;
    throw new RosterError(
      'invalid_input',
      `staged grant ${dangling.entitlement_id} → ${dangling.account_id} names ${missing}, which was not staged`,
      {
        where: `app ${appId}, sync run ${runId}`,
        fix: 'stage every account and entitlement a grant refers to, or leave the grant out',
        details: { appId, runId, entitlementId: dangling.entitlement_id, accountId: dangling.account_id },
      },
    );
  }

  async discardStaged(input: { runId: string }): Promise<void> {
    await this.write(async (tx) => {
      for (const table of [
        'staged_grants',
        'staged_accounts',
        'staged_entitlements',
        'staged_progress',
      ] as const) {
        await tx.db.deleteFrom(table).where('run_id', '=', input.runId).execute();
      }
    });
  }

  async listAccounts(input: { appId: string }): Promise<StoredAccount[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('app_id', '=', input.appId)
      .orderBy('id')
      .execute();
    return rows.map(rowToAccount);
  }

  async getAccount(input: { appId: string; id: string }): Promise<StoredAccount | null> {
    const row = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('app_id', '=', input.appId)
      .where('id', '=', input.id)
      .executeTakeFirst();
    return row === undefined ? null : rowToAccount(row);
  }

  async findAccountsByEmail(input: { email: string }): Promise<StoredAccount[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('email_normalized', '=', normalizeEmail(input.email))
      .orderBy('app_id')
      .orderBy('id')
      .execute();
    return rows.map(rowToAccount);
  }

  async listEntitlements(input: { appId: string }): Promise<StoredEntitlement[]> {
    const rows = await this.db
      .selectFrom('entitlements')
      .selectAll()
      .where('app_id', '=', input.appId)
      .orderBy('id')
      .execute();
    return rows.map(rowToEntitlement);
  }

  async listGrants(input: { appId: string; accountId?: string }): Promise<StoredGrant[]> {
    let query = this.db
      .selectFrom('grants')
      .selectAll()
      .where('app_id', '=', input.appId)
      .orderBy('account_id')
      .orderBy('entitlement_id');
    if (input.accountId !== undefined) query = query.where('account_id', '=', input.accountId);
    return (await query.execute()).map(rowToGrant);
  }

  // ---- links

  async upsertLinks(input: { links: Link[] }): Promise<{ written: number; keptManual: number }> {
    const now = this.now();
    return this.write(async (tx) => {
      const appIds = [...new Set(input.links.map((l) => l.appId))];
      const manual = new Set<string>();
      for (const appId of appIds) {
        const rows = await tx.db
          .selectFrom('links')
          .select('account_id')
          .where('app_id', '=', appId)
          .where('manual', '=', 1)
          .execute();
        for (const r of rows) manual.add(`${appId}\u0000${r.account_id}`);
      }
      const rows = input.links
        .filter((l) => !manual.has(`${l.appId}\u0000${l.accountId}`))
        .map((l) => ({
          app_id: l.appId,
          account_id: l.accountId,
          employee_id: l.employeeId,
          situation: l.situation,
          method: l.method,
          confidence: l.confidence,
          candidates: toJsonColumn(l.candidates),
          manual: 0,
          decided_by: null,
          decided_at: null,
          updated_at: now,
        }));
      const chunk = Math.floor(tx.dialect.maxParams / 11);
      for (let i = 0; i < rows.length; i += chunk) {
        await tx.db
          .insertInto('links')
          .values(rows.slice(i, i + chunk))
          .onConflict((oc) =>
            oc.columns(['app_id', 'account_id']).doUpdateSet((eb) => ({
              employee_id: eb.ref('excluded.employee_id'),
              situation: eb.ref('excluded.situation'),
              method: eb.ref('excluded.method'),
              confidence: eb.ref('excluded.confidence'),
              candidates: eb.ref('excluded.candidates'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      return { written: rows.length, keptManual: input.links.length - rows.length };
    });
  }

  async decideLink(input: {
    appId: string;
    accountId: string;
    employeeId: string | null;
    decidedBy: string;
  }): Promise<StoredLink> {
    const now = this.now();
    const decided = {
      employee_id: input.employeeId,
      situation: input.employeeId === null ? 'unmatched' : 'linked',
      method: 'manual',
      confidence: 1,
      manual: 1,
      decided_by: input.decidedBy,
      decided_at: now,
      updated_at: now,
    };
    await this.db
      .insertInto('links')
      .values({ app_id: input.appId, account_id: input.accountId, candidates: '[]', ...decided })
      .onConflict((oc) => oc.columns(['app_id', 'account_id']).doUpdateSet(decided))
      .execute();
    const row = await this.db
      .selectFrom('links')
      .selectAll()
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.accountId)
      .executeTakeFirstOrThrow();
    return rowToLink(row);
  }

  async undecideLink(input: { appId: string; accountId: string }): Promise<void> {
    await this.db
      .deleteFrom('links')
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.accountId)
      .where('manual', '=', 1)
      .execute();
  }

  async pruneLinks(input: { appId: string }): Promise<{ removed: number }> {
    const result = await this.db
      .deleteFrom('links')
      .where('app_id', '=', input.appId)
      .where('manual', '=', 0)
      .where('account_id', 'not in', (eb) =>
        eb.selectFrom('accounts').select('id').where('app_id', '=', input.appId),
      )
      .executeTakeFirst();
    return { removed: Number(result.numDeletedRows) };
  }

  async listLinks(
    input: { appId?: string; employeeId?: string; situation?: StoredLink['situation'] } = {},
  ): Promise<StoredLink[]> {
    let query = this.db.selectFrom('links').selectAll().orderBy('app_id').orderBy('account_id');
    if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
    if (input.employeeId !== undefined) query = query.where('employee_id', '=', input.employeeId);
    if (input.situation !== undefined) query = query.where('situation', '=', input.situation);
    return (await query.execute()).map(rowToLink);
  }

  // ---- plans, ops, tasks

  async createPlan(input: {
    stateHash: string;
    summary: Record<string, unknown>;
    body: unknown;
    ops: OpInput[];
  }): Promise<{ plan: PlanRecord; ops: OpRecord[] }> {
    input.ops.forEach((op, i) => {
      for (const dep of op.dependsOn ?? []) {
        if (!Number.isInteger(dep) || dep < 1 || dep > input.ops.length || dep === i + 1) {
          throw new RosterError(
            'invalid_input',
            `op ${i + 1} depends on op ${dep}, which is not another op of the plan`,
            {
              fix: 'dependsOn lists the 1-based positions of other ops in the same plan',
            },
          );
        }
      }
    });
    const now = this.now();
    const plan: PlanRecord = {
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
      stateHash: input.stateHash,
      status: 'draft',
      summary: input.summary,
      body: input.body,
    };
    const ops: OpRecord[] = input.ops.map((op, i) => ({
      planId: plan.id,
      seq: i + 1,
      appId: op.appId,
      kind: op.kind,
      target: op.target,
      status: 'pending',
      attempts: 0,
      intentAt: null,
      finishedAt: null,
      outcome: null,
      error: null,
      dependsOn: op.dependsOn ?? [],
      requiresApproval: op.requiresApproval ?? false,
      approvedBy: null,
      approvedAt: null,
    }));
    await this.write(async (tx) => {
      await tx.db
        .insertInto('plans')
        .values({
          id: plan.id,
          created_at: now,
          updated_at: now,
          state_hash: plan.stateHash,
          status: plan.status,
          summary: toJsonColumn(plan.summary),
          body: toJsonColumn(plan.body),
        })
        .execute();
      await tx.insertRows(
        'ops',
        ops.map((op) => ({
          plan_id: op.planId,
          seq: op.seq,
          app_id: op.appId,
          kind: op.kind,
          target: toJsonColumn(op.target),
          status: op.status,
          attempts: 0,
          intent_at: null,
          finished_at: null,
          outcome: null,
          error: null,
          depends_on: toJsonColumn(op.dependsOn),
          requires_approval: op.requiresApproval ? 1 : 0,
          approved_by: null,
          approved_at: null,
        })),
      );
    });
    return { plan, ops };
  }

  async getPlan(input: { id: string }): Promise<PlanRecord | null> {
    const row = await this.db.selectFrom('plans').selectAll().where('id', '=', input.id).executeTakeFirst();
    return row === undefined ? null : rowToPlan(row);
  }

  async listPlans(input: { status?: PlanRecord['status']; limit?: number } = {}): Promise<PlanRecord[]> {
    let query = this.db
      .selectFrom('plans')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(input.limit ?? 50);
    if (input.status !== undefined) query = query.where('status', '=', input.status);
    return (await query.execute()).map(rowToPlan);
  }

  async setPlanStatus(input: { id: string; status: PlanRecord['status'] }): Promise<PlanRecord> {
    await this.db
      .updateTable('plans')
      .set({ status: input.status, updated_at: this.now() })
      .where('id', '=', input.id)
      .execute();
    const plan = await this.getPlan({ id: input.id });
    if (plan === null) {
      throw new RosterError('not_found', `plan ${input.id} is not in the store`, {
        details: { planId: input.id },
      });
    }
    return plan;
  }

  async listOps(input: { planId: string; status?: OpStatus }): Promise<OpRecord[]> {
    let query = this.db.selectFrom('ops').selectAll().where('plan_id', '=', input.planId).orderBy('seq');
    if (input.status !== undefined) query = query.where('status', '=', input.status);
    return (await query.execute()).map(rowToOp);
  }

  private async requireOp(planId: string, seq: number): Promise<OpRecord> {
    const row = await this.db
      .selectFrom('ops')
      .selectAll()
      .where('plan_id', '=', planId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (row === undefined) {
      throw new RosterError('not_found', `op ${seq} of plan ${planId} is not in the store`, {
        details: { planId, seq },
      });
    }
    return rowToOp(row);
  }

  /** Refusal for a status change the op's current status does not allow. */
  private async refuse(planId: string, seq: number, action: string): Promise<never> {
    const op = await this.requireOp(planId, seq);
    throw new RosterError('conflict', `cannot ${action} op ${seq} of plan ${planId}: it is ${op.status}`, {
      details: { planId, seq, status: op.status },
    });
  }

  async approveOps(input: { planId: string; seqs: number[]; approvedBy: string }): Promise<OpRecord[]> {
    const now = this.now();
    return this.write(async (tx) => {
      for (const seq of input.seqs) {
        const op = await tx.requireOp(input.planId, seq);
        if (op.status === 'approved') continue;
        if (op.status !== 'pending') await tx.refuse(input.planId, seq, 'approve');
        await tx.db
          .updateTable('ops')
          .set({ status: 'approved', approved_by: input.approvedBy, approved_at: now })
          .where('plan_id', '=', input.planId)
          .where('seq', '=', seq)
          .execute();
      }
      return Promise.all(input.seqs.map((seq) => tx.requireOp(input.planId, seq)));
    });
  }

  async beginOp(input: { planId: string; seq: number }): Promise<OpRecord> {
    const op = await this.requireOp(input.planId, input.seq);
    if (op.status === 'pending' && op.requiresApproval) {
      throw new RosterError(
        'conflict',
        `op ${input.seq} of plan ${input.planId} needs approval before it runs`,
        {
          details: { planId: input.planId, seq: input.seq, status: op.status },
          fix: 'approve it first (roster approve)',
        },
      );
    }
    // `running` is allowed: an intent with no outcome means a crash mid-call, and the executor resumes it.
    const from: OpStatus[] = op.requiresApproval
      ? ['approved', 'failed', 'running']
      : ['pending', 'approved', 'failed', 'running'];
    const result = await this.db
      .updateTable('ops')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        intent_at: this.now(),
        error: null,
      }))
      .where('plan_id', '=', input.planId)
      .where('seq', '=', input.seq)
      .where('status', 'in', from)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) await this.refuse(input.planId, input.seq, 'begin');
    return this.requireOp(input.planId, input.seq);
  }

  async finishOp(input: {
    planId: string;
    seq: number;
    status: 'succeeded' | 'failed' | 'skipped';
    outcome?: Record<string, unknown> | null;
    error?: string | null;
  }): Promise<OpRecord> {
    const from: OpStatus[] =
      input.status === 'skipped' ? ['pending', 'approved', 'failed', 'running'] : ['running'];
    const result = await this.db
      .updateTable('ops')
      .set({
        status: input.status,
        finished_at: this.now(),
        outcome: input.outcome == null ? null : toJsonColumn(input.outcome),
        error: input.error ?? null,
      })
      .where('plan_id', '=', input.planId)
      .where('seq', '=', input.seq)
      .where('status', 'in', from)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) await this.refuse(input.planId, input.seq, `mark ${input.status}`);
    return this.requireOp(input.planId, input.seq);
  }

  async createTask(input: {
    planId?: string | null;
    opSeq?: number | null;
    appId: string;
    kind: string;
    instructions: string;
  }): Promise<TaskRecord> {
    const task: TaskRecord = {
      id: randomUUID(),
      planId: input.planId ?? null,
      opSeq: input.opSeq ?? null,
      appId: input.appId,
      kind: input.kind,
      instructions: input.instructions,
      status: 'open',
      createdAt: this.now(),
      closedAt: null,
      closedBy: null,
    };
    await this.db
      .insertInto('tasks')
      .values({
        id: task.id,
        plan_id: task.planId,
        op_seq: task.opSeq,
        app_id: task.appId,
        kind: task.kind,
        instructions: task.instructions,
        status: task.status,
        created_at: task.createdAt,
        closed_at: null,
        closed_by: null,
      })
      .execute();
    return task;
  }

  async closeTask(input: {
    id: string;
    status: 'done' | 'cancelled';
    closedBy: string;
  }): Promise<TaskRecord> {
    const result = await this.db
      .updateTable('tasks')
      .set({ status: input.status, closed_at: this.now(), closed_by: input.closedBy })
      .where('id', '=', input.id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    const row = await this.db.selectFrom('tasks').selectAll().where('id', '=', input.id).executeTakeFirst();
    if (row === undefined) {
      throw new RosterError('not_found', `task ${input.id} is not in the store`, {
        details: { taskId: input.id },
      });
    }
    const task = rowToTask(row);
    if (result.numUpdatedRows === 0n && task.status !== input.status) {
      throw new RosterError('conflict', `task ${input.id} is already ${task.status}`, {
        details: { taskId: input.id, status: task.status },
      });
    }
    return task;
  }

  async listTasks(input: { status?: TaskRecord['status']; appId?: string } = {}): Promise<TaskRecord[]> {
    let query = this.db.selectFrom('tasks').selectAll().orderBy('created_at').orderBy('id');
    if (input.status !== undefined) query = query.where('status', '=', input.status);
    if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
    return (await query.execute()).map(rowToTask);
  }

  // ---- audit

  async appendAudit(input: AuditInput): Promise<AuditEvent> {
    const data = input.data ?? {};
    canonicalJson(data);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write((tx) => tx.appendAuditOnce(input, data));
      } catch (error) {
        // Another writer appended after the same tail (the unique prev_hash refused ours): chain onto theirs.
        const raced = this.dialect.isUniqueViolation(error);
        if (!raced) throw error;
        if (this.db.isTransaction || attempt >= AUDIT_APPEND_ATTEMPTS) {
          throw new RosterError('conflict', 'another writer kept appending to the audit log', {
            cause: error,
            retryable: true,
          });
        }
      }
    }
  }

  private async appendAuditOnce(input: AuditInput, data: Record<string, unknown>): Promise<AuditEvent> {
    await this.dialect.lockAuditTail?.(this.db);
    const last = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const seq = last === undefined ? 1 : Number(last.seq) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const event = {
      seq,
      at: this.now(),
      actor: input.actor,
      kind: input.kind,
      appId: input.appId ?? null,
      subject: input.subject ?? null,
      // Stored and hashed as its canonical JSON, so what verify re-reads hashes the same.
      data: JSON.parse(canonicalJson(data)) as Record<string, unknown>,
    };
    const hash = auditHash(prevHash, event);
    await this.db
      .insertInto('audit_events')
      .values({
        seq,
        at: event.at,
        actor: event.actor,
        kind: event.kind,
        app_id: event.appId,
        subject: event.subject,
        data: canonicalJson(event.data),
        prev_hash: prevHash,
        hash,
      })
      .execute();
    return { ...event, prevHash, hash };
  }

  async listAudit(input: { afterSeq?: number; appId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', input.afterSeq ?? 0)
      .orderBy('seq')
      .limit(input.limit ?? 1000);
    if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
    return (await query.execute()).map(rowToAudit);
  }

  async verifyAudit(): Promise<AuditVerification> {
    let previous: AuditEvent | null = null;
    let count = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', previous?.seq ?? 0)
        .orderBy('seq')
        .limit(1000)
        .execute();
      if (rows.length === 0) return { ok: true, count };
      for (const row of rows) {
        let event: AuditEvent;
        try {
          event = rowToAudit(row);
        } catch (error) {
          return { ok: false, count, brokenAt: Number(row.seq), reason: (error as Error).message };
        }
        const reason = auditBreak(previous, event);
        if (reason !== null) return { ok: false, count, brokenAt: event.seq, reason };
        previous = event;
        count++;
      }
    }
  }

  // ---- transactions

  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    return this.write(fn);
  }

  async close(): Promise<void> {
    if (this.db.isTransaction) {
      throw new RosterError('conflict', 'cannot close the store from inside a transaction');
    }
    await this.db.destroy();
  }
}

const ACCOUNT_COLUMNS = [
  'app_id',
  'id',
  'email',
  'email_normalized',
  'login',
  'external_id',
  'first_name',
  'last_name',
  'display_name',
  'status',
  'is_admin',
  'last_login_at',
  'created_at',
  'updated_at',
  'attributes',
  'raw',
  'sync_run_id',
] as const;
const ENTITLEMENT_COLUMNS = ['app_id', 'id', 'kind', 'name', 'privileged', 'raw', 'sync_run_id'] as const;
const GRANT_COLUMNS = ['app_id', 'entitlement_id', 'account_id', 'sync_run_id', 'granted_by'] as const;

/** Rejects a batch that names another app or repeats an id, before anything is written. */
function checkBatch(
  appId: string,
  accounts: readonly SnapshotAccount[],
  entitlements: readonly SnapshotEntitlement[],
  grants: readonly SnapshotGrant[],
): void {
  const check = (kind: string, items: readonly { appId: string }[], key: (item: never) => string) => {
    const seen = new Set<string>();
    for (const item of items) {
      const id = key(item as never);
      if (item.appId !== appId) {
        throw new RosterError('invalid_input', `${kind} ${id} belongs to app ${item.appId}, not ${appId}`, {
          where: `app ${appId}`,
          details: { appId, otherAppId: item.appId, id },
        });
      }
      if (seen.has(id)) {
        throw new RosterError(
          'invalid_input',
          `${kind} ${id} appears twice in one snapshot of app ${appId}`,
          {
            where: `app ${appId}`,
            fix: 'de-duplicate the page (an app that re-orders between pages can repeat a row)',
            details: { appId, id },
          },
        );
      }
      seen.add(id);
    }
  };
  check('account', accounts, (a: SnapshotAccount) => a.id);
  check('entitlement', entitlements, (e: SnapshotEntitlement) => e.id);
  check('grant', grants, (g: SnapshotGrant) => `${g.entitlementId} → ${g.accountId}`);
}

function danglingGrant(
  appId: string,
  accounts: readonly SnapshotAccount[],
  entitlements: readonly SnapshotEntitlement[],
  grants: readonly SnapshotGrant[],
  cause: unknown,
): RosterError {
  const accountIds = new Set(accounts.map((a) => a.id));
  const entitlementIds = new Set(entitlements.map((e) => e.id));
  const bad = grants.find((g) => !accountIds.has(g.accountId) || !entitlementIds.has(g.entitlementId));
  const missing =
    bad === undefined
      ? 'a row'
      : accountIds.has(bad.accountId)
        ? `entitlement ${bad.entitlementId}`
        : `account ${bad.accountId}`;
  return new RosterError(
    'invalid_input',
    `grant ${bad?.entitlementId} → ${bad?.accountId} names ${missing}, which is not in the snapshot`,
    {
      cause,
      where: `app ${appId}`,
      fix: 'include every account and entitlement a grant refers to, or leave the grant out',
      details: { appId, entitlementId: bad?.entitlementId, accountId: bad?.accountId },
    },
  );
}

/** @module The staging area of a resumable sync: pages staged as they come, progress per resource, one swap at the end. */

import { sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import { sha256 } from '../../core/sha256.js';
import { accountToRow, entitlementToRow } from '../rows.js';
import type { AccountsTable } from '../schema.js';
import type {
  Change,
  SnapshotAccount,
  SnapshotCounts,
  SnapshotEntitlement,
  SnapshotGrant,
  StagedProgress,
} from '../store.js';
import { getSyncRun, requireRun } from './apps.js';
import { recordChanges } from './changes.js';
import type { Sql, StoreDialect } from './context.js';
import { checkBatch } from './snapshots.js';
import {
  checkStagedGrants,
  diffGrants,
  forgetStagedRun,
  openStagedRun,
  stagedForCommit,
  stageLists,
  WHOLE_RUN,
  writeGrantDiff,
} from './staged-lists.js';

export async function stageBatch(
  s: Sql,
  input: {
    runId: string;
    accounts?: SnapshotAccount[];
    entitlements?: SnapshotEntitlement[];
    grants?: SnapshotGrant[];
    cursors?: Record<string, string | null>;
  },
): Promise<StagedProgress> {
  const run = await requireRun(s, input.runId);
  if (run.status !== 'running') {
    throw new RosterError('conflict', `sync run ${run.id} is ${run.status}; only a running sync can stage`, {
      details: { runId: run.id, status: run.status },
    });
  }
  const accounts = input.accounts ?? [];
  const entitlements = input.entitlements ?? [];
  const grants = input.grants ?? [];
  checkBatch(run.appId, accounts, entitlements, grants);
  const runId = run.id;
  // Inside a caller's transaction the batch is not known to commit: what this process remembers of the run is
  // dropped, and the next batch reads the run's staging again.
  const nested = s.db.isTransaction;
  let committed: () => void = () => undefined;
  const progress = await s.write(async (tx) => {
    const opened = await openStagedRun(tx, runId);
    // Re-staging a row replaces it, so a page replayed after a crash does not duplicate anything; what was staged
    // before was counted before, which keeps the counts exact without counting the staging tables.
    const accountIds = accounts.map((a) => a.id);
    const again = accountIds.filter((id) => opened.run.accounts.has(id));
    for (const table of ['staged_accounts', 'staged_kept_accounts'] as const) {
      await deleteStaged(tx, table, runId, again);
    }
    const replacedEntitlements = await deleteStaged(
      tx,
      'staged_entitlements',
      runId,
      entitlements.map((e) => e.id),
    );
    // Only the accounts that differ from the snapshot are staged whole; the rest are kept by id.
    const { changed, kept } = await splitUnchanged(tx, run.appId, accounts, runId);
    await tx.insertRows('staged_accounts', changed);
    await tx.insertRows(
      'staged_entitlements',
      entitlements.map((e) => ({ ...entitlementToRow(e, runId), run_id: runId })),
    );
    const lists = await stageLists(tx, runId, opened, {
      accountIds,
      unstaged: again,
      whole: changed.map((row) => row.id),
      kept,
      grants,
    });
    await bumpProgress(tx, runId, WHOLE_RUN, null, false, {
      accounts: accounts.length - again.length,
      entitlements: entitlements.length - replacedEntitlements,
      grants: lists.grantsAdded,
    });
    for (const [resource, cursor] of Object.entries(input.cursors ?? {})) {
      if (resource === WHOLE_RUN) {
        throw new RosterError('invalid_input', 'a staged cursor needs a resource name', {
          fix: 'key cursors by resource: { users: "page-3" }',
        });
      }
      await bumpProgress(tx, runId, resource, cursor, true);
    }
    committed = lists.committed;
    return (await readProgress(tx, run))!;
  });
  if (nested) forgetStagedRun(s.dialect, runId);
  else committed();
  return progress;
}

/**
 * Ids per `in (...)` list while staging: a fixed size, so every batch runs the same few statement texts (prepared
 * once and cached) instead of one of thousands of parameters per batch size, each held by the statement cache.
 */
const STAGE_IN_LIST = 500;

/** Deletes a run's staged rows with these ids (a replayed page); answers how many there were. */
async function deleteStaged(
  tx: Sql,
  table: 'staged_accounts' | 'staged_kept_accounts' | 'staged_entitlements',
  runId: string,
  ids: readonly string[],
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < ids.length; i += STAGE_IN_LIST) {
    const gone = await tx.db
      .deleteFrom(table)
      .where('run_id', '=', runId)
      .where('id', 'in', ids.slice(i, i + STAGE_IN_LIST))
      .executeTakeFirst();
    deleted += Number(gone.numDeletedRows);
  }
  return deleted;
}

/** The account columns a commit compares: everything but the keys, the run that last wrote the row and its hash. */
const COMPARED_ACCOUNT_COLUMNS = [
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
] as const;
/** Every account column, in the order staging and the snapshot share. */
const ACCOUNT_COLUMNS = ['app_id', 'id', ...COMPARED_ACCOUNT_COLUMNS, 'sync_run_id', 'row_hash'] as const;

/**
 * A column added to accounts must be compared too, or a change to it alone would be kept rather than written.
 * The row hash is not compared: it says which record the row came from, not what the row holds.
 */
type UncomparedColumn = Exclude<
  keyof AccountsTable,
  'app_id' | 'id' | 'sync_run_id' | 'row_hash' | (typeof COMPARED_ACCOUNT_COLUMNS)[number]
>;
export const EVERY_ACCOUNT_COLUMN_COMPARED: [UncomparedColumn] extends [never] ? true : never = true;

type ComparedAccount = Pick<AccountsTable, 'id' | (typeof COMPARED_ACCOUNT_COLUMNS)[number]>;

/**
 * The hash a full sync keeps with each account row: of the record as the connector handed it over, key order
 * included. Equal hashes mean the same record, hence the same row; a record that only reorders its keys hashes
 * differently and is compared column by column, which is merely slower.
 */
function accountHash(account: SnapshotAccount): string {
  // SHA-256, not a fast non-cryptographic hash: a record an app's user can shape must not be able to pass for
  // another (a kept row is never compared).
  return sha256(JSON.stringify(account), 'base64');
}

/**
 * Whether the stored row holds exactly what the staged one would write. Spelt out field by field: one load per
 * named property stays fast, where a loop over column names was a slow lookup per field of every account synced;
 * the long JSON texts come last. A value the driver answers in another type than it was given counts as a change,
 * so a doubt only ever stages a row.
 */
function sameAccount(old: ComparedAccount, row: ComparedAccount): boolean {
  return (
    old.status === row.status &&
    old.is_admin === row.is_admin &&
    old.email === row.email &&
    old.email_normalized === row.email_normalized &&
    old.login === row.login &&
    old.external_id === row.external_id &&
    old.first_name === row.first_name &&
    old.last_name === row.last_name &&
    old.display_name === row.display_name &&
    old.last_login_at === row.last_login_at &&
    old.created_at === row.created_at &&
    old.updated_at === row.updated_at &&
    old.attributes === row.attributes &&
    old.raw === row.raw
  );
}

type StagedAccountRow = AccountsTable & { run_id: string };

/**
 * Splits a batch's accounts into those that differ from the snapshot (new or changed: staged whole) and the ids
 * of those it already holds exactly (kept). An account whose record hashes as the stored row's does is kept on
 * the hash alone, without building its row or reading the stored one; only the rest are compared column by
 * column. Comparing here spares writing every unchanged row into the staging table and copying it back.
 */
async function splitUnchanged(
  tx: Sql,
  appId: string,
  accounts: readonly SnapshotAccount[],
  runId: string,
): Promise<{ changed: StagedAccountRow[]; kept: string[] }> {
  const changed: StagedAccountRow[] = [];
  const kept: string[] = [];
  // A list at a time: a page of every user at once (an app that answers in one page) would otherwise hold each
  // of them twice more, as a row and as its stored twin, at the sync's peak memory.
  for (let i = 0; i < accounts.length; i += STAGE_IN_LIST) {
    const slice = accounts.slice(i, i + STAGE_IN_LIST);
    const stored = new Map<string, string | null>();
    const hashes = await tx.arrayRows(storedHashes(tx, appId, slice));
    for (const [id, rowHash] of hashes) stored.set(id as string, rowHash as string | null);
    const doubtful: StagedAccountRow[] = [];
    for (const account of slice) {
      const rowHash = accountHash(account);
      const storedHash = stored.get(account.id);
      if (storedHash === rowHash) {
        kept.push(account.id);
        continue;
      }
      const row: StagedAccountRow = { ...accountToRow(account, runId), row_hash: rowHash, run_id: runId };
      // Not in the snapshot: new, nothing to compare.
      if (storedHash === undefined) changed.push(row);
      else doubtful.push(row);
    }
    if (doubtful.length > 0) await compareWhole(tx, appId, doubtful, changed, kept);
  }
  return { changed, kept };
}

const hashQueries = new WeakMap<StoreDialect, Map<number, string>>();

/** The stored hashes of a list of accounts: its text built once per dialect and list length (a sync runs it often). */
function storedHashes(tx: Sql, appId: string, accounts: readonly SnapshotAccount[]) {
  let bySize = hashQueries.get(tx.dialect);
  if (bySize === undefined) {
    bySize = new Map();
    hashQueries.set(tx.dialect, bySize);
  }
  let text = bySize.get(accounts.length);
  if (text === undefined) {
    const query = tx.db
      .selectFrom('accounts')
      .select(['id', 'row_hash'])
      .where('app_id', '=', '')
      .where(
        'id',
        'in',
        accounts.map(() => ''),
      )
      .compile();
    // The app's id, then the list: the parameters below must bind in the order the text takes them.
    if (query.parameters.length !== accounts.length + 1)
      throw new Error('stored hashes: unexpected parameters');
    text = query.sql;
    bySize.set(accounts.length, text);
  }
  const parameters: unknown[] = [appId];
  for (const account of accounts) parameters.push(account.id);
  return { sql: text, parameters };
}

/**
 * Compares rows whose hash the snapshot does not share (written by someone else, or before hashes were kept)
 * column by column. An unchanged one is kept and takes the hash, so the next sync keeps it on the hash alone;
 * the hash is written only where the row still holds what was compared (another writer may have changed it
 * since it was read, on an engine where reading does not lock).
 */
async function compareWhole(
  tx: Sql,
  appId: string,
  rows: readonly StagedAccountRow[],
  changed: StagedAccountRow[],
  kept: string[],
): Promise<void> {
  const found = await tx.db
    .selectFrom('accounts')
    .select(['id', ...COMPARED_ACCOUNT_COLUMNS])
    .where('app_id', '=', appId)
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const stored = new Map<string, ComparedAccount>();
  for (const row of found) stored.set(row.id, row);
  for (const row of rows) {
    const old = stored.get(row.id);
    if (old === undefined || !sameAccount(old, row)) {
      changed.push(row);
      continue;
    }
    kept.push(row.id);
    await tx.runBuilt('staging.accountHash', { ...old, app_id: appId, row_hash: row.row_hash }, (v) =>
      tx.db
        .updateTable('accounts')
        .set({ row_hash: v.row_hash })
        .where('app_id', '=', v.app_id)
        .where('id', '=', v.id)
        .where((eb) => eb.and(COMPARED_ACCOUNT_COLUMNS.map((c) => eb(c, 'is not distinct from', v[c])))),
    );
  }
}

/** One statement whether or not the row exists: a batch more, the cursor reached, the rows it added. */
export async function bumpProgress(
  s: Sql,
  runId: string,
  resource: string,
  cursor: string | null,
  setCursor: boolean,
  added: SnapshotCounts = { accounts: 0, entitlements: 0, grants: 0 },
) {
  // Built once per dialect (every batch runs it once or more): a batch's statements cost more to build than to run.
  const values = {
    runId,
    resource,
    cursor: setCursor ? cursor : null,
    one: 1,
    at: s.now(),
    accounts: added.accounts,
    entitlements: added.entitlements,
    grants: added.grants,
  };
  await s.runBuilt(setCursor ? 'staging.progress.cursor' : 'staging.progress', values, (v) =>
    s.db
      .insertInto('staged_progress')
      .values({
        run_id: v.runId,
        resource: v.resource,
        cursor: v.cursor,
        batches: v.one,
        updated_at: v.at,
        accounts: v.accounts,
        entitlements: v.entitlements,
        grants: v.grants,
      })
      .onConflict((oc) =>
        oc.columns(['run_id', 'resource']).doUpdateSet((eb) => ({
          batches: eb('staged_progress.batches', '+', eb.ref('excluded.batches')),
          cursor: setCursor ? eb.ref('excluded.cursor') : eb.ref('staged_progress.cursor'),
          updated_at: eb.ref('excluded.updated_at'),
          accounts: eb('staged_progress.accounts', '+', eb.ref('excluded.accounts')),
          entitlements: eb('staged_progress.entitlements', '+', eb.ref('excluded.entitlements')),
          grants: eb('staged_progress.grants', '+', eb.ref('excluded.grants')),
        })),
      ),
  );
}

export async function stagedProgress(s: Sql, input: { runId: string }): Promise<StagedProgress | null> {
  const run = await getSyncRun(s, { id: input.runId });
  return run === null ? null : readProgress(s, run);
}

async function readProgress(s: Sql, run: { id: string; appId: string }): Promise<StagedProgress | null> {
  const progress = await s.runBuilt('staging.readProgress', { runId: run.id }, (v) =>
    s.db
      .selectFrom('staged_progress')
      .select(['resource', 'cursor', 'batches', 'accounts', 'entitlements', 'grants'])
      .where('run_id', '=', v.runId)
      .orderBy('resource'),
  );
  const whole = progress.find((p) => p.resource === WHOLE_RUN);
  if (whole === undefined) return null;
  return {
    runId: run.id,
    appId: run.appId,
    accounts: Number(whole.accounts),
    entitlements: Number(whole.entitlements),
    grants: Number(whole.grants),
    batches: Number(whole.batches),
    cursors: Object.fromEntries(
      progress.filter((p) => p.resource !== WHOLE_RUN).map((p) => [p.resource, p.cursor]),
    ),
  };
}

/**
 * Swaps the staged rows in by writing only the difference: rows the staging holds unchanged are left as they
 * are (with the run that last changed them), changed ones are updated, new ones inserted and missing ones
 * deleted, and every account that changed (or whose grants did) goes into the change set. An account kept by id
 * (staged as the snapshot held it) stays as the snapshot holds it at the commit: a read-back written meanwhile
 * by an apply is newer than the page the sync read before it.
 */
export async function commitStaged(s: Sql, input: { runId: string }): Promise<SnapshotCounts> {
  const run = await requireRun(s, input.runId);
  if (run.status !== 'running') {
    throw new RosterError('conflict', `sync run ${run.id} is ${run.status}; only a running sync can commit`, {
      details: { runId: run.id, status: run.status },
    });
  }
  const { appId } = run;
  const runId = run.id;
  return s.write(async (tx) => {
    const progress = await readProgress(tx, run);
    if (progress === null) {
      throw new RosterError('conflict', `sync run ${runId} has staged nothing to commit`, {
        details: { runId },
      });
    }
    const staged = await stagedForCommit(tx, runId);
    await checkStagedGrants(tx, runId, appId, staged);
    const changes = await stagedChanges(tx, runId, appId);
    // The accounts the run neither staged whole nor kept: the sync did not see them.
    const removed: string[] = [];
    for (const [id] of await tx.arrayRows(
      tx.db.selectFrom('accounts').select('id').where('app_id', '=', appId).compile(),
    )) {
      if (!staged.whole.has(id as string) && !staged.kept.has(id as string)) removed.push(id as string);
    }
    for (const id of removed) changes.set(id, 'removed');
    // Holders of an entitlement that is new, different or gone hold something else now.
    const changedEntitlements = await changedEntitlementIds(tx, runId, appId);
    const grants = await diffGrants(tx, appId, staged.grants, (entitlementId, accountId) => {
      if (changedEntitlements.has(entitlementId) && !changes.has(accountId))
        changes.set(accountId, 'changed');
    });
    for (const id of grants.holders) if (!changes.has(id)) changes.set(id, 'changed');
    await mergeStaged(tx, 'entitlements', 'staged_entitlements', ENTITLEMENT_COLUMNS, runId);
    await mergeStaged(tx, 'accounts', 'staged_accounts', ACCOUNT_COLUMNS, runId);
    await writeGrantDiff(tx, appId, runId, staged.grants, grants);
    for (let i = 0; i < removed.length; i += STAGE_IN_LIST) {
      await tx.db
        .deleteFrom('accounts')
        .where('app_id', '=', appId)
        .where('id', 'in', removed.slice(i, i + STAGE_IN_LIST))
        .execute();
    }
    await sql`delete from entitlements where app_id = ${appId} and not exists (
        select 1 from staged_entitlements s where s.run_id = ${runId} and s.id = entitlements.id)`.execute(
      tx.db,
    );
    await recordChanges(tx, 'account', appId, changes);
    await discardStaged(tx, { runId });
    return { accounts: progress.accounts, entitlements: progress.entitlements, grants: progress.grants };
  });
}

/** Upserts the staged rows that differ from the stored ones (a row's run id alone is no difference). */
async function mergeStaged(
  tx: Sql,
  table: 'accounts' | 'entitlements',
  staged: 'staged_accounts' | 'staged_entitlements',
  columns: readonly string[],
  runId: string,
): Promise<void> {
  const compared = columns.filter((c) => c !== 'app_id' && c !== 'id' && c !== 'sync_run_id');
  const list = sql.join(columns.map((c) => sql.ref(c)));
  await sql`insert into ${sql.table(table)} (${list})
      select ${list} from ${sql.table(staged)} where run_id = ${runId}
      on conflict (app_id, id) do update set ${sql.join(
        columns
          .filter((c) => c !== 'app_id' && c !== 'id')
          .map((c) => sql`${sql.ref(c)} = ${sql.ref(`excluded.${c}`)}`),
      )}
      where ${sql.join(
        compared.map((c) => sql`${sql.ref(`${table}.${c}`)} is distinct from ${sql.ref(`excluded.${c}`)}`),
        sql` or `,
      )}`.execute(tx.db);
}

/** The accounts the commit will add, change or remove, worked out in SQL before it writes. */
async function stagedChanges(tx: Sql, runId: string, appId: string): Promise<Map<string, Change>> {
  const differs = (columns: readonly string[]) =>
    sql.join(
      columns
        .filter((c) => c !== 'app_id' && c !== 'id' && c !== 'sync_run_id' && c !== 'row_hash')
        .map((c) => sql`${sql.ref(`s.${c}`)} is distinct from ${sql.ref(`a.${c}`)}`),
      sql` or `,
    );
  const changes = new Map<string, Change>();
  const accountsDiff = await sql<{ id: string; old: string | null }>`
      select s.id as id, a.id as old from staged_accounts s
      left join accounts a on a.app_id = ${appId} and a.id = s.id
      where s.run_id = ${runId} and (a.id is null or ${differs(ACCOUNT_COLUMNS)})`.execute(tx.db);
  for (const r of accountsDiff.rows) changes.set(r.id, r.old === null ? 'added' : 'changed');
  return changes;
}

/** The app's entitlements the run did not stage, or staged different: their holders hold something else now. */
async function changedEntitlementIds(tx: Sql, runId: string, appId: string): Promise<Set<string>> {
  const differs = sql.join(
    ENTITLEMENT_COLUMNS.filter((c) => c !== 'app_id' && c !== 'id' && c !== 'sync_run_id').map(
      (c) => sql`${sql.ref(`s.${c}`)} is distinct from ${sql.ref(`a.${c}`)}`,
    ),
    sql` or `,
  );
  const rows = await sql<{ id: string }>`select a.id as id from entitlements a
      left join staged_entitlements s on s.run_id = ${runId} and s.id = a.id
      where a.app_id = ${appId} and (s.id is null or ${differs})`.execute(tx.db);
  return new Set(rows.rows.map((r) => r.id));
}

export async function discardStaged(s: Sql, input: { runId: string }): Promise<void> {
  forgetStagedRun(s.dialect, input.runId);
  await s.write(async (tx) => {
    for (const table of [
      'staged_grant_lists',
      'staged_kept_lists',
      'staged_grants',
      'staged_accounts',
      'staged_kept_accounts',
      'staged_entitlements',
      'staged_progress',
    ] as const) {
      await tx.db.deleteFrom(table).where('run_id', '=', input.runId).execute();
    }
  });
}

const ENTITLEMENT_COLUMNS = ['app_id', 'id', 'kind', 'name', 'privileged', 'raw', 'sync_run_id'] as const;

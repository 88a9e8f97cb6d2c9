/** @module A staged sync's kept account ids and grants: a list per batch, what this process remembers of each run, the commit's grant diff. */

import { sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import type { SnapshotGrant } from '../store.js';
import type { Sql, StoreDialect } from './context.js';

/**
 * Grants as account ids per entitlement: an app has few entitlements and many holders, and looking a pair up
 * this way builds no key string per grant (which, at tens of thousands of grants a sync, was most of the cost).
 */
export class GrantKeys {
  private readonly byEntitlement = new Map<string, Set<string>>();

  has(entitlementId: string, accountId: string): boolean {
    return this.byEntitlement.get(entitlementId)?.has(accountId) === true;
  }

  /** The accounts holding the entitlement; undefined when none does. */
  holdersOf(entitlementId: string): ReadonlySet<string> | undefined {
    return this.byEntitlement.get(entitlementId);
  }

  /** Adds the pair; false when it was there already. */
  add(entitlementId: string, accountId: string): boolean {
    let holders = this.byEntitlement.get(entitlementId);
    if (holders === undefined) {
      holders = new Set();
      this.byEntitlement.set(entitlementId, holders);
    }
    if (holders.has(accountId)) return false;
    holders.add(accountId);
    return true;
  }
}

/** The row key of a staged run's `''` progress entry, which counts every batch whatever its resources. */
export const WHOLE_RUN = '';

/** Every grant a run staged, first staging first, as parallel arrays (a staged sync holds tens of thousands). */
export interface StagedGrants {
  entitlementIds: string[];
  accountIds: string[];
  grantedBy: string[];
  keys: GrantKeys;
}

/**
 * What a staged run holds: the ids of the accounts it staged (whole or kept), the ids its staged rows hold now
 * (whole), every id a kept list names, and its grants as the commit reads them.
 */
export interface StagedRun {
  /** Read back with rows from before the lists (0025): the commit reads the staging again rather than mirror it. */
  legacy: boolean;
  accounts: Set<string>;
  whole: Set<string>;
  keptIds: Set<string>;
  grants: StagedGrants;
}

/** Everything a run staged, as the commit needs it. */
export interface Staged {
  /** Accounts staged whole (their rows are in staged_accounts). */
  whole: Set<string>;
  /** Accounts kept by id, none of them also staged whole. */
  kept: Set<string>;
  grants: StagedGrants;
}

/**
 * What each run has staged, as of its `batches`-th batch, per opened store: a batch is checked against it instead
 * of reading its run's staging again. Trusted only while the run's batch count in the store matches, so a batch
 * staged by another process (or one rolled back) makes the next batch read the staging afresh.
 */
const stagedRuns = new WeakMap<StoreDialect, Map<string, { batches: number; run: StagedRun }>>();

function remembered(dialect: StoreDialect): Map<string, { batches: number; run: StagedRun }> {
  let runs = stagedRuns.get(dialect);
  if (runs === undefined) {
    runs = new Map();
    stagedRuns.set(dialect, runs);
  }
  return runs;
}

/** Drops what this process remembers of a run (committed or discarded). */
export function forgetStagedRun(dialect: StoreDialect, runId: string): void {
  stagedRuns.get(dialect)?.delete(runId);
}

/** How many batches the store says the run staged (0 before its first). */
async function stagedBatches(tx: Sql, runId: string): Promise<number> {
  const [row] = await tx.runBuilt('stagedLists.batches', { runId, resource: WHOLE_RUN }, (v) =>
    tx.db
      .selectFrom('staged_progress')
      .select('batches')
      .where('run_id', '=', v.runId)
      .where('resource', '=', v.resource),
  );
  return Number(row?.batches ?? 0);
}

/** The run as staged so far, and its batch count: remembered when still current, else read from the store. */
export async function openStagedRun(tx: Sql, runId: string): Promise<{ run: StagedRun; batches: number }> {
  const batches = await stagedBatches(tx, runId);
  const known = remembered(tx.dialect).get(runId);
  if (known !== undefined && known.batches === batches) return { run: known.run, batches };
  const staged = await readStaged(tx, runId);
  return {
    run: {
      legacy: staged.legacy,
      accounts: new Set([...staged.whole, ...staged.kept]),
      whole: staged.whole,
      keptIds: staged.kept,
      grants: staged.grants,
    },
    batches,
  };
}

/**
 * Everything the run staged, for its commit: what this process remembers of it while that is current (its batch
 * count in the store is the one remembered, read inside the commit's transaction), else read from the store.
 * Remembered, the commit does not read every staged list back and build its grants a second time.
 */
export async function stagedForCommit(tx: Sql, runId: string): Promise<Staged> {
  const known = remembered(tx.dialect).get(runId);
  if (known !== undefined) {
    if (!known.run.legacy && (await stagedBatches(tx, runId)) === known.batches) {
      const { whole, keptIds, grants } = known.run;
      const kept = new Set<string>();
      for (const id of keptIds) if (!whole.has(id)) kept.add(id);
      return { whole, kept, grants };
    }
  }
  return readStaged(tx, runId);
}

/**
 * Writes a batch's kept ids and its grants new to the run, one list row each, the first staging of a grant
 * winning as the staging table's `on conflict do nothing` did. Answers how many grants it added and what to call
 * once the transaction has committed (only then is the batch the run's; a rolled-back batch leaves the run's
 * count as it was, so what is remembered stays right).
 */
export async function stageLists(
  tx: Sql,
  runId: string,
  opened: { run: StagedRun; batches: number },
  batch: {
    accountIds: readonly string[];
    /** Ids whose staged rows the batch deleted (staged again), and ids it staged whole. */
    unstaged: readonly string[];
    whole: readonly string[];
    kept: readonly string[];
    grants: readonly SnapshotGrant[];
  },
): Promise<{ grantsAdded: number; committed: () => void }> {
  const { run, batches } = opened;
  const list: string[] = [];
  for (const g of batch.grants) {
    if (run.grants.keys.has(g.entitlementId, g.accountId)) continue;
    list.push(g.entitlementId, g.accountId, g.grantedBy ?? 'external');
  }
  if (batch.kept.length > 0) {
    const values = { runId, batch: batches + 1, ids: JSON.stringify(batch.kept) };
    await tx.runBuilt('stagedLists.kept', values, (v) =>
      tx.db.insertInto('staged_kept_lists').values({ run_id: v.runId, batch: v.batch, ids: v.ids }),
    );
  }
  if (list.length > 0) {
    const values = { runId, batch: batches + 1, grants: JSON.stringify(list) };
    await tx.runBuilt('stagedLists.grants', values, (v) =>
      tx.db.insertInto('staged_grant_lists').values({ run_id: v.runId, batch: v.batch, grants: v.grants }),
    );
  }
  return {
    grantsAdded: list.length / 3,
    committed: () => {
      for (const id of batch.accountIds) run.accounts.add(id);
      for (const id of batch.unstaged) run.whole.delete(id);
      for (const id of batch.whole) run.whole.add(id);
      for (const id of batch.kept) run.keptIds.add(id);
      const { grants } = run;
      for (let i = 0; i < list.length; i += 3) {
        grants.keys.add(list[i]!, list[i + 1]!);
        grants.entitlementIds.push(list[i]!);
        grants.accountIds.push(list[i + 1]!);
        grants.grantedBy.push(list[i + 2]!);
      }
      remembered(tx.dialect).set(runId, { batches: batches + 1, run });
    },
  };
}

/**
 * Everything the run staged: accounts whole and kept (lists in batch order, and rows kept before the lists
 * existed), and its grants (lists, and rows staged before them, 0025). An id staged whole and kept in turn is
 * whole: a batch that keeps an id deletes its staged row.
 */
export async function readStaged(tx: Sql, runId: string): Promise<Staged & { legacy: boolean }> {
  const ids = async (table: 'staged_accounts' | 'staged_kept_accounts') =>
    (await tx.arrayRows(tx.db.selectFrom(table).select('id').where('run_id', '=', runId).compile())).map(
      (r) => r[0] as string,
    );
  const whole = new Set(await ids('staged_accounts'));
  const kept = new Set<string>();
  const keptRows = await ids('staged_kept_accounts');
  for (const id of keptRows) if (!whole.has(id)) kept.add(id);
  const keptLists = await tx.arrayRows(
    tx.db.selectFrom('staged_kept_lists').select('ids').where('run_id', '=', runId).compile(),
  );
  for (const [text] of keptLists) {
    for (const id of JSON.parse(text as string) as string[]) if (!whole.has(id)) kept.add(id);
  }
  const grants: StagedGrants = { entitlementIds: [], accountIds: [], grantedBy: [], keys: new GrantKeys() };
  const add = (entitlementId: string, accountId: string, grantedBy: string) => {
    if (!grants.keys.add(entitlementId, accountId)) return;
    grants.entitlementIds.push(entitlementId);
    grants.accountIds.push(accountId);
    grants.grantedBy.push(grantedBy);
  };
  const lists = await tx.arrayRows(
    tx.db
      .selectFrom('staged_grant_lists')
      .select('grants')
      .where('run_id', '=', runId)
      .orderBy('batch')
      .compile(),
  );
  for (const [text] of lists) {
    const list = JSON.parse(text as string) as string[];
    for (let i = 0; i + 2 < list.length; i += 3) add(list[i]!, list[i + 1]!, list[i + 2]!);
  }
  const rows = await tx.arrayRows(
    tx.db
      .selectFrom('staged_grants')
      .select(['entitlement_id', 'account_id', 'granted_by'])
      .where('run_id', '=', runId)
      .compile(),
  );
  for (const [e, a, by] of rows) add(e as string, a as string, by as string);
  return { whole, kept, grants, legacy: keptRows.length > 0 || rows.length > 0 };
}

/** What a commit changes in the app's grants, from the staged grants and the snapshot's. */
export interface GrantDiff {
  /** Staged grants the snapshot lacks (indexes into the staged arrays). */
  added: number[];
  /** Staged as Roster's where the snapshot holds them as external: the mark is set, nothing else changes. */
  marked: number[];
  /** Held grants the run did not stage, as [entitlementId, accountId]. */
  removed: [string, string][];
  /** Accounts that gain or lose a grant. */
  holders: Set<string>;
}

/** An entitlement's holders in the snapshot and by whose hand each holds it, in parallel arrays. */
interface HeldGrants {
  entitlementId: string;
  accountIds: string[];
  grantedBy: string[];
}

/** Joins an entitlement's holder ids in one text: a control character no app's ids are expected to hold. */
const HOLDER_SEPARATOR = '\u001f';

/**
 * The app's grants, an entitlement at a time: one row per entitlement with its holders joined in a text
 * (string_agg, in SQLite 3.44+ and Postgres alike): the 73,000 grants of a 20,000-person sync read in about half
 * the time they took a row each, the largest read of a commit. Should an id hold the separator after all, the
 * texts split into more parts than the entitlement has holders, and the grants are read a row each instead.
 */
async function heldGrants(tx: Sql, appId: string): Promise<HeldGrants[]> {
  const grouped = await tx.arrayRows(
    // Each column named: an engine that answers objects keys the row by name, and two string_agg would collide.
    sql`select entitlement_id, count(*) as holders, string_agg(account_id, ${HOLDER_SEPARATOR}) as account_ids,
        string_agg(granted_by, ${HOLDER_SEPARATOR}) as granted
        from grants where app_id = ${appId} group by entitlement_id`.compile(tx.db),
  );
  const held: HeldGrants[] = [];
  for (const [entitlementId, count, accountIds, grantedBy] of grouped) {
    const group = {
      entitlementId: entitlementId as string,
      accountIds: (accountIds as string).split(HOLDER_SEPARATOR),
      grantedBy: (grantedBy as string).split(HOLDER_SEPARATOR),
    };
    const holders = Number(count);
    if (group.accountIds.length !== holders || group.grantedBy.length !== holders)
      return heldGrantRows(tx, appId);
    held.push(group);
  }
  return held;
}

/** The app's grants read a row each, grouped as heldGrants groups them. */
async function heldGrantRows(tx: Sql, appId: string): Promise<HeldGrants[]> {
  const rows = await tx.arrayRows(
    tx.db
      .selectFrom('grants')
      .select(['entitlement_id', 'account_id', 'granted_by'])
      .where('app_id', '=', appId)
      .compile(),
  );
  const byEntitlement = new Map<string, HeldGrants>();
  for (const [e, a, by] of rows) {
    let group = byEntitlement.get(e as string);
    if (group === undefined) {
      group = { entitlementId: e as string, accountIds: [], grantedBy: [] };
      byEntitlement.set(e as string, group);
    }
    group.accountIds.push(a as string);
    group.grantedBy.push(by as string);
  }
  return [...byEntitlement.values()];
}

/**
 * Compares the staged grants with the snapshot's, read once: an unchanged grant is neither read twice nor
 * written. `heldOf` receives each held grant's entitlement and account (the commit looks for holders of changed
 * entitlements among them).
 */
export async function diffGrants(
  tx: Sql,
  appId: string,
  staged: StagedGrants,
  heldOf: (entitlementId: string, accountId: string) => void,
): Promise<GrantDiff> {
  const diff: GrantDiff = { added: [], marked: [], removed: [], holders: new Set() };
  // Who holds each entitlement and by whose hand ('roster' or 'external').
  const heldBy = new Map<string, Map<string, string>>();
  for (const { entitlementId, accountIds, grantedBy } of await heldGrants(tx, appId)) {
    const stagedHolders = staged.keys.holdersOf(entitlementId);
    const holders = new Map<string, string>();
    heldBy.set(entitlementId, holders);
    for (let i = 0; i < accountIds.length; i++) {
      const accountId = accountIds[i]!;
      heldOf(entitlementId, accountId);
      holders.set(accountId, grantedBy[i]!);
      if (stagedHolders?.has(accountId) !== true) {
        diff.removed.push([entitlementId, accountId]);
        diff.holders.add(accountId);
      }
    }
  }
  for (let i = 0; i < staged.accountIds.length; i++) {
    const by = heldBy.get(staged.entitlementIds[i]!)?.get(staged.accountIds[i]!);
    if (by === undefined) {
      diff.added.push(i);
      diff.holders.add(staged.accountIds[i]!);
    } else if (staged.grantedBy[i] === 'roster' && by !== 'roster') {
      diff.marked.push(i);
    }
  }
  return diff;
}

/** Ids per `in (...)` list and rows per insert: a fixed size, so the same few statement texts are prepared once. */
const CHUNK = 500;

/**
 * Writes the difference: removed grants deleted, added ones inserted where their account still exists (an account
 * kept by id that another writer deleted meanwhile stays deleted, and a grant staged for it with it), marks set.
 * A grant Roster made keeps its mark: an existing row is only touched to mark one staged as Roster's.
 */
export async function writeGrantDiff(
  tx: Sql,
  appId: string,
  runId: string,
  staged: StagedGrants,
  diff: GrantDiff,
): Promise<void> {
  for (const [entitlementId, accountId] of diff.removed) {
    await tx.runBuilt('stagedGrants.remove', { appId, entitlementId, accountId }, (v) =>
      tx.db
        .deleteFrom('grants')
        .where('app_id', '=', v.appId)
        .where('entitlement_id', '=', v.entitlementId)
        .where('account_id', '=', v.accountId),
    );
  }
  for (let i = 0; i < diff.added.length; i += CHUNK) {
    const chunk = diff.added.slice(i, i + CHUNK);
    const ids = [...new Set(chunk.map((g) => staged.accountIds[g]!))];
    const existing = new Set(
      (
        await tx.db
          .selectFrom('accounts')
          .select('id')
          .where('app_id', '=', appId)
          .where('id', 'in', ids)
          .execute()
      ).map((r) => r.id),
    );
    const rows = chunk
      .filter((g) => existing.has(staged.accountIds[g]!))
      .map((g) => ({
        app_id: appId,
        entitlement_id: staged.entitlementIds[g]!,
        account_id: staged.accountIds[g]!,
        sync_run_id: runId,
        granted_by: staged.grantedBy[g]!,
      }));
    if (rows.length === 0) continue;
    // On Postgres another writer may add the same grant meanwhile: it is kept, marked as Roster's if staged so.
    await tx.db
      .insertInto('grants')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['app_id', 'entitlement_id', 'account_id'])
          .doUpdateSet((eb) => ({
            granted_by: eb.ref('excluded.granted_by'),
            sync_run_id: eb.ref('excluded.sync_run_id'),
          }))
          .where('excluded.granted_by', '=', 'roster')
          .where('grants.granted_by', '<>', 'roster'),
      )
      .execute();
  }
  for (const g of diff.marked) {
    const values = {
      appId,
      runId,
      entitlementId: staged.entitlementIds[g]!,
      accountId: staged.accountIds[g]!,
      roster: 'roster',
    };
    await tx.runBuilt('stagedGrants.mark', values, (v) =>
      tx.db
        .updateTable('grants')
        .set({ granted_by: v.roster, sync_run_id: v.runId })
        .where('app_id', '=', v.appId)
        .where('entitlement_id', '=', v.entitlementId)
        .where('account_id', '=', v.accountId)
        .where('granted_by', '<>', v.roster),
    );
  }
}

/**
 * Checked before the swap, not left to the foreign key, so the error can name the grant on every dialect: each
 * staged grant's account was staged (whole or kept) and its entitlement too.
 */
export async function checkStagedGrants(tx: Sql, runId: string, appId: string, all: Staged): Promise<void> {
  const staged = all.grants;
  if (staged.accountIds.length === 0) return;
  const entitlements = new Set(
    (
      await tx.arrayRows(
        tx.db.selectFrom('staged_entitlements').select('id').where('run_id', '=', runId).compile(),
      )
    ).map((r) => r[0] as string),
  );
  for (let i = 0; i < staged.accountIds.length; i++) {
    const accountId = staged.accountIds[i]!;
    const entitlementId = staged.entitlementIds[i]!;
    const accountMissing = !all.whole.has(accountId) && !all.kept.has(accountId);
    if (!accountMissing && entitlements.has(entitlementId)) continue;
    const missing = accountMissing ? `account ${accountId}` : `entitlement ${entitlementId}`;
    throw new RosterError(
      'invalid_input',
      `staged grant ${entitlementId} → ${accountId} names ${missing}, which was not staged`,
      {
        where: `app ${appId}, sync run ${runId}`,
        fix: 'stage every account and entitlement a grant refers to, or leave the grant out',
        details: { appId, runId, entitlementId, accountId },
      },
    );
  }
}

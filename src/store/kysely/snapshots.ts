/** @module Each app's snapshot (accounts, entitlements, grants): whole swaps, batch checks, reads. */

import { type Insertable, type RawBuilder, type Selectable, sql } from 'kysely';
import { compareText } from '../../core/compare.js';
import { RosterError } from '../../core/errors.js';
import { parseEnumOf } from '../json.js';
import {
  accountToRow,
  entitlementToRow,
  GRANTED_BY,
  normalizeEmail,
  rowToAccount,
  rowToEntitlement,
} from '../rows.js';
import type { AccountsTable, Database } from '../schema.js';
import type {
  Change,
  SnapshotAccount,
  SnapshotCounts,
  SnapshotEntitlement,
  SnapshotGrant,
  StoredAccount,
  StoredEntitlement,
  StoredGrant,
} from '../store.js';
import { requireApp } from './apps.js';
import { diffRows, recordChanges } from './changes.js';
import type { Sql } from './context.js';
import { GrantKeys } from './staged-lists.js';

const grantKey = (entitlementId: string, accountId: string): string => `${entitlementId}\u0000${accountId}`;

/**
 * Makes the app's snapshot exactly the given rows, writing only the difference (an incremental sync re-reads
 * the whole snapshot but changes a few rows): unchanged rows keep the run that last changed them, and every
 * account that changed (or whose grants did) goes into the change set.
 */
export async function replaceSnapshot(
  s: Sql,
  input: {
    appId: string;
    runId: string | null;
    accounts: SnapshotAccount[];
    entitlements: SnapshotEntitlement[];
    grants: SnapshotGrant[];
  },
): Promise<SnapshotCounts> {
  checkBatch(input.appId, input.accounts, input.entitlements, input.grants);
  await requireApp(s, input.appId);
  const { appId, runId } = input;
  const accounts = new Map(input.accounts.map((a) => [a.id, accountToRow(a, runId)]));
  const entitlements = new Map(input.entitlements.map((e) => [e.id, entitlementToRow(e, runId)]));
  const dangling = input.grants.find((g) => !accounts.has(g.accountId) || !entitlements.has(g.entitlementId));
  if (dangling !== undefined) {
    throw danglingGrant(appId, input.accounts, input.entitlements, input.grants, undefined);
  }
  await s.write(async (tx) => {
    const stored = {
      accounts: byId(await tx.db.selectFrom('accounts').selectAll().where('app_id', '=', appId).execute()),
      entitlements: byId(
        await tx.db.selectFrom('entitlements').selectAll().where('app_id', '=', appId).execute(),
      ),
      grants: new Map(
        (await tx.db.selectFrom('grants').selectAll().where('app_id', '=', appId).execute()).map((g) => [
          grantKey(g.entitlement_id, g.account_id),
          g,
        ]),
      ),
    };
    // Not the row hash: it says which record a row came from; a row this writes holds none (no claim to keep).
    const accountChanges = diffRows(stored.accounts, accounts, ['sync_run_id', 'row_hash']);
    const entitlementChanges = diffRows(stored.entitlements, entitlements, ['sync_run_id']);
    await upsertRows(tx, 'entitlements', entitlementChanges, entitlements);
    await upsertRows(tx, 'accounts', accountChanges, accounts);

    const grants = new Map(
      input.grants.map((g) => {
        const key = grantKey(g.entitlementId, g.accountId);
        const roster = g.grantedBy === 'roster' || stored.grants.get(key)?.granted_by === 'roster';
        return [
          key,
          {
            app_id: appId,
            entitlement_id: g.entitlementId,
            account_id: g.accountId,
            sync_run_id: runId,
            granted_by: roster ? 'roster' : 'external',
          },
        ];
      }),
    );
    const grantChanges = diffRows(stored.grants, grants, ['sync_run_id']);
    const touched = new Set<string>();
    for (const [key, change] of grantChanges) {
      const [entitlementId, accountId] = key.split('\u0000') as [string, string];
      touched.add(accountId);
      if (change === 'added') continue;
      // Deleted and, when only the mark changed, inserted again below: one path for both.
      await tx.db
        .deleteFrom('grants')
        .where('app_id', '=', appId)
        .where('entitlement_id', '=', entitlementId)
        .where('account_id', '=', accountId)
        .execute();
    }
    const inserted = [...grantChanges]
      .filter(([, change]) => change !== 'removed')
      .map(([key]) => grants.get(key)!);
    try {
      await tx.insertRows('grants', inserted);
    } catch (error) {
      if (!s.dialect.isForeignKeyViolation(error)) throw error;
      throw danglingGrant(appId, input.accounts, input.entitlements, input.grants, error);
    }
    await deleteIds(tx, 'accounts', appId, removedIds(accountChanges));
    await deleteIds(tx, 'entitlements', appId, removedIds(entitlementChanges));

    // An entitlement that changed (its name, whether it is privileged) changes what its holders hold.
    for (const g of [...stored.grants.values(), ...grants.values()]) {
      if (entitlementChanges.has(g.entitlement_id)) touched.add(g.account_id);
    }
    for (const id of touched) if (!accountChanges.has(id)) accountChanges.set(id, 'changed');
    await recordChanges(tx, 'account', appId, accountChanges);
  });
  return {
    accounts: input.accounts.length,
    entitlements: input.entitlements.length,
    grants: input.grants.length,
  };
}

function byId<R extends { id: string }>(rows: R[]): Map<string, R> {
  return new Map(rows.map((r) => [r.id, r]));
}

function removedIds(changes: ReadonlyMap<string, Change>): string[] {
  return [...changes].filter(([, change]) => change === 'removed').map(([id]) => id);
}

async function upsertRows<T extends 'accounts' | 'entitlements'>(
  tx: Sql,
  table: T,
  changes: ReadonlyMap<string, Change>,
  rows: ReadonlyMap<string, Insertable<Database[T]>>,
): Promise<void> {
  const written = [...changes].filter(([, change]) => change !== 'removed').map(([id]) => rows.get(id)!);
  const first = written[0];
  if (first === undefined) return;
  const columns = Object.keys(first).filter((c) => c !== 'app_id' && c !== 'id');
  const chunk = Math.max(1, Math.floor(tx.dialect.maxParams / Object.keys(first).length));
  for (let i = 0; i < written.length; i += chunk) {
    await tx.db
      .insertInto(table as 'accounts')
      .values(written.slice(i, i + chunk) as Insertable<Database['accounts']>[])
      .onConflict((oc) =>
        oc
          .columns(['app_id', 'id'])
          .doUpdateSet(
            Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)])) as Record<
              'email',
              RawBuilder<string>
            >,
          ),
      )
      .execute();
  }
}

async function deleteIds(tx: Sql, table: 'accounts' | 'entitlements', appId: string, ids: string[]) {
  for (let i = 0; i < ids.length; i += tx.inListSize) {
    await tx.db
      .deleteFrom(table)
      .where('app_id', '=', appId)
      .where('id', 'in', ids.slice(i, i + tx.inListSize))
      .execute();
  }
}

export async function listAccountIds(s: Sql, input: { appId: string }): Promise<string[]> {
  const rows = await s.db
    .selectFrom('accounts')
    .select('id')
    .where('app_id', '=', input.appId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Replaces one account's row (a webhook's targeted re-sync) when it differs from the stored one; its grants are
 * left as the last full sync saw them, and it keeps the sync run it came from.
 */
export async function upsertAccount(
  s: Sql,
  account: SnapshotAccount,
  options: { created?: boolean } = {},
): Promise<StoredAccount> {
  return s.write(async (tx) => {
    if (options.created) {
      // An account the app has just made is new to the snapshot: written with no read first, unless (a sync in
      // between) the snapshot holds it already, which the ordinary way below then compares.
      const inserted = await insertAccountRow(tx, accountToRow(account, null));
      if (inserted !== undefined) {
        await recordChanges(tx, 'account', account.appId, new Map([[account.id, 'added']]));
        return rowToAccount(inserted);
      }
    }
    // Most often the snapshot holds the account and the write changed it: one statement, no read first.
    const row = accountToRow(account, null);
    const updated = await updateChangedAccountRow(tx, row);
    if (updated !== undefined) {
      await recordChanges(tx, 'account', account.appId, new Map([[account.id, 'changed']]));
      return rowToAccount(updated);
    }
    // Unchanged (nothing written), or not in the snapshot yet.
    const existing = await accountRow(tx, account.appId, account.id);
    if (existing) return rowToAccount(existing);
    // RETURNING: the row as the database holds it (as a read would give it), for a caller that answers with it.
    const stored = await upsertAccountRow(tx, row);
    await recordChanges(tx, 'account', account.appId, new Map([[account.id, 'added']]));
    return rowToAccount(stored);
  });
}

/**
 * Writes one account row over the stored one where any of its compared columns differs, keeping the sync run it
 * came from (and dropping its record hash: the next sync compares it anew). The row as stored, or undefined when
 * the snapshot lacks it or holds it unchanged. Built once (runBuilt) unless a value is undefined (left out, as by
 * Kysely: the stored value stays), which is built as it comes.
 */
async function updateChangedAccountRow(
  tx: Sql,
  row: AccountsTable,
): Promise<Selectable<AccountsTable> | undefined> {
  const build = (values: Omit<AccountsTable, 'sync_run_id'>) => {
    const { app_id, id, row_hash, ...compared } = values;
    const columns = (Object.keys(compared) as (keyof typeof compared)[]).filter(
      (c) => compared[c] !== undefined,
    );
    return tx.db
      .updateTable('accounts')
      .set({ ...compared, row_hash })
      .where('app_id', '=', app_id)
      .where('id', '=', id)
      .where((eb) => eb.or(columns.map((c) => eb(c, 'is distinct from', compared[c] as never))))
      .returningAll();
  };
  const { sync_run_id: _run, ...values } = { ...row, row_hash: null };
  if (Object.values(values).some((v) => v === undefined)) return build(values).executeTakeFirst();
  const [stored] = await tx.runBuilt('accounts.updateChanged', values, (v) => build(v));
  return stored;
}

/**
 * Writes one account row over the stored one (or as a new one), answering it as stored. Its statement is built
 * once (runBuilt: every facade write makes one) unless a value is undefined, which Kysely leaves out (the
 * column keeps its default, or its stored value on update): that shape is built as it comes.
 */
async function upsertAccountRow(tx: Sql, row: AccountsTable): Promise<Selectable<AccountsTable>> {
  const build = (values: AccountsTable) => {
    const { app_id: _app, id: _id, ...rest } = values;
    return tx.db
      .insertInto('accounts')
      .values(values)
      .onConflict((oc) => oc.columns(['app_id', 'id']).doUpdateSet(rest))
      .returningAll();
  };
  if (Object.values(row).includes(undefined)) return build(row).executeTakeFirstOrThrow();
  const values: { [K in keyof AccountsTable]: AccountsTable[K] } = row;
  const [stored] = await tx.runBuilt('accounts.upsertOne', values, (v) => build(v));
  if (stored === undefined) throw new Error(`accounts[${row.app_id}/${row.id}]: the upsert answered no row`);
  return stored;
}

/** Writes one account row unless its app already holds one with its id: the row as stored, or undefined. */
async function insertAccountRow(tx: Sql, row: AccountsTable): Promise<Selectable<AccountsTable> | undefined> {
  const build = (values: AccountsTable) =>
    tx.db
      .insertInto('accounts')
      .values(values)
      .onConflict((oc) => oc.columns(['app_id', 'id']).doNothing())
      .returningAll();
  if (Object.values(row).includes(undefined)) return build(row).executeTakeFirst();
  const values: { [K in keyof AccountsTable]: AccountsTable[K] } = row;
  const [stored] = await tx.runBuilt('accounts.insertIfAbsent', values, (v) => build(v));
  return stored;
}

/** Drops an account the app no longer holds, with its grants, from the snapshot. */
export async function removeAccount(s: Sql, input: { appId: string; id: string }): Promise<boolean> {
  return s.write(async (tx) => {
    await tx.db
      .deleteFrom('grants')
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.id)
      .execute();
    const result = await tx.db
      .deleteFrom('accounts')
      .where('app_id', '=', input.appId)
      .where('id', '=', input.id)
      .executeTakeFirst();
    const removed = Number(result.numDeletedRows) > 0;
    if (removed) {
      await recordChanges(tx, 'account', input.appId, new Map([[input.id, 'removed']]));
    }
    return removed;
  });
}

/**
 * Records (or drops) one grant after a verified write, so the next read shows it without a full sync; the
 * account counts as changed (the graph and its findings look at it again). A grant written here is Roster's.
 */
export async function setGrant(
  s: Sql,
  grant: { appId: string; entitlementId: string; accountId: string },
  held: boolean,
): Promise<void> {
  await s.write(async (tx) => {
    const existing = await tx.db
      .selectFrom('grants')
      .select('app_id')
      .where('app_id', '=', grant.appId)
      .where('entitlement_id', '=', grant.entitlementId)
      .where('account_id', '=', grant.accountId)
      .executeTakeFirst();
    if (held === (existing !== undefined)) return;
    if (held) {
      await tx.db
        .insertInto('grants')
        .values({
          app_id: grant.appId,
          entitlement_id: grant.entitlementId,
          account_id: grant.accountId,
          sync_run_id: null,
          granted_by: 'roster',
        })
        .execute();
    } else {
      await tx.db
        .deleteFrom('grants')
        .where('app_id', '=', grant.appId)
        .where('entitlement_id', '=', grant.entitlementId)
        .where('account_id', '=', grant.accountId)
        .execute();
    }
    await recordChanges(tx, 'account', grant.appId, new Map([[grant.accountId, 'changed']]));
  });
}

export async function listAccounts(s: Sql, input: { appId: string }): Promise<StoredAccount[]> {
  const rows = await s.db
    .selectFrom('accounts')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('id')
    .execute();
  return rows.map(rowToAccount);
}

export async function getAccount(
  s: Sql,
  input: { appId: string; id: string },
): Promise<StoredAccount | null> {
  const row = await accountRow(s, input.appId, input.id);
  return row === undefined ? null : rowToAccount(row);
}

/** One account's row by id, built once (the SCIM facade reads one per request). */
async function accountRow(s: Sql, appId: string, id: string) {
  const [row] = await s.runBuilt('accounts.byId', { appId, id }, (v) =>
    s.db.selectFrom('accounts').selectAll().where('app_id', '=', v.appId).where('id', '=', v.id),
  );
  return row;
}

export async function findAccountsByEmail(s: Sql, input: { email: string }): Promise<StoredAccount[]> {
  const rows = await s.db
    .selectFrom('accounts')
    .selectAll()
    // App by app (the index is the app's and the address's: accounts_app_email), in every app there is. Sorted
    // here: an ORDER BY (app, id) makes SQLite walk every account in key order instead of the index.
    .where('app_id', 'in', (eb) => eb.selectFrom('apps').select('id'))
    .where('email_normalized', '=', normalizeEmail(input.email))
    .execute();
  return rows.map(rowToAccount).sort((a, b) => compareText(a.appId, b.appId) || compareText(a.id, b.id));
}

export async function listEntitlements(s: Sql, input: { appId: string }): Promise<StoredEntitlement[]> {
  const rows = await s.db
    .selectFrom('entitlements')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('id')
    .execute();
  return rows.map(rowToEntitlement);
}

export async function listGrants(
  s: Sql,
  input: { appId: string; accountId?: string; entitlementId?: string },
): Promise<StoredGrant[]> {
  // Not app_id: every row is the asked app's, and one string for all of them is lighter than a copy per row.
  let query = s.db
    .selectFrom('grants')
    .select(['entitlement_id', 'account_id', 'sync_run_id', 'granted_by'])
    .where('app_id', '=', input.appId)
    .orderBy('account_id')
    .orderBy('entitlement_id');
  if (input.accountId !== undefined) query = query.where('account_id', '=', input.accountId);
  // The grants' key (app, entitlement, account) reads one entitlement's holders already in account order.
  if (input.entitlementId !== undefined) query = query.where('entitlement_id', '=', input.entitlementId);
  const appId = input.appId;
  const where = (r: { entitlement_id: string; account_id: string }) =>
    `grants[${appId}/${r.entitlement_id}/${r.account_id}]`;
  const rows = await query.execute();
  const grants: StoredGrant[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as (typeof rows)[number];
    grants[i] = {
      appId,
      entitlementId: r.entitlement_id,
      accountId: r.account_id,
      grantedBy: parseEnumOf(GRANTED_BY, r.granted_by, where, r),
      syncRunId: r.sync_run_id,
    };
  }
  return grants;
}

/** Rejects a batch that names another app or repeats an id, before anything is written. */
export function checkBatch(
  appId: string,
  accounts: readonly SnapshotAccount[],
  entitlements: readonly SnapshotEntitlement[],
  grants: readonly SnapshotGrant[],
): void {
  const foreign = (kind: string, id: string, otherAppId: string) =>
    new RosterError('invalid_input', `${kind} ${id} belongs to app ${otherAppId}, not ${appId}`, {
      where: `app ${appId}`,
      details: { appId, otherAppId, id },
    });
  const twice = (kind: string, id: string) =>
    new RosterError('invalid_input', `${kind} ${id} appears twice in one snapshot of app ${appId}`, {
      where: `app ${appId}`,
      fix: 'de-duplicate the page (an app that re-orders between pages can repeat a row)',
      details: { appId, id },
    });
  const check = (kind: string, items: readonly { appId: string; id: string }[]) => {
    const seen = new Set<string>();
    for (const item of items) {
      if (item.appId !== appId) throw foreign(kind, item.id, item.appId);
      if (seen.has(item.id)) throw twice(kind, item.id);
      seen.add(item.id);
    }
  };
  check('account', accounts);
  check('entitlement', entitlements);
  // Grants by entitlement, then account: the pair's name is only spelt out for an error (a sync stages tens of
  // thousands of grants, and a key string built per grant was most of this check).
  const seen = new GrantKeys();
  const grantName = (g: SnapshotGrant) => `${g.entitlementId} → ${g.accountId}`;
  for (const g of grants) {
    if (g.appId !== appId) throw foreign('grant', grantName(g), g.appId);
    if (!seen.add(g.entitlementId, g.accountId)) throw twice('grant', grantName(g));
  }
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

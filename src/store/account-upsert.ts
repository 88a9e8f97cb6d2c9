/** @module One account written into (or dropped from) an app's snapshot, for targeted re-syncs (webhooks). */

import type { Kysely } from 'kysely';
import { appScope, markChanged } from './kysely/graph.js';
import { KyselyStore } from './kysely-store.js';
import { accountToRow } from './rows.js';
import type { Database } from './schema.js';
import type { SnapshotAccount, Store } from './store.js';

function dbOf(store: Store): Kysely<Database> {
  if (!(store instanceof KyselyStore)) throw new Error('a targeted re-sync needs a SQL store');
  return store.db;
}

/**
 * Replaces one account's row in its app's snapshot (grants are left as the last full sync saw them: an account
 * read by id carries no memberships). The row keeps the sync run it came from, so the snapshot stays traceable.
 */
export async function upsertSnapshotAccount(store: Store, account: SnapshotAccount): Promise<void> {
  const db = dbOf(store);
  const existing = await db
    .selectFrom('accounts')
    .select('sync_run_id')
    .where('app_id', '=', account.appId)
    .where('id', '=', account.id)
    .executeTakeFirst();
  const row = accountToRow(account, existing?.sync_run_id ?? null);
  const { app_id: _app, id: _id, ...rest } = row;
  // The row and its change mark land together: a graph run between them would record the mark and miss the row.
  const write = async (tx: Kysely<Database>) => {
    await tx
      .insertInto('accounts')
      .values(row)
      .onConflict((oc) => oc.columns(['app_id', 'id']).doUpdateSet(rest))
      .execute();
    await markChanged({ db: tx }, [appScope(account.appId)]);
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

/** Drops an account the app no longer holds, with its grants, from the snapshot. */
export async function removeSnapshotAccount(
  store: Store,
  input: { appId: string; id: string },
): Promise<boolean> {
  const db = dbOf(store);
  return db.transaction().execute(async (tx) => {
    await tx
      .deleteFrom('grants')
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.id)
      .execute();
    const result = await tx
      .deleteFrom('accounts')
      .where('app_id', '=', input.appId)
      .where('id', '=', input.id)
      .executeTakeFirst();
    await markChanged({ db: tx }, [appScope(input.appId)]);
    return Number(result.numDeletedRows) > 0;
  });
}

/** @module One account written into (or dropped from) an app's snapshot, for targeted re-syncs (webhooks). */

import { KyselyStore } from './kysely-store.js';
import type { SnapshotAccount, Store, StoredAccount } from './store.js';

function sqlStore(store: Store): KyselyStore {
  if (!(store instanceof KyselyStore)) throw new Error('a targeted re-sync needs a SQL store');
  return store;
}

/**
 * Replaces one account's row in its app's snapshot (grants are left as the last full sync saw them: an account
 * read by id carries no memberships). The row keeps the sync run it came from, so the snapshot stays traceable;
 * an account read back unchanged writes nothing and leaves the change set alone. Returns the account as the
 * snapshot now holds it (what a read of it would give). `created`: the app has just made the account, so the
 * snapshot most likely lacks it, and it is written without reading first.
 */
export function upsertSnapshotAccount(
  store: Store,
  account: SnapshotAccount,
  options?: { created?: boolean },
): Promise<StoredAccount> {
  return sqlStore(store).upsertSnapshotAccount(account, options);
}

/** Drops an account the app no longer holds, with its grants, from the snapshot. */
export async function removeSnapshotAccount(
  store: Store,
  input: { appId: string; id: string },
): Promise<boolean> {
  return sqlStore(store).removeSnapshotAccount(input);
}

/**
 * Records (or drops) one grant in the app's snapshot after a verified write, so the next read shows it without
 * a full sync. A grant written here is Roster's (`granted_by: roster`); the next full sync replaces it anyway.
 */
export async function setSnapshotGrant(
  store: Store,
  grant: { appId: string; entitlementId: string; accountId: string },
  held: boolean,
): Promise<void> {
  await sqlStore(store).setSnapshotGrant(grant, held);
}

/** @module A store seeded as a full sync leaves it, for tests and benchmarks whose fleets are too big to sync. */

import type { Account } from '../core/types.js';
import type { Store } from './store.js';

/** Registers the app and records one succeeded full sync run whose snapshot is `accounts`. */
export async function seedSyncedApp(
  store: Store,
  app: Parameters<Store['upsertApp']>[0],
  accounts: Account[],
): Promise<void> {
  await store.upsertApp(app);
  const run = await store.startSyncRun({ appId: app.id, mode: 'full' });
  await store.replaceSnapshot({ appId: app.id, runId: run.id, accounts, entitlements: [], grants: [] });
  await store.finishSyncRun({ id: run.id, status: 'succeeded' });
}

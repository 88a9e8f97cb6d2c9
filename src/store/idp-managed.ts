/** @module Accounts an IdP manages through the SCIM facade: those a facade plan created or changed, per app. */

import { KyselyStore } from './kysely-store.js';
import type { Store } from './store.js';

/**
 * The ids of the app's accounts a facade write (a plan whose summary says `source: scim`) created or changed
 * successfully. Derived from the plans themselves, so the mark cannot drift from what the facade did.
 */
export async function idpManagedAccounts(store: Store, appId: string): Promise<Set<string>> {
  if (!(store instanceof KyselyStore)) return new Set();
  const rows = await store.db
    .selectFrom('ops')
    .innerJoin('plans', 'plans.id', 'ops.plan_id')
    .select(['ops.target', 'ops.outcome'])
    .where('ops.app_id', '=', appId)
    .where('ops.status', '=', 'succeeded')
    .where('plans.summary', 'like', '%"source":"scim"%')
    .execute();
  const ids = new Set<string>();
  for (const row of rows) {
    const outcome = row.outcome ? (JSON.parse(row.outcome) as { accountId?: unknown }) : {};
    const target = JSON.parse(row.target) as { account?: { id?: unknown } | null };
    const id = typeof outcome.accountId === 'string' ? outcome.accountId : target.account?.id;
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

/** @module Accounts an IdP manages through the SCIM facade: those a facade plan created or changed, per app. */

import type { Store } from './store.js';

/**
 * The ids of the app's accounts a facade write created or changed successfully. The facade marks each in the
 * transaction that records its op's outcome (see `markIdpManaged`), so the mark cannot drift from what it did,
 * and reading them costs what the marks are, not every write an IdP ever sent.
 */
export async function idpManagedAccounts(store: Store, appId: string): Promise<Set<string>> {
  return new Set(await store.idpManagedAccountIds({ appId }));
}

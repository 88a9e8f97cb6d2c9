/** @module customer-directory groups: named from config, with grants read from each user's groupIds; membership is not writable. */

import type { EntitlementOps } from '../sdk/types.js';
import type { CdCatalog } from './catalog.js';
import { type CdContext, requireFirstPage } from './client.js';

/**
 * No grant/revoke: the guide documents no group endpoint and PATCH has no groupIds field, so membership is
 * changed only in the product UI (the engine makes it a manual task). The manifest notes are per capability
 * name, shared with roles (which can grant), so this is said here and not in `unsupported`.
 */
export function createGroupOps(ctx: CdContext, catalog: CdCatalog): EntitlementOps {
  return {
    kind: 'group',
    async list(input) {
      requireFirstPage(ctx.appId, input);
      // No group list is documented: roster.yaml's `groups` (or the opted-in list) and every id a user holds.
      const items = await catalog.list('group');
      return { items, nextPageToken: null, total: items.length };
    },
    // Users carry groupIds ("nullable": null is no group), so grants come with the account listing.
    grantsFromAccounts: true,
  };
}

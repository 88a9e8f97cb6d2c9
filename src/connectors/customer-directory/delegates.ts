/** @module customer-directory super delegates: one privileged entitlement held by every user with isSuperDelegate. */

import type { EntitlementOps } from '../sdk/types.js';
import { type CdContext, requireFirstPage } from './client.js';
import { superDelegateEntitlement } from './mappers.js';

/**
 * Guide: `isSuperDelegate` and "superDelegatePermissions … assigned to Super Delegates" on the user, with no
 * endpoint and no PATCH field to change them: listed only, granted by the flag on each user (no request).
 */
export function createDelegateOps(ctx: CdContext): EntitlementOps {
  return {
    kind: 'delegate',
    async list(input) {
      requireFirstPage(ctx.appId, input);
      return { items: [superDelegateEntitlement(ctx.appId)], nextPageToken: null, total: 1 };
    },
    grantsFromAccounts: true,
  };
}

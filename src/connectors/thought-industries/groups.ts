/** @module Thought Industries groups: the list, and membership added and removed one user at a time. */

import { urlPath } from '../http/index.js';
import type { EntitlementOps } from '../sdk/types.js';
import { requireUser, type TiContext } from './client.js';
import { toGroupEntitlement } from './mappers.js';
import { groupListSchema, parseAnswer } from './schemas.js';

export function groupOps(ctx: TiContext): EntitlementOps {
  const { appId } = ctx;
  return {
    kind: 'group',
    // Memberships are each user's `groups` array, read with the account list: no request per group.
    grantsFromAccounts: true,

    // GET /groups (the sandbox's assumed endpoint): unpaged, groups are few.
    async list() {
      const endpoint = 'GET /groups';
      const res = await ctx.http.request({ method: 'GET', path: '/groups', endpoint });
      const { groups } = parseAnswer(groupListSchema, res.body, appId, endpoint);
      return {
        items: groups.map((group) => toGroupEntitlement(appId, group, ctx.config.privilegedRoles)),
        nextPageToken: null,
        total: groups.length,
      };
    },

    async grant({ accountId, entitlementId }) {
      // The add answers {success: true} whether or not the user was a member: read the user to know which.
      const user = await requireUser(ctx, accountId);
      if ((user.groups ?? []).includes(entitlementId)) return { alreadyGranted: true };
      // Add User to Group: repeating it changes nothing, so it may be retried after a lost answer.
      await ctx.http.request({
        method: 'POST',
        path: urlPath`/groups/${entitlementId}/users`,
        body: { userId: accountId },
        endpoint: 'POST /groups/{id}/users',
        idempotent: true,
      });
      return { alreadyGranted: false };
    },

    // DELETE /groups/{id}/users/{userId} (assumed, the mirror of Add): a 404 means not a member.
    async revoke({ accountId, entitlementId }) {
      const res = await ctx.http.request({
        method: 'DELETE',
        path: urlPath`/groups/${entitlementId}/users/${accountId}`,
        endpoint: 'DELETE /groups/{id}/users/{userId}',
        accept404: true,
      });
      return { alreadyAbsent: res.status === 404 };
    },
  };
}

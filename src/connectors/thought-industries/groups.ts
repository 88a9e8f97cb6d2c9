/** @module Thought Industries groups: named from config (or an opted-in list), added through the group, removed through the user. */

import { RosterError } from '../../core/errors.js';
import { urlPath } from '../http/index.js';
import type { EntitlementOps } from '../sdk/types.js';
import type { TiCatalog } from './catalog.js';
import { readUser, requireUser, type TiContext, writeUser } from './client.js';
import { writableOf } from './mappers.js';

export function groupOps(ctx: TiContext, catalog: TiCatalog): EntitlementOps {
  return {
    kind: 'group',
    // Memberships are each user's `groups` array, read with the account list: no request per group.
    grantsFromAccounts: true,

    // No group list is documented: roster.yaml's `groups` and the ids users hold (see catalog.ts).
    async list() {
      const items = await catalog.groups();
      return { items, nextPageToken: null, total: items.length };
    },

    async grant({ accountId, entitlementId }) {
      // The add answers {success: true} whether or not the user was a member: read the user to know which.
      const user = await requireUser(ctx, accountId);
      if ((user.groups ?? []).includes(entitlementId)) return { alreadyGranted: true };
      // Add User to Group (POST /groups/{groupId}/users): "Group ID must exist"; repeating it changes
      // nothing, so it may be retried after a lost answer.
      await ctx.http.request({
        method: 'POST',
        path: urlPath`/groups/${entitlementId}/users`,
        body: { userId: accountId },
        endpoint: 'POST /groups/{id}/users',
        idempotent: true,
      });
      return { alreadyGranted: false };
    },

    // No removal endpoint is documented; the user's `groups` array is ("supported" on update): read the user,
    // drop the group, PUT the whole user back (PUT replaces the object). A user that is gone holds nothing.
    async revoke({ accountId, entitlementId }) {
      const user = await readUser(ctx, accountId);
      const groups = user?.groups ?? [];
      if (user === null || !groups.includes(entitlementId)) return { alreadyAbsent: true };
      const after = await writeUser(ctx, accountId, {
        ...writableOf(user),
        groups: groups.filter((id) => id !== entitlementId),
      });
      if ((after.groups ?? []).includes(entitlementId)) {
        throw new RosterError(
          'unavailable',
          `${ctx.appId}: removing group ${entitlementId} from user ${accountId} did not take`,
          {
            where: ctx.appId,
            details: { appId: ctx.appId, accountId, entitlementId },
          },
        );
      }
      return { alreadyAbsent: false };
    },
  };
}

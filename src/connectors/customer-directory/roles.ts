/** @module customer-directory roles: listed through the catalog, granted and revoked by rewriting roleIds. */

import { RosterError } from '../../core/errors.js';
import type { EntitlementOps } from '../sdk/types.js';
import type { CdCatalog } from './catalog.js';
import { type CdApi, type CdContext, requireFirstPage, requireObjectId } from './client.js';
import type { CdUser } from './schemas.js';

/** The user's current roleIds; without them a rewrite would drop roles Roster cannot see. */
function roleIdsOf(appId: string, user: CdUser): string[] {
  if (!user.roleIds) {
    throw new RosterError(
      'unavailable',
      `${appId}: user ${user._id} was answered without roleIds, so its roles cannot be changed without losing the others`,
      { where: appId, details: { appId, id: user._id } },
    );
  }
  return user.roleIds.map((id) => id.toLowerCase());
}

export function createRoleOps(ctx: CdContext, api: CdApi, catalog: CdCatalog): EntitlementOps {
  const { appId } = ctx;
  const pair = (input: { accountId: string; entitlementId: string }) => ({
    userId: requireObjectId(appId, input.accountId, 'user id'),
    roleId: requireObjectId(appId, input.entitlementId, 'role id'),
  });
  const notHeld = (userId: string, roleId: string, action: string) =>
    new RosterError('unavailable', `${appId}: ${action} role ${roleId} for user ${userId} did not take`, {
      where: appId,
      details: { appId, userId, roleId },
    });

  return {
    kind: 'role',
    async list(input) {
      requireFirstPage(appId, input);
      // No role list is documented: roster.yaml's `roles` (or the opted-in list) and every id a user holds.
      const items = await catalog.list('role');
      return { items, nextPageToken: null, total: items.length };
    },
    // Every user carries its roleIds, so role grants come with the account listing at no extra request.
    grantsFromAccounts: true,
    async grant(input) {
      const { userId, roleId } = pair(input);
      // Guide: PATCH "roleIds … if set, will update roles that are assigned to the user" — it replaces the
      // whole set, so the user is read first and the role added to what it holds.
      const user = await api.getUser(userId);
      if (user === null) {
        throw new RosterError('not_found', `${appId}: user ${userId} not found`, {
          where: appId,
          details: { appId },
        });
      }
      const current = roleIdsOf(appId, user);
      if (current.includes(roleId)) return { alreadyGranted: true };
      const after = await api.patchUser(userId, { roleIds: [...current, roleId] });
      if (after.roleIds && !after.roleIds.some((id) => id.toLowerCase() === roleId)) {
        throw notHeld(userId, roleId, 'granting');
      }
      return { alreadyGranted: false };
    },
    async revoke(input) {
      const { userId, roleId } = pair(input);
      // Same read-modify-write as grant; a user that is gone holds no role.
      const user = await api.getUser(userId);
      if (user === null) return { alreadyAbsent: true };
      const current = roleIdsOf(appId, user);
      if (!current.includes(roleId)) return { alreadyAbsent: true };
      const after = await api.patchUser(userId, { roleIds: current.filter((id) => id !== roleId) });
      if (after.roleIds?.some((id) => id.toLowerCase() === roleId)) throw notHeld(userId, roleId, 'revoking');
      return { alreadyAbsent: false };
    },
  };
}

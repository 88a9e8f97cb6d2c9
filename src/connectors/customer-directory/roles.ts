/** @module customer-directory roles: the role list (shared with account mapping), and grant/revoke by rewriting roleIds. */

import { RosterError } from '../../core/errors.js';
import type { Entitlement } from '../../core/types.js';
import type { EntitlementOps } from '../sdk/types.js';
import { type CdApi, type CdContext, requireFirstPage, requireObjectId } from './client.js';
import { type RoleIndex, toEntitlement, toRoleIndex } from './mappers.js';
import type { CdUser } from './schemas.js';

/** How long one read of the role list serves: roles are made in the product UI, never through this API. */
export const ROLE_LIST_FRESH_MS = 60_000;

export interface RoleCatalog {
  /** The roles, read at most once per ROLE_LIST_FRESH_MS (concurrent callers share one request). */
  list(): Promise<Entitlement[]>;
  /** Names and privileged ids, for `isAdmin` and the `roles` attribute of accounts. */
  index(): Promise<RoleIndex>;
}

/**
 * Accounts need role names (isAdmin is an 'Admin' role) and sync needs the role entitlements: one shared read
 * serves both, so a full sync reads the role list once.
 */
export function createRoleCatalog(ctx: CdContext, api: CdApi): RoleCatalog {
  let cached: { at: number; roles: Promise<Entitlement[]> } | null = null;
  const list = (): Promise<Entitlement[]> => {
    const now = ctx.now().getTime();
    if (cached && now - cached.at < ROLE_LIST_FRESH_MS) return cached.roles;
    const roles = api
      .listRoles()
      .then((items) =>
        items.map((item) => toEntitlement(ctx.appId, 'role', item, ctx.config.privilegedRoles)),
      );
    const entry = { at: now, roles };
    cached = entry;
    // A failed read is not kept: the next caller asks again.
    roles.catch(() => {
      if (cached === entry) cached = null;
    });
    return roles;
  };
  return { list, index: async () => toRoleIndex(await list()) };
}

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

export function createRoleOps(ctx: CdContext, api: CdApi, catalog: RoleCatalog): EntitlementOps {
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
      const items = await catalog.list();
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

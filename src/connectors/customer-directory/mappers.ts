/** @module Pure mappers from customer-directory users, roles and groups to Roster accounts, entitlements and grants. */

import type { Account, AccountStatus, Entitlement, Grant } from '../../core/types.js';
import type { CdNamed, CdUser } from './schemas.js';

/** The one delegate entitlement: super delegates manage users, roles, delegates and integrations. */
export const SUPER_DELEGATE: { id: string; name: string } = { id: 'super-delegate', name: 'Super delegate' };

/** The role the directory itself treats as administrator (the sandbox plants it for every admin). */
export const ADMIN_ROLE = 'Admin';

/**
 * The guide's `status` enum is blank; the directory answers `active`, `inactive`, `pending`. A missing status
 * and any word Roster does not know read as active: an account the app does not say is closed is one that
 * may still log in, which is the safe reading for an access review.
 */
export function toStatus(status: string | null | undefined): AccountStatus {
  switch ((status ?? '').trim().toLowerCase()) {
    case 'inactive':
    case 'disabled':
    case 'suspended':
      return 'inactive';
    case 'pending':
    case 'invited':
      return 'invited';
    case 'deleted':
      return 'deleted';
    default:
      return 'active';
  }
}

/** Whether a role or group name makes its holders privileged: 'Admin', or a name the config lists. */
export function isPrivilegedName(name: string, privilegedNames: readonly string[] = []): boolean {
  const wanted = name.trim().toLowerCase();
  return (
    wanted === ADMIN_ROLE.toLowerCase() || privilegedNames.some((n) => n.trim().toLowerCase() === wanted)
  );
}

const lower = (ids: readonly string[] | null | undefined): string[] =>
  (ids ?? []).map((id) => id.toLowerCase());

export interface RoleIndex {
  /** Role id (lowercase) → name. */
  names: ReadonlyMap<string, string>;
  /** Lowercase ids of the roles that are privileged. */
  privileged: ReadonlySet<string>;
}

export function toRoleIndex(roles: readonly Entitlement[]): RoleIndex {
  return {
    names: new Map(roles.map((role) => [role.id, role.name])),
    privileged: new Set(roles.filter((role) => role.privileged).map((role) => role.id)),
  };
}

const text = (value: string | null | undefined): string | null =>
  value === null || value === undefined || value === '' ? null : value;

export function toAccount(appId: string, user: CdUser, roles: RoleIndex): Account {
  const roleIds = lower(user.roleIds);
  const roleNames = roleIds.map((id) => roles.names.get(id)).filter((name): name is string => !!name);
  const firstName = text(user.firstName);
  const lastName = text(user.lastName);
  const displayName = [firstName, lastName].filter(Boolean).join(' ') || text(user.nickname);
  return {
    appId,
    id: user._id.toLowerCase(),
    email: user.email,
    // Guide: "user's email address used for login".
    login: user.email,
    externalId: text(user.externalId),
    firstName,
    lastName,
    displayName,
    status: toStatus(user.status),
    isAdmin: user.isSuperDelegate === true || roleIds.some((id) => roles.privileged.has(id)),
    lastLoginAt: null,
    createdAt: text(user.createdAt),
    updatedAt: text(user.updatedAt),
    attributes: {
      jobTitle: text(user.jobTitle),
      department: text(user.department),
      office: text(user.office),
      seniority: text(user.seniority),
      subdepartment: text(user.subdepartment),
      pod: text(user.pod),
      nickname: text(user.nickname),
      roles: roleNames.length > 0 ? roleNames.join(', ') : null,
      isSuperDelegate: user.isSuperDelegate === true,
      appStatus: text(user.status),
    },
  };
}

export function toEntitlement(
  appId: string,
  kind: 'role' | 'group',
  item: CdNamed,
  privilegedNames: readonly string[] = [],
): Entitlement {
  return {
    appId,
    id: item._id.toLowerCase(),
    kind,
    name: item.name,
    // Groups are privileged only when the config names them; roles also when they are 'Admin'.
    privileged:
      kind === 'role'
        ? isPrivilegedName(item.name, privilegedNames)
        : privilegedNames.some((n) => n.trim().toLowerCase() === item.name.trim().toLowerCase()),
  };
}

export function superDelegateEntitlement(appId: string): Entitlement {
  return { appId, id: SUPER_DELEGATE.id, kind: 'delegate', name: SUPER_DELEGATE.name, privileged: true };
}

/** The grants a user object carries: its roleIds, its groupIds (null is none) and super delegation. */
export function grantsOf(appId: string, user: CdUser): Grant[] {
  const accountId = user._id.toLowerCase();
  const ids = [...new Set([...lower(user.roleIds), ...lower(user.groupIds)])];
  const grants = ids.map((entitlementId) => ({ appId, entitlementId, accountId }));
  if (user.isSuperDelegate === true) grants.push({ appId, entitlementId: SUPER_DELEGATE.id, accountId });
  return grants;
}

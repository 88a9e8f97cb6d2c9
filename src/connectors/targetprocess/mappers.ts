/** @module Pure mappers from Targetprocess payloads to Roster's accounts, entitlements and grants, and entitlement ids. */

import { RosterError } from '../../core/errors.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import type { TpNamed, TpTeamMember, TpUser } from './schemas.js';

const ADMIN_ROLE = 'Administrator';

/**
 * Role and team Ids are separate number spaces in Targetprocess (role 10 and team 10 can both exist), so an
 * entitlement id carries its kind: `role:3`, `team:10`.
 */
export const roleEntitlementId = (roleId: number): string => `role:${roleId}`;
export const teamEntitlementId = (teamId: number): string => `team:${teamId}`;

/** The Targetprocess Id inside an entitlement id of the given kind. */
export function entitlementNumber(kind: 'role' | 'team', entitlementId: string): number {
  const match = /^(role|team):(\d+)$/.exec(entitlementId);
  if (!match || match[1] !== kind) {
    throw new RosterError('invalid_input', `"${entitlementId}" is not a Targetprocess ${kind} id`, {
      fix: `use an id listed by the ${kind} entitlements, e.g. ${kind}:3`,
    });
  }
  return Number(match[2]);
}

/** Targetprocess user Ids are integers; anything else cannot name a user. */
export function isUserId(id: string): boolean {
  return /^\d{1,15}$/.test(id);
}

/** Soft-deleted users still list (DeleteDate set, IsActive often still true): deleted wins over everything. */
export function statusOf(user: Pick<TpUser, 'IsActive' | 'DeleteDate'>): Account['status'] {
  if (user.DeleteDate) return 'deleted';
  return user.IsActive ? 'active' : 'inactive';
}

export function isPrivilegedName(name: string, privileged: readonly string[] = []): boolean {
  const lower = name.toLowerCase();
  return lower === ADMIN_ROLE.toLowerCase() || privileged.some((p) => p.toLowerCase() === lower);
}

export function toAccount(appId: string, user: TpUser): Account {
  const first = user.FirstName ?? null;
  const last = user.LastName ?? null;
  const display = [first, last].filter((part) => part).join(' ');
  const roleName = user.Role?.Name ?? null;
  return {
    appId,
    id: String(user.Id),
    email: user.Email ?? null,
    login: user.Login ?? null,
    // Targetprocess exposes no external (SSO) id through the REST API.
    externalId: null,
    firstName: first,
    lastName: last,
    displayName: display === '' ? null : display,
    status: statusOf(user),
    isAdmin: user.IsAdministrator === true || roleName === ADMIN_ROLE,
    lastLoginAt: user.LastLoginDate ?? null,
    createdAt: user.CreateDate ?? null,
    updatedAt: user.ModifyDate ?? null,
    attributes: {
      role: roleName,
      roleId: user.Role?.Id ?? null,
      isAdministrator: user.IsAdministrator ?? null,
      deletedAt: user.DeleteDate ?? null,
    },
  };
}

export function toRoleEntitlement(appId: string, role: TpNamed, privileged?: readonly string[]): Entitlement {
  return {
    appId,
    id: roleEntitlementId(role.Id),
    kind: 'role',
    name: role.Name,
    privileged: isPrivilegedName(role.Name, privileged),
  };
}

export function toTeamEntitlement(appId: string, team: TpNamed, privileged?: readonly string[]): Entitlement {
  return {
    appId,
    id: teamEntitlementId(team.Id),
    kind: 'team',
    name: team.Name,
    privileged: (privileged ?? []).some((p) => p.toLowerCase() === team.Name.toLowerCase()),
  };
}

/** The role grant a user carries on itself (every user holds at most one role); null when it has none. */
export function roleGrantOf(appId: string, user: Pick<TpUser, 'Id' | 'Role'>): Grant | null {
  if (!user.Role) return null;
  return { appId, entitlementId: roleEntitlementId(user.Role.Id), accountId: String(user.Id) };
}

/** A TeamMember as a grant; null when the app left out either side. */
export function teamGrantOf(appId: string, member: TpTeamMember): Grant | null {
  if (!member.User || !member.Team) return null;
  return { appId, entitlementId: teamEntitlementId(member.Team.Id), accountId: String(member.User.Id) };
}

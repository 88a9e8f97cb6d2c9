/** @module Pure mappers from SCIM Users and Groups to Roster accounts, entitlements and grants. */

import type { Account, AccountStatus, Entitlement, Grant } from '../../core/types.js';
import type { ScimGroup, ScimMultiValue, ScimUser } from './schemas.js';

/** App-specific reading layered over the generic one (StackSpot: extension role, never_logged). */
export type AccountRefiner = (user: ScimUser, account: Account) => Account;

/** The account's email: the primary one, else the `work` one, else the first listed; null when none. */
export function primaryEmail(emails: readonly ScimMultiValue[] | null | undefined): string | null {
  const list = (emails ?? []).filter((e) => typeof e.value === 'string' && e.value.trim() !== '');
  const pick =
    list.find((e) => e.primary === true) ??
    list.find((e) => e.type?.toLowerCase() === 'work') ??
    list[0] ??
    null;
  return pick?.value?.trim() ?? null;
}

/**
 * `active` when the server sends it; else StackSpot's `is_blocked`. When neither is there the status is
 * unknown: it is read as `inactive` (never assumed active) and flagged `statusUnknown`, so a disabled account
 * hidden by a server that omits `active` is never reported as able to log in.
 */
export function statusOf(user: ScimUser): { status: AccountStatus; known: boolean } {
  if (typeof user.active === 'boolean') return { status: user.active ? 'active' : 'inactive', known: true };
  if (typeof user.is_blocked === 'boolean')
    return { status: user.is_blocked ? 'inactive' : 'active', known: true };
  return { status: 'inactive', known: false };
}

const ADMIN_ROLE = /^(admin|administrator|owner|super[-_ ]?admin)$/i;

/** The SCIM `roles` attribute (RFC 7643 §4.1.2): the primary role's value, else the first. */
function roleOf(user: ScimUser): string | null {
  const roles = (user.roles ?? []).filter((r) => (r.value ?? r.display ?? '').trim() !== '');
  const pick = roles.find((r) => r.primary === true) ?? roles[0];
  return pick ? (pick.value ?? pick.display ?? null) : null;
}

export function toAccount(appId: string, user: ScimUser, refine?: AccountRefiner): Account {
  const { status, known } = statusOf(user);
  const role = roleOf(user);
  const attributes: Account['attributes'] = {};
  if (user.title) attributes['title'] = user.title;
  if (user.userType) attributes['userType'] = user.userType;
  if (role !== null) attributes['role'] = role;
  if (!known) attributes['statusUnknown'] = true;
  const account: Account = {
    appId,
    id: user.id,
    email: primaryEmail(user.emails),
    login: user.userName ?? null,
    externalId: user.externalId ?? null,
    firstName: user.name?.givenName || null,
    lastName: user.name?.familyName || null,
    displayName: user.displayName || user.name?.formatted || null,
    status,
    isAdmin: (user.roles ?? []).some((r) => ADMIN_ROLE.test(r.value ?? r.display ?? '')),
    // Core SCIM has no last-login attribute: null means "not known", not "never".
    lastLoginAt: null,
    createdAt: user.meta?.created ?? null,
    updatedAt: user.meta?.lastModified ?? null,
    attributes,
  };
  return refine ? refine(user, account) : account;
}

/**
 * A group is privileged when its name is one of the app's `privilegedRoles` (any case); without that
 * list, when its name says admin.
 */
export function toEntitlement(
  appId: string,
  group: ScimGroup,
  privilegedRoles: readonly string[] | undefined,
): Entitlement {
  const name = group.displayName ?? group.id;
  const privileged = privilegedRoles
    ? privilegedRoles.some((role) => role.toLowerCase() === name.toLowerCase())
    : /\badmins?\b|administrators?/i.test(name);
  return { appId, id: group.id, kind: 'group', name, privileged };
}

/** A group's members as grants, principal ids only; nested groups (`type: Group`) are not accounts. */
export function groupGrants(appId: string, group: ScimGroup): Grant[] {
  return (group.members ?? [])
    .filter((m) => m.type == null || m.type.toLowerCase() === 'user')
    .map((m) => ({ appId, entitlementId: group.id, accountId: m.value }));
}

/** A string literal in a SCIM filter (RFC 7644 §3.4.2.2: JSON string rules): `"` and `\` are escaped. */
export function filterString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** @module Pure mappers from Process Street members and groups to Roster accounts, entitlements and grants. */

import type { Account, AccountStatus, Entitlement, Grant } from '../../core/types.js';
import type { WithRaw } from '../sdk/types.js';
import type { GroupPayload, MemberPayload } from './schemas.js';

/**
 * 'invited' until the person accepts; every other member of the organization has access. A status the
 * guide does not name (or none at all, as in its list example) counts as active, so access is never hidden.
 */
export function toStatus(status: string | null | undefined): AccountStatus {
  return status?.toLowerCase() === 'invited' ? 'invited' : 'active';
}

export function toAccount(appId: string, member: MemberPayload): WithRaw<Account> {
  const firstName = member.firstName ?? null;
  const lastName = member.lastName ?? null;
  const displayName = [firstName, lastName].filter((part) => part).join(' ') || null;
  return {
    appId,
    id: member.id,
    email: member.email,
    login: member.username ?? null,
    externalId: null,
    firstName,
    lastName,
    displayName,
    status: toStatus(member.status),
    // The role is the only privilege signal a member carries.
    isAdmin: member.role?.toLowerCase() === 'admin',
    // The data model has no last-login field (the guide notes it limits activity-based reviews).
    lastLoginAt: null,
    createdAt: member.createdDate ?? null,
    updatedAt: null,
    attributes: {
      role: member.role ?? null,
      memberStatus: member.status ?? null,
      organizationId: member.organizationId ?? null,
    },
    raw: member,
  };
}

/** A group is privileged when its name is one of the app's configured `privilegedRoles` (any letter case). */
export function toEntitlement(
  appId: string,
  group: GroupPayload,
  privilegedNames: readonly string[] = [],
): WithRaw<Entitlement> {
  const name = group.name.toLowerCase();
  return {
    appId,
    id: group.id,
    kind: 'group',
    name: group.name,
    privileged: privilegedNames.some((candidate) => candidate.toLowerCase() === name),
    raw: group,
  };
}

export function toGrant(appId: string, groupId: string, memberId: string): Grant {
  return { appId, entitlementId: groupId, accountId: memberId };
}

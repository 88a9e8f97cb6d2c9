/** @module Process Street groups as Roster entitlements: list, memberships as grants, add and remove members. */

import { isRosterError, RosterError } from '../../core/errors.js';
import type { Entitlement, Grant } from '../../core/types.js';
import { urlPath } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { ConnectorContext, EntitlementOps, ListInput, Page, WithRaw } from '../sdk/types.js';
import { type OffsetCursor, readOffsetPage, START } from './client.js';
import type { ProcessStreetConfig } from './config.js';
import { toEntitlement, toGrant, toStatus } from './mappers.js';
import { groupListSchema, groupMemberListSchema, memberAnswerSchema, parseAnswer } from './schemas.js';

type Ctx = ConnectorContext<ProcessStreetConfig>;

/** How long a finished GET /groups listing is reused by listGrants instead of reading the groups again. */
export const GROUP_IDS_FRESH_MS = 5 * 60_000;

/** A listGrants token: which group (position and id) and where its member listing stands. */
type GrantCursor = OffsetCursor & { g: number; gid: string };

export function createGroupOps(ctx: Ctx): EntitlementOps & Required<Pick<EntitlementOps, 'listGrants'>> {
  const { http, appId } = ctx;
  const privileged = ctx.config.privilegedRoles ?? [];

  // The group ids of the last complete GET /groups listing, so a sync's listGrants does not read them twice.
  let known: { ids: string[]; at: number } | null = null;
  let collecting: string[] | null = null;

  const list = async ({ pageToken }: ListInput): Promise<Page<Entitlement>> => {
    // GET /groups: "Groups are org-scoped"; offset-paged like /members (or all at once: both are handled).
    const page = await readOffsetPage(
      http,
      {
        path: '/groups',
        endpoint: 'GET /groups',
        schema: groupListSchema,
        pick: (answer) => answer.groups,
        idOf: (group) => group.id,
      },
      decodePageToken<OffsetCursor>(pageToken, START),
    );
    const items: WithRaw<Entitlement>[] = (page?.items ?? []).map((g) => toEntitlement(appId, g, privileged));
    if (pageToken === null) collecting = [];
    collecting?.push(...items.map((g) => g.id));
    if (page?.next) return { items, nextPageToken: encodePageToken({ ...page.next }) };
    if (collecting) known = { ids: [...new Set(collecting)], at: ctx.now().getTime() };
    collecting = null;
    return { items, nextPageToken: null };
  };

  const groupIds = async (): Promise<string[]> => {
    if (known && ctx.now().getTime() - known.at <= GROUP_IDS_FRESH_MS) return known.ids;
    let pageToken: string | null = null;
    do pageToken = (await list({ pageToken })).nextPageToken;
    while (pageToken !== null);
    return known?.ids ?? [];
  };

  /**
   * One page of one group's members per call (GET /groups/{id}/members, paged like /members), as principal
   * ids only. The page size learned on one group carries to the next: it is the same endpoint.
   */
  const listGrants = async ({ pageToken }: ListInput): Promise<Page<Grant>> => {
    const ids = await groupIds();
    const cursor = decodePageToken<GrantCursor>(pageToken, { ...START, g: 0, gid: '' });
    // Resume at the group the token names, even if the groups moved since; a group gone is skipped.
    const at = cursor.gid !== '' && ids[cursor.g] !== cursor.gid ? ids.indexOf(cursor.gid) : cursor.g;
    const index = at < 0 ? cursor.g : at;
    const groupId = ids[index];
    if (groupId === undefined) return { items: [], nextPageToken: null };
    const fromStart = groupId !== cursor.gid;
    const page = await readOffsetPage(
      http,
      {
        path: urlPath`/groups/${groupId}/members`,
        endpoint: 'GET /groups/{groupId}/members',
        schema: groupMemberListSchema,
        pick: (answer) => answer.members,
        idOf: (member) => member.id,
      },
      fromStart ? { ...START, f: cursor.f } : cursor,
      // A group deleted since it was listed has no members to report.
      { accept404: true },
    );
    const items = (page?.items ?? []).map((member) => toGrant(appId, groupId, member.id));
    const learned = page?.learned ?? cursor.f;
    let next: GrantCursor | null = null;
    if (page?.next) next = { ...page.next, g: index, gid: groupId };
    else if (index + 1 < ids.length) next = { ...START, f: learned, g: index + 1, gid: ids[index + 1]! };
    return { items, nextPageToken: next ? encodePageToken({ ...next }) : null };
  };

  const grant = async ({ accountId, entitlementId }: { accountId: string; entitlementId: string }) => {
    try {
      // POST /groups/{id}/members: adding someone already in the group answers exactly like the first add
      // (200 {}), so repeating it is harmless (idempotent) and `alreadyGranted` cannot be known: it is false.
      await http.request({
        method: 'POST',
        path: urlPath`/groups/${entitlementId}/members`,
        endpoint: 'POST /groups/{groupId}/members',
        body: { memberId: accountId },
        idempotent: true,
      });
    } catch (error) {
      // "Group assignment before activation may fail": a 400 for a member still invited.
      if (isRosterError(error) && error.details['status'] === 400 && (await isInvited(accountId))) {
        throw new RosterError(
          'conflict',
          `${appId}: member ${accountId} cannot join group ${entitlementId} yet: the invitation must be accepted first`,
          {
            cause: error,
            where: appId,
            fix: 'wait until the person accepts the Process Street invitation, then apply again',
            details: { ...error.details, reason: 'invite_pending', accountId, entitlementId },
          },
        );
      }
      throw error;
    }
    return { alreadyGranted: false };
  };

  const isInvited = async (memberId: string): Promise<boolean> => {
    // GET /members/{id}: read the member's status to tell a pending invitation from a malformed request.
    const res = await http.request({
      method: 'GET',
      path: urlPath`/members/${memberId}`,
      endpoint: 'GET /members/{memberId}',
      accept404: true,
    });
    if (res.status === 404) return false;
    return (
      toStatus(parseAnswer(appId, 'GET /members/{memberId}', memberAnswerSchema, res.body).member.status) ===
      'invited'
    );
  };

  const revoke = async ({ accountId, entitlementId }: { accountId: string; entitlementId: string }) => {
    // DELETE /groups/{id}/members/{memberId}: 404 when the member is not in the group — already absent.
    const res = await http.request({
      method: 'DELETE',
      path: urlPath`/groups/${entitlementId}/members/${accountId}`,
      endpoint: 'DELETE /groups/{groupId}/members/{memberId}',
      accept404: true,
    });
    return { alreadyAbsent: res.status === 404 };
  };

  return { kind: 'group', list, listGrants, grant, revoke };
}

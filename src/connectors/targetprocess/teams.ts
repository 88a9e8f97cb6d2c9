/** @module Targetprocess teams: the /Teams list, membership grants from /TeamMembers, add and remove through TeamMembers. */

import { isRosterError } from '../../core/errors.js';
import type { Grant } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, type EntitlementOps, encodePageToken, type Page } from '../sdk/index.js';
import { getPage, type TpContext } from './client.js';
import { entitlementNumber, teamGrantOf, toTeamEntitlement } from './mappers.js';
import { userNumber } from './roles.js';
import { type TpTeamMember, tpNamed, tpTeamMember } from './schemas.js';

/** Principal ids only: never the member's names, never one request per member. */
const MEMBER_INCLUDE = '[User[Id],Team[Id]]';

export function teamOps(ctx: TpContext): EntitlementOps {
  const privileged = ctx.config.privilegedRoles;

  /** The membership of one user in one team, or null. */
  const findMembership = async (userId: number, teamId: number): Promise<TpTeamMember | null> => {
    // TeamMembers filtered by (User.Id eq X) and (Team.Id eq Y): membership is not on the User object.
    const page = await getPage(
      ctx,
      {
        path: '/TeamMembers',
        endpoint: 'GET /TeamMembers',
        include: MEMBER_INCLUDE,
        where: `(User.Id eq ${userId}) and (Team.Id eq ${teamId})`,
        skip: 0,
      },
      tpTeamMember,
    );
    return page.items[0]?.value ?? null;
  };

  return {
    kind: 'team',
    async list({ pageToken }) {
      const { skip, last } = decodePageToken(pageToken, { skip: 0, last: 0 });
      // List Teams (guide): Id and Name only.
      const page = await getPage(
        ctx,
        { path: '/Teams', endpoint: 'GET /Teams', include: '[Name]', skip, afterId: last },
        tpNamed,
      );
      return {
        items: page.items.map(({ value, raw }) => ({
          ...toTeamEntitlement(ctx.appId, value, privileged),
          raw,
        })),
        nextPageToken:
          page.nextSkip === null ? null : encodePageToken({ skip: page.nextSkip, last: page.lastId }),
      };
    },
    async listGrants({ pageToken }): Promise<Page<Grant>> {
      const { skip, last } = decodePageToken(pageToken, { skip: 0, last: 0 });
      // Team membership lives on TeamMembers and changing it does not bump the user's ModifyDate, so team
      // grants are always read here in full, never from an incremental user listing.
      const page = await getPage(
        ctx,
        { path: '/TeamMembers', endpoint: 'GET /TeamMembers', include: MEMBER_INCLUDE, skip, afterId: last },
        tpTeamMember,
      );
      const items = page.items.flatMap(({ value, raw }) => {
        const grant = teamGrantOf(ctx.appId, value);
        return grant ? [{ ...grant, raw }] : [];
      });
      return {
        items,
        nextPageToken:
          page.nextSkip === null ? null : encodePageToken({ skip: page.nextSkip, last: page.lastId }),
      };
    },
    async grant({ accountId, entitlementId }) {
      const teamId = entitlementNumber('team', entitlementId);
      const userId = userNumber(ctx, accountId);
      try {
        // Guide scenario: POST /TeamMembers {User:{Id}, Team:{Id}}. Not idempotent: when the answer is lost,
        // look the membership up before trying again.
        await withAmbiguityCheck({
          attempt: async () => {
            await ctx.http.request({
              method: 'POST',
              path: '/TeamMembers',
              endpoint: 'POST /TeamMembers',
              query: { format: 'json' },
              body: { User: { Id: userId }, Team: { Id: teamId } },
              idempotent: false,
            });
            return true;
          },
          lookup: async () => ((await findMembership(userId, teamId)) ? true : null),
        });
        return { alreadyGranted: false };
      } catch (error) {
        // A membership that exists already is a 400; anything else the 400 may mean is thrown as it came.
        if (
          isRosterError(error) &&
          error.code === 'invalid_input' &&
          (await findMembership(userId, teamId))
        ) {
          return { alreadyGranted: true };
        }
        throw error;
      }
    },
    async revoke({ accountId, entitlementId }) {
      const teamId = entitlementNumber('team', entitlementId);
      const userId = userNumber(ctx, accountId);
      const member = await findMembership(userId, teamId);
      if (!member) return { alreadyAbsent: true };
      // DELETE /TeamMembers/{id} is a hard delete; a 404 means someone removed it meanwhile.
      const res = await ctx.http.request({
        method: 'DELETE',
        path: urlPath`/TeamMembers/${member.Id}`,
        endpoint: 'DELETE /TeamMembers/{id}',
        query: { format: 'json' },
        accept404: true,
      });
      return { alreadyAbsent: res.status === 404 };
    },
  };
}

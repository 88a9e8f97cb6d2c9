/** @module Targetprocess roles: the /Roles list, name → Id resolution, and granting a role by POSTing it on the user. */

import { RosterError } from '../../core/errors.js';
import { urlPath } from '../http/index.js';
import { decodePageToken, type EntitlementOps, encodePageToken } from '../sdk/index.js';
import { getPage, type TpContext } from './client.js';
import { entitlementNumber, isUserId, toRoleEntitlement } from './mappers.js';
import { parseAnswer, type TpNamed, tpNamed, tpUserRole } from './schemas.js';

/** One page of /Roles. */
async function rolesPage(ctx: TpContext, skip: number, afterId: number) {
  // List Roles: role Ids are what user create/update take ("fetch this list to map role names to Ids").
  return getPage(ctx, { path: '/Roles', endpoint: 'GET /Roles', include: '[Name]', skip, afterId }, tpNamed);
}

/** Every role the tenant has. */
export async function allRoles(ctx: TpContext): Promise<TpNamed[]> {
  const roles = new Map<number, TpNamed>();
  let skip: number | null = 0;
  let afterId = 0;
  while (skip !== null) {
    const page = await rolesPage(ctx, skip, afterId);
    for (const { value } of page.items) if (!roles.has(value.Id)) roles.set(value.Id, value);
    skip = page.nextSkip;
    afterId = page.lastId;
  }
  return [...roles.values()];
}

/** The role a name means (case-insensitive); an unknown name is invalid input listing the ones that exist. */
export async function resolveRole(ctx: TpContext, name: string): Promise<TpNamed> {
  const roles = await allRoles(ctx);
  const found = roles.find((r) => r.Name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  throw new RosterError('invalid_input', `${ctx.appId}: Targetprocess has no role named "${name}"`, {
    where: ctx.appId,
    fix: `use one of: ${roles.map((r) => r.Name).join(', ')}`,
  });
}

export function userNumber(ctx: TpContext, accountId: string): number {
  if (isUserId(accountId)) return Number(accountId);
  throw new RosterError('invalid_input', `${ctx.appId}: "${accountId}" is not a Targetprocess user Id`, {
    where: ctx.appId,
  });
}

export function roleOps(ctx: TpContext): EntitlementOps {
  const privileged = ctx.config.privilegedRoles;
  return {
    kind: 'role',
    // Each user's Role comes with the user listing (include=[Role[Id,Name]]): no extra request per role.
    grantsFromAccounts: true,
    async list({ pageToken }) {
      const { skip, last } = decodePageToken(pageToken, { skip: 0, last: 0 });
      const page = await rolesPage(ctx, skip, last);
      return {
        items: page.items.map(({ value, raw }) => ({
          ...toRoleEntitlement(ctx.appId, value, privileged),
          raw,
        })),
        nextPageToken:
          page.nextSkip === null ? null : encodePageToken({ skip: page.nextSkip, last: page.lastId }),
      };
    },
    async grant({ accountId, entitlementId }) {
      const roleId = entitlementNumber('role', entitlementId);
      const userId = userNumber(ctx, accountId);
      // Get User by ID with include=[Role[Id]]: Role is not a default field, and a user holds exactly one.
      const res = await ctx.http.request({
        method: 'GET',
        path: urlPath`/Users/${userId}`,
        endpoint: 'GET /Users/{id}',
        query: { format: 'json', include: '[Role[Id]]' },
      });
      const user = parseAnswer(tpUserRole, res.body, { appId: ctx.appId, endpoint: 'GET /Users/{id}' });
      if (user.Role?.Id === roleId) return { alreadyGranted: true };
      // Role sync per the guide: POST (not PUT) /Users/{id} {"Role":{"Id":n}}, the role by reference Id only.
      // Setting a role is idempotent, so a retry after a lost answer is harmless.
      await ctx.http.request({
        method: 'POST',
        path: urlPath`/Users/${userId}`,
        endpoint: 'POST /Users/{id}',
        query: { format: 'json' },
        body: { Role: { Id: roleId } },
        idempotent: true,
      });
      return { alreadyGranted: false };
    },
  };
}

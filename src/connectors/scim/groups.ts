/** @module SCIM groups (kind 'group') on /Groups: list, grants from `members`, grant/revoke by PATCH. */

import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { EntitlementOps } from '../sdk/types.js';
import type { ScimClient } from './client.js';
import { filterString, groupGrants, toEntitlement } from './mappers.js';
import { type PatchOperation, patchBody } from './payloads.js';
import { scimGroupSchema } from './schemas.js';

export interface GroupOpsOptions {
  privilegedRoles?: readonly string[];
}

export function createGroupOps(scim: ScimClient, options: GroupOpsOptions = {}): EntitlementOps {
  const { appId, http } = scim;

  const members = async (groupId: string): Promise<Set<string>> => {
    // GET /Groups/{id}?attributes=members: only the member ids, not the group's other attributes.
    const response = await http.request({
      method: 'GET',
      path: urlPath`/Groups/${groupId}`,
      endpoint: 'GET /Groups/{id}',
      query: { attributes: 'members' },
    });
    const group = scim.parse(scimGroupSchema, response.body, 'GET /Groups/{id}');
    return new Set(groupGrants(appId, group).map((g) => g.accountId));
  };

  const patchMembers = (groupId: string, operation: PatchOperation, idempotent: boolean) =>
    // PATCH /Groups/{id} (RFC 7644 §3.5.2): members are added or removed without sending the whole list.
    http.request({
      method: 'PATCH',
      path: urlPath`/Groups/${groupId}`,
      endpoint: 'PATCH /Groups/{id}',
      body: patchBody([operation]),
      headers: { 'content-type': 'application/scim+json' },
      idempotent,
    });

  return {
    kind: 'group',

    async list({ pageToken }) {
      const position = decodePageToken(pageToken, { startIndex: 1, lastId: '' });
      // GET /Groups with attributes=displayName: members can be huge and are read by listGrants only.
      // A 404 means the server has no Groups endpoint: it then lists none.
      const page = await scim.listPage({
        path: '/Groups',
        endpoint: 'GET /Groups',
        item: scimGroupSchema,
        position,
        query: { attributes: 'displayName' },
        accept404: true,
      });
      return {
        items: page.items.map((g) => toEntitlement(appId, g, options.privilegedRoles)),
        nextPageToken: page.next === null ? null : encodePageToken({ ...page.next }),
        total: page.total,
      };
    },

    async listGrants({ pageToken }) {
      const position = decodePageToken(pageToken, { startIndex: 1, lastId: '' });
      // GET /Groups with attributes=members: every grant as principal ids, a page of groups per request.
      const page = await scim.listPage({
        path: '/Groups',
        endpoint: 'GET /Groups?attributes=members',
        item: scimGroupSchema,
        position,
        query: { attributes: 'members' },
        accept404: true,
      });
      return {
        items: page.items.flatMap((g) => groupGrants(appId, g)),
        nextPageToken: page.next === null ? null : encodePageToken({ ...page.next }),
      };
    },

    async grant({ accountId, entitlementId }) {
      if ((await members(entitlementId)).has(accountId)) return { alreadyGranted: true };
      // Adding a member already present changes nothing (RFC 7644 §3.5.2.1), so a lost answer may be resent.
      await patchMembers(entitlementId, { op: 'add', path: 'members', value: [{ value: accountId }] }, true);
      return { alreadyGranted: false };
    },

    async revoke({ accountId, entitlementId }) {
      if (!(await members(entitlementId)).has(accountId)) return { alreadyAbsent: true };
      // A repeated remove of a member no longer there is a 400 noTarget on strict servers: a lost answer is
      // checked by reading the members instead of being resent.
      const result = await withAmbiguityCheck({
        attempt: async () => {
          await patchMembers(
            entitlementId,
            { op: 'remove', path: `members[value eq ${filterString(accountId)}]` },
            false,
          );
          return { alreadyAbsent: false };
        },
        lookup: async () => ((await members(entitlementId)).has(accountId) ? null : { alreadyAbsent: false }),
      });
      return result.value;
    },
  };
}

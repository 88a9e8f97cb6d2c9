/**
 * @module SCIM groups (kind 'group') on /Groups: list, grants from `members`, grant/revoke by PATCH without
 * reading the member list for each change (at most once per group per connector).
 */

import { isRosterError } from '../../core/errors.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { EntitlementOps } from '../sdk/types.js';
import { FIRST_PAGE, type ScimClient } from './client.js';
import { filterString, groupGrants, toEntitlement } from './mappers.js';
import { type PatchOperation, patchBody } from './payloads.js';
import { scimGroupSchema } from './schemas.js';
import { patchUnsupported } from './users.js';

/** RFC 7644 §3.5.2.2: removing a member that is not there is a 400 with scimType noTarget on strict servers. */
function noTarget(error: unknown): boolean {
  return (
    isRosterError(error) &&
    error.details['status'] === 400 &&
    /notarget/i.test(JSON.stringify(error.details['scimType'] ?? error.message))
  );
}

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

  /**
   * Who is in each group, read at most once per group for this connector's life (one apply run), then kept
   * up to date by this connector's own changes. It only decides `alreadyGranted`/`alreadyAbsent`: the PATCH is
   * sent every time, so a stale entry can never stop a change.
   */
  const known = new Map<string, Promise<Set<string>>>();
  const membersOnce = (groupId: string): Promise<Set<string>> => {
    let found = known.get(groupId);
    if (!found) {
      found = members(groupId);
      known.set(groupId, found);
      found.catch(() => known.delete(groupId));
    }
    return found;
  };

  const patchMembers = async (groupId: string, operation: PatchOperation, idempotent: boolean) => {
    if (!(await scim.config()).patch) throw patchUnsupported(appId, "change a group's members");
    // PATCH /Groups/{id} (RFC 7644 §3.5.2): members are added or removed without sending the whole list.
    return http.request({
      method: 'PATCH',
      path: urlPath`/Groups/${groupId}`,
      endpoint: 'PATCH /Groups/{id}',
      body: patchBody([operation]),
      headers: { 'content-type': 'application/scim+json' },
      idempotent,
    });
  };

  return {
    kind: 'group',

    async list({ pageToken }) {
      const position = decodePageToken(pageToken, FIRST_PAGE);
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
      const position = decodePageToken(pageToken, FIRST_PAGE);
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
      const current = await membersOnce(entitlementId);
      const already = current.has(accountId);
      // Adding a member already present changes nothing (RFC 7644 §3.5.2.1), so a lost answer may be resent.
      await patchMembers(entitlementId, { op: 'add', path: 'members', value: [{ value: accountId }] }, true);
      current.add(accountId);
      return { alreadyGranted: already };
    },

    async revoke({ accountId, entitlementId }) {
      const current = await membersOnce(entitlementId);
      const already = !current.has(accountId);
      // A repeated remove of a member no longer there is a 400 noTarget on strict servers: that answer means
      // "already absent", and a lost answer is checked by reading the members instead of being resent.
      const result = await withAmbiguityCheck({
        attempt: async () => {
          try {
            await patchMembers(
              entitlementId,
              { op: 'remove', path: `members[value eq ${filterString(accountId)}]` },
              false,
            );
          } catch (error) {
            if (noTarget(error)) return { alreadyAbsent: true };
            throw error;
          }
          return { alreadyAbsent: already };
        },
        lookup: async () => ((await members(entitlementId)).has(accountId) ? null : { alreadyAbsent: false }),
      });
      current.delete(accountId);
      return result.value;
    },
  };
}

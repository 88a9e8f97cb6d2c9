/** @module customer-directory requests: the customer-scoped paths, id checks, and every upstream call the connector makes. */

import { RosterError } from '../../core/errors.js';
import type { HttpResponse } from '../http/index.js';
import { urlPath } from '../http/index.js';
import { optionalEndpoint } from '../sdk/optional.js';
import type { ConnectorContext, ListInput } from '../sdk/types.js';
import type { CustomerDirectoryConfig } from './config.js';
import {
  type CdNamed,
  type CdUser,
  cdNamedSchema,
  cdUserSchema,
  OBJECT_ID,
  parseBody,
  parseList,
} from './schemas.js';

export type CdContext = ConnectorContext<CustomerDirectoryConfig>;

/** Stable labels for metrics, logs and errors (ids left out so they group). */
export const ENDPOINTS = {
  listUsers: 'GET /api/v1/customers/{customerId}/users',
  lookup: 'GET /api/v1/customers/{customerId}/users/lookup',
  getUser: 'GET /api/v1/customers/{customerId}/users/{userId}',
  patchV2: 'PATCH /api/v2/customers/{customerId}/users/{userId}',
  patchV1: 'PATCH /api/v1/customers/{customerId}/users/{userId}',
  deleteUser: 'DELETE /api/v1/customers/{customerId}/users/{userId}',
  listRoles: 'GET /api/v1/customers/{customerId}/roles',
  listGroups: 'GET /api/v1/customers/{customerId}/groups',
} as const;

/** Ids go into paths: anything but 24 hex characters is refused before a request is sent. */
export function requireObjectId(appId: string, id: string, what: string): string {
  if (!OBJECT_ID.test(id)) {
    throw new RosterError(
      'invalid_input',
      `${appId}: ${JSON.stringify(id)} is not a ${what} (24 hex characters)`,
      {
        where: appId,
        fix: `pass the ${what} as customer-directory issues it, e.g. 64b7f0c2a1e4d5f6a7b8c9d0`,
        details: { appId },
      },
    );
  }
  return id.toLowerCase();
}

/** The listings have no paging (guide: none documented): one answer is everything, so no token is ever issued. */
export function requireFirstPage(appId: string, input: ListInput): void {
  if (input.pageToken !== null) {
    throw new RosterError('invalid_input', `${appId}: the page token is not one this connector issued`, {
      where: appId,
      fix: 'start the listing again without a page token (roster sync --full)',
      details: { appId },
    });
  }
}

export interface CdApi {
  listUsers(): Promise<CdUser[]>;
  lookupByEmail(email: string): Promise<CdUser | null>;
  getUser(id: string): Promise<CdUser | null>;
  /** PATCH v2 (v1 where v2 is not served); answers the user as it now is. */
  patchUser(id: string, body: Record<string, unknown>): Promise<CdUser>;
  /** False when the user was already gone. */
  deleteUser(id: string): Promise<boolean>;
  /** The undocumented role list, when opted in and served; null otherwise. */
  listRoles(): Promise<CdNamed[] | null>;
  /** The undocumented group list, when opted in and served; null otherwise. */
  listGroups(): Promise<CdNamed[] | null>;
}

export function createCdApi(ctx: CdContext): CdApi {
  const { appId, http, config } = ctx;
  const v1 = urlPath`/api/v1/customers/${config.customerId}`;
  const v2 = urlPath`/api/v2/customers/${config.customerId}`;
  // Set once PATCH v2 has answered a route-level 404: this instance serves only v1.
  let v2Missing = false;

  const notFound = (id: string) =>
    new RosterError('not_found', `${appId}: user ${id} not found`, { where: appId, details: { appId, id } });

  const getUser = async (id: string): Promise<CdUser | null> => {
    const userId = requireObjectId(appId, id, 'user id');
    // GET /api/v1/customers/{customerId}/users/{userId}: "returns a user by its id"; 404 when it is gone.
    const res = await http.request({
      method: 'GET',
      path: `${v1}${urlPath`/users/${userId}`}`,
      endpoint: ENDPOINTS.getUser,
      accept404: true,
    });
    return res.status === 404 ? null : parseBody(appId, ENDPOINTS.getUser, cdUserSchema, res.body);
  };

  /** A PATCH answer is the user; an empty answer is read back so the result is always the app's state. */
  const userAnswer = async (res: HttpResponse, endpoint: string, id: string): Promise<CdUser> => {
    if (res.body === null || res.body === '') {
      const user = await getUser(id);
      if (user === null) throw notFound(id);
      return user;
    }
    return parseBody(appId, endpoint, cdUserSchema, res.body);
  };

  return {
    async listUsers() {
      // GET /api/v1/customers/{customerId}/users: `integration` is a required query parameter (its enum is
      // blank in the guide; the config names it). No pagination is documented: one answer holds every user,
      // as a bare array or as { users } ("application/json or").
      const res = await http.request({
        method: 'GET',
        path: `${v1}/users`,
        query: { integration: config.integration },
        endpoint: ENDPOINTS.listUsers,
      });
      return parseList(appId, ENDPOINTS.listUsers, 'users', cdUserSchema, res.body);
    },

    async lookupByEmail(email) {
      // GET /api/v1/customers/{customerId}/users/lookup?type=email&value=…: the guide prints type/value under
      // the response, but a GET has no body; they are query parameters. No such user is a 404, not an error.
      const res = await http.request({
        method: 'GET',
        path: `${v1}/users/lookup`,
        query: { type: 'email', value: email },
        endpoint: ENDPOINTS.lookup,
        accept404: true,
      });
      return res.status === 404 ? null : parseBody(appId, ENDPOINTS.lookup, cdUserSchema, res.body);
    },

    getUser,

    async patchUser(id, body) {
      const userId = requireObjectId(appId, id, 'user id');
      const tail = urlPath`/users/${userId}`;
      if (!v2Missing) {
        // PATCH /api/v2/customers/{customerId}/users/{userId}: the current update (no delegateIds). Every field
        // is an absolute value ("if set, will update"), so repeating it after a lost answer is harmless.
        const res = await http.request({
          method: 'PATCH',
          path: `${v2}${tail}`,
          body,
          endpoint: ENDPOINTS.patchV2,
          idempotent: true,
          accept404: true,
        });
        if (res.status !== 404) return userAnswer(res, ENDPOINTS.patchV2, userId);
        // A 404 from v2 is either "no such user" or "no such route" (an instance without v2): reading the user
        // tells them apart without trusting the wording of the error body.
        if ((await getUser(userId)) === null) throw notFound(userId);
        v2Missing = true;
        ctx.logger.info({ endpoint: ENDPOINTS.patchV2 }, 'PATCH v2 is not served; updating through PATCH v1');
      }
      // PATCH /api/v1/customers/{customerId}/users/{userId}: the same fields, for instances without v2.
      const res = await http.request({
        method: 'PATCH',
        path: `${v1}${tail}`,
        body,
        endpoint: ENDPOINTS.patchV1,
        idempotent: true,
      });
      return userAnswer(res, ENDPOINTS.patchV1, userId);
    },

    async deleteUser(id) {
      const userId = requireObjectId(appId, id, 'user id');
      // DELETE /api/v1/customers/{customerId}/users/{userId}: answers the deleted user; the user is removed,
      // so a second DELETE is a 404, which means it is already gone.
      const res = await http.request({
        method: 'DELETE',
        path: `${v1}${urlPath`/users/${userId}`}`,
        endpoint: ENDPOINTS.deleteUser,
        accept404: true,
      });
      if (res.status === 404) return false;
      if (res.body !== null && res.body !== '')
        parseBody(appId, ENDPOINTS.deleteUser, cdUserSchema, res.body);
      return true;
    },

    // GET …/roles and GET …/groups: not in the guide (PATCH roleIds needs ids to name; users carry groupIds).
    // Asked only with `undocumented: [roles-endpoint]` / `[groups-endpoint]`; a 404 or 405 means the instance
    // lacks them (null), and the names come from roster.yaml instead.
    listRoles: optionalEndpoint({
      appId,
      logger: ctx.logger,
      flag: 'roles-endpoint',
      enabled: (config.undocumented ?? []).includes('roles-endpoint'),
      endpoint: ENDPOINTS.listRoles,
      send: () =>
        http.request({ method: 'GET', path: `${v1}/roles`, endpoint: ENDPOINTS.listRoles, accept404: true }),
      parse: (body) => parseList(appId, ENDPOINTS.listRoles, 'roles', cdNamedSchema, body),
    }),
    listGroups: optionalEndpoint({
      appId,
      logger: ctx.logger,
      flag: 'groups-endpoint',
      enabled: (config.undocumented ?? []).includes('groups-endpoint'),
      endpoint: ENDPOINTS.listGroups,
      send: () =>
        http.request({
          method: 'GET',
          path: `${v1}/groups`,
          endpoint: ENDPOINTS.listGroups,
          accept404: true,
        }),
      parse: (body) => parseList(appId, ENDPOINTS.listGroups, 'groups', cdNamedSchema, body),
    }),
  };
}

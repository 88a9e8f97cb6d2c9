/** @module Thought Industries account operations: list, get, find by email, create, update, (de)activate, delete. */

import { isRosterError, RosterError } from '../../core/errors.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { AccountOps } from '../sdk/types.js';
import type { TiCatalog } from './catalog.js';
import {
  customFieldKeysOf,
  modifyUser,
  readUser,
  type TiContext,
  usersByEmail,
  usersPage,
} from './client.js';
import { checkChanges, createBody, groupGrantsOf, mergeChanges, toAccount, writableOf } from './mappers.js';
import { parseAnswer, type TiUser, userEnvelopeSchema } from './schemas.js';

/** "Duplicate email returns an error": a 409, or (the sandbox's reading) a 400 saying "already exists". */
function asConflict(appId: string, email: string, error: unknown): unknown {
  const duplicate400 =
    isRosterError(error) &&
    error.code === 'invalid_input' &&
    error.details['status'] === 400 &&
    /already exists/i.test(error.message);
  if (!duplicate400) return error;
  return new RosterError('conflict', `${appId}: a user with email ${email} already exists`, {
    cause: error,
    where: appId,
    fix: 'link the existing account instead of creating another',
    details: { ...error.details, email },
  });
}

export function userOps(ctx: TiContext, catalog: TiCatalog): AccountOps {
  const { appId } = ctx;
  const account = (user: TiUser) => toAccount(appId, user);

  return {
    // List Users (see usersPage): group memberships are each user's `groups`, so no request per group.
    async list({ pageToken }) {
      const { page } = decodePageToken(pageToken, { page: 1 });
      const { users, total, last } = await usersPage(ctx, page);
      catalog.sawUsers(page, users, last);
      return {
        items: users.map(account),
        grants: users.flatMap((user) => groupGrantsOf(appId, user)),
        nextPageToken: last ? null : encodePageToken({ page: page + 1 }),
        total,
      };
    },

    async get({ id }) {
      const user = await readUser(ctx, id);
      return user ? account(user) : null;
    },

    async findByEmail({ email }) {
      return (await usersByEmail(ctx, email)).map(account);
    },

    async create({ account: input }) {
      const body = createBody(appId, input, customFieldKeysOf(ctx));
      const endpoint = 'POST /users';
      // Create User: a POST whose answer may be lost; before trying again, look the email up (it must be unique).
      const result = await withAmbiguityCheck<TiUser>({
        attempt: async () => {
          const res = await ctx.http
            .request({ method: 'POST', path: '/users', body, endpoint, idempotent: false })
            .catch((error: unknown) => {
              throw asConflict(appId, input.email, error);
            });
          return parseAnswer(userEnvelopeSchema, res.body, appId, endpoint).user;
        },
        lookup: async () => (await usersByEmail(ctx, input.email))[0] ?? null,
      });
      return { account: account(result.value), recovered: result.recovered };
    },

    async update({ id, changes }) {
      const keys = customFieldKeysOf(ctx);
      // Refuse unknown attributes before the read, so a bad change costs no request.
      checkChanges(appId, changes, keys);
      const { email } = changes;
      const written = modifyUser(ctx, id, (current) =>
        mergeChanges(appId, writableOf(current), changes, keys),
      );
      // A PUT that changes the email to one another user holds is the same duplicate error as on create.
      const { after } = await (email === undefined
        ? written
        : written.catch((error: unknown) => {
            throw asConflict(appId, email, error);
          }));
      return { account: account(after) };
    },

    // PUT {"active": false} alone would null every other field: read, flip `active`, write the whole user.
    async deactivate({ id }) {
      const { after, written } = await modifyUser(ctx, id, (current) =>
        current.active ? { ...writableOf(current), active: false } : null,
      );
      return { account: account(after), alreadyInactive: !written };
    },

    async reactivate({ id }) {
      const { after, written } = await modifyUser(ctx, id, (current) =>
        current.active ? null : { ...writableOf(current), active: true },
      );
      return { account: account(after), alreadyActive: !written };
    },

    // Delete User: permanent (history goes with it); an id that is already gone answers 404.
    async delete({ id }) {
      const res = await ctx.http.request({
        method: 'DELETE',
        path: urlPath`/users/${id}`,
        endpoint: 'DELETE /users/{id}',
        accept404: true,
      });
      return { alreadyAbsent: res.status === 404 };
    },
  };
}

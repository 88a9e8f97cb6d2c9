/** @module customer-directory account operations: list, get, findByEmail, update (PATCH v2, v1 fallback) and delete. */

import { RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import type { AccountChanges, AccountOps, WithRaw } from '../sdk/types.js';
import type { CdCatalog } from './catalog.js';
import { type CdApi, type CdContext, requireFirstPage, requireObjectId } from './client.js';
import { grantsOf, type RoleIndex, toAccount } from './mappers.js';
import type { CdUser } from './schemas.js';

/** The profile fields PATCH v2 takes besides names and email, under the names `attributes` uses for them. */
export const WRITABLE_ATTRIBUTES = [
  'jobTitle',
  'nickname',
  'seniority',
  'department',
  'office',
  'subdepartment',
  'pod',
] as const;

const writable = new Set<string>(WRITABLE_ATTRIBUTES);

/** The PATCH body for a change; what the API cannot change is refused rather than silently dropped. */
export function patchBodyOf(appId: string, changes: AccountChanges): Record<string, string> {
  const refuse = (message: string, fix: string) =>
    new RosterError('invalid_input', `${appId}: ${message}`, { where: appId, fix, details: { appId } });
  const body: Record<string, string> = {};
  if (changes.email !== undefined) body['email'] = changes.email;
  if (changes.firstName !== undefined) body['firstName'] = changes.firstName;
  if (changes.lastName !== undefined) body['lastName'] = changes.lastName;
  if (changes.login !== undefined && changes.login !== changes.email) {
    throw refuse('the login is the email address', 'change `email` instead of `login`');
  }
  if (changes.externalId !== undefined) {
    throw refuse(
      'external identities cannot be set through the API (PATCH has no such field)',
      'link the identity in the directory admin, or leave externalId out of the change',
    );
  }
  for (const [key, value] of Object.entries(changes.attributes ?? {})) {
    if (!writable.has(key)) {
      throw refuse(
        `"${key}" cannot be changed through the API`,
        `use one of: ${WRITABLE_ATTRIBUTES.join(', ')}`,
      );
    }
    // The guide types these as strings and the app refuses null: clearing a field is the empty string.
    body[key] = value === null ? '' : String(value);
  }
  return body;
}

export function createUserOps(ctx: CdContext, api: CdApi, catalog: CdCatalog): AccountOps {
  const roleIndex = () => catalog.index();
  const { appId } = ctx;
  const account = (user: CdUser, roles: RoleIndex): WithRaw<Account> => ({
    ...toAccount(appId, user, roles),
    raw: user,
  });

  return {
    async list(input) {
      requireFirstPage(appId, input);
      // Role names (for isAdmin) come from config, or the opted-in role list read alongside.
      const [users, roles] = await Promise.all([api.listUsers(), roleIndex()]);
      catalog.sawUsers(users);
      const seen = new Set<string>();
      const unique = users.filter((user) => {
        const id = user._id.toLowerCase();
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      return {
        items: unique.map((user) => account(user, roles)),
        grants: unique.flatMap((user) => grantsOf(appId, user)),
        nextPageToken: null,
        total: unique.length,
      };
    },

    async get({ id }) {
      const userId = requireObjectId(appId, id, 'user id');
      const [user, roles] = await Promise.all([api.getUser(userId), roleIndex()]);
      return user === null ? null : account(user, roles);
    },

    async findByEmail({ email }) {
      const wanted = email.trim();
      if (wanted === '') return [];
      const [user, roles] = await Promise.all([api.lookupByEmail(wanted), roleIndex()]);
      // Lookup finds the user by its current email, any letter case; anything else is not this email's account.
      if (user === null || user.email.toLowerCase() !== wanted.toLowerCase()) return [];
      return [account(user, roles)];
    },

    async update({ id, changes }) {
      const userId = requireObjectId(appId, id, 'user id');
      const body = patchBodyOf(appId, changes);
      if (Object.keys(body).length === 0) {
        // Nothing to send: the result is the account as it is.
        const [user, roles] = await Promise.all([api.getUser(userId), roleIndex()]);
        if (user === null) {
          throw new RosterError('not_found', `${appId}: user ${userId} not found`, {
            where: appId,
            details: { appId },
          });
        }
        return { account: account(user, roles) };
      }
      const [user, roles] = await Promise.all([api.patchUser(userId, body), roleIndex()]);
      return { account: account(user, roles) };
    },

    async delete({ id }) {
      return { alreadyAbsent: !(await api.deleteUser(id)) };
    },
  };
}

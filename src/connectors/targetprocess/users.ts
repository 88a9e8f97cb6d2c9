/** @module Targetprocess account operations on /Users: paged and incremental listing, lookup, create, POST updates, soft delete. */

import { randomInt } from 'node:crypto';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account, Grant } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import {
  type AccountInput,
  type AccountOps,
  decodePageToken,
  encodePageToken,
  type WithRaw,
} from '../sdk/index.js';
import { getPage, type TpContext, tpString, USER_INCLUDE } from './client.js';
import { isUserId, roleGrantOf, statusOf, toAccount } from './mappers.js';
import { resolveRole } from './roles.js';
import { parseAnswer, type TpNamed, tpEntity, tpUser } from './schemas.js';

type Raw = Record<string, unknown>;

const CHARSETS = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%*+-=?@_'];

/** A strong random password (24 characters, every character class): shown to nobody, people reset it. */
export function generatePassword(length = 24): string {
  const all = CHARSETS.join('');
  const chars = CHARSETS.map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** A `since` watermark as the canonical ISO 8601 the where clause takes (Z offset: no `+` to mis-encode). */
function sinceIso(ctx: TpContext, since: string): string {
  const at = Date.parse(since);
  if (Number.isNaN(at)) {
    throw new RosterError('invalid_input', `${ctx.appId}: "${since}" is not an ISO 8601 watermark`, {
      where: ctx.appId,
      fix: 'run a full sync (roster sync --full)',
    });
  }
  return new Date(at).toISOString();
}

/** A 400 saying an Email or Login is taken (soft-deleted users keep theirs) is a conflict, not bad input. */
function asConflict(ctx: TpContext, error: unknown, input: AccountInput): unknown {
  if (!isRosterError(error) || error.code !== 'invalid_input' || error.details['status'] !== 400)
    return error;
  const field = /\b(Email|Login)\b[^"]*already in use|already exists|must be unique/i.exec(error.message);
  if (!field) return error;
  const which = field[1] ?? 'Email';
  return new RosterError(
    'conflict',
    `${ctx.appId}: a Targetprocess user with this ${which} already exists (${input.email})`,
    {
      cause: error,
      where: ctx.appId,
      details: { ...error.details, field: which },
      fix:
        which === 'Login'
          ? 'another user holds this Login: give the account a different login'
          : 'link the existing user instead of creating one (a soft-deleted user keeps its email)',
    },
  );
}

export function accountOps(ctx: TpContext): AccountOps {
  const { appId } = ctx;

  const withRaw = (raw: unknown, endpoint: string): WithRaw<Account> => ({
    ...toAccount(appId, parseAnswer(tpUser, raw, { appId, endpoint })),
    raw,
  });

  /** The user with every mapped field, or null when the app never issued the Id. */
  const fetchUser = async (id: string): Promise<{ account: WithRaw<Account>; raw: Raw } | null> => {
    if (!isUserId(id)) return null;
    // Get User by ID: Role and LastLoginDate are not default fields, so they are asked for by include.
    // A soft-deleted user is retained and still answers, with DeleteDate set.
    const res = await ctx.http.request({
      method: 'GET',
      path: urlPath`/Users/${id}`,
      endpoint: 'GET /Users/{id}',
      query: { format: 'json', include: USER_INCLUDE },
      accept404: true,
    });
    if (res.status === 404) return null;
    return { account: withRaw(res.body, 'GET /Users/{id}'), raw: res.body as Raw };
  };

  const requireUser = async (id: string) => {
    const found = await fetchUser(id);
    if (found) return found;
    throw new RosterError('not_found', `${appId}: no Targetprocess user with Id ${id}`, {
      where: appId,
      details: { appId, id },
    });
  };

  /** POST /Users/{id} with the given fields; the answer (default fields only) laid over what was read. */
  const postUpdate = async (id: string, before: Raw, body: Raw, extra: Raw = {}) => {
    // Update User: POST, not PUT/PATCH, to /Users/{id}, with only the fields to change. Repeating the
    // same field values is harmless, so a retry after a lost answer is safe.
    const res = await ctx.http.request({
      method: 'POST',
      path: urlPath`/Users/${id}`,
      endpoint: 'POST /Users/{id}',
      query: { format: 'json' },
      body,
      idempotent: true,
    });
    const answer = res.body !== null && typeof res.body === 'object' ? (res.body as Raw) : {};
    return withRaw({ ...before, ...answer, ...extra }, 'POST /Users/{id}');
  };

  const findByEmail = async ({ email }: { email: string }): Promise<WithRaw<Account>[]> => {
    // Filter Users by Email: Targetprocess query language, string single-quoted, a quote escaped with a
    // backslash. Comparison ignores case; deleted users still list (their address stays taken).
    const page = await getPage(
      ctx,
      {
        path: '/Users',
        endpoint: 'GET /Users',
        include: USER_INCLUDE,
        where: `(Email eq ${tpString(email)})`,
        skip: 0,
      },
      tpUser,
    );
    const wanted = email.trim().toLowerCase();
    return page.items
      .filter(({ value }) => (value.Email ?? '').trim().toLowerCase() === wanted)
      .map(({ value, raw }) => ({ ...toAccount(appId, value), raw }));
  };

  const setActive = async (id: string, active: boolean) => {
    const { account, raw } = await requireUser(id);
    const status = statusOf({ IsActive: active, DeleteDate: null });
    // A soft-deleted user cannot log in: it is as inactive as it gets, and the API cannot undelete it.
    if (account.status === 'deleted') {
      if (!active) return { account, already: true };
      throw new RosterError(
        'invalid_input',
        `${appId}: user ${id} is soft-deleted and cannot be reactivated`,
        {
          where: appId,
          fix: 'restore the user in the Targetprocess admin UI, or create a new account',
        },
      );
    }
    if (account.status === status) return { account, already: true };
    // Offboarding per the guide: POST /Users/{id} {"IsActive": false} revokes login without deleting data.
    return { account: await postUpdate(id, raw, { IsActive: active }), already: false };
  };

  return {
    async list({ pageToken, since }) {
      const state = decodePageToken(pageToken, { skip: 0, last: 0, since: since ?? '', mark: '' });
      // Incremental sync per the guide: ModifyDate gt '<ISO>'. Team membership does not bump ModifyDate;
      // team grants are read from /TeamMembers instead.
      const where = state.since ? `(ModifyDate gt '${sinceIso(ctx, state.since)}')` : undefined;
      // List Users: take=1000 (the maximum), every mapped field in include; soft-deleted users still list.
      const page = await getPage(
        ctx,
        {
          path: '/Users',
          endpoint: 'GET /Users',
          include: USER_INCLUDE,
          where,
          skip: state.skip,
          afterId: state.last,
        },
        tpUser,
      );
      const items: WithRaw<Account>[] = [];
      const grants: Grant[] = [];
      let mark = state.mark;
      for (const { value, raw } of page.items) {
        const account = toAccount(appId, value);
        items.push({ ...account, raw });
        const grant = roleGrantOf(appId, value);
        if (grant) grants.push(grant);
        if (account.updatedAt && account.updatedAt > mark) mark = account.updatedAt;
      }
      const nextPageToken =
        page.nextSkip === null
          ? null
          : encodePageToken({ skip: page.nextSkip, last: page.lastId, since: state.since, mark });
      return { items, grants, nextPageToken, watermark: mark || state.since || null };
    },

    async get({ id }) {
      return (await fetchUser(id))?.account ?? null;
    },

    findByEmail,

    async create({ account: input }) {
      const role: TpNamed | null =
        typeof input.attributes?.['role'] === 'string'
          ? await resolveRole(ctx, input.attributes['role'])
          : null;
      const login = input.login ?? input.email.split('@')[0]!;
      const body: Raw = {
        FirstName: input.firstName,
        LastName: input.lastName,
        Email: input.email,
        Login: login,
        ...(role ? { Role: { Id: role.Id } } : {}),
      };
      // Guide: "Password is required for non-SSO accounts". Never logged: it travels only in this body.
      if (!ctx.config.sso) body['Password'] = input.password ?? generatePassword();
      const lookup = async () =>
        (await findByEmail({ email: input.email })).find((a) => a.status !== 'deleted') ?? null;
      try {
        const result = await withAmbiguityCheck({
          attempt: async () => {
            // Create User: POST /Users answers the default fields only (no Role), so the user is read back.
            const res = await ctx.http.request({
              method: 'POST',
              path: '/Users',
              endpoint: 'POST /Users',
              query: { format: 'json' },
              body,
              idempotent: false,
            });
            const created = parseAnswer(tpEntity, res.body, { appId, endpoint: 'POST /Users' });
            return (await requireUser(String(created.Id))).account;
          },
          // An answer lost on the way back: the user may exist; look it up by email before trying again.
          lookup,
        });
        return { account: result.value, recovered: result.recovered };
      } catch (error) {
        throw asConflict(ctx, error, input);
      }
    },

    async update({ id, changes }) {
      const { account, raw } = await requireUser(id);
      const body: Raw = {};
      if (changes.firstName !== undefined && changes.firstName !== account.firstName)
        body['FirstName'] = changes.firstName;
      if (changes.lastName !== undefined && changes.lastName !== account.lastName)
        body['LastName'] = changes.lastName;
      if (changes.email !== undefined && changes.email !== account.email) body['Email'] = changes.email;
      if (changes.login !== undefined && changes.login !== account.login) body['Login'] = changes.login;
      // externalId: Targetprocess keeps none through the REST API, so there is nothing to write.
      const extra: Raw = {};
      const roleName = changes.attributes?.['role'];
      if (typeof roleName === 'string' && roleName !== account.attributes['role']) {
        // Roles are set by reference Id only (guide: fetch /Roles to map names to Ids).
        const role = await resolveRole(ctx, roleName);
        body['Role'] = { Id: role.Id };
        extra['Role'] = { Id: role.Id, Name: role.Name };
      }
      if (Object.keys(body).length === 0) return { account };
      return { account: await postUpdate(id, raw, body, extra) };
    },

    async deactivate({ id }) {
      const { account, already } = await setActive(id, false);
      return { account, alreadyInactive: already };
    },

    async reactivate({ id }) {
      const { account, already } = await setActive(id, true);
      return { account, alreadyActive: already };
    },

    async delete({ id }) {
      if (!isUserId(id)) return { alreadyAbsent: true };
      // Delete User is a soft delete (DeleteDate set, record kept). A second DELETE, or an unknown Id, is a
      // 404: either way the user is already gone.
      const res = await ctx.http.request({
        method: 'DELETE',
        path: urlPath`/Users/${id}`,
        endpoint: 'DELETE /Users/{id}',
        query: { format: 'json' },
        accept404: true,
      });
      return { alreadyAbsent: res.status === 404 };
    },
  };
}

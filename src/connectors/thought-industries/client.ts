/** @module Thought Industries requests shared by the resource files: read a user, write it back whole, GraphQL. */

import type { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { urlPath } from '../http/index.js';
import type { ConnectorContext } from '../sdk/types.js';
import type { ThoughtIndustriesConfig } from './config.js';
import type { TiUserWrite } from './mappers.js';
import {
  MAX_PAGE_SIZE,
  parseAnswer,
  type TiUser,
  userEnvelopeSchema,
  userListSchema,
  userLookupSchema,
} from './schemas.js';

export type TiContext = ConnectorContext<ThoughtIndustriesConfig>;

/** The portal's custom field keys, as configured (none configured: every custom field is refused). */
export const customFieldKeysOf = (ctx: TiContext): readonly string[] => ctx.config.customFieldKeys ?? [];

/**
 * List Users: offset paging, per_page at its maximum of 100 ("Max page size: 100"); the last page is short
 * or reaches `total`.
 */
export async function usersPage(
  ctx: TiContext,
  page: number,
  /** What the listing is for, in the metrics label when it is not the account listing itself. */
  purpose?: 'group ids' | 'enrollments',
): Promise<{ users: TiUser[]; total: number; last: boolean }> {
  const endpoint = purpose ? `GET /users (${purpose})` : 'GET /users';
  const res = await ctx.http.request({
    method: 'GET',
    path: '/users',
    query: { page, per_page: MAX_PAGE_SIZE },
    endpoint,
  });
  const { users, total } = parseAnswer(userListSchema, res.body, ctx.appId, endpoint);
  return { users, total, last: users.length < MAX_PAGE_SIZE || page * MAX_PAGE_SIZE >= total };
}

/** Get User by ID: "Returns 404 if user ID does not exist in the tenant", which is null here. */
export async function readUser(ctx: TiContext, id: string): Promise<TiUser | null> {
  const endpoint = 'GET /users/{id}';
  const res = await ctx.http.request({
    method: 'GET',
    path: urlPath`/users/${id}`,
    endpoint,
    accept404: true,
  });
  if (res.status === 404) return null;
  return parseAnswer(userEnvelopeSchema, res.body, ctx.appId, endpoint).user;
}

/** A user that must exist for the operation: its absence is a not_found naming it. */
export async function requireUser(ctx: TiContext, id: string): Promise<TiUser> {
  const user = await readUser(ctx, id);
  if (user) return user;
  throw new RosterError('not_found', `${ctx.appId}: user ${id} does not exist`, {
    where: ctx.appId,
    details: { appId: ctx.appId, accountId: id },
  });
}

/**
 * Update User (PUT /users/{id}): full object replacement, so `write` must be the whole writable object
 * (omitted fields are nulled and an omitted `active` becomes true). PUT of the same object is idempotent.
 */
export async function writeUser(ctx: TiContext, id: string, write: TiUserWrite): Promise<TiUser> {
  const endpoint = 'PUT /users/{id}';
  const res = await ctx.http.request({ method: 'PUT', path: urlPath`/users/${id}`, body: write, endpoint });
  return parseAnswer(userEnvelopeSchema, res.body, ctx.appId, endpoint).user;
}

/** Read-merge-write: GET the user, apply `change` to its whole writable object, PUT it all back. */
export async function modifyUser(
  ctx: TiContext,
  id: string,
  change: (current: TiUser) => TiUserWrite | null,
): Promise<{ before: TiUser; after: TiUser; written: boolean }> {
  const before = await requireUser(ctx, id);
  const write = change(before);
  if (write === null) return { before, after: before, written: false };
  return { before, after: await writeUser(ctx, id, write), written: true };
}

/**
 * GET /users?email=: the guide's scenarios resolve a user this way and read a 404 as "no such user";
 * an empty list means the same. Matching is re-checked case-insensitively on the whole address.
 */
export async function usersByEmail(ctx: TiContext, email: string): Promise<TiUser[]> {
  const endpoint = 'GET /users?email';
  const res = await ctx.http.request({
    method: 'GET',
    path: '/users',
    query: { email },
    endpoint,
    accept404: true,
  });
  if (res.status === 404) return [];
  const users = parseAnswer(userLookupSchema, res.body, ctx.appId, endpoint).users ?? [];
  return users.filter((user) => user.email.toLowerCase() === email.toLowerCase());
}

/** The GraphQL endpoint sits beside the versioned REST base: /incoming/api/v1 → /incoming/api/graphql. */
export function graphqlUrl(baseUrl: string): string {
  if (/\/v1$/.test(baseUrl)) return baseUrl.replace(/\/v1$/, '/graphql');
  return new URL('/incoming/api/graphql', baseUrl).toString();
}

/**
 * GraphQL User Query (POST /incoming/api/graphql): a read, so repeating it after a lost answer is harmless.
 * Any `errors` fail the call: partial data would read as missing grants, and missing grants get revoked.
 */
export async function graphqlQuery<T extends { data?: unknown; errors?: { message: string }[] | null }>(
  ctx: TiContext,
  schema: z.ZodType<T>,
  request: { query: string; variables: Record<string, unknown>; endpoint: string },
): Promise<NonNullable<T['data']>> {
  const res = await ctx.http.requestUrl(graphqlUrl(ctx.http.baseUrl), {
    method: 'POST',
    body: { query: request.query, variables: request.variables },
    endpoint: request.endpoint,
    idempotent: true,
  });
  const answer = parseAnswer(schema, res.body, ctx.appId, request.endpoint);
  const errors = answer.errors ?? [];
  if (errors.length > 0 || answer.data === null || answer.data === undefined) {
    const said = errors.map((e) => e.message).join('; ') || 'no data';
    throw new RosterError(
      'unavailable',
      ctx.http.redact(`${ctx.appId}: ${request.endpoint} answered errors: ${said}`),
      {
        where: ctx.appId,
        retryable: false,
        details: {
          appId: ctx.appId,
          endpoint: request.endpoint,
          errors: errors.map((e) => ctx.http.redact(e.message)),
        },
      },
    );
  }
  return answer.data as NonNullable<T['data']>;
}

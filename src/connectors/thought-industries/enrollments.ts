/** @module Thought Industries enrollments: every user's, over GraphQL when introspection shows the fields, else REST per user. */

import { z } from 'zod';
import { isRosterError } from '../../core/errors.js';
import type { Grant } from '../../core/types.js';
import { urlPath } from '../http/index.js';
import type { WithRaw } from '../sdk/types.js';
import { graphqlQuery, type TiContext, usersPage } from './client.js';
import { courseGrantsOf } from './mappers.js';
import { enrollmentListSchema, enrollmentPageSchema, MAX_PAGE_SIZE, parseAnswer } from './schemas.js';

/**
 * The guide: "schema introspection should be used to confirm current field availability", and its example
 * user query has no enrollments. So the User type, its `enrollments` element type and the `users` arguments
 * are asked for first; GraphQL is used for enrollments only when they are there.
 */
export const INTROSPECTION_QUERY =
  'query Introspect { user: __type(name: "User") { fields { name type { name kind ofType { name kind ofType { name kind ofType { name } } } } } } schema: __schema { queryType { fields { name args { name } } } } }';

const typeRef: z.ZodType<{ name?: string | null; ofType?: unknown }> = z.looseObject({
  name: z.string().nullish(),
  ofType: z.unknown().optional(),
});
const introspectionSchema = z.object({
  data: z
    .object({
      user: z.object({ fields: z.array(z.object({ name: z.string(), type: typeRef })).nullish() }).nullish(),
      schema: z.object({
        queryType: z.object({
          fields: z.array(z.object({ name: z.string(), args: z.array(z.object({ name: z.string() })) })),
        }),
      }),
    })
    .nullish(),
  errors: z.array(z.object({ message: z.string() })).nullish(),
});
const fieldsOfSchema = z.object({
  data: z
    .object({ type: z.object({ fields: z.array(z.object({ name: z.string() })).nullish() }).nullish() })
    .nullish(),
  errors: z.array(z.object({ message: z.string() })).nullish(),
});

/** Where the enrollments are read from, decided once per connector. */
export type EnrollmentSource = { via: 'graphql'; perPage: boolean } | { via: 'rest' };

/** The named type under NON_NULL / LIST wrappers. */
function namedType(ref: unknown): string | null {
  let current = ref as { name?: string | null; ofType?: unknown } | null | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.name) return current.name;
    current = current.ofType as typeof current;
  }
  return null;
}

/** A GraphQL endpoint that is missing, refuses introspection or answers errors is not the way: REST is. */
function graphqlUnusable(error: unknown): boolean {
  if (!isRosterError(error)) return false;
  const status = error.details['status'];
  return typeof status === 'number'
    ? status === 400 || status === 404 || status === 405 || status === 501
    : error.code === 'unavailable' && Array.isArray(error.details['errors']);
}

/** Introspects the GraphQL schema for `User.enrollments { courseId }` (and `users(perPage:)`). */
export async function enrollmentSource(ctx: TiContext): Promise<EnrollmentSource> {
  try {
    const data = await graphqlQuery(ctx, introspectionSchema, {
      query: INTROSPECTION_QUERY,
      variables: {},
      endpoint: 'POST /graphql introspection',
    });
    const field = data.user?.fields?.find((f) => f.name === 'enrollments');
    const users = data.schema.queryType.fields.find((f) => f.name === 'users');
    const element = field ? namedType(field.type) : null;
    if (!users || !element || !users.args.some((a) => a.name === 'page')) return { via: 'rest' };
    const type = await graphqlQuery(ctx, fieldsOfSchema, {
      query: 'query Fields($name: String!) { type: __type(name: $name) { fields { name } } }',
      variables: { name: element },
      endpoint: 'POST /graphql introspection',
    });
    if (!type.type?.fields?.some((f) => f.name === 'courseId')) return { via: 'rest' };
    return { via: 'graphql', perPage: users.args.some((a) => a.name === 'perPage') };
  } catch (error) {
    if (graphqlUnusable(error)) {
      ctx.logger.info(
        { appId: ctx.appId },
        'GraphQL enrollments are not available; reading them per user over REST',
      );
      return { via: 'rest' };
    }
    throw error;
  }
}

const graphqlQueryFor = (perPage: boolean) =>
  perPage
    ? 'query Enrollments($page: Int!, $perPage: Int!) { users(page: $page, perPage: $perPage) { id enrollments { courseId status } } }'
    : 'query Enrollments($page: Int!) { users(page: $page) { id enrollments { courseId status } } }';

/** Every user's enrollments over GraphQL, page by page: 100 users a request where `perPage` exists. */
async function graphqlEnrollments(ctx: TiContext, perPage: boolean): Promise<WithRaw<Grant>[]> {
  const grants: WithRaw<Grant>[] = [];
  for (let page = 1; ; page++) {
    const data = await graphqlQuery(ctx, enrollmentPageSchema, {
      query: graphqlQueryFor(perPage),
      variables: perPage ? { page, perPage: MAX_PAGE_SIZE } : { page },
      endpoint: 'POST /graphql users.enrollments',
    });
    grants.push(...courseGrantsOf(ctx.appId, data.users));
    // No total: with perPage the short page is the last; without it the page size is unknown, so an empty one.
    if (perPage ? data.users.length < MAX_PAGE_SIZE : data.users.length === 0) return grants;
  }
}

/**
 * Get User Enrollments (GET /users/{id}/enrollments): "may be paginated for users with many courses", so it
 * is paged with page/per_page until a short page. Null when the user is gone (404, as for Get User by ID).
 */
export async function enrollmentsOf(
  ctx: TiContext,
  userId: string,
): Promise<{ courseId: string; status?: string | null }[] | null> {
  const endpoint = 'GET /users/{id}/enrollments';
  const out: { courseId: string; status?: string | null }[] = [];
  for (let page = 1; ; page++) {
    const res = await ctx.http.request({
      method: 'GET',
      path: urlPath`/users/${userId}/enrollments`,
      query: { page, per_page: MAX_PAGE_SIZE },
      endpoint,
      accept404: true,
    });
    if (res.status === 404) return page === 1 ? null : out;
    const { enrollments } = parseAnswer(enrollmentListSchema, res.body, ctx.appId, endpoint);
    out.push(...enrollments);
    if (enrollments.length < MAX_PAGE_SIZE) return out;
  }
}

/** The enrollments of a page of users, read in parallel: the HTTP client's limiter keeps the app within its bounds. */
async function enrollmentsOfEach(ctx: TiContext, userIds: readonly string[]): Promise<WithRaw<Grant>[]> {
  const read = await Promise.all(
    userIds.map(async (id) => ({ id, enrollments: await enrollmentsOf(ctx, id) })),
  );
  const grants: WithRaw<Grant>[] = [];
  for (const { id, enrollments } of read) {
    // A user deleted since the list was read has no enrollments left to report.
    if (enrollments) grants.push(...courseGrantsOf(ctx.appId, [{ id, enrollments }]));
  }
  return grants;
}

/**
 * Every user's enrollments over REST: each user's enrollments (one request or more each), a page of users at a
 * time. The users are those the sync's account listing just read where it read them all (`listed`); otherwise
 * List Users is walked for them. A user created after that listing has no account staged, so its grants would
 * wait for the next sync either way.
 */
async function restEnrollments(ctx: TiContext, listed: readonly string[] | null): Promise<WithRaw<Grant>[]> {
  const grants: WithRaw<Grant>[] = [];
  if (listed) {
    for (let i = 0; i < listed.length; i += MAX_PAGE_SIZE) {
      grants.push(...(await enrollmentsOfEach(ctx, listed.slice(i, i + MAX_PAGE_SIZE))));
    }
    return grants;
  }
  for (let page = 1; ; page++) {
    const { users, last } = await usersPage(ctx, page, 'enrollments');
    const ids = users.map((user) => user.id);
    grants.push(...(await enrollmentsOfEach(ctx, ids)));
    if (last) return grants;
  }
}

/**
 * Reads every enrollment through the source introspection chose (asked once per connector). `listedUsers` gives
 * the ids of the users the account listing just read in full, or null when there is no such listing to go by.
 */
export function createEnrollmentReader(
  ctx: TiContext,
  listedUsers: () => readonly string[] | null = () => null,
): () => Promise<WithRaw<Grant>[]> {
  let source: Promise<EnrollmentSource> | null = null;
  return async () => {
    source ??= enrollmentSource(ctx).catch((error: unknown) => {
      source = null;
      throw error;
    });
    const chosen = await source;
    return chosen.via === 'graphql'
      ? graphqlEnrollments(ctx, chosen.perPage)
      : restEnrollments(ctx, listedUsers());
  };
}

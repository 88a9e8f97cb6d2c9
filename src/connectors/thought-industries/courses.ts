/** @module Thought Industries courses: the list, enrollments read over GraphQL, enroll and unenroll. */

import { isRosterError, RosterError } from '../../core/errors.js';
import type { Grant } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { EntitlementOps, Page } from '../sdk/types.js';
import { graphqlQuery, requireUser, type TiContext } from './client.js';
import { courseGrantsOf, toCourseEntitlement } from './mappers.js';
import {
  courseListSchema,
  enrollmentListSchema,
  enrollmentPageSchema,
  MAX_PAGE_SIZE,
  parseAnswer,
  type TiCourse,
} from './schemas.js';

/** Every user's enrollments, 100 users per request: REST would take one request per user. */
export const ENROLLMENTS_QUERY =
  'query Enrollments($page: Int!, $perPage: Int!) { users(page: $page, perPage: $perPage) { id enrollments { courseId status } } }';

async function coursePage(
  ctx: TiContext,
  page: number,
): Promise<{ courses: TiCourse[]; last: boolean; total: number | null }> {
  const endpoint = 'GET /courses';
  // GET /courses (assumed): paged like users; the last page is short or reaches `total`.
  const res = await ctx.http.request({
    method: 'GET',
    path: '/courses',
    query: { page, per_page: MAX_PAGE_SIZE },
    endpoint,
  });
  const { courses, total } = parseAnswer(courseListSchema, res.body, ctx.appId, endpoint);
  const last = courses.length < MAX_PAGE_SIZE || (total != null && page * MAX_PAGE_SIZE >= total);
  return { courses, last, total: total ?? null };
}

/** There is no GET /courses/{id}: the course is found by paging the list (courses are few). */
async function findCourse(ctx: TiContext, id: string): Promise<TiCourse> {
  for (let page = 1; ; page++) {
    const { courses, last } = await coursePage(ctx, page);
    const course = courses.find((c) => c.id === id);
    if (course) return course;
    if (last) {
      throw new RosterError('not_found', `${ctx.appId}: course ${id} does not exist`, {
        where: ctx.appId,
        details: { appId: ctx.appId, entitlementId: id },
      });
    }
  }
}

/** Whether the user is enrolled in the course, from the user's enrollment list (paged, no total). */
async function isEnrolled(ctx: TiContext, userId: string, courseId: string): Promise<boolean> {
  const endpoint = 'GET /users/{id}/enrollments';
  for (let page = 1; ; page++) {
    // Get User Enrollments: "may be paginated for users with many courses"; a short page is the last.
    const res = await ctx.http.request({
      method: 'GET',
      path: urlPath`/users/${userId}/enrollments`,
      query: { page, per_page: MAX_PAGE_SIZE },
      endpoint,
    });
    const { enrollments } = parseAnswer(enrollmentListSchema, res.body, ctx.appId, endpoint);
    if (enrollments.some((e) => e.courseId === courseId)) return true;
    if (enrollments.length < MAX_PAGE_SIZE) return false;
  }
}

const alreadyEnrolled = (error: unknown): boolean =>
  isRosterError(error) && error.details['status'] === 400 && /already enrolled/i.test(error.message);

export function courseOps(ctx: TiContext): EntitlementOps {
  const { appId } = ctx;
  return {
    kind: 'course',

    async list({ pageToken }) {
      const { page } = decodePageToken(pageToken, { page: 1 });
      const { courses, last, total } = await coursePage(ctx, page);
      return {
        items: courses.map((course) => toCourseEntitlement(appId, course)),
        nextPageToken: last ? null : encodePageToken({ page: page + 1 }),
        total,
      };
    },

    async listGrants({ pageToken }): Promise<Page<Grant>> {
      const { page } = decodePageToken(pageToken, { page: 1 });
      const data = await graphqlQuery(ctx, enrollmentPageSchema, {
        query: ENROLLMENTS_QUERY,
        variables: { page, perPage: MAX_PAGE_SIZE },
        endpoint: 'POST /graphql users.enrollments',
      });
      // GraphQL users(page, perPage) carries no total: the last page is the short one.
      const last = data.users.length < MAX_PAGE_SIZE;
      return {
        items: courseGrantsOf(appId, data.users),
        nextPageToken: last ? null : encodePageToken({ page: page + 1 }),
      };
    },

    async grant({ accountId, entitlementId }) {
      // "The course must be published and the user active before enrollment succeeds": check both first.
      const [user, course] = await Promise.all([requireUser(ctx, accountId), findCourse(ctx, entitlementId)]);
      const problems: string[] = [];
      if (!course.published) problems.push(`course "${course.title}" (${course.id}) is not published`);
      if (!user.active) problems.push(`user ${user.email} (${user.id}) is not active`);
      if (problems.length > 0) {
        // Holding the enrollment already is success, whatever the course or user became since.
        if (await isEnrolled(ctx, accountId, entitlementId)) return { alreadyGranted: true };
        throw new RosterError('invalid_input', `${appId}: cannot enroll: ${problems.join(' and ')}`, {
          where: appId,
          fix: [
            course.published ? null : 'publish the course in the admin portal',
            user.active ? null : 'reactivate the user',
          ]
            .filter(Boolean)
            .join(', then '),
          details: { appId, accountId, entitlementId, published: course.published, active: user.active },
        });
      }
      // Enroll (POST /courses/{id}/enrollments): "already enrolled" is a 400; a lost answer is looked up.
      try {
        await withAmbiguityCheck<true>({
          attempt: async () => {
            await ctx.http.request({
              method: 'POST',
              path: urlPath`/courses/${entitlementId}/enrollments`,
              body: { userId: accountId },
              endpoint: 'POST /courses/{id}/enrollments',
              idempotent: false,
            });
            return true;
          },
          lookup: async () => ((await isEnrolled(ctx, accountId, entitlementId)) ? true : null),
        });
      } catch (error) {
        if (alreadyEnrolled(error)) return { alreadyGranted: true };
        throw error;
      }
      return { alreadyGranted: false };
    },

    // DELETE /courses/{id}/enrollments/{userId} (assumed): a 404 means not enrolled.
    async revoke({ accountId, entitlementId }) {
      const res = await ctx.http.request({
        method: 'DELETE',
        path: urlPath`/courses/${entitlementId}/enrollments/${accountId}`,
        endpoint: 'DELETE /courses/{id}/enrollments/{userId}',
        accept404: true,
      });
      return { alreadyAbsent: res.status === 404 };
    },
  };
}

/** @module Thought Industries courses: named from config (or an opted-in list), enrollments read and made; unenroll only when opted in. */

import { isRosterError, RosterError } from '../../core/errors.js';
import type { Grant } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import type { EntitlementOps, Page } from '../sdk/types.js';
import type { TiCatalog } from './catalog.js';
import { requireUser, type TiContext } from './client.js';
import { enrollmentsOf } from './enrollments.js';

/** Whether the user is enrolled in the course, from the documented Get User Enrollments. */
async function isEnrolled(ctx: TiContext, userId: string, courseId: string): Promise<boolean> {
  return ((await enrollmentsOf(ctx, userId)) ?? []).some((e) => e.courseId === courseId);
}

const alreadyEnrolled = (error: unknown): boolean =>
  isRosterError(error) && error.details['status'] === 400 && /already enrolled/i.test(error.message);

const statusOf = (error: unknown): unknown => (isRosterError(error) ? error.details['status'] : undefined);

export function courseOps(ctx: TiContext, catalog: TiCatalog): EntitlementOps {
  const { appId } = ctx;
  const unenroll = (ctx.config.undocumented ?? []).includes('unenroll-endpoint');

  const ops: EntitlementOps = {
    kind: 'course',

    // No course list is documented: roster.yaml's `courses` and every course someone is enrolled in.
    async list() {
      const items = await catalog.courses();
      return { items, nextPageToken: null, total: items.length };
    },

    // Every enrollment at once: GraphQL where introspection shows `User.enrollments`, else REST per user.
    async listGrants(): Promise<Page<Grant>> {
      const items = await catalog.enrollments();
      return { items, nextPageToken: null, total: items.length };
    },

    async grant({ accountId, entitlementId }) {
      // "Course enrollment endpoint requires the course to be published and the user to be active; verify both
      // before calling." The user is checked here; whether a course is published nothing documented tells, so
      // the app's refusal is read instead.
      const user = await requireUser(ctx, accountId);
      if (!user.active) {
        // Holding the enrollment already is success, whatever the user became since.
        if (await isEnrolled(ctx, accountId, entitlementId)) return { alreadyGranted: true };
        throw new RosterError(
          'invalid_input',
          `${appId}: cannot enroll: user ${user.email} (${user.id}) is not active`,
          {
            where: appId,
            fix: 'reactivate the user',
            details: { appId, accountId, entitlementId, active: false },
          },
        );
      }
      // Enroll (POST /courses/{courseId}/enrollments, the guide's first scenario): "already enrolled" is a
      // 400; a lost answer is looked up before anything is sent again.
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
        if (isRosterError(error) && /not published/i.test(error.message)) {
          throw new RosterError(
            'invalid_input',
            `${appId}: cannot enroll in course ${entitlementId}: it is not published`,
            {
              cause: error,
              where: appId,
              fix: 'publish the course in the admin portal, then apply again',
              details: { ...error.details, entitlementId, published: false },
            },
          );
        }
        if (statusOf(error) === 404) {
          throw new RosterError(
            'not_found',
            `${appId}: course ${entitlementId} does not exist (404 from POST /courses/${entitlementId}/enrollments)`,
            {
              cause: error,
              where: appId,
              fix: `check the course id in the courses map of ${appId} in roster.yaml`,
              details: { ...(isRosterError(error) ? error.details : {}), entitlementId },
            },
          );
        }
        throw error;
      }
      return { alreadyGranted: false };
    },
  };

  if (unenroll) {
    // DELETE /courses/{courseId}/enrollments/{userId}: not in the guide, used only with `undocumented:
    // [unenroll-endpoint]`. A 404 there is either "not enrolled" or "no such endpoint"; the documented
    // enrollment list tells which.
    ops.revoke = async ({ accountId, entitlementId }) => {
      if (!(await isEnrolled(ctx, accountId, entitlementId))) return { alreadyAbsent: true };
      const res = await ctx.http
        .request({
          method: 'DELETE',
          path: urlPath`/courses/${entitlementId}/enrollments/${accountId}`,
          endpoint: 'DELETE /courses/{id}/enrollments/{userId}',
          accept404: true,
        })
        .catch((error: unknown) => {
          if (statusOf(error) === 405 || statusOf(error) === 501)
            return { status: statusOf(error) as number };
          throw error;
        });
      if (res.status !== 404 && res.status !== 405 && res.status !== 501) return { alreadyAbsent: false };
      if (!(await isEnrolled(ctx, accountId, entitlementId))) return { alreadyAbsent: true };
      throw new RosterError(
        'invalid_input',
        `${appId}: this instance does not serve DELETE /courses/{id}/enrollments/{userId} (${res.status}), so the enrollment cannot be removed through the API`,
        {
          where: appId,
          fix: `remove the enrollment in the admin portal, and "unenroll-endpoint" from the undocumented list of ${appId}`,
          details: { appId, accountId, entitlementId, status: res.status },
        },
      );
    };
  }
  return ops;
}

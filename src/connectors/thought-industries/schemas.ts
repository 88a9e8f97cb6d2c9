/** @module Zod schemas of the Thought Industries payloads Roster reads, and the one parse step every answer goes through. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { fastParse } from '../sdk/fast-parse.js';

/** The most records one page may hold (guide: "Max page size: 100"), for REST `per_page` and GraphQL `perPage`. */
export const MAX_PAGE_SIZE = 100;

const customFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A user as REST answers it. Fields outside the guide's data model are optional (`lastActiveAt` is not in it). */
export const tiUserSchema = z.object({
  id: z.string().min(1),
  email: z.string(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  role: z.string().nullish(),
  groups: z.array(z.string()).nullish(),
  customFields: z.record(z.string(), customFieldValue).nullish(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  active: z.boolean(),
  ssoId: z.string().nullish(),
  avatarUrl: z.string().nullish(),
  language: z.string().nullish(),
  lastActiveAt: z.string().nullish(),
});
export type TiUser = z.infer<typeof tiUserSchema>;

export const userListSchema = z.object({
  users: z.array(tiUserSchema),
  total: z.number().int().nonnegative(),
});
/** `GET /users?email=` may answer without a total (and with no users): only the list matters there. */
export const userLookupSchema = z.object({ users: z.array(tiUserSchema).nullish() });
export const userEnvelopeSchema = z.object({ user: tiUserSchema });

export const tiGroupSchema = z.object({ id: z.string().min(1), name: z.string() });
export type TiGroup = z.infer<typeof tiGroupSchema>;
export const groupListSchema = z.object({ groups: z.array(tiGroupSchema) });

export const tiCourseSchema = z.object({ id: z.string().min(1), title: z.string(), published: z.boolean() });
export type TiCourse = z.infer<typeof tiCourseSchema>;
export const courseListSchema = z.object({
  courses: z.array(tiCourseSchema),
  total: z.number().int().nonnegative().nullish(),
});

export const enrollmentListSchema = z.object({
  enrollments: z.array(z.object({ courseId: z.string().min(1), status: z.string().nullish() })),
});

const graphqlErrors = z.array(z.object({ message: z.string() })).nullish();

/** `users(page, perPage) { id enrollments { courseId status } }`: enrollments of one page of users. */
export const enrollmentPageSchema = z.object({
  data: z
    .object({
      users: z.array(
        z.object({
          id: z.string().min(1),
          enrollments: z.array(z.object({ courseId: z.string().min(1), status: z.string().nullish() })),
        }),
      ),
    })
    .nullish(),
  errors: graphqlErrors,
});
export type EnrollmentPage = z.infer<typeof enrollmentPageSchema>;
export type TiUserEnrollments = NonNullable<EnrollmentPage['data']>['users'][number];

/**
 * Parses an answer with its schema. A payload that does not fit is the app breaking its contract: an
 * 'unavailable' RosterError naming the endpoint and the first field that did not parse.
 */
export function parseAnswer<T>(schema: z.ZodType<T>, body: unknown, appId: string, endpoint: string): T {
  const parsed = fastParse(schema, body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(the body)';
  return unreadable(appId, endpoint, field, issue?.message ?? 'does not parse');
}

function unreadable(appId: string, endpoint: string, field: string, problem: string): never {
  throw new RosterError(
    'unavailable',
    `${appId}: ${endpoint} answered a payload Roster cannot read: ${field}: ${problem}`,
    {
      where: appId,
      retryable: false,
      details: { appId, endpoint, field },
    },
  );
}

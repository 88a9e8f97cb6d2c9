/** @module Thought Industries groups and courses by name: roster.yaml's maps, an opted-in list endpoint, and the ids users hold. */

import type { Entitlement, Grant } from '../../core/types.js';
import { optionalEndpoint } from '../sdk/optional.js';
import type { WithRaw } from '../sdk/types.js';
import { type TiContext, usersPage } from './client.js';
import { createEnrollmentReader } from './enrollments.js';
import { toCourseEntitlement, toGroupEntitlement } from './mappers.js';
import {
  courseListSchema,
  groupListSchema,
  MAX_PAGE_SIZE,
  parseAnswer,
  type TiCourse,
  type TiUser,
} from './schemas.js';

/**
 * How long what one sync's account listing saw (group ids, user ids) or its course walk read (enrollments) serves
 * the entitlement phases of the same sync. Past it they are read again.
 */
export const SEEN_FRESH_MS = 15 * 60_000;

export interface TiCatalog {
  /**
   * The account listing hands each page here, so the group list names exactly the ids it staged grants for, and
   * the enrollment walk of the same sync reads the users it listed instead of listing them again.
   */
  sawUsers(page: number, users: readonly TiUser[], last: boolean): void;
  groups(): Promise<WithRaw<Entitlement>[]>;
  courses(): Promise<WithRaw<Entitlement>[]>;
  /** Every enrollment; the walk `courses()` just made is handed over instead of walking again. */
  enrollments(): Promise<WithRaw<Grant>[]>;
}

/** Config name → id, turned around: id → name. */
const namesById = (map: Readonly<Record<string, string>> | undefined): Map<string, string> =>
  new Map(Object.entries(map ?? {}).map(([name, id]) => [id, name]));

export function createCatalog(ctx: TiContext): TiCatalog {
  const { appId, config } = ctx;
  const wants = (flag: string) => (config.undocumented ?? []).includes(flag as never);
  const now = () => ctx.now().getTime();

  // GET /groups (not in the guide): only with `undocumented: [groups-endpoint]`.
  const groupsEndpoint = optionalEndpoint({
    appId,
    logger: ctx.logger,
    flag: 'groups-endpoint',
    enabled: wants('groups-endpoint'),
    endpoint: 'GET /groups',
    send: () =>
      ctx.http.request({ method: 'GET', path: '/groups', endpoint: 'GET /groups', accept404: true }),
    parse: (body) => parseAnswer(groupListSchema, body, appId, 'GET /groups').groups,
  });
  // GET /courses (not in the guide): only with `undocumented: [courses-endpoint]`; its first page is the probe.
  const coursePage = (page: number) =>
    ctx.http.request({
      method: 'GET',
      path: '/courses',
      query: { page, per_page: MAX_PAGE_SIZE },
      endpoint: 'GET /courses',
      accept404: page === 1,
    });
  const firstCoursePage = optionalEndpoint({
    appId,
    logger: ctx.logger,
    flag: 'courses-endpoint',
    enabled: wants('courses-endpoint'),
    endpoint: 'GET /courses',
    send: () => coursePage(1),
    parse: (body) => parseAnswer(courseListSchema, body, appId, 'GET /courses'),
  });
  const listedCourses = async (): Promise<TiCourse[] | null> => {
    let answer = await firstCoursePage();
    if (answer === null) return null;
    const courses = [...answer.courses];
    for (let page = 2; ; page++) {
      const last =
        answer.courses.length < MAX_PAGE_SIZE ||
        (answer.total != null && (page - 1) * MAX_PAGE_SIZE >= answer.total);
      if (last) return courses;
      answer = parseAnswer(courseListSchema, (await coursePage(page)).body, appId, 'GET /courses');
      courses.push(...answer.courses);
    }
  };

  // Group ids and user ids the account listing saw, page by page from the first; any gap makes them unusable.
  // The user ids serve one enrollment walk only (null once taken): the one of the sync that listed them. A later
  // walk (an apply checking the enrollments it made) must see the users created since, so it lists them again.
  let seen: {
    ids: Set<string>;
    userIds: Set<string> | null;
    nextPage: number;
    completeAt: number | null;
  } | null = null;
  const seenFresh = () => (seen?.completeAt != null && now() - seen.completeAt < SEEN_FRESH_MS ? seen : null);
  const heldGroupIds = async (): Promise<Set<string>> => {
    const fresh = seenFresh();
    if (fresh) return fresh.ids;
    // No whole listing to go by (a resumed sync, a direct call): List Users once more for the ids.
    const ids = new Set<string>();
    for (let page = 1; ; page++) {
      const { users, last } = await usersPage(ctx, page, 'group ids');
      for (const user of users) for (const id of user.groups ?? []) ids.add(id);
      if (last) return ids;
    }
  };

  const readEnrollments = createEnrollmentReader(ctx, () => {
    const fresh = seenFresh();
    const listed = fresh?.userIds ?? null;
    if (fresh) fresh.userIds = null;
    return listed ? [...listed] : null;
  });
  let walked: { grants: WithRaw<Grant>[]; at: number } | null = null;

  return {
    sawUsers(page, users, last) {
      if (page === 1) seen = { ids: new Set(), userIds: new Set(), nextPage: 1, completeAt: null };
      if (!seen || seen.nextPage !== page) {
        seen = null;
        return;
      }
      for (const user of users) {
        seen.userIds?.add(user.id);
        for (const id of user.groups ?? []) seen.ids.add(id);
      }
      seen.nextPage = page + 1;
      if (last) seen.completeAt = now();
    },

    async groups() {
      // Names: the opted-in GET /groups where served, else roster.yaml's map. Ids: those named, and every
      // group id a user holds (`groups` array), so no grant names a group the snapshot lacks; a held id
      // nothing names keeps its id as its name.
      const listed = await groupsEndpoint();
      const names = listed ? new Map(listed.map((g) => [g.id, g.name])) : namesById(config.groups);
      const ids = new Set([...names.keys(), ...(await heldGroupIds())]);
      return [...ids].map((id) =>
        toGroupEntitlement(appId, { id, name: names.get(id) ?? id }, config.privilegedRoles, names.has(id)),
      );
    },

    async courses() {
      // Names: the opted-in GET /courses where served, else roster.yaml's map. Ids: those named, and every
      // course someone is enrolled in (the walk is kept for the grants, so it is made once a sync).
      const listed = await listedCourses();
      const grants = await readEnrollments();
      walked = { grants, at: now() };
      if (listed) {
        const held = new Set(grants.map((g) => g.entitlementId));
        for (const course of listed) held.delete(course.id);
        return [
          ...listed.map((course) => toCourseEntitlement(appId, course)),
          ...[...held].map((id) => toCourseEntitlement(appId, { id, title: id, published: null }, false)),
        ];
      }
      const names = namesById(config.courses);
      const ids = new Set([...names.keys(), ...grants.map((g) => g.entitlementId)]);
      return [...ids].map((id) =>
        toCourseEntitlement(appId, { id, title: names.get(id) ?? id, published: null }, names.has(id)),
      );
    },

    async enrollments() {
      const handed = walked;
      walked = null;
      if (handed && now() - handed.at < SEEN_FRESH_MS) return handed.grants;
      return readEnrollments();
    },
  };
}

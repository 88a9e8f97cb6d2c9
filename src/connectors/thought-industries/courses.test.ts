import { afterEach, describe, expect, it } from 'vitest';
import type { AppEntry } from '../../config/parts.js';
import { isRosterError } from '../../core/errors.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { startScriptedServer } from '../http/testkit.js';
import { createConnector } from '../sdk/create.js';
import { encodePageToken, grantKey, readAll } from '../sdk/paging.js';
import { thoughtIndustriesConnector } from './connector.js';
import {
  connectorFor,
  countBy,
  DOCUMENTED_PATHS,
  endpointsOf,
  startTiConnector,
  type TiSetup,
} from './testkit.js';

let setup: TiSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function start(extra = 0, options: Parameters<typeof startTiConnector>[1] = {}): Promise<TiSetup> {
  setup = await startTiConnector(sampleCompany(extra), options);
  return setup;
}

const idOf = (s: TiSetup, key: string): string => s.sandbox.state.keys.get(key)!;
const courseId = (s: TiSetup, title: string): string =>
  s.sandbox.state.courseOrder.find((c) => c.title === title)!.id;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
const expectedGrants = (s: TiSetup) =>
  [...s.sandbox.state.enrollments]
    .flatMap(([userId, byCourse]) => [...byCourse.keys()].map((cid) => `${cid}\u0000${userId}`))
    .sort();

describe('courses', () => {
  it('courses are named from the config map, and a course someone holds that the map lacks keeps its id', async () => {
    const s = await start();
    const connector = connectorFor(s.sandbox, {
      courses: { 'Security Awareness': courseId(s, 'Security Awareness') },
    });
    try {
      const courses = await readAll(connector.entitlements.course!.list, (c) => c.id);
      expect(courses.map((c) => [c.kind, c.name]).sort()).toEqual(
        [
          ['course', 'Security Awareness'],
          // Ada is enrolled in it and the map does not name it: listed, so her grant has both ends.
          ['course', courseId(s, 'Negotiation Basics')],
        ].sort(),
      );
    } finally {
      await connector.close();
    }
    // No course list is documented: none is asked for.
    expect(endpointsOf(s.sandbox).filter((e) => !DOCUMENTED_PATHS.includes(e))).toEqual([]);
  });

  it('enrollments come from GET /users/{id}/enrollments when GraphQL shows no User.enrollments (the guide default)', async () => {
    const s = await start(250);
    const grants = await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    expect(grants.map(grantKey).sort()).toEqual(expectedGrants(s));
    // 254 users: one introspection, the user list in pages of 100, and each user's enrollments (short pages).
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'POST /incoming/api/graphql': 1,
      'GET /incoming/api/v1/users': 3,
      'GET /incoming/api/v1/users/{id}/enrollments': 254,
    });
    const paged = s.sandbox.requests().find((r) => r.url.includes('/enrollments'));
    expect(paged?.url).toMatch(/\?page=1&per_page=100$/);
  });

  it('after the account listing, the next enrollment walk reads the listed users without listing them again', async () => {
    const s = await start(250);
    await readAll(s.connector.accounts.list!, (a) => a.id);
    s.sandbox.clearRequests();
    const grants = await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    expect(grants.map(grantKey).sort()).toEqual(expectedGrants(s));
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'POST /incoming/api/graphql': 1,
      'GET /incoming/api/v1/users/{id}/enrollments': 254,
    });
    // The listed users serve that one walk: a later one (an apply checking what it enrolled) lists them again,
    // so a user created meanwhile is read.
    s.sandbox.clearRequests();
    await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'GET /incoming/api/v1/users': 3,
      'GET /incoming/api/v1/users/{id}/enrollments': 254,
    });
  });

  it('an account listing that did not start at the first page is not taken for every user: the walk lists them', async () => {
    const s = await start(250);
    await s.connector.accounts.list!({ pageToken: encodePageToken({ page: 2 }) });
    s.sandbox.clearRequests();
    const grants = await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    expect(grants.map(grantKey).sort()).toEqual(expectedGrants(s));
    expect(countBy(endpointsOf(s.sandbox))['GET /incoming/api/v1/users']).toBe(3);
  });

  it('enrollments are read over GraphQL, 100 users a request, once introspection shows the fields (graphql-enrollments)', async () => {
    const s = await start(250, { undocumented: ['graphql-enrollments'] });
    const grants = await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    expect(grants.map(grantKey).sort()).toEqual(expectedGrants(s));
    // Two introspection queries (User, then its enrollment type), then pages of 100, 100 and 54.
    expect(countBy(endpointsOf(s.sandbox))).toEqual({ 'POST /incoming/api/graphql': 5 });
    const variables = s.sandbox.requests().map((r) => (r.body as { variables: unknown }).variables);
    expect(variables.slice(2)).toEqual([
      { page: 1, perPage: 100 },
      { page: 2, perPage: 100 },
      { page: 3, perPage: 100 },
    ]);
  });

  it('a tenant without GraphQL (404) reads enrollments over REST, and the sync goes on', async () => {
    const user = { id: 'u1', email: 'a@acme.com', active: true };
    const server = await startScriptedServer((request) => {
      const path = request.url.split('?')[0];
      if (path === '/incoming/api/graphql') return { status: 404, body: { error: 'Not Found' } };
      if (path === '/incoming/api/v1/users') return { status: 200, body: { users: [user], total: 1 } };
      if (path === '/incoming/api/v1/users/u1/enrollments') {
        return { status: 200, body: { enrollments: [{ courseId: 'crs-1', status: 'completed' }] } };
      }
      return { status: 404, body: {} };
    });
    const connector = createConnector(thoughtIndustriesConnector, {
      id: 'ti',
      type: 'thought-industries',
      baseUrl: `${server.origin}/incoming/api/v1`,
      auth: { type: 'api-key', key: 'k', header: 'X-API-Key' },
      courses: { Security: 'crs-1' },
    } as AppEntry);
    try {
      const grants = await readAll(connector.entitlements.course!.listGrants!, grantKey);
      expect(grants.map((g) => [g.entitlementId, g.accountId])).toEqual([['crs-1', 'u1']]);
      expect(server.received.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
        'POST /incoming/api/graphql',
        'GET /incoming/api/v1/users',
        'GET /incoming/api/v1/users/u1/enrollments',
      ]);
    } finally {
      await connector.close();
      await server.close();
    }
  });

  it('the course list and the grants of one sync share one walk of the enrollments', async () => {
    const s = await start(30);
    const ops = s.connector.entitlements.course!;
    await readAll(ops.list, (c) => c.id);
    const walked = s.sandbox.requests().length;
    const grants = await readAll(ops.listGrants!, grantKey);
    expect(s.sandbox.requests()).toHaveLength(walked);
    expect(grants.map(grantKey).sort()).toEqual(expectedGrants(s));
  });

  it('with courses-endpoint opted in and served, GET /courses names the courses', async () => {
    const s = await start(0, {
      undocumented: ['courses-endpoint'],
      config: { courses: {}, undocumented: ['courses-endpoint'] },
    });
    const courses = await readAll(s.connector.entitlements.course!.list, (c) => c.id);
    expect(courses.map((c) => c.name)).toEqual([
      'Security Awareness',
      'Negotiation Basics',
      'New Manager Training (draft)',
    ]);
    expect(countBy(endpointsOf(s.sandbox))['GET /incoming/api/v1/courses']).toBe(1);
  });
});

describe('enrolling', () => {
  it('an unpublished course is refused by the app, and the error says to publish it', async () => {
    const s = await start();
    const draft = courseId(s, 'New Manager Training (draft)');
    const error = await failure(
      s.connector.entitlements.course!.grant!({ accountId: idOf(s, 'cy'), entitlementId: draft }),
    );
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain(`course ${draft}: it is not published`);
    expect(isRosterError(error) && error.fix).toContain('publish the course');
    expect(s.sandbox.state.enrollments.get(idOf(s, 'cy'))).toBeUndefined();
  });

  it('an inactive user is refused before enrolling, naming the user', async () => {
    const s = await start();
    const course = courseId(s, 'Negotiation Basics');
    const error = await failure(
      s.connector.entitlements.course!.grant!({ accountId: idOf(s, 'bob'), entitlementId: course }),
    );
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain('bob@acme.com');
    expect((error as Error).message).toContain('not active');
    expect(s.sandbox.requests().filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('a course id the app does not know is not_found naming the course map, not the base URL', async () => {
    const s = await start();
    const error = await failure(
      s.connector.entitlements.course!.grant!({ accountId: idOf(s, 'cy'), entitlementId: 'crs-gone' }),
    );
    expect(isRosterError(error) && error.code).toBe('not_found');
    expect((error as Error).message).toContain('course crs-gone does not exist');
    expect(isRosterError(error) && error.fix).toMatch(/courses map/);
    expect(isRosterError(error) && error.fix).not.toMatch(/baseUrl/);
  });

  it('enrolling a user who already holds the course is alreadyGranted, even when the user is now inactive', async () => {
    const s = await start();
    const security = courseId(s, 'Security Awareness');
    const ops = s.connector.entitlements.course!;
    expect(await ops.grant!({ accountId: idOf(s, 'ada'), entitlementId: security })).toEqual({
      alreadyGranted: true,
    });
    expect(await ops.grant!({ accountId: idOf(s, 'bob'), entitlementId: security })).toEqual({
      alreadyGranted: true,
    });
    expect(s.sandbox.state.enrollments.get(idOf(s, 'ada'))?.size).toBe(2);
  });

  it('an enrollment whose answer was lost is looked up and reported as done by this call', async () => {
    const s = await start();
    s.sandbox.setFaults('clean', { lostResponse: 1 });
    const pair = { accountId: idOf(s, 'cy'), entitlementId: courseId(s, 'Negotiation Basics') };
    expect(await s.connector.entitlements.course!.grant!(pair)).toEqual({ alreadyGranted: false });
    expect([...(s.sandbox.state.enrollments.get(pair.accountId)?.keys() ?? [])]).toEqual([
      pair.entitlementId,
    ]);
    expect(countBy(endpointsOf(s.sandbox))['POST /incoming/api/v1/courses/{id}/enrollments']).toBe(1);
  });
});

describe('unenrolling', () => {
  it('is not offered by default: the guide documents no way, so it is a manual task with the reason', async () => {
    const s = await start();
    expect(s.connector.entitlements.course!.revoke).toBeUndefined();
    expect(s.connector.manifest.entitlements.course?.revoke).toBe(false);
    expect(s.connector.manifest.entitlements.group?.revoke).toBe(true);
    expect(s.connector.manifest.notes.revoke).toMatch(/admin portal/);
  });

  it('with unenroll-endpoint opted in and served, DELETE removes it; not enrolled is alreadyAbsent with no DELETE', async () => {
    const s = await start(0, {
      undocumented: ['unenroll-endpoint'],
      config: { undocumented: ['unenroll-endpoint'] },
    });
    const pair = { accountId: idOf(s, 'ada'), entitlementId: courseId(s, 'Security Awareness') };
    const ops = s.connector.entitlements.course!;
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: false });
    expect(s.sandbox.state.enrollments.get(pair.accountId)?.has(pair.entitlementId)).toBe(false);
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: true });
    expect(endpointsOf(s.sandbox)).toEqual([
      'GET /incoming/api/v1/users/{id}/enrollments',
      'DELETE /incoming/api/v1/courses/{id}/enrollments/{id}',
      'GET /incoming/api/v1/users/{id}/enrollments',
    ]);
  });

  it('opted in but not served: the enrollment stays and the error says to remove it in the admin portal', async () => {
    const s = await start(0, { config: { undocumented: ['unenroll-endpoint'] } });
    const pair = { accountId: idOf(s, 'ada'), entitlementId: courseId(s, 'Security Awareness') };
    const error = await failure(s.connector.entitlements.course!.revoke!(pair));
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain(
      'does not serve DELETE /courses/{id}/enrollments/{userId} (404)',
    );
    expect(isRosterError(error) && error.fix).toMatch(/admin portal/);
    expect(isRosterError(error) && error.fix).not.toMatch(/baseUrl/);
    expect(s.sandbox.state.enrollments.get(pair.accountId)?.has(pair.entitlementId)).toBe(true);
  });
});

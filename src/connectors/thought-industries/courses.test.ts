import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { encodePageToken, grantKey, readAll } from '../sdk/paging.js';
import { countBy, endpointsOf, startTiConnector, type TiSetup } from './testkit.js';

let setup: TiSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function start(extra = 0): Promise<TiSetup> {
  setup = await startTiConnector(sampleCompany(extra));
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

describe('courses', () => {
  it('courses are entitlements of kind course named by their title', async () => {
    const s = await start();
    const courses = await readAll(s.connector.entitlements.course!.list, (c) => c.id);
    expect(courses.map((c) => [c.kind, c.name])).toEqual([
      ['course', 'Security Awareness'],
      ['course', 'Negotiation Basics'],
      ['course', 'New Manager Training (draft)'],
    ]);
    expect(s.sandbox.requests().map((r) => r.url)).toEqual(['/incoming/api/v1/courses?page=1&per_page=100']);
  });

  it('enrollments are read over GraphQL, one request per 100 users, never one request per user', async () => {
    const s = await start(250);
    const grants = await readAll(s.connector.entitlements.course!.listGrants!, grantKey);
    const expected = [...s.sandbox.state.enrollments].flatMap(([userId, byCourse]) =>
      [...byCourse.keys()].map((cid) => `${cid}\u0000${userId}`),
    );
    expect(grants.map(grantKey).sort()).toEqual(expected.sort());
    // 254 users: pages of 100, 100 and 54.
    expect(countBy(endpointsOf(s.sandbox))).toEqual({ 'POST /incoming/api/graphql': 3 });
    const bodies = s.sandbox
      .requests()
      .map((r) => r.body as { variables: { page: number; perPage: number } });
    expect(bodies.map((b) => b.variables)).toEqual([
      { page: 1, perPage: 100 },
      { page: 2, perPage: 100 },
      { page: 3, perPage: 100 },
    ]);
  });

  it('GraphQL errors fail the read instead of passing for an empty page of grants', async () => {
    const s = await start();
    const error = await failure(
      s.connector.entitlements.course!.listGrants!({ pageToken: encodePageToken({ page: 0 }) }),
    );
    expect(isRosterError(error) && error.code).toBe('unavailable');
    expect((error as Error).message).toContain('page must be a positive integer');
    expect(s.sandbox.requests()[0]?.status).toBe(200);
  });
});

describe('enrolling', () => {
  it('an unpublished course is refused before enrolling, naming the course', async () => {
    const s = await start();
    const draft = courseId(s, 'New Manager Training (draft)');
    const error = await failure(
      s.connector.entitlements.course!.grant!({ accountId: idOf(s, 'cy'), entitlementId: draft }),
    );
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain('"New Manager Training (draft)"');
    expect((error as Error).message).not.toContain('not active');
    expect(s.sandbox.requests().filter((r) => r.method === 'POST')).toEqual([]);
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

  it('unenrolling uses DELETE /courses/{id}/enrollments/{userId}, and a 404 means alreadyAbsent', async () => {
    const s = await start();
    const pair = { accountId: idOf(s, 'ada'), entitlementId: courseId(s, 'Security Awareness') };
    const ops = s.connector.entitlements.course!;
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: false });
    expect(s.sandbox.state.enrollments.get(pair.accountId)?.has(pair.entitlementId)).toBe(false);
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: true });
    expect(endpointsOf(s.sandbox)).toEqual([
      'DELETE /incoming/api/v1/courses/{id}/enrollments/{id}',
      'DELETE /incoming/api/v1/courses/{id}/enrollments/{id}',
    ]);
  });
});

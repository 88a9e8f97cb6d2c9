import { afterEach, describe, expect, it } from 'vitest';
import { sampleCompany, startTi, type TiHarness } from './testkit.js';

// Every request example printed in the Thought Industries guide, sent as printed (apiKey in the query, the
// guide's ids swapped for real ones), asserting the documented response shape.

let h: TiHarness | undefined;
afterEach(async () => {
  await h?.sandbox.close();
  h = undefined;
});

async function send(t: TiHarness, method: string, pathAndQuery: string, body?: unknown) {
  const url = `${t.sandbox.origin}${pathAndQuery.replace('YOUR_KEY', t.sandbox.credentials.token)}`;
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const userShape = {
  id: expect.any(String),
  email: expect.any(String),
  firstName: expect.any(String),
  active: expect.any(Boolean),
};

describe('the guide request examples', () => {
  it('sends each documented request and gets the documented response shape', async () => {
    const t = await startTi({ seed: 7, company: sampleCompany(150) });
    h = t;

    const list = await send(t, 'GET', '/incoming/api/v1/users?apiKey=YOUR_KEY&page=1&per_page=25');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ users: expect.any(Array), total: 154 });
    expect((list.body['users'] as unknown[])[0]).toMatchObject(userShape);

    const abc = t.idOf('ada');
    const one = await send(t, 'GET', `/incoming/api/v1/users/${abc}?apiKey=YOUR_KEY`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ user: expect.objectContaining(userShape) });

    const created = await send(t, 'POST', '/incoming/api/v1/users?apiKey=YOUR_KEY', {
      email: 'newuser@example.com',
      firstName: 'John',
      lastName: 'Smith',
    });
    expect(created.status).toBe(200);
    expect(created.body['user']).toMatchObject({
      email: 'newuser@example.com',
      firstName: 'John',
      active: true,
    });
    const xyz = (created.body['user'] as { id: string }).id;

    const updated = await send(t, 'PUT', `/incoming/api/v1/users/${xyz}?apiKey=YOUR_KEY`, {
      firstName: 'Jonathan',
      active: false,
    });
    expect(updated.status).toBe(200);
    expect(updated.body['user']).toMatchObject({
      id: xyz,
      email: 'newuser@example.com',
      firstName: 'Jonathan',
      active: false,
    });

    const grp = [...t.sandbox.state.groups.keys()][0]!;
    const added = await send(t, 'POST', `/incoming/api/v1/groups/${grp}/users?apiKey=YOUR_KEY`, {
      userId: xyz,
    });
    expect(added).toEqual({ status: 200, body: { success: true } });

    const enrollments = await send(t, 'GET', `/incoming/api/v1/users/${abc}/enrollments?apiKey=YOUR_KEY`);
    expect(enrollments.status).toBe(200);
    expect(enrollments.body).toEqual({
      enrollments: expect.arrayContaining([
        { courseId: expect.any(String), status: expect.any(String), completedAt: expect.anything() },
      ]),
    });

    const gql = await send(t, 'POST', '/incoming/api/graphql?apiKey=YOUR_KEY', {
      query: '{ users(page: 1) { id email firstName active } }',
    });
    expect(gql.status).toBe(200);
    expect(gql.body).toEqual({ data: { users: expect.any(Array) } });
    expect((gql.body['data'] as { users: unknown[] }).users[0]).toEqual(userShape);

    const deleted = await send(t, 'DELETE', `/incoming/api/v1/users/${xyz}?apiKey=YOUR_KEY`);
    expect(deleted).toEqual({ status: 200, body: { success: true } });
  });

  it('walks the three common scenarios end to end', async () => {
    const t = await startTi({ seed: 7, company: sampleCompany() });
    h = t;
    const key = `apiKey=${t.sandbox.credentials.token}`;
    // Provision a new learner and enroll in a course.
    const created = await send(t, 'POST', `/incoming/api/v1/users?${key}`, {
      email: 'learner@acme.com',
      firstName: 'Lee',
      lastName: 'Arner',
    });
    const id = (created.body['user'] as { id: string }).id;
    const course = [...t.sandbox.state.courses.values()].find((c) => c.published)!;
    const enrolled = await send(t, 'POST', `/incoming/api/v1/courses/${course.id}/enrollments?${key}`, {
      userId: id,
    });
    expect(enrolled.status).toBe(200);

    // Deactivate a departed employee: resolve by email, PUT active:false, confirm.
    const found = await send(t, 'GET', `/incoming/api/v1/users?email=learner%40acme.com&${key}`);
    const foundId = (found.body['users'] as { id: string }[])[0]!.id;
    expect(foundId).toBe(id);
    const off = await send(t, 'PUT', `/incoming/api/v1/users/${foundId}?${key}`, {
      ...(created.body['user'] as object),
      active: false,
    });
    expect((off.body['user'] as { active: boolean }).active).toBe(false);

    // Sync a profile: resolve by email; a 404 means create.
    const missing = await send(t, 'GET', `/incoming/api/v1/users?email=hire%40acme.com&${key}`);
    expect(missing.status).toBe(404);
    const made = await send(t, 'POST', `/incoming/api/v1/users?${key}`, {
      email: 'hire@acme.com',
      customFields: { department: 'IT' },
    });
    expect((made.body['user'] as { customFields: unknown }).customFields).toEqual({ department: 'IT' });
  });
});

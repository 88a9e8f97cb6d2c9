import { afterEach, describe, expect, it } from 'vitest';
import type { TiUserBody } from './state.js';
import { type EnrollmentJson, sampleCompany, startTi, type TiHarness } from './testkit.js';

type UserList = { users: TiUserBody[]; total: number };
type OneUser = { user: TiUserBody };
type CourseList = { courses: { id: string; title: string; published: boolean }[]; total: number };

let h: TiHarness | undefined;
afterEach(async () => {
  await h?.sandbox.close();
  h = undefined;
});

async function start(extra = 0, faults = {}, undocumented: string[] = []): Promise<TiHarness> {
  h = await startTi({ seed: 7, company: sampleCompany(extra), faults, undocumented });
  return h;
}

const courseId = (t: TiHarness, title: string) =>
  [...t.sandbox.state.courses.values()].find((c) => c.title === title)!.id;
const groupId = (t: TiHarness, name: string) =>
  [...t.sandbox.state.groups.values()].find((g) => g.name === name)!.id;

describe('GET /users (List Users)', () => {
  it('pages with page/per_page, 25 per page by default, and answers {users, total}', async () => {
    const t = await start(60);
    const first = await t.call<UserList>('GET', '/users');
    expect(first.status).toBe(200);
    expect(first.body.users).toHaveLength(25);
    expect(first.body.total).toBe(64);
    const third = await t.call<UserList>('GET', '/users?page=3&per_page=25');
    expect(third.body.users).toHaveLength(14);
    const beyond = await t.call<UserList>('GET', '/users?page=4');
    expect(beyond.body).toEqual({ users: [], total: 64 });
  });

  it('a per_page above 100 is silently clamped to 100', async () => {
    const t = await start(150);
    const res = await t.call<UserList>('GET', '/users?per_page=500');
    expect(res.status).toBe(200);
    expect(res.body.users).toHaveLength(100);
  });

  it('perPage (camelCase) is not the REST parameter and leaves the default page size', async () => {
    const t = await start(40);
    const res = await t.call<UserList>('GET', '/users?perPage=100');
    expect(res.body.users).toHaveLength(25);
  });

  it('a page or per_page that is not a positive integer is a 400', async () => {
    const t = await start();
    for (const q of ['page=0', 'page=abc', 'per_page=0', 'per_page=-5']) {
      const res = await t.call('GET', `/users?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.status).toBe(400);
    }
  });

  it('pages after the first drift when another writer inserts meanwhile (a record is seen twice)', async () => {
    const t = await start(10, { drift: 1, driftKinds: ['insert'] });
    const p1 = await t.call<UserList>('GET', '/users?per_page=5');
    const p2 = await t.call<UserList>('GET', '/users?page=2&per_page=5');
    expect(p2.body.users[0]?.id).toBe(p1.body.users[4]?.id);
  });

  it('?email= finds the user case-insensitively and answers {users:[user], total:1}', async () => {
    const t = await start(30);
    const res = await t.call<UserList>('GET', '/users?email=ada.lovelace%40ACME.COM');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.users.map((u) => u.id)).toEqual([t.idOf('ada')]);
  });

  it('?email= for an unknown address is a 404, not an empty list', async () => {
    const t = await start();
    const res = await t.call('GET', '/users?email=nobody%40acme.com');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('nobody@acme.com');
  });
});

describe('GET /users/{id} (Get User by ID)', () => {
  it('answers {user} with every documented field and never the password', async () => {
    const t = await start();
    const res = await t.call<OneUser>('GET', `/users/${t.idOf('ada')}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.user).sort()).toEqual(
      [
        'active',
        'avatarUrl',
        'createdAt',
        'customFields',
        'email',
        'firstName',
        'groups',
        'id',
        'language',
        'lastActiveAt',
        'lastName',
        'role',
        'ssoId',
        'updatedAt',
      ].sort(),
    );
  });

  it('returns 404 if the user id does not exist in the tenant', async () => {
    const t = await start();
    const res = await t.call('GET', '/users/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { status: 404, message: 'User does-not-exist not found' } });
  });
});

describe('POST /users (Create User)', () => {
  it('creates with 200 and {user}: defaults active true and role learner; the password is write-only', async () => {
    const t = await start();
    const res = await t.call<OneUser>('POST', '/users', {
      email: 'new@acme.com',
      firstName: 'New',
      password: 's3cret!',
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      email: 'new@acme.com',
      firstName: 'New',
      active: true,
      role: 'learner',
    });
    expect(res.body.user).not.toHaveProperty('password');
    const again = await t.call<OneUser>('GET', `/users/${res.body.user.id}`);
    expect(JSON.stringify(again.body)).not.toContain('s3cret');
  });

  it('email is required', async () => {
    const t = await start();
    const res = await t.call('POST', '/users', { firstName: 'No Email' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('email');
  });

  it('a duplicate email, in any case, is a 400 saying it already exists', async () => {
    const t = await start();
    const res = await t.call('POST', '/users', { email: 'ADA.LOVELACE@acme.com' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('already exists');
  });

  it('a duplicate email is a 409 when the sandbox is configured that way', async () => {
    const t = await start();
    await t.admin('PUT', '/config', { duplicateEmailStatus: 409 });
    const res = await t.call('POST', '/users', { email: 'ada.lovelace@acme.com' });
    expect(res.status).toBe(409);
  });

  it('a role outside learner/admin/manager is a 400', async () => {
    const t = await start();
    const res = await t.call('POST', '/users', { email: 'x@acme.com', role: 'owner' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('role');
  });

  it('a body that is not a JSON object is a 400', async () => {
    const t = await start();
    const res = await t.call('POST', '/users', ['x@acme.com']);
    expect(res.status).toBe(400);
  });
});

describe('customFields', () => {
  it('unknown custom field keys are silently dropped on create and update (200, not stored)', async () => {
    const t = await start();
    const created = await t.call<OneUser>('POST', '/users', {
      email: 'cf@acme.com',
      customFields: { department: 'Sales', shoeSize: 44 },
    });
    expect(created.status).toBe(200);
    expect(created.body.user.customFields).toEqual({ department: 'Sales' });
    const updated = await t.call<OneUser>('PUT', `/users/${created.body.user.id}`, {
      customFields: { title: 'AE', costCenter: 'CC-1' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.user.customFields).toEqual({ title: 'AE' });
  });

  it('a key configured in the admin portal afterwards is then stored', async () => {
    const t = await start();
    await t.admin('PUT', '/custom-field-keys', { keys: ['department', 'costCenter'] });
    const created = await t.call<OneUser>('POST', '/users', {
      email: 'cf@acme.com',
      customFields: { costCenter: 'CC-1', title: 'AE' },
    });
    expect(created.body.user.customFields).toEqual({ costCenter: 'CC-1' });
  });
});

describe('PUT /users/{id} (Update User)', () => {
  it('is a full replacement: every omitted field is reset, so a partial PUT wipes the profile', async () => {
    const t = await start();
    const id = t.idOf('ada');
    const res = await t.call<OneUser>('PUT', `/users/${id}`, { firstName: 'Augusta' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id,
      email: 'Ada.Lovelace@Acme.com',
      firstName: 'Augusta',
      lastName: null,
      role: null,
      ssoId: null,
      avatarUrl: null,
      language: null,
      groups: [],
      customFields: {},
      active: true,
    });
  });

  it('omitting active reactivates a deactivated user', async () => {
    const t = await start();
    const id = t.idOf('bob');
    expect((await t.call<OneUser>('GET', `/users/${id}`)).body.user.active).toBe(false);
    const res = await t.call<OneUser>('PUT', `/users/${id}`, { firstName: 'Bob', lastName: 'Example' });
    expect(res.body.user.active).toBe(true);
  });

  it('read-merge-write keeps every field while deactivating', async () => {
    const t = await start();
    const id = t.idOf('ada');
    const current = (await t.call<OneUser>('GET', `/users/${id}`)).body.user;
    const { id: _id, createdAt: _c, updatedAt: _u, lastActiveAt: _l, ...writable } = current;
    const res = await t.call<OneUser>('PUT', `/users/${id}`, { ...writable, active: false });
    expect(res.body.user).toEqual({ ...current, active: false, updatedAt: res.body.user.updatedAt });
  });

  it('keeps omitted fields when the sandbox is switched to merge semantics', async () => {
    const t = await start();
    await t.admin('PUT', '/config', { putSemantics: 'merge' });
    const id = t.idOf('ada');
    const res = await t.call<OneUser>('PUT', `/users/${id}`, { active: false });
    expect(res.body.user).toMatchObject({
      active: false,
      lastName: 'Example',
      role: 'admin',
      ssoId: 'okta|00u-ada',
    });
  });

  it('changes the email, keeping it unique case-insensitively', async () => {
    const t = await start();
    const id = t.idOf('cy');
    const clash = await t.call('PUT', `/users/${id}`, { email: 'BOB@acme.com' });
    expect(clash.status).toBe(400);
    const moved = await t.call<OneUser>('PUT', `/users/${id}`, { email: 'cy.new@acme.com' });
    expect(moved.body.user.email).toBe('cy.new@acme.com');
    expect((await t.call<UserList>('GET', '/users?email=CY.NEW%40acme.com')).body.users[0]?.id).toBe(id);
    expect((await t.call('GET', '/users?email=cy%40acme.com')).status).toBe(404);
  });

  it('an unknown group id in the groups array is a 400 naming it', async () => {
    const t = await start();
    const res = await t.call('PUT', `/users/${t.idOf('cy')}`, { groups: ['grp-nope'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('grp-nope');
  });

  it('returns 404 for an unknown user', async () => {
    const t = await start();
    expect((await t.call('PUT', '/users/nope', { firstName: 'X' })).status).toBe(404);
  });

  it('PATCH is not supported (405 with Allow)', async () => {
    const t = await start();
    const res = await t.call('PATCH', `/users/${t.idOf('ada')}`, { firstName: 'X' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect((await t.call<OneUser>('GET', `/users/${t.idOf('ada')}`)).body.user.firstName).toBe('Ada');
  });
});

describe('DELETE /users/{id} (Delete User)', () => {
  it('is permanent: the user 404s afterwards, its enrollments are gone and its email is free again', async () => {
    const t = await start();
    const id = t.idOf('ada');
    const res = await t.call('DELETE', `/users/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await t.call('GET', `/users/${id}`)).status).toBe(404);
    expect((await t.call('GET', `/users/${id}/enrollments`)).status).toBe(404);
    expect((await t.call('GET', '/users?email=ada.lovelace%40acme.com')).status).toBe(404);
    expect(t.sandbox.state.enrollments.has(id)).toBe(false);
    expect((await t.call('POST', '/users', { email: 'ada.lovelace@acme.com' })).status).toBe(200);
    expect((await t.call('DELETE', `/users/${id}`)).status).toBe(404);
  });
});

describe('groups', () => {
  it('GET /groups is not in the guide: unknown by default, a 404 like any path the app lacks', async () => {
    const t = await start();
    expect((await t.call('GET', '/groups')).status).toBe(404);
    expect(
      (await t.call('DELETE', `/groups/${groupId(t, 'Sales Academy')}/users/${t.idOf('ada')}`)).status,
    ).toBe(404);
  });

  it('GET /groups lists {groups:[{id,name}]} with the groups-endpoint flag', async () => {
    const t = await start(0, {}, ['groups-endpoint']);
    const res = await t.call<{ groups: { id: string; name: string }[] }>('GET', '/groups');
    expect(res.body.groups.map((g) => g.name)).toEqual(['Sales Academy', 'Support Academy']);
  });

  it('adding a user to a group shows in the user groups array; adding twice is harmless', async () => {
    const t = await start();
    const gid = groupId(t, 'Support Academy');
    const id = t.idOf('eve');
    for (let i = 0; i < 2; i++) {
      const res = await t.call('POST', `/groups/${gid}/users`, { userId: id });
      expect(res.body).toEqual({ success: true });
    }
    expect((await t.call<OneUser>('GET', `/users/${id}`)).body.user.groups).toEqual([gid]);
  });

  it('adding a user to a non-existent group is a 404 error', async () => {
    const t = await start();
    const res = await t.call('POST', '/groups/grp001/users', { userId: t.idOf('eve') });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('grp001');
  });

  it('adding an unknown user or leaving out userId is an error', async () => {
    const t = await start();
    const gid = groupId(t, 'Support Academy');
    expect((await t.call('POST', `/groups/${gid}/users`, { userId: 'nope' })).status).toBe(404);
    expect((await t.call('POST', `/groups/${gid}/users`, {})).status).toBe(400);
  });

  it('removing a member works once; removing a non-member is a 404 (group-member-delete flag)', async () => {
    const t = await start(0, {}, ['group-member-delete']);
    const gid = groupId(t, 'Sales Academy');
    const id = t.idOf('ada');
    expect((await t.call('DELETE', `/groups/${gid}/users/${id}`)).body).toEqual({ success: true });
    expect((await t.call<OneUser>('GET', `/users/${id}`)).body.user.groups).toEqual([]);
    expect((await t.call('DELETE', `/groups/${gid}/users/${id}`)).status).toBe(404);
  });
});

describe('courses and enrollments', () => {
  it('GET /courses and unenroll are not in the guide: unknown by default', async () => {
    const t = await start();
    expect((await t.call('GET', '/courses')).status).toBe(404);
    const cid = courseId(t, 'Security Awareness');
    expect((await t.call('DELETE', `/courses/${cid}/enrollments/${t.idOf('bob')}`)).status).toBe(404);
    expect(t.sandbox.state.enrollments.get(t.idOf('bob'))?.has(cid)).toBe(true);
  });

  it('GET /courses pages {courses:[{id,title,published}], total} with the courses-endpoint flag', async () => {
    const t = await start(0, {}, ['courses-endpoint']);
    const res = await t.call<CourseList>('GET', '/courses?per_page=2');
    expect(res.body.total).toBe(3);
    expect(res.body.courses).toEqual([
      { id: expect.any(String), title: 'Security Awareness', published: true },
      { id: expect.any(String), title: 'Negotiation Basics', published: true },
    ]);
    const p2 = await t.call<CourseList>('GET', '/courses?per_page=2&page=2');
    expect(p2.body.courses.map((c) => c.published)).toEqual([false]);
  });

  it('enrolling needs a published course: an unpublished one is a 422 saying so', async () => {
    const t = await start();
    const res = await t.call('POST', `/courses/${courseId(t, 'New Manager Training (draft)')}/enrollments`, {
      userId: t.idOf('cy'),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('not published');
  });

  it('enrolling needs an active user: an inactive one is a 422 saying so', async () => {
    const t = await start();
    const res = await t.call('POST', `/courses/${courseId(t, 'Negotiation Basics')}/enrollments`, {
      userId: t.idOf('bob'),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('not active');
    expect(res.body.error.message).not.toContain('published');
  });

  it('enrolling an active user in a published course lists it in the user enrollments', async () => {
    const t = await start();
    const cid = courseId(t, 'Negotiation Basics');
    const id = t.idOf('cy');
    const res = await t.call<{ enrollment: EnrollmentJson & { userId: string } }>(
      'POST',
      `/courses/${cid}/enrollments`,
      { userId: id },
    );
    expect(res.status).toBe(200);
    expect(res.body.enrollment).toEqual({
      userId: id,
      courseId: cid,
      status: 'not_started',
      completedAt: null,
    });
    const list = await t.call<{ enrollments: EnrollmentJson[] }>('GET', `/users/${id}/enrollments`);
    expect(list.body.enrollments).toEqual([{ courseId: cid, status: 'not_started', completedAt: null }]);
  });

  it('enrolling twice is a 400 (a retried enroll must treat it as done)', async () => {
    const t = await start();
    const res = await t.call('POST', `/courses/${courseId(t, 'Security Awareness')}/enrollments`, {
      userId: t.idOf('ada'),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('already enrolled');
  });

  it('an unknown course is a 404', async () => {
    const t = await start();
    const res = await t.call('POST', '/courses/crs001/enrollments', { userId: t.idOf('ada') });
    expect(res.status).toBe(404);
  });

  it('user enrollments are paged with page/per_page and carry no total', async () => {
    const t = await start();
    const id = t.idOf('ada');
    const p1 = await t.call<{ enrollments: EnrollmentJson[] }>('GET', `/users/${id}/enrollments?per_page=1`);
    expect(p1.body).not.toHaveProperty('total');
    expect(p1.body.enrollments).toHaveLength(1);
    const p2 = await t.call<{ enrollments: EnrollmentJson[] }>(
      'GET',
      `/users/${id}/enrollments?per_page=1&page=2`,
    );
    const p3 = await t.call<{ enrollments: EnrollmentJson[] }>(
      'GET',
      `/users/${id}/enrollments?per_page=1&page=3`,
    );
    expect(p2.body.enrollments).toHaveLength(1);
    expect(p3.body.enrollments).toEqual([]);
  });

  it('unenrolling removes the enrollment; unenrolling again is a 404 (unenroll-endpoint flag)', async () => {
    const t = await start(0, {}, ['unenroll-endpoint']);
    const cid = courseId(t, 'Security Awareness');
    const id = t.idOf('bob');
    expect((await t.call('DELETE', `/courses/${cid}/enrollments/${id}`)).body).toEqual({ success: true });
    expect(
      (await t.call<{ enrollments: unknown[] }>('GET', `/users/${id}/enrollments`)).body.enrollments,
    ).toEqual([]);
    expect((await t.call('DELETE', `/courses/${cid}/enrollments/${id}`)).status).toBe(404);
  });

  it('deactivating keeps completion records (PUT active:false, not DELETE)', async () => {
    const t = await start();
    const id = t.idOf('ada');
    const before = (await t.call<{ enrollments: EnrollmentJson[] }>('GET', `/users/${id}/enrollments`)).body;
    const current = (await t.call<OneUser>('GET', `/users/${id}`)).body.user;
    await t.call('PUT', `/users/${id}`, { ...current, active: false });
    const after = (await t.call<{ enrollments: EnrollmentJson[] }>('GET', `/users/${id}/enrollments`)).body;
    expect(after).toEqual(before);
    expect(before.enrollments).toHaveLength(2);
  });
});

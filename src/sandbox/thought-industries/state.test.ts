import { afterEach, describe, expect, it } from 'vitest';
import type { TiUserBody } from './state.js';
import { type EnrollmentJson, sampleCompany, startTi, type TiHarness } from './testkit.js';

type UserList = { users: TiUserBody[]; total: number };
type OneUser = { user: TiUserBody };

const open: TiHarness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.sandbox.close()));
});

async function start(seed = 7, company: ReturnType<typeof sampleCompany> | null = sampleCompany()) {
  const t = await startTi({ seed, company });
  open.push(t);
  return t;
}

describe('state from the sample company', () => {
  it('maps planted accounts into Thought Industries users', async () => {
    const t = await start();
    const ada = (await t.call<OneUser>('GET', `/users/${t.idOf('ada')}`)).body.user;
    // The guide has no group list: the names are read from the sandbox's state.
    const groups = [...t.sandbox.state.groups.values()];
    expect(ada).toMatchObject({
      email: 'Ada.Lovelace@Acme.com',
      firstName: 'Ada',
      lastName: 'Example',
      role: 'admin',
      ssoId: 'okta|00u-ada',
      active: true,
      language: 'en',
      avatarUrl: null,
      customFields: { department: 'Sales', title: 'VP Sales' },
      groups: [groups.find((g) => g.name === 'Sales Academy')!.id],
      createdAt: '2025-01-15T09:00:00.000Z',
      lastActiveAt: '2026-10-20T12:00:00.000Z',
    });
    const cy = (await t.call<OneUser>('GET', `/users/${t.idOf('cy')}`)).body.user;
    expect(cy.role).toBe('manager');
  });

  it('an inactive account is active:false; an invited one is active but never active; a deleted one is absent', async () => {
    const t = await start();
    expect((await t.call<OneUser>('GET', `/users/${t.idOf('bob')}`)).body.user.active).toBe(false);
    const eve = (await t.call<OneUser>('GET', `/users/${t.idOf('eve')}`)).body.user;
    expect(eve).toMatchObject({ active: true, lastActiveAt: null });
    expect(t.sandbox.state.keys.has('dee')).toBe(false);
    expect((await t.call('GET', '/users?email=dee%40acme.com')).status).toBe(404);
    expect((await t.call<UserList>('GET', '/users')).body.total).toBe(4);
  });

  it('enrollments come from each account courses, in published courses', async () => {
    const t = await start();
    const list = await t.call<{ enrollments: EnrollmentJson[] }>(
      'GET',
      `/users/${t.idOf('ada')}/enrollments`,
    );
    const titles = list.body.enrollments.map((e) => t.sandbox.state.courses.get(e.courseId)?.title);
    expect(titles).toEqual(['Security Awareness', 'Negotiation Basics']);
    for (const e of list.body.enrollments) {
      expect(['not_started', 'in_progress', 'completed']).toContain(e.status);
      expect(e.completedAt === null).toBe(e.status !== 'completed');
    }
  });

  it('ids are deterministic from the seed and differ between seeds', async () => {
    const a = await start(7);
    const b = await start(7);
    const c = await start(8);
    expect(a.idOf('ada')).toBe(b.idOf('ada'));
    expect(a.idOf('ada')).not.toBe(c.idOf('ada'));
    const made = await Promise.all(
      [a, b].map((t) => t.call<OneUser>('POST', '/users', { email: 'same@acme.com' })),
    );
    expect(made[0]?.body.user.id).toBe(made[1]?.body.user.id);
    expect(a.idOf('ada')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is empty without a company', async () => {
    const t = await start(7, null);
    expect(await (await fetch(`${t.sandbox.origin}/__admin/info`)).json()).toMatchObject({
      summary: { users: 0, groups: 0, courses: 0, enrollments: 0 },
    });
    expect((await t.call<UserList>('GET', '/users')).body).toEqual({ users: [], total: 0 });
  });

  it('snapshot and restore through the admin API round-trip users, enrollments and keys', async () => {
    const t = await start();
    await t.call('POST', '/users', { email: 'fresh@acme.com', password: 'pw' });
    const snap = (await t.admin('GET', '/state')).body;
    const before = (await t.call<UserList>('GET', '/users')).body;
    await t.admin('POST', '/reset', { empty: true });
    expect((await t.call<UserList>('GET', '/users')).body.total).toBe(0);
    const put = await t.admin('PUT', '/state', snap);
    expect(put.body).toMatchObject({ users: 5, enrollments: 3 });
    expect((await t.call<UserList>('GET', '/users')).body).toEqual(before);
    expect(t.idOf('ada')).toBe(before.users[0]?.id);
    const next = await t.call<OneUser>('POST', '/users', { email: 'after@acme.com' });
    expect(before.users.map((u) => u.id)).not.toContain(next.body.user.id);
  });

  it('restoring malformed state is a 400', async () => {
    const t = await start();
    const res = await t.admin('PUT', '/state', { seed: 1, users: [{ id: 1 }] });
    expect(res.status).toBe(400);
  });
});

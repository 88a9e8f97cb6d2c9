import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { thoughtIndustriesSandbox } from './sandbox.js';
import type { TiUserBody } from './state.js';
import { sampleCompany, startTi, type TiHarness } from './testkit.js';

type OneUser = { user: TiUserBody };

let h: TiHarness | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await h?.sandbox.close();
  h = undefined;
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
});

async function start(faults = {}): Promise<TiHarness> {
  h = await startTi({ seed: 7, company: sampleCompany(), faults });
  return h;
}

interface Hook {
  event: string;
  data: Record<string, unknown>;
}

/** A tiny webhook receiver; `next(n)` resolves once n deliveries arrived. */
async function listen(): Promise<{ url: string; next(n: number): Promise<Hook[]> }> {
  const got: Hook[] = [];
  const waiters: { n: number; resolve(hooks: Hook[]): void }[] = [];
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      got.push(JSON.parse(text) as Hook);
      res.end('ok');
      for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve(got.slice());
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', () => resolve()));
  const { port } = receiver.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    next: (n) =>
      got.length >= n ? Promise.resolve(got.slice()) : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

describe('auth', () => {
  it('accepts the API key in the X-API-Key header or the apiKey query parameter', async () => {
    const t = await start();
    const token = t.sandbox.credentials.token;
    expect((await t.call('GET', '/users', undefined, { 'x-api-key': token })).status).toBe(200);
    expect((await t.call('GET', `/users?apiKey=${token}`, undefined, {})).status).toBe(200);
  });

  it('no key, a wrong key, or a bearer token is a 401 in the error shape', async () => {
    const t = await start();
    const token = t.sandbox.credentials.token;
    const none = await t.call('GET', '/users', undefined, {});
    expect(none.status).toBe(401);
    expect(none.body.error).toEqual({ status: 401, message: expect.stringContaining('API key') });
    expect((await t.call('GET', '/users', undefined, { 'x-api-key': 'nope' })).status).toBe(401);
    expect((await t.call('GET', '/users?apiKey=nope', undefined, {})).status).toBe(401);
    expect((await t.call('GET', '/users', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('a wrong key anywhere is a 401 even when the other place holds the right one', async () => {
    const t = await start();
    const token = t.sandbox.credentials.token;
    const res = await t.call('GET', '/users?apiKey=stale', undefined, { 'x-api-key': token });
    expect(res.status).toBe(401);
  });

  it('credentials are stable for a seed and differ between seeds', async () => {
    expect(thoughtIndustriesSandbox.credentials(3)).toEqual(thoughtIndustriesSandbox.credentials(3));
    expect(thoughtIndustriesSandbox.credentials(3).token).not.toBe(
      thoughtIndustriesSandbox.credentials(4).token,
    );
  });
});

describe('rate limits', () => {
  it('the hidden rate limit answers 429 with no Retry-After and no rate-limit headers', async () => {
    const t = await start({ rateLimit: { capacity: 1, refillPerSecond: 0.001 } });
    expect((await t.call('GET', '/users')).status).toBe(200);
    const limited = await t.call('GET', '/users');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect([...limited.headers.keys()].filter((k) => k.includes('ratelimit'))).toEqual([]);
    expect(limited.body.error.status).toBe(429);
  });
});

describe('webhooks', () => {
  it('delivers user.created, user.updated and user.enrolled to registered URLs', async () => {
    const t = await start();
    const hooks = await listen();
    await t.admin('PUT', '/webhooks', { url: hooks.url });
    const created = await t.call<OneUser>('POST', '/users', { email: 'hook@acme.com', firstName: 'Hook' });
    const id = created.body.user.id;
    await t.call('PUT', `/users/${id}`, { firstName: 'Hooked' });
    const course = [...t.sandbox.state.courses.values()].find((c) => c.published)!;
    await t.call('POST', `/courses/${course.id}/enrollments`, { userId: id });
    const got = await hooks.next(3);
    expect(got.map((g) => g.event)).toEqual(['user.created', 'user.updated', 'user.enrolled']);
    expect(got[0]?.data).toEqual({ user: created.body.user });
    expect(got[1]?.data).toMatchObject({ user: { id, firstName: 'Hooked' } });
    expect(got[2]?.data).toEqual({
      enrollment: { userId: id, courseId: course.id, status: 'not_started', completedAt: null },
    });
  });

  it('completing a course (admin action) fires course.completed and shows in enrollments', async () => {
    const t = await start();
    const hooks = await listen();
    await t.admin('PUT', '/webhooks', { url: hooks.url });
    const id = t.idOf('cy');
    const course = [...t.sandbox.state.courses.values()].find((c) => c.published)!;
    await t.call('POST', `/courses/${course.id}/enrollments`, { userId: id });
    const done = await t.admin('POST', `/users/${id}/enrollments/${course.id}/complete`, {
      completedAt: '2026-10-30T10:00:00.000Z',
    });
    expect(done.status).toBe(200);
    const got = await hooks.next(2);
    expect(got[1]).toMatchObject({
      event: 'course.completed',
      data: { userId: id, courseId: course.id, completedAt: '2026-10-30T10:00:00.000Z' },
    });
    const list = await t.call<{ enrollments: { status: string }[] }>('GET', `/users/${id}/enrollments`);
    expect(list.body.enrollments[0]?.status).toBe('completed');
  });
});

describe('admin extras', () => {
  it('PUT /__admin/courses/:id publishes a draft course so enrollment then succeeds', async () => {
    const t = await start();
    const draft = [...t.sandbox.state.courses.values()].find((c) => !c.published)!;
    const enroll = () => t.call('POST', `/courses/${draft.id}/enrollments`, { userId: t.idOf('cy') });
    expect((await enroll()).status).toBe(422);
    const put = await t.admin('PUT', `/courses/${draft.id}`, { published: true });
    expect(put.body).toEqual({ id: draft.id, title: draft.title, published: true });
    expect((await enroll()).status).toBe(200);
    expect((await t.admin('PUT', '/courses/nope', { published: true })).status).toBe(404);
  });

  it('PUT /__admin/custom-field-keys replaces the configured keys', async () => {
    const t = await start();
    const res = await t.admin('PUT', '/custom-field-keys', { keys: ['costCenter', 'costCenter'] });
    expect(res.body).toEqual({ keys: ['costCenter'] });
    const created = await t.call<OneUser>('POST', '/users', {
      email: 'k@acme.com',
      customFields: { department: 'Sales', costCenter: 'CC-9' },
    });
    expect(created.body.user.customFields).toEqual({ costCenter: 'CC-9' });
  });

  it('POST /__admin/groups and /__admin/courses add what the API cannot create', async () => {
    const t = await start();
    const group = await t.admin<{ id: string; name: string }>('POST', '/groups', { name: 'IT Academy' });
    const course = await t.admin<{ id: string; published: boolean }>('POST', '/courses', {
      title: 'Phishing',
    });
    expect(course.body.published).toBe(true);
    expect((await t.call('POST', `/groups/${group.body.id}/users`, { userId: t.idOf('cy') })).status).toBe(
      200,
    );
    expect(
      (await t.call('POST', `/courses/${course.body.id}/enrollments`, { userId: t.idOf('cy') })).status,
    ).toBe(200);
  });

  it('GET /__admin/keys/:key finds a planted account', async () => {
    const t = await start();
    const res = await t.admin<OneUser>('GET', '/keys/ada');
    expect(res.body.user.id).toBe(t.idOf('ada'));
    expect((await t.admin('GET', '/keys/dee')).status).toBe(404);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { processStreetSandbox } from './sandbox.js';
import type { PsMember, PsState } from './state.js';
import { account, admin, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<PsState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(count: number, seatLimit?: number): Promise<SandboxHandle<PsState>> {
  const accounts = Array.from({ length: count }, (_, i) => account(`user${String(i).padStart(3, '0')}`));
  sandbox = await startSandbox(processStreetSandbox, { seed: 11, company: company(accounts) });
  if (seatLimit !== undefined) await admin(sandbox, 'PUT', '/seat-limit', { seatLimit });
  return sandbox;
}

type MembersBody = { members: PsMember[] };

describe('GET /members', () => {
  it('answers 20 members when no limit is given, with no total and no next link', async () => {
    const s = await start(45);
    const res = await call(s, 'GET', '/members');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object)).toEqual(['members']);
    expect((res.body as MembersBody).members).toHaveLength(20);
  });

  it('clamps a limit above 100 to 100 without an error', async () => {
    const s = await start(130);
    const res = await call(s, 'GET', '/members?limit=500');
    expect(res.status).toBe(200);
    expect((res.body as MembersBody).members).toHaveLength(100);
  });

  it('pages by offset until a short page, visiting every member once', async () => {
    const s = await start(45);
    const seen: string[] = [];
    const sizes: number[] = [];
    for (let offset = 0; ; ) {
      const page = (await call(s, 'GET', `/members?offset=${offset}&limit=20`)).body as MembersBody;
      sizes.push(page.members.length);
      seen.push(...page.members.map((m) => m.id));
      if (page.members.length < 20) break;
      offset += page.members.length;
    }
    expect(sizes).toEqual([20, 20, 5]);
    expect(new Set(seen).size).toBe(45);
  });

  it('an offset past the end is an empty page, not an error', async () => {
    const s = await start(3);
    const res = await call(s, 'GET', '/members?offset=50');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ members: [] });
  });

  it('ignores page/pageSize params a client might guess, so it still gets the hidden default of 20', async () => {
    const s = await start(30);
    const res = await call(s, 'GET', '/members?page=2&pageSize=50&per_page=50');
    const ids = (res.body as MembersBody).members.map((m) => m.id);
    expect(ids).toHaveLength(20);
    expect(ids[0]).toBe(idOf(s, 'user000'));
  });

  it('rejects a negative or non-numeric offset or a zero limit with 400', async () => {
    const s = await start(3);
    for (const query of ['offset=-1', 'offset=abc', 'limit=0', 'limit=ten']) {
      const res = await call(s, 'GET', `/members?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ error: 'Bad Request' });
    }
  });

  it('items carry every field of the data model', async () => {
    const s = await start(1);
    const member = ((await call(s, 'GET', '/members')).body as MembersBody).members[0]!;
    expect(Object.keys(member).sort()).toEqual(
      [
        'avatarUrl',
        'createdDate',
        'email',
        'firstName',
        'id',
        'lastName',
        'organizationId',
        'role',
        'status',
        'username',
      ].sort(),
    );
    expect(member.id).toMatch(/^mem_/);
    expect(member.organizationId).toBe(s.credentials.tenant);
    expect(new Date(member.createdDate).toISOString()).toBe(member.createdDate);
  });

  it('lists only members of the organization the API key belongs to (no cross-org queries)', async () => {
    const s = await start(2);
    const members = ((await call(s, 'GET', '/members?limit=100')).body as MembersBody).members;
    expect(members).toHaveLength(2);
    expect(members.every((m) => m.organizationId === s.credentials.tenant)).toBe(true);
    expect(s.summary()['otherOrganizationMembers']).toBeGreaterThan(0);
  });
});

describe('GET /members/{memberId}', () => {
  it('answers one member wrapped in { member }', async () => {
    const s = await start(2);
    const id = idOf(s, 'user001');
    const res = await call(s, 'GET', `/members/${id}`);
    expect(res.status).toBe(200);
    expect((res.body as { member: PsMember }).member).toMatchObject({ id, email: 'user001@acme.test' });
  });

  it('a member of another organization is 404, exactly like an unknown id', async () => {
    const s = await start(1);
    const foreign = [...s.state.membersById.values()].find((m) => m.organizationId !== s.credentials.tenant)!;
    const other = await call(s, 'GET', `/members/${foreign.id}`);
    const unknown = await call(s, 'GET', '/members/mem_doesnotexist');
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body).toMatchObject({ error: 'Not Found' });
  });
});

describe('POST /members (invite)', () => {
  it('creates an invited member and answers only id, email and status', async () => {
    const s = await start(1);
    const res = await call(s, 'POST', '/members', { email: 'New.Hire@acme.test', firstName: 'New' });
    expect(res.status).toBe(201);
    const created = (res.body as { member: Record<string, unknown> }).member;
    expect(Object.keys(created).sort()).toEqual(['email', 'id', 'status']);
    expect(created).toMatchObject({ email: 'New.Hire@acme.test', status: 'invited' });
    const read = await call(s, 'GET', `/members/${created['id'] as string}`);
    expect((read.body as { member: PsMember }).member).toMatchObject({
      status: 'invited',
      role: 'member',
      firstName: 'New',
      lastName: null,
      username: null,
    });
  });

  it('the invited member stays invited and is listed at the end of /members', async () => {
    const s = await start(2);
    const id = ((await call(s, 'POST', '/members', { email: 'late@acme.test' })).body as { member: PsMember })
      .member.id;
    const members = ((await call(s, 'GET', '/members')).body as MembersBody).members;
    expect(members.at(-1)).toMatchObject({ id, status: 'invited' });
  });

  it('an email already in the organization, in any case, is 409', async () => {
    const s = await start(1);
    const res = await call(s, 'POST', '/members', { email: 'USER000@ACME.TEST' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'Conflict' });
  });

  it('an email that belongs to another organization can still be invited here', async () => {
    const s = await start(1);
    const res = await call(s, 'POST', '/members', { email: 'olivia.reyes@northwind.example' });
    expect(res.status).toBe(201);
  });

  it('past the seat limit (active + invited) the invite is 402 naming the seat limit', async () => {
    const s = await start(2, 3);
    expect((await call(s, 'POST', '/members', { email: 'third@acme.test' })).status).toBe(201);
    const res = await call(s, 'POST', '/members', { email: 'fourth@acme.test' });
    expect(res.status).toBe(402);
    expect((res.body as { message: string }).message).toMatch(/seat limit/i);
    expect((res.body as { message: string }).message).toContain('3');
  });

  it('removing a member frees a seat', async () => {
    const s = await start(2, 2);
    expect((await call(s, 'POST', '/members', { email: 'x@acme.test' })).status).toBe(402);
    await call(s, 'DELETE', `/members/${idOf(s, 'user000')}`);
    expect((await call(s, 'POST', '/members', { email: 'x@acme.test' })).status).toBe(201);
  });

  it('a missing or malformed email, or an unknown role, is 400', async () => {
    const s = await start(0);
    for (const body of [{}, { email: 'not-an-email' }, { email: 'a@acme.test', role: 'owner' }]) {
      const res = await call(s, 'POST', '/members', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('takes role and username on create, but never a status', async () => {
    const s = await start(0);
    const res = await call(s, 'POST', '/members', {
      email: 'g@acme.test',
      role: 'guest',
      username: 'gee',
      status: 'active',
    });
    const id = (res.body as { member: PsMember }).member.id;
    const member = ((await call(s, 'GET', `/members/${id}`)).body as { member: PsMember }).member;
    expect(member).toMatchObject({ role: 'guest', username: 'gee', status: 'invited' });
  });
});

describe('DELETE /members/{memberId}', () => {
  it('answers 200 {} and the member is gone from the list and from GET', async () => {
    const s = await start(3);
    const id = idOf(s, 'user001');
    const res = await call(s, 'DELETE', `/members/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const ids = ((await call(s, 'GET', '/members')).body as MembersBody).members.map((m) => m.id);
    expect(ids).not.toContain(id);
    expect((await call(s, 'GET', `/members/${id}`)).status).toBe(404);
  });

  it('deleting an unknown, already removed or other-org member is 404', async () => {
    const s = await start(1);
    const id = idOf(s, 'user000');
    await call(s, 'DELETE', `/members/${id}`);
    expect((await call(s, 'DELETE', `/members/${id}`)).status).toBe(404);
    const foreign = [...s.state.membersById.values()].find((m) => m.organizationId !== s.credentials.tenant)!;
    expect((await call(s, 'DELETE', `/members/${foreign.id}`)).status).toBe(404);
    expect(s.state.membersById.has(foreign.id)).toBe(true);
  });

  it('re-inviting a removed email creates a new member with a new id', async () => {
    const s = await start(1);
    const id = idOf(s, 'user000');
    await call(s, 'DELETE', `/members/${id}`);
    const res = await call(s, 'POST', '/members', { email: 'user000@acme.test' });
    expect(res.status).toBe(201);
    expect((res.body as { member: PsMember }).member.id).not.toBe(id);
  });
});

describe('no member update endpoint', () => {
  it('PUT and PATCH /members/{id} are 405 with Allow: GET, DELETE, and nothing changes', async () => {
    const s = await start(1);
    const id = idOf(s, 'user000');
    for (const method of ['PUT', 'PATCH']) {
      const res = await call(s, method, `/members/${id}`, { role: 'admin', firstName: 'Changed' });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, DELETE');
      expect(res.body).toMatchObject({ error: 'Method Not Allowed' });
    }
    const member = ((await call(s, 'GET', `/members/${id}`)).body as { member: PsMember }).member;
    expect(member).toMatchObject({ role: 'member', firstName: 'User000' });
  });
});

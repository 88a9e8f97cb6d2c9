import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { processStreetSandbox } from './sandbox.js';
import type { PsMember, PsSnapshot, PsState } from './state.js';
import { account, admin, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<PsState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

type MembersBody = { members: PsMember[] };

describe('authentication', () => {
  it('every request needs Authorization: Bearer <api_key>; a missing or wrong key is 401', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 2 });
    const none = await call(sandbox, 'GET', '/members', undefined, {});
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: 'Unauthorized' });
    const wrong = await call(sandbox, 'GET', '/members', undefined, { authorization: 'Bearer ps_wrong' });
    expect(wrong.status).toBe(401);
    const basic = await call(sandbox, 'GET', '/members', undefined, {
      authorization: `Basic ${Buffer.from(`${sandbox.credentials.token}:`).toString('base64')}`,
    });
    expect(basic.status).toBe(401);
    expect((await call(sandbox, 'GET', '/members')).status).toBe(200);
  });

  it('the key is org-scoped: credentials name the organization every member answer carries', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 2, company: company([account('ann')]) });
    const again = processStreetSandbox.credentials(2);
    expect(again).toEqual(sandbox.credentials);
    const member = ((await call(sandbox, 'GET', '/members')).body as MembersBody).members[0];
    expect(member?.organizationId).toBe(sandbox.credentials.tenant);
  });
});

describe('the request examples printed in the guide', () => {
  it('each answers with the documented shape', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 9 });
    const state = (await admin(sandbox, 'GET', '/state')).body as PsSnapshot;
    const org = state.organizationId;
    state.members.push({
      id: 'mem_abc123',
      email: 'user@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      username: 'jane',
      role: 'member',
      organizationId: org,
      status: 'active',
      avatarUrl: null,
      createdDate: '2025-06-01T00:00:00.000Z',
    });
    state.groups.push({ id: 'grp_001', name: 'Engineering', organizationId: org, memberIds: [] });
    expect((await admin(sandbox, 'PUT', '/state', state)).status).toBe(200);

    const list = await call(sandbox, 'GET', '/members');
    expect(list.status).toBe(200);
    expect((list.body as MembersBody).members[0]).toMatchObject({
      id: 'mem_abc123',
      email: 'user@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      role: 'member',
    });

    const one = await call(sandbox, 'GET', '/members/mem_abc123');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      member: { id: 'mem_abc123', email: 'user@example.com', firstName: 'Jane', lastName: 'Doe' },
    });

    const invite = await call(sandbox, 'POST', '/members', { email: 'newuser@example.com' });
    expect(invite.status).toBe(201);
    expect(invite.body).toEqual({
      member: { id: expect.stringMatching(/^mem_/), email: 'newuser@example.com', status: 'invited' },
    });

    const groups = await call(sandbox, 'GET', '/groups');
    expect(groups.body).toEqual({ groups: [{ id: 'grp_001', name: 'Engineering' }] });

    const add = await call(sandbox, 'POST', '/groups/grp_001/members', { memberId: 'mem_abc123' });
    expect(add.status).toBe(200);
    expect(add.body).toEqual({});

    const removeFromGroup = await call(sandbox, 'DELETE', '/groups/grp_001/members/mem_abc123');
    expect(removeFromGroup.status).toBe(200);
    expect(removeFromGroup.body).toEqual({});

    const remove = await call(sandbox, 'DELETE', '/members/mem_abc123');
    expect(remove.status).toBe(200);
    expect(remove.body).toEqual({});
  });
});

describe('seeding from the sample company', () => {
  it('maps invited/active accounts, skips inactive and deleted ones, and makes admins role admin', async () => {
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 4,
      company: company([
        account('ann', { admin: true, role: 'admin' }),
        account('ivy', { state: 'invited' }),
        account('old', { state: 'inactive' }),
        account('gone', { state: 'deleted' }),
        account('gus', { role: 'guest' }),
      ]),
    });
    const members = ((await call(sandbox, 'GET', '/members')).body as MembersBody).members;
    expect(members.map((m) => [m.email, m.status, m.role])).toEqual([
      ['ann@acme.test', 'active', 'admin'],
      ['ivy@acme.test', 'invited', 'member'],
      ['gus@acme.test', 'active', 'guest'],
    ]);
    expect(sandbox.state.keys.has('old')).toBe(false);
    expect(members[0]).toMatchObject({ firstName: 'Ann', lastName: 'Tester', username: 'ann' });
    expect(members[0]?.createdDate).toBe('2025-01-15T09:00:00.000Z');
  });

  it('the default seat limit is the planted members plus 10', async () => {
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 4,
      company: company([account('a'), account('b'), account('c', { state: 'invited' })]),
    });
    expect(sandbox.summary()).toMatchObject({ members: 3, invitedMembers: 1, seatLimit: 13 });
  });

  it('a second planted account with the same email in another case is not seeded twice', async () => {
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 4,
      company: company([account('ann'), account('ann2', { email: 'ANN@acme.test' })]),
    });
    expect(sandbox.summary()['members']).toBe(1);
  });

  it('ids are deterministic from the seed', async () => {
    const build = () => company([account('ann'), account('bob')]);
    sandbox = await startSandbox(processStreetSandbox, { seed: 21, company: build() });
    const first = [idOf(sandbox, 'ann'), idOf(sandbox, 'bob')];
    await sandbox.close();
    sandbox = await startSandbox(processStreetSandbox, { seed: 21, company: build() });
    expect([idOf(sandbox, 'ann'), idOf(sandbox, 'bob')]).toEqual(first);
  });

  it('an empty sandbox has no members of its own, but the other organization still exists', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 4 });
    expect(((await call(sandbox, 'GET', '/members')).body as MembersBody).members).toEqual([]);
    expect(sandbox.summary()['otherOrganizationMembers']).toBeGreaterThan(0);
  });

  it('state survives an admin snapshot and restore unchanged', async () => {
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 4,
      company: company([account('ann', { groups: ['Ops'] }), account('ivy', { state: 'invited' })], ['Ops']),
    });
    await call(sandbox, 'POST', '/members', { email: 'new@acme.test' });
    const before = (await admin(sandbox, 'GET', '/state')).body;
    await admin(sandbox, 'PUT', '/state', before);
    expect((await admin(sandbox, 'GET', '/state')).body).toEqual(before);
    const next = await call(sandbox, 'POST', '/members', { email: 'next@acme.test' });
    expect(next.status).toBe(201);
  });

  it('a malformed state is refused with 400', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 4 });
    expect((await admin(sandbox, 'PUT', '/state', { seed: 'x' })).status).toBe(400);
  });

  it('stays usable at 100k members: the last page is found by offset', async () => {
    const accounts = Array.from({ length: 100_000 }, (_, i) => account(`u${i}`));
    sandbox = await startSandbox(processStreetSandbox, { seed: 4, company: company(accounts) });
    const page = ((await call(sandbox, 'GET', '/members?offset=99990&limit=100')).body as MembersBody)
      .members;
    expect(page).toHaveLength(10);
    expect((await call(sandbox, 'GET', `/members/${idOf(sandbox, 'u99999')}`)).status).toBe(200);
    expect((await call(sandbox, 'POST', '/members', { email: 'U5@ACME.TEST' })).status).toBe(409);
  });
});

describe('faults', () => {
  it('429s carry Retry-After only sometimes, as the guide does not say', async () => {
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 8,
      faults: { rateLimit: { capacity: 1, refillPerSecond: 0.001 } },
    });
    const retryAfter: (string | null)[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await call(sandbox, 'GET', '/members');
      if (res.status === 429) {
        retryAfter.push(res.headers.get('retry-after'));
        expect(res.body).toMatchObject({ error: 'Too Many Requests' });
      }
    }
    expect(retryAfter.length).toBe(29);
    expect(retryAfter.some((v) => v === null)).toBe(true);
    expect(retryAfter.some((v) => v !== null)).toBe(true);
  });

  it('a page after the first can drift: with an insert, the page starts one early', async () => {
    const accounts = Array.from({ length: 30 }, (_, i) => account(`d${String(i).padStart(2, '0')}`));
    sandbox = await startSandbox(processStreetSandbox, {
      seed: 8,
      company: company(accounts),
      faults: { drift: 1, driftKinds: ['insert'] },
    });
    const first = ((await call(sandbox, 'GET', '/members?limit=10')).body as MembersBody).members;
    const second = ((await call(sandbox, 'GET', '/members?offset=10&limit=10')).body as MembersBody).members;
    expect(second[0]?.id).toBe(first.at(-1)?.id);
    expect(sandbox.summary()['members']).toBe(30);
  });

  it('an invite whose answer is lost was still carried out, so a retry gets 409', async () => {
    sandbox = await startSandbox(processStreetSandbox, { seed: 8, faults: { lostResponse: 1 } });
    const lost = await call(sandbox, 'POST', '/members', { email: 'lost@acme.test' }).then(
      (r) => r.status,
      () => 'reset',
    );
    expect([502, 'reset']).toContain(lost);
    sandbox.setFaults('clean');
    expect((await call(sandbox, 'POST', '/members', { email: 'lost@acme.test' })).status).toBe(409);
  });
});

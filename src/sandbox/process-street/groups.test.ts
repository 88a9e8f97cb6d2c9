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

async function start(): Promise<SandboxHandle<PsState>> {
  sandbox = await startSandbox(processStreetSandbox, {
    seed: 5,
    company: company(
      [
        account('ann', { groups: ['Operations'] }),
        account('bob', { groups: ['Operations', 'Finance'] }),
        account('cat'),
        account('ivy', { state: 'invited', groups: ['Operations'] }),
      ],
      ['Operations', 'Finance', 'IT'],
    ),
  });
  return sandbox;
}

type Groups = { groups: { id: string; name: string }[] };

async function groupId(s: SandboxHandle<PsState>, name: string): Promise<string> {
  const groups = ((await call(s, 'GET', '/groups')).body as Groups).groups;
  const group = groups.find((g) => g.name === name);
  if (!group) throw new Error(`no group ${name}`);
  return group.id;
}

async function membersOf(s: SandboxHandle<PsState>, id: string): Promise<string[]> {
  const res = await call(s, 'GET', `/groups/${id}/members?limit=100`);
  return (res.body as { members: PsMember[] }).members.map((m) => m.id);
}

describe('GET /groups', () => {
  it("lists only the organization's groups as { id, name }", async () => {
    const s = await start();
    const res = await call(s, 'GET', '/groups');
    expect(res.status).toBe(200);
    const groups = (res.body as Groups).groups;
    expect(groups.map((g) => g.name)).toEqual(['Operations', 'Finance', 'IT']);
    for (const g of groups) {
      expect(Object.keys(g).sort()).toEqual(['id', 'name']);
      expect(g.id).toMatch(/^grp_/);
    }
  });

  it('pages like /members: 20 groups by default, offset for the rest', async () => {
    const s = await start();
    for (let i = 0; i < 22; i++) await admin(s, 'POST', '/groups', { name: `Team ${i}` });
    expect(((await call(s, 'GET', '/groups')).body as Groups).groups).toHaveLength(20);
    expect(((await call(s, 'GET', '/groups?offset=20')).body as Groups).groups).toHaveLength(5);
    await admin(s, 'PUT', '/config', { pageGroups: false });
    expect(((await call(s, 'GET', '/groups')).body as Groups).groups).toHaveLength(25);
  });
});

describe('GET /groups/{groupId}/members', () => {
  it('answers the members of the group with their full member fields', async () => {
    const s = await start();
    const res = await call(s, 'GET', `/groups/${await groupId(s, 'Operations')}/members`);
    expect(res.status).toBe(200);
    const members = (res.body as { members: PsMember[] }).members;
    expect(members.map((m) => m.email)).toEqual(['ann@acme.test', 'bob@acme.test']);
    expect(members[0]).toMatchObject({ id: idOf(s, 'ann'), status: 'active', role: 'member' });
  });

  it('pages with offset/limit like /members, 20 by default', async () => {
    const s = await start();
    const grp = await groupId(s, 'IT');
    await admin(s, 'PUT', '/seat-limit', { seatLimit: 100 });
    for (let i = 0; i < 25; i++) {
      const id = (
        (await call(s, 'POST', '/members', { email: `p${i}@acme.test` })).body as { member: PsMember }
      ).member.id;
      await admin(s, 'POST', `/members/${id}/accept`);
      await call(s, 'POST', `/groups/${grp}/members`, { memberId: id });
    }
    const first = (await call(s, 'GET', `/groups/${grp}/members`)).body as { members: PsMember[] };
    const second = (await call(s, 'GET', `/groups/${grp}/members?offset=20`)).body as { members: PsMember[] };
    expect(first.members).toHaveLength(20);
    expect(second.members).toHaveLength(5);
  });

  it("another organization's group is 404", async () => {
    const s = await start();
    const foreign = [...s.state.groupsById.values()].find((g) => g.organizationId !== s.credentials.tenant)!;
    expect((await call(s, 'GET', `/groups/${foreign.id}/members`)).status).toBe(404);
    expect((await call(s, 'GET', '/groups/grp_nope/members')).status).toBe(404);
  });
});

describe('POST /groups/{groupId}/members', () => {
  it('adds an active member and answers 200 {}', async () => {
    const s = await start();
    const grp = await groupId(s, 'Finance');
    const res = await call(s, 'POST', `/groups/${grp}/members`, { memberId: idOf(s, 'cat') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(await membersOf(s, grp)).toContain(idOf(s, 'cat'));
  });

  it('a member who has not accepted the invitation yet cannot be added (400)', async () => {
    const s = await start();
    const grp = await groupId(s, 'Operations');
    const res = await call(s, 'POST', `/groups/${grp}/members`, { memberId: idOf(s, 'ivy') });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(/not accepted the invitation/);
    expect(await membersOf(s, grp)).not.toContain(idOf(s, 'ivy'));
  });

  it('an invited planted account holds no groups until it accepts', async () => {
    const s = await start();
    expect(await membersOf(s, await groupId(s, 'Operations'))).toEqual([idOf(s, 'ann'), idOf(s, 'bob')]);
  });

  it('adding a member already in the group is 200 and lists them once', async () => {
    const s = await start();
    const grp = await groupId(s, 'Operations');
    const res = await call(s, 'POST', `/groups/${grp}/members`, { memberId: idOf(s, 'ann') });
    expect(res.status).toBe(200);
    expect((await membersOf(s, grp)).filter((id) => id === idOf(s, 'ann'))).toHaveLength(1);
  });

  it('the member must exist in this organization: unknown or other-org member is 404', async () => {
    const s = await start();
    const grp = await groupId(s, 'Finance');
    const foreign = [...s.state.membersById.values()].find(
      (m) => m.organizationId !== s.credentials.tenant && m.status === 'active',
    )!;
    expect((await call(s, 'POST', `/groups/${grp}/members`, { memberId: foreign.id })).status).toBe(404);
    expect((await call(s, 'POST', `/groups/${grp}/members`, { memberId: 'mem_nope' })).status).toBe(404);
    expect((await call(s, 'POST', '/groups/grp_nope/members', { memberId: idOf(s, 'cat') })).status).toBe(
      404,
    );
  });

  it('a body without memberId is 400', async () => {
    const s = await start();
    const res = await call(s, 'POST', `/groups/${await groupId(s, 'IT')}/members`, { id: idOf(s, 'cat') });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(/memberId/);
  });
});

describe('DELETE /groups/{groupId}/members/{memberId}', () => {
  it('only removes from the group: the member stays in the organization and active', async () => {
    const s = await start();
    const grp = await groupId(s, 'Finance');
    const res = await call(s, 'DELETE', `/groups/${grp}/members/${idOf(s, 'bob')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(await membersOf(s, grp)).toEqual([]);
    const member = await call(s, 'GET', `/members/${idOf(s, 'bob')}`);
    expect((member.body as { member: PsMember }).member.status).toBe('active');
  });

  it('removing someone who is not in the group is 404', async () => {
    const s = await start();
    const grp = await groupId(s, 'Finance');
    expect((await call(s, 'DELETE', `/groups/${grp}/members/${idOf(s, 'cat')}`)).status).toBe(404);
  });
});

describe('removal from the organization', () => {
  it('also removes the member from every group', async () => {
    const s = await start();
    const bob = idOf(s, 'bob');
    await call(s, 'DELETE', `/members/${bob}`);
    expect(await membersOf(s, await groupId(s, 'Operations'))).toEqual([idOf(s, 'ann')]);
    expect(await membersOf(s, await groupId(s, 'Finance'))).toEqual([]);
  });
});

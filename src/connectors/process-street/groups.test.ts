import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../../core/errors.js';
import { account, admin, company, idOf } from '../../sandbox/process-street/testkit.js';
import { readAll } from '../sdk/paging.js';
import { requestsTo, type Started, startProcessStreet } from './testkit.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

const start = async (privilegedRoles?: string[]) => {
  started = await startProcessStreet({
    company: company(
      [
        account('ann', { groups: ['Ops'] }),
        account('bob', { groups: ['Ops', 'Admins'] }),
        account('cat'),
        account('ivy', { state: 'invited', groups: ['Ops'] }),
      ],
      ['Ops', 'Admins', 'Empty'],
    ),
    ...(privilegedRoles ? { privilegedRoles } : {}),
  });
  return started;
};

const groupId = (s: Started, name: string) =>
  [...s.sandbox.state.groupsById.values()].find(
    (g) => g.name === name && g.organizationId === s.sandbox.credentials.tenant,
  )!.id;
const members = (s: Started, name: string) => s.sandbox.state.groupsById.get(groupId(s, name))!.memberIds;
const groupOps = (s: Started) => s.connector.entitlements.group!;

describe('groups and their memberships', () => {
  it("lists the organization's groups as entitlements; privilegedRoles marks a group privileged", async () => {
    const s = await start(['admins']);
    const groups = await readAll(groupOps(s).list, (g) => g.id);
    expect(groups.map((g) => [g.name, g.kind, g.privileged])).toEqual([
      ['Ops', 'group', false],
      ['Admins', 'group', true],
      ['Empty', 'group', false],
    ]);
  });

  it('grants are principal ids read from each group member list, never one request per member', async () => {
    const s = await start();
    await readAll(groupOps(s).list, (g) => g.id);
    s.sandbox.clearRequests();
    const grants = await readAll(groupOps(s).listGrants!, (g) => `${g.entitlementId}:${g.accountId}`);
    expect(grants).toEqual([
      { appId: 'process-street', entitlementId: groupId(s, 'Ops'), accountId: idOf(s.sandbox, 'ann') },
      { appId: 'process-street', entitlementId: groupId(s, 'Ops'), accountId: idOf(s.sandbox, 'bob') },
      { appId: 'process-street', entitlementId: groupId(s, 'Admins'), accountId: idOf(s.sandbox, 'bob') },
    ]);
    expect(requestsTo(s.sandbox, 'GET', /^\/members/)).toHaveLength(0);
    // The groups just listed are reused, not read again.
    expect(requestsTo(s.sandbox, 'GET', /^\/groups$/)).toHaveLength(0);
  });

  it('groups answered all at once, whatever the offset, are listed once and the listing ends', async () => {
    const s = await start();
    await admin(s.sandbox, 'PUT', '/config', { pageGroups: false });
    const groups = await readAll(groupOps(s).list, (g) => g.id);
    expect(groups.map((g) => g.name)).toEqual(['Ops', 'Admins', 'Empty']);
    expect(requestsTo(s.sandbox, 'GET', /^\/groups$/)).toHaveLength(2);
  });
});

describe('grant: POST /groups/{id}/members', () => {
  it('a member still invited cannot join: a conflict saying the invitation must be accepted first', async () => {
    const s = await start();
    const pair = { accountId: idOf(s.sandbox, 'ivy'), entitlementId: groupId(s, 'Admins') };
    const error = await groupOps(s).grant!(pair).then(
      () => null,
      (e: unknown) => (isRosterError(e) ? e : null),
    );
    expect(error).toMatchObject<Partial<RosterError>>({ code: 'conflict' });
    expect(error?.details['reason']).toBe('invite_pending');
    expect(error?.message).toMatch(/invitation must be accepted first/);
    expect(members(s, 'Admins')).not.toContain(pair.accountId);
    // Once the person accepts, the same grant goes through.
    await admin(s.sandbox, 'POST', `/members/${pair.accountId}/accept`);
    expect(await groupOps(s).grant!(pair)).toEqual({ alreadyGranted: false });
    expect(members(s, 'Admins')).toContain(pair.accountId);
  });

  it('a repeated add answers like the first: it changes nothing and cannot say alreadyGranted', async () => {
    const s = await start();
    const pair = { accountId: idOf(s.sandbox, 'cat'), entitlementId: groupId(s, 'Ops') };
    expect(await groupOps(s).grant!(pair)).toEqual({ alreadyGranted: false });
    expect(await groupOps(s).grant!(pair)).toEqual({ alreadyGranted: false });
    expect(members(s, 'Ops').filter((id) => id === pair.accountId)).toHaveLength(1);
    const posts = requestsTo(s.sandbox, 'POST', /^\/groups\/[^/]+\/members$/);
    expect(posts.map((e) => e.body)).toEqual([{ memberId: pair.accountId }, { memberId: pair.accountId }]);
  });

  it('an unknown member is not_found, not an invitation to wait for', async () => {
    const s = await start();
    const error = await groupOps(s).grant!({ accountId: 'mem_0000', entitlementId: groupId(s, 'Ops') }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'not_found' });
  });
});

describe('revoke: DELETE /groups/{id}/members/{memberId}', () => {
  it('removes the membership; a member not in the group (404) is alreadyAbsent', async () => {
    const s = await start();
    const pair = { accountId: idOf(s.sandbox, 'ann'), entitlementId: groupId(s, 'Ops') };
    expect(await groupOps(s).revoke!(pair)).toEqual({ alreadyAbsent: false });
    expect(members(s, 'Ops')).not.toContain(pair.accountId);
    expect(s.sandbox.state.membersById.has(pair.accountId)).toBe(true);
    expect(await groupOps(s).revoke!(pair)).toEqual({ alreadyAbsent: true });
    expect(requestsTo(s.sandbox, 'DELETE', /^\/groups\//).map((e) => e.status)).toEqual([200, 404]);
  });
});

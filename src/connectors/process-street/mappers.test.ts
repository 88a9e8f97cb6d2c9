import { describe, expect, it } from 'vitest';
import { toAccount, toEntitlement, toGrant, toStatus } from './mappers.js';

const member = {
  id: 'mem_1',
  email: 'Jane.Doe@acme.com',
  firstName: 'Jane',
  lastName: 'Doe',
  username: 'jane',
  role: 'member',
  organizationId: 'org_1',
  status: 'active',
  avatarUrl: 'https://avatars.process.st/default/1.png',
  createdDate: '2025-06-01T00:00:00.000Z',
};

describe('toAccount', () => {
  it("an 'invited' member is invited and an 'active' one is active", () => {
    expect(toAccount('ps', { ...member, status: 'invited' }).status).toBe('invited');
    expect(toAccount('ps', member).status).toBe('active');
  });

  it('a member with no status, or one the guide does not name, is not hidden as inactive', () => {
    expect(toStatus(undefined)).toBe('active');
    expect(toStatus('suspended')).toBe('active');
    expect(toAccount('ps', { ...member, status: 'suspended' }).attributes['memberStatus']).toBe('suspended');
  });

  it("role 'admin' is the admin signal", () => {
    expect(toAccount('ps', { ...member, role: 'admin' }).isAdmin).toBe(true);
    expect(toAccount('ps', member).isAdmin).toBe(false);
    expect(toAccount('ps', { ...member, role: 'guest' }).attributes['role']).toBe('guest');
  });

  it('maps the data model and says there is no last login', () => {
    expect(toAccount('ps', member)).toMatchObject({
      appId: 'ps',
      id: 'mem_1',
      email: 'Jane.Doe@acme.com',
      login: 'jane',
      externalId: null,
      displayName: 'Jane Doe',
      lastLoginAt: null,
      createdAt: '2025-06-01T00:00:00.000Z',
      attributes: { role: 'member', organizationId: 'org_1' },
      raw: member,
    });
  });

  it('the subset the guide prints (no names, role or status) still maps', () => {
    const account = toAccount('ps', { id: 'mem_2', email: 'x@acme.com' });
    expect(account).toMatchObject({ firstName: null, displayName: null, login: null, isAdmin: false });
  });
});

describe('toEntitlement and toGrant', () => {
  it('a group named in privilegedRoles is privileged, whatever the letter case', () => {
    const group = { id: 'grp_1', name: 'Admins' };
    expect(toEntitlement('ps', group, ['admins'])).toMatchObject({ kind: 'group', privileged: true });
    expect(toEntitlement('ps', group).privileged).toBe(false);
  });

  it('a grant is the group id and the member id only', () => {
    expect(toGrant('ps', 'grp_1', 'mem_1')).toEqual({
      appId: 'ps',
      entitlementId: 'grp_1',
      accountId: 'mem_1',
    });
  });
});

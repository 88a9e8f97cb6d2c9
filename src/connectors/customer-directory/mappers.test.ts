import { describe, expect, it } from 'vitest';
import {
  grantsOf,
  isPrivilegedName,
  SUPER_DELEGATE,
  toAccount,
  toEntitlement,
  toRoleIndex,
  toStatus,
} from './mappers.js';
import type { CdUser } from './schemas.js';

const ADMIN_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const MANAGER_ID = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const GROUP_ID = 'cccccccccccccccccccccccc';

const roles = toRoleIndex([
  toEntitlement('cd', 'role', { _id: ADMIN_ID, name: 'Admin' }),
  toEntitlement('cd', 'role', { _id: MANAGER_ID, name: 'Manager' }),
]);

const user = (overrides: Partial<CdUser> = {}): CdUser => ({
  _id: '0123456789abcdef01234567',
  email: 'ana@acme.test',
  createdAt: '2022-08-12T20:44:48Z',
  updatedAt: '2022-08-13T20:44:48Z',
  firstName: 'Ana',
  lastName: 'Tester',
  jobTitle: 'Engineer',
  nickname: '',
  status: 'active',
  groupIds: null,
  roleIds: [],
  ...overrides,
});

describe('customer-directory mappers', () => {
  it('status: active is active, inactive is inactive, pending is invited', () => {
    expect(toStatus('active')).toBe('active');
    expect(toStatus('inactive')).toBe('inactive');
    expect(toStatus('pending')).toBe('invited');
  });

  it('a missing or unknown status reads as active and the app word is kept in attributes', () => {
    expect(toStatus(undefined)).toBe('active');
    const account = toAccount('cd', user({ status: 'frozen' }), roles);
    expect(account.status).toBe('active');
    expect(account.attributes['appStatus']).toBe('frozen');
  });

  it('isAdmin is a super delegate or an Admin role, and not a plain role', () => {
    expect(toAccount('cd', user({ isSuperDelegate: true }), roles).isAdmin).toBe(true);
    expect(toAccount('cd', user({ roleIds: [ADMIN_ID.toUpperCase()] }), roles).isAdmin).toBe(true);
    expect(toAccount('cd', user({ roleIds: [MANAGER_ID] }), roles).isAdmin).toBe(false);
    expect(toAccount('cd', user(), roles).isAdmin).toBe(false);
  });

  it('attributes carry the profile fields, the role names and the super delegate flag; unset ones are null', () => {
    const account = toAccount(
      'cd',
      user({ department: 'Sales', office: 'Lisbon', seniority: 'Senior', roleIds: [MANAGER_ID] }),
      roles,
    );
    expect(account.attributes).toEqual({
      jobTitle: 'Engineer',
      department: 'Sales',
      office: 'Lisbon',
      seniority: 'Senior',
      subdepartment: null,
      pod: null,
      nickname: null,
      roles: 'Manager',
      isSuperDelegate: false,
      appStatus: 'active',
    });
    expect(account).toMatchObject({
      id: '0123456789abcdef01234567',
      email: 'ana@acme.test',
      login: 'ana@acme.test',
      displayName: 'Ana Tester',
      createdAt: '2022-08-12T20:44:48Z',
      lastLoginAt: null,
    });
  });

  it('externalId is null unless the user object exposes one', () => {
    expect(toAccount('cd', user(), roles).externalId).toBeNull();
    expect(toAccount('cd', user({ externalId: '00u1ana' }), roles).externalId).toBe('00u1ana');
  });

  it("roles are privileged when named 'Admin' or listed in privilegedRoles; groups only when listed", () => {
    expect(isPrivilegedName('admin')).toBe(true);
    expect(isPrivilegedName('Manager')).toBe(false);
    expect(isPrivilegedName('Manager', ['Manager'])).toBe(true);
    expect(toEntitlement('cd', 'group', { _id: GROUP_ID, name: 'Admin' }).privileged).toBe(false);
    expect(toEntitlement('cd', 'group', { _id: GROUP_ID, name: 'Ops' }, ['Ops']).privileged).toBe(true);
  });

  it('grants are the roleIds, the groupIds (null is none) and super delegation, principal ids only', () => {
    expect(grantsOf('cd', user({ groupIds: null, roleIds: [] }))).toEqual([]);
    const grants = grantsOf('cd', user({ groupIds: [GROUP_ID], roleIds: [ADMIN_ID], isSuperDelegate: true }));
    expect(grants.map((g) => g.entitlementId)).toEqual([ADMIN_ID, GROUP_ID, SUPER_DELEGATE.id]);
    for (const grant of grants)
      expect(grant).toEqual({
        appId: 'cd',
        entitlementId: grant.entitlementId,
        accountId: '0123456789abcdef01234567',
      });
  });
});

import { describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import {
  courseGrantsOf,
  createBody,
  groupGrantsOf,
  mergeChanges,
  toAccount,
  toCourseEntitlement,
  toGroupEntitlement,
  writableOf,
} from './mappers.js';
import { parseAnswer, type TiUser, userListSchema } from './schemas.js';

const user: TiUser = {
  id: 'u-1',
  email: 'Ada.Lovelace@Acme.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  role: 'admin',
  groups: ['g-1', 'g-2'],
  customFields: { department: 'Sales', title: 'VP Sales' },
  createdAt: '2025-01-15T09:00:00.000Z',
  updatedAt: '2025-02-01T09:00:00.000Z',
  active: true,
  ssoId: 'okta|00u-ada',
  avatarUrl: null,
  language: 'en',
  lastActiveAt: '2026-10-20T12:00:00.000Z',
};

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
};

describe('toAccount', () => {
  it('maps active to active and anything else to inactive, since the app has no invitation state', () => {
    expect(toAccount('ti', user).status).toBe('active');
    expect(toAccount('ti', { ...user, active: false }).status).toBe('inactive');
  });

  it('the admin role is the admin signal, ssoId the external id, lastActiveAt the last login', () => {
    const account = toAccount('ti', user);
    expect(account).toMatchObject({
      appId: 'ti',
      id: 'u-1',
      email: 'Ada.Lovelace@Acme.com',
      isAdmin: true,
      externalId: 'okta|00u-ada',
      lastLoginAt: '2026-10-20T12:00:00.000Z',
      displayName: 'Ada Lovelace',
    });
    expect(toAccount('ti', { ...user, role: 'manager' }).isAdmin).toBe(false);
  });

  it('a user without lastActiveAt (not in the guide) has no last login', () => {
    const { lastActiveAt: _omitted, ...withoutIt } = user;
    expect(toAccount('ti', withoutIt).lastLoginAt).toBeNull();
  });

  it('custom fields become customFields.<key> attributes beside role and language', () => {
    expect(toAccount('ti', user).attributes).toEqual({
      role: 'admin',
      language: 'en',
      avatarUrl: null,
      'customFields.department': 'Sales',
      'customFields.title': 'VP Sales',
    });
  });
});

describe('entitlements and grants', () => {
  it('a course is named by its title; a group is privileged when its name is configured as privileged', () => {
    expect(toCourseEntitlement('ti', { id: 'c-1', title: 'Security', published: false })).toMatchObject({
      id: 'c-1',
      kind: 'course',
      name: 'Security',
      privileged: false,
    });
    expect(toGroupEntitlement('ti', { id: 'g-1', name: 'Admins' }, ['admins']).privileged).toBe(true);
    expect(toGroupEntitlement('ti', { id: 'g-2', name: 'Sales' }, ['admins']).privileged).toBe(false);
  });

  it('group grants come from the user groups array, principal ids only', () => {
    expect(groupGrantsOf('ti', user)).toEqual([
      { appId: 'ti', entitlementId: 'g-1', accountId: 'u-1' },
      { appId: 'ti', entitlementId: 'g-2', accountId: 'u-1' },
    ]);
  });

  it('course grants come from each user enrollments, with the status kept raw', () => {
    const grants = courseGrantsOf('ti', [
      { id: 'u-1', enrollments: [{ courseId: 'c-1', status: 'completed' }] },
      { id: 'u-2', enrollments: [] },
    ]);
    expect(grants).toEqual([
      { appId: 'ti', entitlementId: 'c-1', accountId: 'u-1', raw: { status: 'completed' } },
    ]);
  });
});

describe('writes', () => {
  it('a merge keeps every writable field it does not change, custom fields key by key', () => {
    const merged = mergeChanges(
      'ti',
      writableOf(user),
      { lastName: 'Byron', attributes: { 'customFields.title': 'CEO', role: 'manager' } },
      ['department', 'title'],
    );
    expect(merged).toEqual({
      email: 'Ada.Lovelace@Acme.com',
      firstName: 'Ada',
      lastName: 'Byron',
      role: 'manager',
      groups: ['g-1', 'g-2'],
      customFields: { department: 'Sales', title: 'CEO' },
      active: true,
      ssoId: 'okta|00u-ada',
      avatarUrl: null,
      language: 'en',
    });
  });

  it('an unknown custom field key is refused, naming the key and the configured ones', () => {
    const error = refusal(() =>
      createBody(
        'ti',
        { email: 'a@b.c', firstName: 'A', lastName: 'B', attributes: { 'customFields.shoe': 42 } },
        ['department', 'title'],
      ),
    );
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain('"shoe"');
    expect((error as Error).message).toContain('department, title');
  });

  it('with no customFieldKeys configured, every custom field is refused', () => {
    const error = refusal(() =>
      mergeChanges('ti', writableOf(user), { attributes: { 'customFields.department': 'X' } }, []),
    );
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain('configured: none');
  });

  it('an attribute that is not a user field is refused rather than dropped', () => {
    const error = refusal(() => mergeChanges('ti', writableOf(user), { attributes: { shoeSize: '42' } }, []));
    expect(isRosterError(error) && error.code).toBe('invalid_input');
  });

  it('a create sends ssoId, custom fields and the write-only password only when given', () => {
    expect(
      createBody(
        'ti',
        {
          email: 'n@acme.com',
          firstName: 'N',
          lastName: 'M',
          externalId: 'okta|n',
          password: 'pw',
          attributes: { 'customFields.department': 'Ops', language: 'fr' },
        },
        ['department'],
      ),
    ).toEqual({
      email: 'n@acme.com',
      firstName: 'N',
      lastName: 'M',
      ssoId: 'okta|n',
      language: 'fr',
      customFields: { department: 'Ops' },
      password: 'pw',
    });
    expect(createBody('ti', { email: 'n@acme.com', firstName: 'N', lastName: 'M' }, [])).toEqual({
      email: 'n@acme.com',
      firstName: 'N',
      lastName: 'M',
    });
  });
});

describe('parseAnswer', () => {
  it('a payload that does not parse is unavailable, naming the endpoint and the field', () => {
    const error = refusal(() =>
      parseAnswer(userListSchema, { users: [{ id: 'x' }], total: 1 }, 'ti', 'GET /users'),
    );
    expect(isRosterError(error) && error.code).toBe('unavailable');
    expect((error as Error).message).toContain('GET /users');
    expect((error as Error).message).toContain('users.0.email');
  });
});

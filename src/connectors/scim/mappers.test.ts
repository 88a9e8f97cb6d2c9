import { describe, expect, it } from 'vitest';
import { filterString, groupGrants, primaryEmail, statusOf, toAccount, toEntitlement } from './mappers.js';
import { type ScimUser, scimUserSchema } from './schemas.js';

const user = (fields: Record<string, unknown>): ScimUser => scimUserSchema.parse({ id: 'u1', ...fields });

describe('SCIM mappers', () => {
  it('status is `active` when sent, else is_blocked, else inactive and flagged unknown (never assumed active)', () => {
    expect(statusOf(user({ active: false, is_blocked: false })).status).toBe('inactive');
    expect(statusOf(user({ active: 'True' }))).toEqual({ status: 'active', known: true });
    expect(statusOf(user({ is_blocked: true }))).toEqual({ status: 'inactive', known: true });
    expect(statusOf(user({ is_blocked: false }))).toEqual({ status: 'active', known: true });
    expect(statusOf(user({}))).toEqual({ status: 'inactive', known: false });
    expect(toAccount('app', user({})).attributes['statusUnknown']).toBe(true);
  });

  it('the email is the primary one, else the work one, else the first', () => {
    expect(primaryEmail([{ value: 'a@x' }, { value: 'b@x', primary: true }])).toBe('b@x');
    expect(
      primaryEmail([
        { value: 'p@x', type: 'Personal' },
        { value: 'w@x', type: 'work' },
      ]),
    ).toBe('w@x');
    expect(primaryEmail([{ value: 'p@x', type: 'home' }])).toBe('p@x');
    expect(primaryEmail(null)).toBeNull();
  });

  it('maps userName to login, externalId, names, meta dates, and admin from roles', () => {
    const account = toAccount(
      'app',
      user({
        userName: 'jdoe',
        externalId: '00u1',
        name: { givenName: 'J', familyName: 'Doe' },
        emails: [{ value: 'j@acme.com', type: 'work' }],
        roles: [{ value: 'Admin', primary: true }],
        active: true,
        meta: { created: '2024-01-01T00:00:00Z', lastModified: '2024-02-01T00:00:00Z' },
      }),
    );
    expect(account).toMatchObject({
      id: 'u1',
      login: 'jdoe',
      email: 'j@acme.com',
      externalId: '00u1',
      firstName: 'J',
      lastName: 'Doe',
      isAdmin: true,
      lastLoginAt: null,
      createdAt: '2024-01-01T00:00:00Z',
      attributes: { role: 'Admin' },
    });
  });

  it('filter strings escape quotes and backslashes (RFC 7644 §3.4.2.2)', () => {
    expect(filterString('a"b\\c@x')).toBe('"a\\"b\\\\c@x"');
  });

  it('grants are member ids only, nested groups left out; privileged from privilegedRoles', () => {
    const group = {
      id: 'g1',
      displayName: 'Admins',
      members: [{ value: 'u1' }, { value: 'g2', type: 'Group' }],
    };
    expect(groupGrants('app', group)).toEqual([{ appId: 'app', entitlementId: 'g1', accountId: 'u1' }]);
    expect(toEntitlement('app', group, undefined).privileged).toBe(true);
    expect(toEntitlement('app', group, ['owners']).privileged).toBe(false);
    expect(toEntitlement('app', { id: 'g3', displayName: 'Owners' }, ['owners']).privileged).toBe(true);
  });
});

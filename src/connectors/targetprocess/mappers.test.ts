import { describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import {
  entitlementNumber,
  roleGrantOf,
  statusOf,
  teamGrantOf,
  toAccount,
  toRoleEntitlement,
  toTeamEntitlement,
} from './mappers.js';
import { parseAnswer, parseTpDate, type TpUser, tpUser } from './schemas.js';

const user = (over: Partial<TpUser> = {}): TpUser => ({
  Id: 42,
  FirstName: 'Jane',
  LastName: 'Doe',
  Email: 'jane@acme.com',
  Login: 'jane.doe',
  IsActive: true,
  IsAdministrator: false,
  CreateDate: '2024-01-10T09:00:00.000Z',
  ModifyDate: '2024-05-31T16:08:37.000Z',
  DeleteDate: null,
  LastLoginDate: '2024-05-20T09:00:00.000Z',
  Role: { Id: 3, Name: 'Developer' },
  ...over,
});

describe('Targetprocess mappers', () => {
  it('dates come as /Date(ms+0000)/ or ISO 8601, and both read as the same instant', () => {
    expect(parseTpDate('/Date(1717171717000+0000)/')).toBe('2024-05-31T16:08:37.000Z');
    expect(parseTpDate('/Date(1717171717000-0500)/')).toBe('2024-05-31T16:08:37.000Z');
    expect(parseTpDate('2024-05-31T16:08:37.000Z')).toBe('2024-05-31T16:08:37.000Z');
    expect(parseTpDate('2024-05-31T16:08:37')).toBe('2024-05-31T16:08:37.000Z');
    expect(parseTpDate('yesterday')).toBeNull();
  });

  it('a soft-deleted user is deleted even while IsActive is still true; IsActive false is inactive', () => {
    expect(statusOf({ IsActive: true, DeleteDate: '2024-06-01T00:00:00.000Z' })).toBe('deleted');
    expect(statusOf({ IsActive: false, DeleteDate: '2024-06-01T00:00:00.000Z' })).toBe('deleted');
    expect(statusOf({ IsActive: false, DeleteDate: null })).toBe('inactive');
    expect(statusOf({ IsActive: true, DeleteDate: null })).toBe('active');
  });

  it('isAdmin comes from IsAdministrator or the Administrator role', () => {
    expect(toAccount('tp', user()).isAdmin).toBe(false);
    expect(toAccount('tp', user({ IsAdministrator: true })).isAdmin).toBe(true);
    expect(toAccount('tp', user({ Role: { Id: 1, Name: 'Administrator' } })).isAdmin).toBe(true);
  });

  it('maps a user to an account with its role, dates and last login as flat attributes', () => {
    expect(toAccount('tp', user())).toEqual({
      appId: 'tp',
      id: '42',
      email: 'jane@acme.com',
      login: 'jane.doe',
      externalId: null,
      firstName: 'Jane',
      lastName: 'Doe',
      displayName: 'Jane Doe',
      status: 'active',
      isAdmin: false,
      lastLoginAt: '2024-05-20T09:00:00.000Z',
      createdAt: '2024-01-10T09:00:00.000Z',
      updatedAt: '2024-05-31T16:08:37.000Z',
      attributes: { role: 'Developer', roleId: 3, isAdministrator: false, deletedAt: null },
    });
  });

  it('Administrator and the configured privilegedRoles are privileged, for roles and teams', () => {
    expect(toRoleEntitlement('tp', { Id: 1, Name: 'Administrator' }).privileged).toBe(true);
    expect(toRoleEntitlement('tp', { Id: 3, Name: 'Developer' }).privileged).toBe(false);
    expect(toRoleEntitlement('tp', { Id: 4, Name: 'QA Engineer' }, ['qa engineer']).privileged).toBe(true);
    expect(toTeamEntitlement('tp', { Id: 10, Name: 'Alpha Team' }).privileged).toBe(false);
    expect(toTeamEntitlement('tp', { Id: 10, Name: 'Alpha Team' }, ['Alpha Team'])).toEqual({
      appId: 'tp',
      id: 'team:10',
      kind: 'team',
      name: 'Alpha Team',
      privileged: true,
    });
  });

  it('entitlement ids carry their kind, since role and team Ids are separate number spaces', () => {
    expect(roleGrantOf('tp', user())).toEqual({ appId: 'tp', entitlementId: 'role:3', accountId: '42' });
    expect(roleGrantOf('tp', user({ Role: null }))).toBeNull();
    expect(teamGrantOf('tp', { Id: 7, User: { Id: 42 }, Team: { Id: 10 } })).toEqual({
      appId: 'tp',
      entitlementId: 'team:10',
      accountId: '42',
    });
    expect(entitlementNumber('team', 'team:10')).toBe(10);
    const error = (() => {
      try {
        return entitlementNumber('role', 'team:10');
      } catch (e) {
        return e;
      }
    })();
    expect(isRosterError(error) && error.code).toBe('invalid_input');
  });

  it('a payload that does not parse is unavailable, naming the endpoint and the field', () => {
    const error = (() => {
      try {
        return parseAnswer(
          tpUser,
          { Id: 1, IsActive: true, ModifyDate: 'soon' },
          {
            appId: 'tp',
            endpoint: 'GET /Users/{id}',
          },
        );
      } catch (e) {
        return e;
      }
    })();
    expect(isRosterError(error) && error.code).toBe('unavailable');
    expect((error as Error).message).toContain('GET /Users/{id}');
    expect((error as Error).message).toContain('ModifyDate');
  });
});

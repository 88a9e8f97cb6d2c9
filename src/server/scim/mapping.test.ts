import { describe, expect, it } from 'vitest';
import type { Account } from '../../core/types.js';
import { ScimError } from './errors.js';
import {
  accountInputFrom,
  defaultUserMapping,
  groupChanges,
  readFields,
  toScimGroup,
  toScimUser,
  userChanges,
  userMapping,
} from './mapping.js';
import { applyPatch, parsePatchRequest, replaceResource } from './patch.js';
import { ENTERPRISE_USER_SCHEMA, type JsonObject } from './schema.js';
import { userSchema } from './testkit.js';

const ENT = ENTERPRISE_USER_SCHEMA;
const traits = {
  attributeMap: {
    email: '{email}',
    firstName: '{first_name}',
    lastName: '{last_name}',
    department: '{department}',
    jobTitle: '{title}',
  },
};
const mapping = defaultUserMapping(traits);
const base = 'https://r/scim/v2/cd';

const account: Account = {
  appId: 'cd',
  id: 'u1',
  email: 'ada@example.com',
  login: 'ada@example.com',
  externalId: null,
  firstName: 'Ada',
  lastName: 'Lovelace',
  displayName: 'Ada Lovelace',
  status: 'active',
  isAdmin: false,
  lastLoginAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: null,
  attributes: { department: 'Research', jobTitle: 'Engineer', office: 'London' },
};

const patched = (resource: JsonObject, operations: unknown[]) =>
  applyPatch(resource, parsePatchRequest({ Operations: operations }), userSchema).resource;

describe('the default map comes from what the connector writes', () => {
  it('userName is the email when the connector writes no login, the login when it does', () => {
    expect(mapping.find((e) => e.scim === 'userName')?.account).toBe('email');
    expect(
      defaultUserMapping({ attributeMap: { login: '{email.local}' } }).find((e) => e.scim === 'userName')
        ?.account,
    ).toBe('login');
  });
  it('app attributes go to their standard SCIM home; ones without a home are not mapped', () => {
    expect(mapping).toContainEqual({ scim: 'title', account: 'attributes.jobTitle' });
    expect(mapping).toContainEqual({ scim: `${ENT}:department`, account: 'attributes.department' });
    expect(mapping.some((e) => e.account === 'attributes.office')).toBe(false);
  });
  it('roster.yaml overrides add, replace and remove entries, and refuse unknown SCIM attributes', () => {
    const m = userMapping(traits, { nickName: 'attributes.office', title: null, userName: 'login' });
    expect(m).toContainEqual({ scim: 'nickName', account: 'attributes.office' });
    expect(m.some((e) => e.scim === 'title')).toBe(false);
    expect(m.find((e) => e.scim === 'userName')?.account).toBe('login');
    expect(() => userMapping(traits, { shoeSize: 'attributes.x' })).toThrow(ScimError);
  });
});

describe('Account → SCIM User', () => {
  it('writes each mapped field at its path; a single work email is primary; groups and meta', () => {
    const user = toScimUser(account, mapping, { baseUrl: base, groups: [{ id: 'g1', name: 'Eng' }] });
    expect(user).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'u1',
      userName: 'ada@example.com',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      displayName: 'Ada Lovelace',
      emails: [{ type: 'work', value: 'ada@example.com', primary: true }],
      active: true,
      title: 'Engineer',
      [ENT]: { department: 'Research' },
      groups: [{ value: 'g1', $ref: `${base}/Groups/g1`, display: 'Eng' }],
      meta: { resourceType: 'User', location: `${base}/Users/u1`, created: '2026-01-01T00:00:00Z' },
    });
  });
  it.each([
    ['active', true],
    ['invited', true],
    ['inactive', false],
  ] as const)('status %s is active %s', (status, active) => {
    expect(toScimUser({ ...account, status }, mapping, { baseUrl: base })['active']).toBe(active);
  });
});

describe('SCIM User → account input (create)', () => {
  it('reads the fields Okta sends', () => {
    const { account: input, active } = accountInputFrom(
      {
        userName: 'grace@example.com',
        name: { givenName: 'Grace', familyName: 'Hopper' },
        emails: [{ value: 'grace@example.com', type: 'work', primary: true }],
        active: true,
        title: 'Admiral',
        [ENT]: { department: 'Navy' },
      },
      mapping,
    );
    expect(input).toEqual({
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      attributes: { jobTitle: 'Admiral', department: 'Navy' },
    });
    expect(active).toBe(true);
  });
  it('tolerates an email without type, and a userName that is the only email', () => {
    expect(accountInputFrom({ userName: 'x', emails: [{ value: 'a@b.c' }] }, mapping).account.email).toBe(
      'a@b.c',
    );
    expect(accountInputFrom({ userName: 'only@b.c' }, mapping).account.email).toBe('only@b.c');
  });
  it('without any email it is an invalidValue', () => {
    let error: unknown;
    try {
      accountInputFrom({ userName: 'nobody' }, mapping);
    } catch (e) {
      error = e;
    }
    expect((error as ScimError).scimType).toBe('invalidValue');
  });
});

describe('writes become a normalised change set', () => {
  const before = toScimUser(account, mapping, { baseUrl: base });
  it('Entra deactivation: active "False"', () => {
    const after = patched(before, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(userChanges(before, after, mapping)).toEqual({ active: false, changes: {}, changed: true });
  });
  it('Entra names by dotted keys and email by value path become field changes', () => {
    const after = patched(before, [
      { op: 'Replace', value: { 'name.familyName': 'King', [`${ENT}:department`]: 'Maths' } },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada.king@example.com' },
    ]);
    expect(userChanges(before, after, mapping)).toEqual({
      changes: { lastName: 'King', email: 'ada.king@example.com', attributes: { department: 'Maths' } },
      changed: true,
    });
  });
  it('Okta PUT with active:false and the rest unchanged is only a deactivation', () => {
    const { resource } = replaceResource(before, { ...before, active: false }, userSchema);
    expect(userChanges(before, resource, mapping)).toEqual({ active: false, changes: {}, changed: true });
  });
  it('Okta reactivation', () => {
    const inactive = toScimUser({ ...account, status: 'inactive' }, mapping, { baseUrl: base });
    const after = patched(inactive, [{ op: 'replace', value: { active: true } }]);
    expect(userChanges(inactive, after, mapping).active).toBe(true);
  });
  it('a removed mapped attribute is a change to null; an unmapped or unchanged one is none', () => {
    const after = patched(before, [
      { op: 'remove', path: 'title' },
      { op: 'replace', path: 'nickName', value: 'x' },
    ]);
    expect(userChanges(before, after, mapping)).toEqual({
      changes: { attributes: { jobTitle: null } },
      changed: true,
    });
    expect(userChanges(before, before, mapping)).toEqual({ changes: {}, changed: false });
  });
  it('readFields reads each mapped field once', () => {
    expect(Object.fromEntries(readFields(before, mapping))).toMatchObject({
      email: 'ada@example.com',
      active: true,
    });
  });
});

describe('groups: members added and removed', () => {
  const group = toScimGroup(
    { appId: 'cd', id: 'g1', kind: 'group', name: 'Eng', privileged: false },
    [{ id: 'u1', display: 'Ada' }, { id: 'u2' }],
    base,
  );
  it('builds the group with member references', () => {
    expect(group['members']).toEqual([
      { value: 'u1', $ref: `${base}/Users/u1`, type: 'User', display: 'Ada' },
      { value: 'u2', $ref: `${base}/Users/u2`, type: 'User' },
    ]);
  });
  it('compares member lists', () => {
    const after = { ...group, members: [{ value: 'u2' }, { value: 'u3' }] };
    expect(groupChanges(group, after)).toEqual({ added: ['u3'], removed: ['u1'] });
    expect(groupChanges(group, { ...group, displayName: 'Engineering' }).displayName).toBe('Engineering');
  });
});

import { describe, expect, it } from 'vitest';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import type { Account } from '../../core/types.js';
import { type AppProfile, buildProfile } from './discovery.js';
import { ScimError } from './errors.js';
import { checkIfMatch, versionOf, withVersion } from './etag.js';
import { listResources, parseListQuery, project } from './listing.js';
import {
  accountInputFrom,
  groupChanges,
  toScimGroup,
  toScimUser,
  type UserChangeSet,
  userChanges,
} from './mapping.js';
import { applyPatch, createResource, parsePatchRequest, replaceResource } from './patch.js';
import type { JsonObject } from './schema.js';

const manifest: CapabilityManifest = {
  type: 'thought-industries',
  accounts: {
    list: true,
    get: true,
    findByEmail: true,
    create: true,
    update: true,
    deactivate: true,
    reactivate: true,
    delete: true,
  },
  entitlements: { group: { list: true, grant: true, revoke: true } },
  incremental: false,
  notes: {},
};

/**
 * The protocol layer wired the way a facade wires it, over accounts in memory: reads render and project, writes
 * go through the schema and come out as change sets (recorded, then applied to the account as an app would).
 */
function facade() {
  const profile: AppProfile = buildProfile({
    appId: 'lms',
    title: 'LMS',
    manifest,
    traits: { attributeMap: { email: '{email}', firstName: '{first_name}', lastName: '{last_name}' } },
    baseUrl: 'https://roster.test/scim/v2/lms',
  });
  const accounts = new Map<string, Account>();
  const changes: UserChangeSet[] = [];
  const render = (a: Account) =>
    withVersion(project(toScimUser(a, profile.mapping, { baseUrl: profile.baseUrl }), profile.user));
  const apply = (account: Account, set: UserChangeSet) => {
    changes.push(set);
    const next = { ...account, ...set.changes, attributes: account.attributes } as Account;
    if (set.active !== undefined) next.status = set.active ? 'active' : 'inactive';
    accounts.set(account.id, next);
    return render(next);
  };
  const current = (id: string) => {
    const account = accounts.get(id);
    if (!account) throw new ScimError(404, `no user ${id}`);
    return account;
  };
  return {
    profile,
    changes,
    accounts,
    list: (params: Record<string, string>) =>
      listResources([...accounts.values()].map(render), parseListQuery(params, profile.user), profile.user),
    get: (id: string) => render(current(id)),
    post: (body: unknown) => {
      const { resource } = createResource(body, profile.user);
      const { account: input, active } = accountInputFrom(resource, profile.mapping);
      const id = String(accounts.size + 1);
      const account: Account = {
        appId: 'lms',
        id,
        email: input.email,
        login: null,
        externalId: input.externalId ?? null,
        firstName: input.firstName,
        lastName: input.lastName,
        displayName: `${input.firstName} ${input.lastName}`,
        status: active ? 'active' : 'inactive',
        isAdmin: false,
        lastLoginAt: null,
        createdAt: '2026-12-01T00:00:00Z',
        updatedAt: null,
        attributes: {},
      };
      accounts.set(id, account);
      return render(account);
    },
    patch: (id: string, body: unknown, ifMatch?: string) => {
      const before = render(current(id));
      checkIfMatch(ifMatch, (before['meta'] as JsonObject)['version'] as string);
      const { resource } = applyPatch(before, parsePatchRequest(body), profile.user);
      return apply(current(id), userChanges(before, resource, profile.mapping));
    },
    put: (id: string, body: unknown) => {
      const before = render(current(id));
      const { resource } = replaceResource(before, body, profile.user);
      return apply(current(id), userChanges(before, resource, profile.mapping));
    },
  };
}

describe("Okta's provisioning sequence through the protocol layer", () => {
  it('get by filter (none), create, get by filter (found, any case), update by PUT, deactivate, reactivate', () => {
    const f = facade();
    const lookup = { filter: 'userName eq "jane.doe@example.com"', startIndex: '1', count: '100' };
    expect(f.list(lookup)).toMatchObject({ totalResults: 0, Resources: [] });
    const created = f.post({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'jane.doe@example.com',
      name: { givenName: 'Jane', familyName: 'Doe' },
      emails: [{ primary: true, value: 'jane.doe@example.com', type: 'work' }],
      displayName: 'Jane Doe',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: 'Okta-sends-one',
      active: true,
    });
    expect(created).toMatchObject({ id: '1', userName: 'jane.doe@example.com', active: true });
    expect(created).not.toHaveProperty('password');
    expect(created).not.toHaveProperty('locale');
    const found = f.list({ ...lookup, filter: 'userName eq "Jane.Doe@Example.com"' });
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]).toEqual(created);
    expect(f.get('1')).toEqual(created);

    const renamed = f.put('1', { ...created, name: { givenName: 'Janet', familyName: 'Doe' } });
    expect(f.changes.at(-1)).toEqual({ changes: { firstName: 'Janet' }, changed: true });
    expect(renamed['name']).toEqual({ givenName: 'Janet', familyName: 'Doe' });

    f.patch('1', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(f.changes.at(-1)).toEqual({ active: false, changes: {}, changed: true });
    expect(f.accounts.get('1')?.status).toBe('inactive');
    expect(f.list({ filter: 'active eq false' }).totalResults).toBe(1);

    f.patch('1', { Operations: [{ op: 'replace', value: { active: true } }] });
    expect(f.accounts.get('1')?.status).toBe('active');
  });
});

describe("Entra ID's provisioning sequence through the protocol layer", () => {
  it('get by filter, create, update with its quirks, disable with "False", and a stale If-Match is a 412', () => {
    const f = facade();
    expect(f.list({ filter: 'userName eq "AdeleV@contoso.com"' }).totalResults).toBe(0);
    f.post({
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      ],
      externalId: 'AdeleV',
      userName: 'AdeleV@contoso.com',
      active: true,
      displayName: 'Adele Vance',
      emails: [{ primary: true, type: 'work', value: 'AdeleV@contoso.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' },
      roles: [],
    });
    const listed = f.list({ filter: 'userName eq "adelev@contoso.com"' });
    expect(listed.totalResults).toBe(1);
    const version = (listed.Resources[0]!['meta'] as JsonObject)['version'] as string;
    expect(version).toBe(versionOf(listed.Resources[0]!));

    f.patch(
      '1',
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'adele.vance@contoso.com' },
          { op: 'Replace', value: { 'name.familyName': 'Vance-Smith' } },
          { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 0100' },
        ],
      },
      version,
    );
    expect(f.changes.at(-1)).toEqual({
      changes: { email: 'adele.vance@contoso.com', lastName: 'Vance-Smith' },
      changed: true,
    });

    let stale: unknown;
    try {
      f.patch('1', { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }, version);
    } catch (e) {
      stale = e;
    }
    expect((stale as ScimError).status).toBe(412);
    expect(f.accounts.get('1')?.status).toBe('active');

    f.patch('1', { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(f.accounts.get('1')?.status).toBe('inactive');
  });
});

describe('group pushes (Okta and Entra) become member changes; a rename is refused', () => {
  const f = facade();
  const schema = f.profile.group!;
  const render = (members: string[]) =>
    withVersion(
      project(
        toScimGroup(
          { appId: 'lms', id: 'g1', kind: 'group', name: 'Eng', privileged: false },
          members.map((id) => ({ id })),
          f.profile.baseUrl,
        ),
        schema,
      ),
    );
  const pushed = (members: string[], body: unknown) =>
    groupChanges(render(members), applyPatch(render(members), parsePatchRequest(body), schema).resource);

  it('filters groups by displayName case-insensitively', () => {
    const page = listResources(
      [render(['1'])],
      parseListQuery({ filter: 'displayName eq "eng"' }, schema),
      schema,
    );
    expect(page.totalResults).toBe(1);
  });
  it('Okta: add, then remove by value filter', () => {
    expect(
      pushed(['1'], {
        Operations: [{ op: 'add', path: 'members', value: [{ value: '2', display: 'Jane' }] }],
      }),
    ).toEqual({
      added: ['2'],
      removed: [],
    });
    expect(pushed(['1', '2'], { Operations: [{ op: 'remove', path: 'members[value eq "1"]' }] })).toEqual({
      added: [],
      removed: ['1'],
    });
  });
  it('Entra: Add and Remove with value lists in one request', () => {
    expect(
      pushed(['1', '2'], {
        Operations: [
          { op: 'Add', path: 'members', value: [{ value: '3' }] },
          { op: 'Remove', path: 'members', value: [{ value: '1' }] },
        ],
      }),
    ).toEqual({ added: ['3'], removed: ['1'] });
  });
  it("a rename is a mutability error: the app's group names are its own", () => {
    let error: unknown;
    try {
      pushed(['1'], { Operations: [{ op: 'replace', value: { displayName: 'Engineering' } }] });
    } catch (e) {
      error = e;
    }
    expect((error as ScimError).scimType).toBe('mutability');
  });
});

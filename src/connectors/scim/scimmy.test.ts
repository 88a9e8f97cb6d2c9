import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { readGrants } from '../sdk/contract.testkit.js';
import { readAll } from '../sdk/paging.js';
import type { Connector } from '../sdk/types.js';
import { type ScimmyOptions, type ScimmyServer, scimConnectorFor, startScimmyServer } from './testkit.js';

let server: ScimmyServer | undefined;
let connector: Connector | undefined;
afterEach(async () => {
  await connector?.close();
  await server?.close();
  server = undefined;
  connector = undefined;
});

async function start(options: ScimmyOptions = {}) {
  server = await startScimmyServer(options);
  connector = scimConnectorFor(server);
  return { server, connector };
}

const path = (url: string) => url.split('?')[0];
const params = (url: string) => new URL(url, 'http://x').searchParams;

describe('Generic SCIM connector against a third-party server (scimmy)', () => {
  it('request counts are the physical minimum: users, groups and grants pages, nothing else', async () => {
    // SCIMMY builds every resource for every page, so the third-party server is kept to a few pages.
    const [users, groups, per] = [545, 150, 3];
    const { server: s, connector: c } = await start({ users, groups, membersPerGroup: per });
    const accounts = await readAll(c.accounts.list!, (a) => a.id);
    const entitlements = await readAll(c.entitlements.group!.list, (e) => e.id);
    const grants = await readGrants(c, 'group');
    expect(accounts).toHaveLength(users);
    expect(entitlements).toHaveLength(groups);
    expect(grants).toHaveLength(Math.min(users, groups * per));
    const [config, ...requests] = s.requests();
    expect(config?.url).toBe('/scim/v2/ServiceProviderConfig');
    const userLists = requests.filter((r) => path(r.url) === '/scim/v2/Users');
    const groupLists = requests.filter((r) => params(r.url).get('attributes') === 'displayName');
    const grantLists = requests.filter((r) => params(r.url).get('attributes') === 'members');
    expect(userLists).toHaveLength(Math.ceil(users / 100));
    expect(groupLists).toHaveLength(Math.ceil(groups / 100));
    expect(grantLists).toHaveLength(Math.ceil(groups / 100));
    expect(requests).toHaveLength(userLists.length + groupLists.length + grantLists.length);
    for (const r of userLists) expect(params(r.url).get('excludedAttributes')).toBe('groups');
    for (const r of requests) expect(params(r.url).get('count')).toBe('100');
  });

  it('findByEmail searches emails.value too, since userName is not always the email', async () => {
    const { server: s, connector: c } = await start({ users: 6 });
    // person1's userName is login1: only the email search finds it.
    const found = await c.accounts.findByEmail!({ email: 'Person1@ACME.com' });
    expect(found.map((a) => a.id)).toEqual(['u-000001']);
    const filters = s.requests().map((r) => params(r.url).get('filter'));
    expect([...new Set(filters.filter((f) => f !== null))]).toEqual([
      'userName eq "person1@acme.com"',
      'emails.value eq "person1@acme.com"',
    ]);
  });

  it('findByEmail falls back to emails.value when the server refuses the userName filter (400)', async () => {
    const { server: s, connector: c } = await start({ users: 6, refuseFilters: /^userName/ });
    const found = await c.accounts.findByEmail!({ email: 'person2@acme.com' });
    expect(found.map((a) => a.id)).toEqual(['u-000002']);
    const searches = s.requests().filter((r) => params(r.url).has('filter'));
    expect(searches.map((r) => [params(r.url).get('filter')?.split(' ')[0], r.status])).toEqual([
      ['userName', 400],
      ['emails.value', 200],
      // One match whose total equals the page may be a capped page: one page more is asked for.
      ['emails.value', 200],
    ]);
    // A lost create is looked up the same way, by email, when userName cannot be searched.
    s.clearRequests();
    const made = await c.accounts.create!({
      account: { email: 'new@acme.com', firstName: 'N', lastName: 'P' },
    });
    expect(made.recovered).toBe(false);
    expect((await c.accounts.findByEmail!({ email: 'new@acme.com' })).map((a) => a.id)).toEqual([
      made.account.id,
    ]);
  });

  it('a server that ignores startIndex is an error, not the first page over and over', async () => {
    const { connector: c } = await start({ users: 150, numericPaging: false });
    const first = await c.accounts.list!({ pageToken: null });
    expect(first.nextPageToken).not.toBeNull();
    const error = await c.accounts.list!({ pageToken: first.nextPageToken }).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('unavailable');
  });

  it('group grants come from members; grant and revoke PATCH the group, reading its members once at most', async () => {
    const { server: s, connector: c } = await start({ users: 6, groups: 2, membersPerGroup: 2 });
    expect(await readGrants(c, 'group')).toEqual([
      { appId: 'scimmy', entitlementId: 'g-0000', accountId: 'u-000000' },
      { appId: 'scimmy', entitlementId: 'g-0000', accountId: 'u-000001' },
      { appId: 'scimmy', entitlementId: 'g-0001', accountId: 'u-000002' },
      { appId: 'scimmy', entitlementId: 'g-0001', accountId: 'u-000003' },
    ]);
    const groups = await readAll(c.entitlements.group!.list, (e) => e.id);
    expect(groups.map((g) => [g.name, g.privileged])).toEqual([
      ['Administrators', true],
      ['Team 1', false],
    ]);
    s.clearRequests();
    const pair = { accountId: 'u-000005', entitlementId: 'g-0001' };
    expect(await c.entitlements.group!.grant!(pair)).toEqual({ alreadyGranted: false });
    expect(await c.entitlements.group!.grant!(pair)).toEqual({ alreadyGranted: true });
    expect(await c.entitlements.group!.revoke!(pair)).toEqual({ alreadyAbsent: false });
    expect(await c.entitlements.group!.revoke!(pair)).toEqual({ alreadyAbsent: true });
    // The member list is read once for the group, then every change is a PATCH of its own.
    const reads = s.requests().filter((r) => r.method === 'GET');
    expect(reads.map((r) => path(r.url))).toEqual(['/scim/v2/Groups/g-0001']);
    const patches = s.requests().filter((r) => r.method === 'PATCH');
    const add = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: 'u-000005' }] }],
    };
    expect(patches.map((p) => p.body)).toEqual([
      add,
      add,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'remove', path: 'members[value eq "u-000005"]' }],
      },
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'remove', path: 'members[value eq "u-000005"]' }],
      },
    ]);
    expect(s.store.groups.get('g-0001')?.['members']).toEqual([
      { value: 'u-000002', type: 'User' },
      { value: 'u-000003', type: 'User' },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../core/types.js';
import { account, entitlement, grant } from '../../store/contract.testkit.js';
import { openSqliteStore } from '../../store/sqlite.js';
import type { Store } from '../../store/store.js';
import { buildProfile } from './discovery.js';
import { createScimHandler, type FacadeBackend } from './handler.js';

const APP = 'app';

/**
 * Accounts chosen to catch a lookup that finds too little: case, outer space in an address, LIKE's own
 * characters, a non-ASCII login, a deleted account, an account without address or login.
 */
const ACCOUNTS: Account[] = [
  account(APP, 'u1', {
    email: 'Ada.Lovelace@Example.com',
    login: 'ALovelace',
    firstName: 'Ada',
    externalId: 'Okta-00u1',
  }),
  account(APP, 'u2', { email: ' ada.l@example.com ', login: 'ada_l', firstName: 'Ada' }),
  account(APP, 'u3', { email: 'grace%h@example.com', login: 'GRACE', status: 'inactive' }),
  account(APP, 'u4', { email: 'alan@example.org', login: 'Ålan', status: 'deleted', externalId: 'ext-4' }),
  account(APP, 'u5', { email: 'edsger@example.org', login: 'ÉDsger', externalId: 'ext-5' }),
  account(APP, 'u6', { email: null, login: null, displayName: 'No Address', externalId: 'ext-5 ' }),
  account(APP, 'u7', {
    email: 'barbara@example.com',
    login: 'barbara',
    status: 'invited',
    externalId: 'EXT-5',
  }),
];

const FILTERS = [
  'userName eq "ada.lovelace@example.com"',
  'userName eq "ADA.LOVELACE@EXAMPLE.COM"',
  'userName eq "ada.l@example.com"',
  'userName eq " ada.l@example.com "',
  'userName eq "alan@example.org"',
  'userName eq "nobody@example.com"',
  'userName sw "ada"',
  'userName sw "ADA.L"',
  'userName sw " ada"',
  'userName sw "grace%"',
  'userName sw "grace_"',
  'userName sw ""',
  'userName eq "ada.lovelace@example.com" and active eq true',
  'active eq true and userName sw "a"',
  'userName eq "alan@example.org" or userName sw "ed"',
  'userName eq "ada.lovelace@example.com" or displayName eq "No Address"',
  'userName eq "édsger"',
  'userName sw "éd"',
  'userName eq "ÉDSGER"',
  'id eq "u3"',
  'id eq "U3"',
  'id eq "u4"',
  'not (userName sw "ada")',
  'userName co "example.org"',
  'userName ne "ada.l@example.com"',
  'emails[value sw "ada"]',
  'userName eq 12',
  'userName pr',
  // externalId is caseExact: found exactly as the IdP gave it, by the index when it is the account's own.
  'externalId eq "ext-5"',
  'externalId eq "EXT-5"',
  'externalId eq "ext-5 "',
  'externalId eq "Okta-00u1"',
  'externalId eq "okta-00u1"',
  'externalId eq "ext-4"',
  'externalId eq "nobody"',
  'externalId eq "ext-5" and active eq true',
  'externalId eq "ext-5" or userName eq "alan@example.org"',
  'externalId eq "ext-5" or displayName eq "No Address"',
  'externalId sw "ext"',
  // Entra ID matching by work email: the address looked up, as userName's is.
  'emails[type eq "work"].value eq "ada.lovelace@example.com"',
  'emails[type eq "work"].value eq "ADA.L@example.com"',
  'emails[type eq "work"].value eq " ada.l@example.com "',
  'emails[type eq "work"].value eq "alan@example.org"',
  'emails[type eq "work"].value eq "grace%h@example.com"',
  'emails[type eq "work"].value eq "nobody@example.com"',
  'emails[type eq "home"].value eq "barbara@example.com"',
  'emails[type eq "work" and value eq "BARBARA@example.com"]',
  'emails[value eq "edsger@example.org"] or userName sw "ada"',
  'emails[value eq "edsger@example.org" or type eq "home"]',
  'emails[type eq "work"].value ne "ada.lovelace@example.com"',
  'emails[not (value eq "ada.lovelace@example.com")]',
];

const ENTITLEMENTS = [
  entitlement(APP, 'g2', { kind: 'group', name: 'Two' }),
  entitlement(APP, 'g1', { kind: 'group', name: 'One' }),
  entitlement(APP, 'r1', { kind: 'role', name: 'Admin' }),
];
const GRANTS = [
  grant(APP, 'g2', 'u1'),
  grant(APP, 'g1', 'u1'),
  grant(APP, 'r1', 'u1'),
  grant(APP, 'g1', 'u7'),
];

function backend(store: Store, withLookups: boolean): FacadeBackend {
  const base: FacadeBackend = {
    accounts: () => store.listAccounts({ appId: APP }),
    account: (id) => store.getAccount({ appId: APP, id }),
    groups: () => store.listEntitlements({ appId: APP }),
    grants: () => store.listGrants({ appId: APP }),
    run: async () => [],
  };
  if (!withLookups) return base;
  return {
    ...base,
    grants: (entitlementId) =>
      store.listGrants(entitlementId === undefined ? { appId: APP } : { appId: APP, entitlementId }),
    lookups: {
      accounts: (ids) => store.listGraphAccounts({ appId: APP, ids }),
      async find(lookup) {
        if (lookup.by === 'id') {
          const one = await store.getAccount({ appId: APP, id: lookup.id });
          return one ? [one] : [];
        }
        return store.findAccounts({ appId: APP, field: lookup.by, op: lookup.op, value: lookup.value });
      },
      page: ({ offset, limit }) =>
        store.sliceAccounts({ appId: APP, offset, limit, excludeStatus: 'deleted' }),
      memberships: async (accountIds) =>
        (await store.listMemberships({ appId: APP, accountIds, kind: 'group' })).map((m) => ({
          accountId: m.accountId,
          id: m.entitlementId,
          name: m.name,
        })),
      async accountWithGroups(id) {
        const found = await store.getAccountWithMemberships({ appId: APP, id, kind: 'group' });
        if (!found) return null;
        const { account, memberships } = found;
        return {
          account,
          groups: memberships.map((m) => ({ accountId: m.accountId, id: m.entitlementId, name: m.name })),
        };
      },
    },
  };
}

function profileOf(userName: 'email' | 'login') {
  return buildProfile({
    appId: APP,
    title: 'App',
    manifest: {
      type: 'scim',
      accounts: {
        list: true,
        get: true,
        findByEmail: false,
        create: true,
        update: true,
        deactivate: false,
        reactivate: false,
        delete: false,
      },
      entitlements: { group: { list: true, grant: true, revoke: true } },
      incremental: false,
      notes: {},
    },
    traits: {
      attributeMap: {
        email: '',
        firstName: '',
        lastName: '',
        ...(userName === 'login' ? { login: '' } : {}),
      },
    },
    baseUrl: 'https://roster.test/scim/v2/app',
  });
}

function handlers(store: Store, userName: 'email' | 'login') {
  const profile = profileOf(userName);
  const call = (withLookups: boolean, path: string, query: Record<string, string>) =>
    createScimHandler(profile, backend(store, withLookups)).handle({
      method: 'GET',
      path,
      query,
      tokenName: 't',
    });
  /** With lookups, and no scan of every account to fall back on. */
  const indexedOnly = (path: string, query: Record<string, string>) =>
    createScimHandler(profile, {
      ...backend(store, true),
      accounts: () => Promise.reject(new Error('scanned every account')),
    }).handle({ method: 'GET', path, query, tokenName: 't' });
  return { call, indexedOnly };
}

describe('indexed reads answer exactly what a scan of every user answers', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openSqliteStore(':memory:');
    await store.upsertApp({ id: APP, type: 'scim', baseUrl: 'http://app.local' });
    await holding(GRANTS);
  });
  afterAll(() => store.close());
  /** The app's snapshot: ACCOUNTS and ENTITLEMENTS, with these grants. */
  const holding = (grants: typeof GRANTS) =>
    store.replaceSnapshot({
      appId: APP,
      runId: null,
      accounts: ACCOUNTS,
      entitlements: ENTITLEMENTS,
      grants,
    });

  for (const userName of ['email', 'login'] as const) {
    it.each(FILTERS)(`userName as the ${userName}: filter %s`, async (filter) => {
      const { call } = handlers(store, userName);
      const scan = await call(false, '/Users', { filter });
      const indexed = await call(true, '/Users', { filter });
      expect(scan.status, JSON.stringify(scan.body)).toBe(200);
      expect(indexed).toEqual(scan);
    });
  }

  it.each([
    [{}],
    [{ startIndex: '2', count: '3' }],
    [{ startIndex: '6', count: '5' }],
    [{ startIndex: '40', count: '5' }],
    [{ count: '0' }],
    [{ count: '2', attributes: 'userName,groups' }],
  ])('a page without filter or sort, %j', async (query) => {
    const { call } = handlers(store, 'email');
    const scan = await call(false, '/Users', query);
    expect(await call(true, '/Users', query)).toEqual(scan);
  });

  it.each(['u1', 'u7', 'u2', 'nope'])(
    '/Users/%s: the account and its groups in one read, as the scan shows them',
    async (id) => {
      const { call } = handlers(store, 'email');
      const scan = await call(false, `/Users/${id}`, {});
      const watched = backend(store, true);
      const lookups = watched.lookups as NonNullable<FacadeBackend['lookups']>;
      const answer = await createScimHandler(profileOf('email'), {
        ...watched,
        // Only an id the snapshot does not hold is looked for alone (and then in the app).
        account: (asked) =>
          asked === 'nope' ? watched.account(asked) : Promise.reject(new Error('read the account alone')),
        lookups: { ...lookups, memberships: () => Promise.reject(new Error('read the groups alone')) },
      }).handle({ method: 'GET', path: `/Users/${id}`, query: {}, tokenName: 't' });
      expect(answer).toEqual(scan);
    },
  );

  it.each([
    ['/Groups', {}],
    ['/Groups', { filter: 'displayName eq "One"' }],
    ['/Groups/g1', {}],
    ['/Groups/g2', { attributes: 'members' }],
    ['/Groups/r1', {}],
    ['/Groups/nope', {}],
  ])(
    '%s %j: each group with its members named, as a scan of every account names them',
    async (path, query) => {
      const { call } = handlers(store, 'email');
      const scan = await call(false, path, query);
      expect(await call(true, path, query)).toEqual(scan);
      if (path === '/Groups/g1') {
        expect(scan.body).toMatchObject({
          members: [
            { value: 'u1', display: expect.any(String) },
            { value: 'u7', display: expect.any(String) },
          ],
        });
      }
    },
  );

  it.each([
    ['displayName eq "One"', ['g1'], ['u1', 'u7']],
    ['displayName eq "one" or displayName sw "Tw"', ['g1', 'g2'], ['u1', 'u7']],
    ['displayName eq "Nobody"', [], []],
    ['members[value eq "u7"]', [undefined], ['u1', 'u7']],
    ['meta.version pr', [undefined], ['u1', 'u7']],
  ])(
    'Groups under %s read the members of the groups it keeps only, and answer as a full read does',
    async (filter, grantsRead, named) => {
      const { call } = handlers(store, 'email');
      const full = await call(false, '/Groups', { filter });
      const grants: (string | undefined)[] = [];
      const accounts: string[] = [];
      const watched = backend(store, true);
      const lookups = watched.lookups as NonNullable<FacadeBackend['lookups']>;
      const answer = await createScimHandler(profileOf('email'), {
        ...watched,
        grants: (entitlementId) => {
          grants.push(entitlementId);
          return watched.grants(entitlementId);
        },
        lookups: {
          ...lookups,
          accounts: (ids) => {
            accounts.push(...ids);
            return lookups.accounts(ids);
          },
        },
      }).handle({ method: 'GET', path: '/Groups', query: { filter }, tokenName: 't' });
      expect(answer).toEqual(full);
      expect(grants).toEqual(grantsRead);
      expect(accounts.sort()).toEqual(named);
    },
  );

  it.each([
    ['/Groups/g1', { excludedAttributes: 'members' }, []],
    ['/Groups/g1', { attributes: 'displayName' }, []],
    ['/Groups/g1', { attributes: 'members.value' }, []],
    ['/Groups/g1', { excludedAttributes: 'Members.display' }, []],
    ['/Groups/g1', { attributes: 'members' }, ['u1', 'u7']],
    ['/Groups/g1', {}, ['u1', 'u7']],
    ['/Groups', { excludedAttributes: 'members', filter: 'displayName eq "One"' }, []],
    ['/Groups', { excludedAttributes: 'members' }, []],
    ['/Groups', { excludedAttributes: 'members', filter: 'members[display eq "Ada"]' }, ['u1', 'u7']],
    ['/Groups', { excludedAttributes: 'members', sortBy: 'displayName' }, []],
  ])(
    '%s %j names the members (reads their accounts) only where the answer or the query reads their names: %j',
    async (path, query, named) => {
      const { call } = handlers(store, 'email');
      const full = await call(false, path, query);
      expect(full.status, JSON.stringify(full.body)).toBe(200);
      const accounts: string[] = [];
      const watched = backend(store, true);
      const lookups = watched.lookups as NonNullable<FacadeBackend['lookups']>;
      const answer = await createScimHandler(profileOf('email'), {
        ...watched,
        accounts: () => Promise.reject(new Error('scanned every account')),
        lookups: {
          ...lookups,
          accounts: (ids) => {
            accounts.push(...ids);
            return lookups.accounts(ids);
          },
        },
      }).handle({ method: 'GET', path, query, tokenName: 't' });
      // The same answer, ETag header included, as the read that names every member.
      expect(answer).toEqual(full);
      expect(accounts.sort()).toEqual(named);
    },
  );

  it('a group answers its members as the projection asks, named, by id, or not at all', async () => {
    const { call } = handlers(store, 'email');
    const body = async (query: Record<string, string>) =>
      (await call(true, '/Groups/g1', query)).body as Record<string, unknown>;
    expect((await body({})).members).toEqual([
      expect.objectContaining({ value: 'u1', display: expect.any(String) }),
      expect.objectContaining({ value: 'u7', display: expect.any(String) }),
    ]);
    expect((await body({ attributes: 'members.value' })).members).toEqual([{ value: 'u1' }, { value: 'u7' }]);
    const without = await body({ excludedAttributes: 'members' });
    expect(without).not.toHaveProperty('members');
    expect(without).toMatchObject({ id: 'g1', displayName: 'One' });
  });

  it('a group has one version, whether or not its members were named, and it moves when a member joins', async () => {
    const { call } = handlers(store, 'email');
    const named = await call(true, '/Groups/g1', {});
    const unnamed = await call(true, '/Groups/g1', { excludedAttributes: 'members' });
    expect(named.headers['etag']).toMatch(/^W\/"/);
    expect(unnamed.headers['etag']).toBe(named.headers['etag']);
    expect((named.body as { meta: { version: string } }).meta.version).toBe(named.headers['etag']);
    const other = await call(true, '/Groups/g2', { excludedAttributes: 'members' });
    expect(other.headers['etag']).not.toBe(named.headers['etag']);
    await holding([...GRANTS, grant(APP, 'g1', 'u2')]);
    try {
      const joined = await call(true, '/Groups/g1', { excludedAttributes: 'members' });
      expect(joined.headers['etag']).not.toBe(named.headers['etag']);
    } finally {
      await holding(GRANTS);
    }
  });

  it.each([
    [{}],
    [{ startIndex: '2', count: '1' }],
    [{ startIndex: '1', count: '1', attributes: 'displayName' }],
    [{ startIndex: '3', count: '5' }],
    [{ count: '0' }],
  ])(
    'Groups paged in their order, %j, read only the page’s groups, as a full read pages them',
    async (query) => {
      const { call } = handlers(store, 'email');
      // `displayName pr` keeps every group: the listing of every group rendered, paged after.
      const full = await call(true, '/Groups', { ...query, filter: 'displayName pr' });
      const grants: (string | undefined)[] = [];
      const watched = backend(store, true);
      const answer = await createScimHandler(profileOf('email'), {
        ...watched,
        grants: (entitlementId) => {
          grants.push(entitlementId);
          return watched.grants(entitlementId);
        },
      }).handle({ method: 'GET', path: '/Groups', query, tokenName: 't' });
      expect(answer).toEqual(full);
      const shown = ((answer.body as { Resources: { id: string }[] }).Resources ?? []).map((g) => g.id);
      expect(grants).toEqual(shown);
    },
  );

  it.each([
    'userName eq "ada.lovelace@example.com"',
    'externalId eq "ext-5"',
    'externalId eq "EXT-5" or id eq "u1"',
    'emails[type eq "work"].value eq "Barbara@example.com"',
  ])('answers %s from the index, without a scan', async (filter) => {
    const { call, indexedOnly } = handlers(store, 'email');
    expect(await indexedOnly('/Users', { filter })).toEqual(await call(false, '/Users', { filter }));
  });

  it('a user read by id shows its groups (of the Group kind only), as a scan shows them', async () => {
    const { call } = handlers(store, 'email');
    const one = await call(true, '/Users/u1', {});
    expect(one.body).toMatchObject({
      groups: [
        { value: 'g1', display: 'One' },
        { value: 'g2', display: 'Two' },
      ],
    });
    expect(one).toEqual(await call(false, '/Users/u1', {}));
  });
});

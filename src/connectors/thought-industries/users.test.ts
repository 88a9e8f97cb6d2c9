import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { readAll } from '../sdk/paging.js';
import { countBy, endpointsOf, startTiConnector, type TiSetup } from './testkit.js';

let setup: TiSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function start(extra = 0): Promise<TiSetup> {
  setup = await startTiConnector(sampleCompany(extra));
  return setup;
}

const idOf = (s: TiSetup, key: string): string => s.sandbox.state.keys.get(key)!;
const userOf = (s: TiSetup, key: string) => s.sandbox.state.usersById.get(idOf(s, key))!;
const admin = (s: TiSetup, method: string, path: string, body: unknown) =>
  fetch(`${s.sandbox.origin}/__admin${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );

describe('auth', () => {
  it('the API key travels only in the X-API-Key header, never as apiKey in a URL', async () => {
    const s = await start();
    await s.connector.accounts.list!({ pageToken: null });
    await s.connector.accounts.findByEmail!({ email: 'ada.lovelace@acme.com' });
    await readAll(s.connector.entitlements.course!.listGrants!, (g) => `${g.entitlementId}/${g.accountId}`);
    const requests = s.sandbox.requests();
    // The list, the lookup, then introspection and the 4 listed users' enrollments (REST, per user).
    expect(requests.length).toBe(7);
    for (const request of requests) {
      expect(request.url).not.toMatch(/apikey/i);
      expect(request.url).not.toContain(s.sandbox.credentials.token);
      expect(request.headers['x-api-key']).toBe(s.sandbox.credentials.token);
    }
  });
});

describe('listing', () => {
  it('list asks for per_page=100 and stops at a short page or when total is reached', async () => {
    // 4 users from the sample plus 196: exactly 200, so the second page is full and `total` ends it.
    const s = await start(196);
    const accounts = await readAll(s.connector.accounts.list!, (a) => a.id);
    expect(accounts).toHaveLength(200);
    expect(s.sandbox.requests().map((r) => r.url)).toEqual([
      '/incoming/api/v1/users?page=1&per_page=100',
      '/incoming/api/v1/users?page=2&per_page=100',
    ]);

    s.sandbox.reset(sampleCompany(197));
    expect(await readAll(s.connector.accounts.list!, (a) => a.id)).toHaveLength(201);
    expect(s.sandbox.requests().map((r) => r.url)).toEqual([
      '/incoming/api/v1/users?page=1&per_page=100',
      '/incoming/api/v1/users?page=2&per_page=100',
      '/incoming/api/v1/users?page=3&per_page=100',
    ]);
  });

  it('group grants come with the account page, so reading them costs no request per group', async () => {
    const s = await start();
    const page = await s.connector.accounts.list!({ pageToken: null });
    const sales = [...s.sandbox.state.groups.values()].find((g) => g.name === 'Sales Academy')!;
    expect(page.grants).toContainEqual({ appId: 'ti', entitlementId: sales.id, accountId: idOf(s, 'ada') });
    expect(page.grants).toHaveLength(2);
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/users']);
  });

  it('status, admin, external id, last login and custom fields are read from the user', async () => {
    const s = await start();
    const accounts = await readAll(s.connector.accounts.list!, (a) => a.id);
    const byId = new Map(accounts.map((a) => [a.id, a]));
    expect(byId.get(idOf(s, 'ada'))).toMatchObject({
      status: 'active',
      isAdmin: true,
      externalId: 'okta|00u-ada',
      lastLoginAt: '2026-10-20T12:00:00.000Z',
      attributes: { role: 'admin', 'customFields.department': 'Sales', 'customFields.title': 'VP Sales' },
    });
    expect(byId.get(idOf(s, 'bob'))).toMatchObject({ status: 'inactive', isAdmin: false });
    // No invitation state in Thought Industries: an invited account is an active user who never signed in.
    expect(byId.get(idOf(s, 'eve'))).toMatchObject({ status: 'active', lastLoginAt: null });
  });
});

describe('findByEmail', () => {
  it("the app's 404 for an unknown email means no account, not a failure", async () => {
    const s = await start();
    expect(await s.connector.accounts.findByEmail!({ email: 'nobody@acme.com' })).toEqual([]);
    const [request] = s.sandbox.requests();
    expect(request).toMatchObject({
      method: 'GET',
      url: '/incoming/api/v1/users?email=nobody%40acme.com',
      status: 404,
    });
    const found = await s.connector.accounts.findByEmail!({ email: 'ADA.LOVELACE@acme.COM' });
    expect(found.map((a) => a.id)).toEqual([idOf(s, 'ada')]);
  });
});

describe('create', () => {
  it('a duplicate email is a conflict whether the app answers 400 "already exists" or 409', async () => {
    const s = await start();
    const input = { email: 'ada.lovelace@acme.com', firstName: 'Ada', lastName: 'Again' };
    const as400 = await failure(s.connector.accounts.create!({ account: input }));
    expect(isRosterError(as400) && as400.code).toBe('conflict');
    expect(s.sandbox.requests().at(-1)?.status).toBe(400);

    await admin(s, 'PUT', '/config', { duplicateEmailStatus: 409 });
    const as409 = await failure(s.connector.accounts.create!({ account: input }));
    expect(isRosterError(as409) && as409.code).toBe('conflict');
    expect(s.sandbox.requests().at(-1)?.status).toBe(409);
    expect(s.sandbox.state.users.filter((u) => u.email.toLowerCase() === input.email)).toHaveLength(1);
  });

  it('a create whose answer was lost is looked up by email and reported recovered, not made twice', async () => {
    const s = await start();
    s.sandbox.setFaults('clean', { lostResponse: 1 });
    const { account, recovered } = await s.connector.accounts.create!({
      account: { email: 'new.hire@acme.com', firstName: 'New', lastName: 'Hire' },
    });
    expect(recovered).toBe(true);
    expect(account.email).toBe('new.hire@acme.com');
    expect(s.sandbox.state.users.filter((u) => u.email === 'new.hire@acme.com')).toHaveLength(1);
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'POST /incoming/api/v1/users': 1,
      'GET /incoming/api/v1/users': 1,
    });
  });
});

describe('PUT is full replacement, so every write is read-merge-write', () => {
  it('deactivating keeps firstName, lastName, role, ssoId, customFields and groups exactly', async () => {
    const s = await start();
    const before = structuredClone(userOf(s, 'ada'));
    const { account, alreadyInactive } = await s.connector.accounts.deactivate!({ id: before.id });
    expect(alreadyInactive).toBe(false);
    expect(account.status).toBe('inactive');
    const after = userOf(s, 'ada');
    expect(after.active).toBe(false);
    for (const field of [
      'email',
      'firstName',
      'lastName',
      'role',
      'ssoId',
      'avatarUrl',
      'language',
    ] as const) {
      expect(after[field], field).toBe(before[field]);
    }
    expect(after.customFields).toEqual(before.customFields);
    expect(after.groups).toEqual(before.groups);
    const put = s.sandbox.requests().find((r) => r.method === 'PUT');
    expect(Object.keys(put!.body as object).sort()).toEqual([
      'active',
      'avatarUrl',
      'customFields',
      'email',
      'firstName',
      'groups',
      'language',
      'lastName',
      'role',
      'ssoId',
    ]);
    expect(endpointsOf(s.sandbox)).toEqual([
      'GET /incoming/api/v1/users/{id}',
      'PUT /incoming/api/v1/users/{id}',
    ]);
  });

  it('updating a deactivated user does not silently reactivate it', async () => {
    const s = await start();
    await s.connector.accounts.update!({ id: idOf(s, 'bob'), changes: { lastName: 'Renamed' } });
    expect(userOf(s, 'bob')).toMatchObject({ lastName: 'Renamed', active: false, language: 'en' });
    expect(userOf(s, 'bob').customFields).toEqual({ department: 'Support' });
  });

  it('reactivating keeps every other field, and an already active user costs no write', async () => {
    const s = await start();
    const before = structuredClone(userOf(s, 'bob'));
    expect((await s.connector.accounts.reactivate!({ id: before.id })).alreadyActive).toBe(false);
    expect(userOf(s, 'bob')).toMatchObject({ ...before, active: true, updatedAt: expect.any(String) });
    s.sandbox.clearRequests();
    expect((await s.connector.accounts.reactivate!({ id: before.id })).alreadyActive).toBe(true);
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/users/{id}']);
  });
});

describe('custom fields', () => {
  it('an unknown custom field key is refused before anything is sent, naming it and the configured keys', async () => {
    const s = await start();
    const update = await failure(
      s.connector.accounts.update!({
        id: idOf(s, 'ada'),
        changes: { attributes: { 'customFields.costCenter': 'X1' } },
      }),
    );
    expect(isRosterError(update) && update.code).toBe('invalid_input');
    expect((update as Error).message).toMatch(/"costCenter".*department, title/);
    const create = await failure(
      s.connector.accounts.create!({
        account: {
          email: 'x@acme.com',
          firstName: 'X',
          lastName: 'Y',
          attributes: { 'customFields.costCenter': 'X1' },
        },
      }),
    );
    expect(isRosterError(create) && create.code).toBe('invalid_input');
    expect(s.sandbox.requests()).toEqual([]);
  });

  it('a configured key is written and merged with the others', async () => {
    const s = await start();
    const { account } = await s.connector.accounts.update!({
      id: idOf(s, 'ada'),
      changes: { attributes: { 'customFields.title': 'CRO' } },
    });
    expect(account.attributes).toMatchObject({
      'customFields.title': 'CRO',
      'customFields.department': 'Sales',
    });
    expect(userOf(s, 'ada').customFields).toEqual({ department: 'Sales', title: 'CRO' });
  });
});

describe('delete', () => {
  it('delete is permanent (the enrollments go too), and deleting again is alreadyAbsent', async () => {
    const s = await start();
    const id = idOf(s, 'ada');
    expect(s.sandbox.state.enrollments.has(id)).toBe(true);
    expect(await s.connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: false });
    expect(s.sandbox.state.usersById.has(id)).toBe(false);
    expect(s.sandbox.state.enrollments.has(id)).toBe(false);
    expect(await s.connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: true });
  });
});

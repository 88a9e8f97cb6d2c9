import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../../core/errors.js';
import { admin, idOf } from '../../sandbox/customer-directory/testkit.js';
import { type ScriptedServer, startScriptedServer } from '../http/testkit.js';
import type { Connector } from '../sdk/types.js';
import { connectorFor, type Started, start } from './testkit.js';

let started: Started | undefined;
let scripted: ScriptedServer | undefined;
let local: Connector | undefined;
afterEach(async () => {
  await started?.close();
  await local?.close();
  await scripted?.close();
  started = scripted = local = undefined;
});

const fail = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as RosterError,
  );

const CUSTOMER = '64b7f0c2a1e4d5f6a7b8c9d0';
const USER = '0123456789abcdef01234567';
const cdUser = (overrides: Record<string, unknown> = {}) => ({
  _id: USER,
  createdAt: '2022-08-12T20:44:48Z',
  updatedAt: '2022-08-12T20:44:48Z',
  email: 'ana@acme.test',
  firstName: 'Ana',
  jobTitle: '',
  lastName: 'Tester',
  nickname: '',
  status: 'active',
  groupIds: null,
  roleIds: [],
  ...overrides,
});

/** A connector pointed at a scripted server instead of the sandbox. */
async function scriptedConnector(handler: Parameters<typeof startScriptedServer>[0]): Promise<Connector> {
  scripted = await startScriptedServer(handler);
  local = connectorFor({
    id: 'directory',
    type: 'customer-directory',
    baseUrl: scripted.origin,
    auth: { type: 'bearer', token: 'local-token-123456' },
    customerId: CUSTOMER,
    integration: 'okta',
  });
  return local;
}

describe('customer-directory accounts', () => {
  it('every path is under the configured customer and the list carries the configured integration', async () => {
    started = await start({ config: { integration: 'google' } });
    const { sandbox, connector } = started;
    await connector.accounts.list!({ pageToken: null });
    await connector.accounts.get!({ id: idOf(sandbox, 'ana') });
    const urls = sandbox.requests().map((r) => r.url);
    for (const url of urls)
      expect(url).toMatch(new RegExp(`^/api/v1/customers/${sandbox.credentials.tenant}/`));
    const list = urls.find((url) => url.split('?')[0]!.endsWith('/users'));
    expect(new URL(list!, 'http://x').searchParams.get('integration')).toBe('google');
  });

  it('the list is one request with no paging parameters and no page token, bare array or { users }', async () => {
    started = await start();
    const { sandbox, connector } = started;
    const bare = await connector.accounts.list!({ pageToken: null });
    expect(bare.nextPageToken).toBeNull();
    expect(bare.items).toHaveLength(sandbox.state.users.size);
    await admin(sandbox, 'PUT', '/customer-directory/config', { listShape: 'object' });
    sandbox.clearRequests();
    const wrapped = await connector.accounts.list!({ pageToken: null });
    expect(wrapped.items.map(({ raw: _r, ...a }) => a)).toEqual(bare.items.map(({ raw: _r, ...a }) => a));
    expect(wrapped.grants).toEqual(bare.grants);
    const lists = sandbox.requests().filter((r) => r.url.split('?')[0]!.endsWith('/users'));
    expect(lists).toHaveLength(1);
    expect([...new URL(lists[0]!.url, 'http://x').searchParams.keys()]).toEqual(['integration']);
    // Roles and groups are named from config: no list to switch.
    expect((await connector.entitlements.role!.list({ pageToken: null })).items.length).toBeGreaterThan(0);
    expect((await connector.entitlements.group!.list({ pageToken: null })).items.length).toBe(2);
  });

  it('a page token the connector never issued is refused without a request', async () => {
    started = await start();
    const error = await fail(started.connector.accounts.list!({ pageToken: 'eyJvZmZzZXQiOjEwMH0' }));
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect(started.sandbox.requests()).toHaveLength(0);
  });

  it('a malformed object id is invalid_input and no request is sent', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const ana = idOf(sandbox, 'ana');
    const attempts = [
      connector.accounts.get!({ id: 'not-an-id' }),
      connector.accounts.get!({ id: '../groups' }),
      connector.accounts.update!({ id: '123', changes: { firstName: 'X' } }),
      connector.accounts.delete!({ id: `${ana}0` }),
      connector.entitlements.role!.grant!({ accountId: 'nope', entitlementId: ana }),
      connector.entitlements.role!.revoke!({ accountId: ana, entitlementId: 'Admin' }),
    ];
    for (const attempt of attempts) {
      const error = await fail(attempt);
      expect(isRosterError(error) && error.code).toBe('invalid_input');
    }
    // Let anything wrongly started reach the sandbox before counting.
    await connector.accounts.list!({ pageToken: null });
    expect(
      sandbox
        .requests()
        .map((r) => r.url.split('?')[0]!.split('/').pop())
        .sort(),
    ).toEqual(['users']);
  });

  it('findByEmail asks the lookup endpoint with type=email and a 404 is no match', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const found = await connector.accounts.findByEmail!({ email: 'Bo@Acme.Test' });
    expect(found.map((a) => a.id)).toEqual([idOf(sandbox, 'bo')]);
    expect(await connector.accounts.findByEmail!({ email: 'nobody@acme.test' })).toEqual([]);
    const lookups = sandbox.requests().filter((r) => r.url.includes('/users/lookup'));
    expect(lookups).toHaveLength(2);
    const query = new URL(lookups[0]!.url, 'http://x').searchParams;
    expect(query.get('type')).toBe('email');
    expect(query.get('value')).toBe('Bo@Acme.Test');
    expect(lookups[1]!.status).toBe(404);
  });

  it('externalId stays null: the user object carries no identity even when the app holds one', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const bo = await connector.accounts.get!({ id: idOf(sandbox, 'bo') });
    expect(sandbox.state.users.get(idOf(sandbox, 'bo'))!.identities).toContainEqual({
      type: 'okta',
      value: '00ubo',
    });
    expect(bo!.externalId).toBeNull();
  });

  it('status and admin: pending is invited, inactive is inactive, a super delegate is admin', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const accounts = (await connector.accounts.list!({ pageToken: null })).items;
    const byKey = (key: string) => accounts.find((a) => a.id === idOf(sandbox, key))!;
    expect(byKey('eve').status).toBe('invited');
    expect(byKey('dee').status).toBe('inactive');
    expect(byKey('cy')).toMatchObject({ status: 'active', isAdmin: true });
    expect(byKey('ana')).toMatchObject({
      isAdmin: false,
      attributes: { department: 'Sales', jobTitle: 'Account Executive' },
    });
  });

  it('update PATCHes v2 with only the documented fields and the app holds the change', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const id = idOf(sandbox, 'ana');
    const { account } = await connector.accounts.update!({
      id,
      changes: { lastName: 'Moreau', attributes: { department: 'Support', office: null } },
    });
    expect(account).toMatchObject({
      lastName: 'Moreau',
      attributes: { department: 'Support', office: null },
    });
    expect(sandbox.state.users.get(id)).toMatchObject({
      lastName: 'Moreau',
      department: 'Support',
      office: '',
    });
    const patches = sandbox.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.url)).toEqual([
      `/api/v2/customers/${sandbox.credentials.tenant}/users/${id}`,
    ]);
    expect(patches[0]!.body).toEqual({ lastName: 'Moreau', department: 'Support', office: '' });
  });

  it('update refuses what PATCH cannot change instead of dropping it, before any request', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const id = idOf(sandbox, 'ana');
    for (const changes of [
      { externalId: '00u' },
      { login: 'ana2' },
      { attributes: { status: 'inactive' } },
    ]) {
      const error = await fail(connector.accounts.update!({ id, changes }));
      expect(isRosterError(error) && error.code).toBe('invalid_input');
    }
    expect(sandbox.requests()).toHaveLength(0);
  });

  it('update falls back to PATCH v1 when v2 answers 404 for the route, not for the user', async () => {
    const connector = await scriptedConnector((request) => {
      if (request.method === 'PATCH' && request.url.startsWith('/api/v2/')) {
        return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Cannot PATCH' } };
      }
      if (request.method === 'PATCH') return { status: 200, body: cdUser({ firstName: 'Anna' }) };
      if (request.url.includes('/roles')) return { status: 200, body: [] };
      return { status: 200, body: cdUser() };
    });
    const { account } = await connector.accounts.update!({ id: USER, changes: { firstName: 'Anna' } });
    expect(account.firstName).toBe('Anna');
    const calls = scripted!.received
      .filter((r) => !r.url.includes('/roles'))
      .map((r) => `${r.method} ${r.url}`);
    expect(calls).toEqual([
      `PATCH /api/v2/customers/${CUSTOMER}/users/${USER}`,
      `GET /api/v1/customers/${CUSTOMER}/users/${USER}`,
      `PATCH /api/v1/customers/${CUSTOMER}/users/${USER}`,
    ]);
    expect(
      JSON.parse(scripted!.received.find((r) => r.url.startsWith('/api/v1/') && r.method === 'PATCH')!.body),
    ).toEqual({
      firstName: 'Anna',
    });
    // Once v2 is known to be missing, later updates go straight to v1.
    await connector.accounts.update!({ id: USER, changes: { firstName: 'Anna' } });
    expect(scripted!.received.filter((r) => r.url.startsWith('/api/v2/'))).toHaveLength(1);
  });

  it('a v2 404 for a user that is gone is not_found, with no v1 PATCH', async () => {
    const connector = await scriptedConnector((request) => {
      if (request.url.includes('/roles')) return { status: 200, body: [] };
      return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'User not found' } };
    });
    const error = await fail(connector.accounts.update!({ id: USER, changes: { firstName: 'Anna' } }));
    expect(isRosterError(error) && error.code).toBe('not_found');
    expect(
      scripted!.received.filter((r) => r.url.startsWith('/api/v1/') && r.method === 'PATCH'),
    ).toHaveLength(0);
  });

  it('delete removes the user from the app and a second delete is alreadyAbsent', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const id = idOf(sandbox, 'dee');
    expect(await connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: false });
    expect(sandbox.state.users.has(id)).toBe(false);
    expect(await connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: true });
    expect(
      sandbox
        .requests()
        .filter((r) => r.method === 'DELETE')
        .map((r) => r.status),
    ).toEqual([200, 404]);
  });

  it('create, deactivate and reactivate are manual tasks, each with its reason', async () => {
    started = await start();
    const { manifest } = started.connector;
    for (const capability of ['create', 'deactivate', 'reactivate'] as const) {
      expect(manifest.accounts[capability]).toBe(false);
      expect(manifest.notes[capability]).toMatch(/API|PATCH/);
    }
    expect(manifest.accounts.update).toBe(true);
    expect(manifest.entitlements.group).toEqual({ list: true, grant: false, revoke: false });
    expect(manifest.entitlements.delegate).toEqual({ list: true, grant: false, revoke: false });
  });

  it('a payload that does not parse is unavailable, naming the endpoint and the field', async () => {
    const connector = await scriptedConnector((request) => {
      if (request.url.includes('/roles')) return { status: 200, body: [] };
      return { status: 200, body: { users: [cdUser(), cdUser({ _id: 'x', email: 'b@acme.test' })] } };
    });
    const error = await fail(connector.accounts.list!({ pageToken: null }));
    expect(isRosterError(error) && error.code).toBe('unavailable');
    expect(error!.message).toContain('GET /api/v1/customers/{customerId}/users');
    expect(error!.message).toContain('users[1]._id');
    await local?.close();
    await scripted?.close();
    const envelope = await scriptedConnector(() => ({ status: 200, body: { data: [] } }));
    const wrong = await fail(envelope.accounts.list!({ pageToken: null }));
    expect(isRosterError(wrong) && wrong.code).toBe('unavailable');
  });
});

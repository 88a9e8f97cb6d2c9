import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../../core/errors.js';
import { idOf } from '../../sandbox/customer-directory/testkit.js';
import {
  bigCompany,
  configFor,
  connectorFor,
  DOCUMENTED_PATHS,
  readEverything,
  requestCounts,
  type Started,
  start,
} from './testkit.js';

const opened: Started[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});
const open = async (options: Parameters<typeof start>[0]) => {
  const started = await start(options);
  opened.push(started);
  return started;
};

describe('customer-directory sync', () => {
  it('request counts are the physical minimum: one list of users, roles and groups named from config', async () => {
    const { connector, sandbox } = await open({ seed: 5, company: bigCompany(2345) });
    const accounts = await connector.accounts.list!({ pageToken: null });
    const entitlements = [];
    for (const ops of Object.values(connector.entitlements)) {
      entitlements.push(...(await ops!.list({ pageToken: null })).items);
    }
    expect(accounts.items).toHaveLength(2345);
    expect(accounts.nextPageToken).toBeNull();
    // Grants come with the accounts: roleIds, groupIds and isSuperDelegate on every user.
    const expected = [...sandbox.state.users.values()].reduce(
      (n, u) => n + u.roleIds.length + u.groupIds.length + (u.isSuperDelegate ? 1 : 0),
      0,
    );
    expect(accounts.grants).toHaveLength(expected);
    expect(entitlements).toHaveLength(3 + 2 + 1);
    const base = '/api/v1/customers/{customerId}';
    expect(requestCounts(sandbox)).toEqual({ [`GET ${base}/users`]: 1 });
    expect(Object.keys(requestCounts(sandbox)).every((path) => DOCUMENTED_PATHS.includes(path))).toBe(true);
  });

  it('an opted-in role list is read once per sync whichever of accounts and roles is read first', async () => {
    const { connector, sandbox } = await open({
      seed: 5,
      undocumented: ['roles-endpoint'],
      config: { undocumented: ['roles-endpoint'] },
    });
    await connector.entitlements.role!.list({ pageToken: null });
    await connector.accounts.list!({ pageToken: null });
    await connector.accounts.get!({ id: idOf(sandbox, 'ana') });
    expect(requestCounts(sandbox)['GET /api/v1/customers/{customerId}/roles']).toBe(1);
  });

  it('a full read under the flaky profile equals the clean one', async () => {
    const company = bigCompany(400);
    const clean = await open({ seed: 21, company });
    const flaky = await open({ seed: 21, company, profile: 'flaky' });
    const expected = await readEverything(clean.connector);
    expect(expected.accounts).toHaveLength(400);
    // Repeat until the fault layer has struck (it is seeded, so this is the same run every time).
    for (let round = 0; round < 8 && !flaky.sandbox.requests().some((r) => r.fault !== null); round++) {
      expect(await readEverything(flaky.connector)).toEqual(expected);
    }
    expect(flaky.sandbox.requests().some((r) => r.fault !== null)).toBe(true);
  });

  it('no secret in any URL, and no error message carries the token', async () => {
    const { connector, sandbox } = await open({ seed: 9 });
    const token = sandbox.credentials.token;
    const errors: unknown[] = [];
    const collect = (p: Promise<unknown>) =>
      p.then(
        () => errors.push(null),
        (e: unknown) => errors.push(e),
      );
    const gone = idOf(sandbox, 'dee');
    await connector.accounts.delete!({ id: gone });
    await collect(connector.accounts.update!({ id: gone, changes: { firstName: 'X' } }));
    await collect(connector.accounts.get!({ id: 'bad' }));
    await collect(connector.accounts.update!({ id: idOf(sandbox, 'ana'), changes: { firstName: '' } }));
    const wrongToken = connectorFor({ ...configFor(sandbox), auth: { type: 'bearer', token: `${token}x` } });
    await collect(wrongToken.accounts.list!({ pageToken: null }));
    const wrongIntegration = connectorFor({ ...configFor(sandbox), integration: 'workday' });
    await collect(wrongIntegration.accounts.list!({ pageToken: null }));
    const otherCustomer = connectorFor({ ...configFor(sandbox), customerId: '0123456789abcdef01234567' });
    await collect(otherCustomer.accounts.list!({ pageToken: null }));
    await Promise.all([wrongToken.close(), wrongIntegration.close(), otherCustomer.close()]);

    expect(errors.map((e) => isRosterError(e) && e.code)).toEqual([
      'not_found',
      'invalid_input',
      'invalid_input',
      'unauthenticated',
      'invalid_input',
      'forbidden',
    ]);
    for (const error of errors as RosterError[]) {
      const text = `${error.message}\n${error.describe()}\n${JSON.stringify(error.details)}`;
      expect(text).not.toContain(token);
    }
    for (const request of sandbox.requests()) expect(request.url).not.toContain(token);
  });
});

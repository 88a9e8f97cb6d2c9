import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { CdState } from '../../sandbox/customer-directory/state.js';
import { idOf } from '../../sandbox/customer-directory/testkit.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import { readGrants } from '../sdk/contract.testkit.js';
import { captureLogger } from '../sdk/optional.testkit.js';
import { configFor, connectorFor, readEverything, requestCounts, type Started, start } from './testkit.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

const roleId = (sandbox: SandboxHandle<CdState>, name: string) =>
  [...sandbox.state.roles.values()].find((role) => role.name === name)!._id;
const groupId = (sandbox: SandboxHandle<CdState>, name: string) =>
  [...sandbox.state.groups.values()].find((group) => group.name === name)!._id;

describe('customer-directory entitlements', () => {
  it("roles are named from the config map, 'Admin' (or a configured name) is privileged, and no role list is asked for", async () => {
    started = await start({ config: { privilegedRoles: ['Manager'] } });
    const { connector, sandbox } = started;
    const roles = (await connector.entitlements.role!.list({ pageToken: null })).items;
    expect(roles.map((r) => [r.name, r.kind, r.privileged])).toEqual([
      ['Admin', 'role', true],
      ['Manager', 'role', true],
      ['Member', 'role', false],
    ]);
    // No account listing came first in this connector: the users are read once for the ids they hold.
    expect(sandbox.requests().map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/v1/customers/${sandbox.credentials.tenant}/users?integration=okta`,
    ]);
  });

  it('a role a user holds that the map does not name is listed under its id, so its grants have both ends', async () => {
    started = await start();
    const { sandbox } = started;
    const connector = connectorFor(
      configFor(sandbox, { roles: { Admin: roleId(sandbox, 'Admin') } }),
      sandbox,
    );
    try {
      await connector.accounts.list!({ pageToken: null });
      const roles = (await connector.entitlements.role!.list({ pageToken: null })).items;
      expect(roles.map((r) => r.name).sort()).toEqual(
        ['Admin', roleId(sandbox, 'Manager'), roleId(sandbox, 'Member')].sort(),
      );
      // Member is held by eve: listed although unnamed.
      expect(roles.find((r) => r.id === roleId(sandbox, 'Member'))?.privileged).toBe(false);
    } finally {
      await connector.close();
    }
  });

  it('with roles-endpoint opted in and served, GET …/roles names the roles, read once', async () => {
    started = await start({
      undocumented: ['roles-endpoint'],
      config: { roles: {}, undocumented: ['roles-endpoint'] },
    });
    const { connector, sandbox } = started;
    await connector.accounts.list!({ pageToken: null });
    const roles = (await connector.entitlements.role!.list({ pageToken: null })).items;
    expect(roles.map((r) => r.name)).toEqual(['Admin', 'Manager', 'Member']);
    expect(requestCounts(sandbox)).toEqual({
      'GET /api/v1/customers/{customerId}/users': 1,
      'GET /api/v1/customers/{customerId}/roles': 1,
    });
  });

  it('opted in but not served (404): the config names the roles, the probe is made once, and the sync goes on', async () => {
    const logger = captureLogger();
    started = await start({ logger, config: { undocumented: ['roles-endpoint', 'groups-endpoint'] } });
    const { connector, sandbox } = started;
    const everything = await readEverything(connector);
    expect(
      everything.entitlements
        .filter((e) => e.kind === 'role')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['Admin', 'Manager', 'Member']);
    expect(everything.accounts.find((a) => a.id === idOf(sandbox, 'cy'))?.isAdmin).toBe(true);
    const counts = requestCounts(sandbox);
    expect(counts['GET /api/v1/customers/{customerId}/roles']).toBe(1);
    expect(counts['GET /api/v1/customers/{customerId}/groups']).toBe(1);
    const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warned).toHaveLength(2);
    expect(warned.join('\n')).toContain('is not served (404); using the documented path');
    expect(warned.join('\n')).not.toMatch(/baseUrl/);
  });

  it('role grants are read from each user\u2019s roleIds, with no request per user', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const grants = await readGrants(connector, 'role');
    expect(grants).toContainEqual({
      appId: 'directory',
      entitlementId: roleId(sandbox, 'Manager'),
      accountId: idOf(sandbox, 'dee'),
    });
    expect(grants.filter((g) => g.accountId === idOf(sandbox, 'ana'))).toEqual([]);
    expect(sandbox.requests().some((r) => /\/users\/[0-9a-f]{24}/.test(r.url))).toBe(false);
  });

  it('role grant and revoke rewrite roleIds through PATCH v2 and keep the other roles', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const ops = connector.entitlements.role!;
    const cy = idOf(sandbox, 'cy');
    const [admin, manager, member] = ['Admin', 'Manager', 'Member'].map((name) => roleId(sandbox, name));
    expect(await ops.grant!({ accountId: cy, entitlementId: manager! })).toEqual({ alreadyGranted: false });
    expect(sandbox.state.users.get(cy)!.roleIds).toEqual([admin, manager]);
    expect(await ops.grant!({ accountId: cy, entitlementId: member! })).toEqual({ alreadyGranted: false });
    expect(await ops.grant!({ accountId: cy, entitlementId: member! })).toEqual({ alreadyGranted: true });
    expect(await ops.revoke!({ accountId: cy, entitlementId: manager! })).toEqual({ alreadyAbsent: false });
    expect(await ops.revoke!({ accountId: cy, entitlementId: manager! })).toEqual({ alreadyAbsent: true });
    expect(sandbox.state.users.get(cy)!.roleIds).toEqual([admin, member]);
    const patches = sandbox.requests().filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.url.split('/').slice(0, 3).join('/'))).toEqual([
      '/api/v2',
      '/api/v2',
      '/api/v2',
    ]);
    expect(patches.map((r) => r.body)).toEqual([
      { roleIds: [admin, manager] },
      { roleIds: [admin, manager, member] },
      { roleIds: [admin, member] },
    ]);
    // Each change reads the user first: three PATCHes, five reads (the repeats stop after the read).
    expect(
      sandbox.requests().filter((r) => r.method === 'GET' && /\/users\/[0-9a-f]{24}$/.test(r.url)),
    ).toHaveLength(5);
  });

  it('granting Admin makes the account admin; revoking from a user that is gone is alreadyAbsent', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const ana = idOf(sandbox, 'ana');
    await connector.entitlements.role!.grant!({ accountId: ana, entitlementId: roleId(sandbox, 'Admin') });
    expect((await connector.accounts.get!({ id: ana }))!.isAdmin).toBe(true);
    await connector.accounts.delete!({ id: ana });
    const missing = { accountId: ana, entitlementId: roleId(sandbox, 'Admin') };
    expect(await connector.entitlements.role!.revoke!(missing)).toEqual({ alreadyAbsent: true });
    const error = await connector.entitlements.role!.grant!(missing).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('not_found');
  });

  it('groups are named from the config map, with grants from groupIds, where null means none', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const groups = (await connector.entitlements.group!.list({ pageToken: null })).items;
    expect(groups.map((g) => [g.name, g.kind, g.privileged])).toEqual([
      ['Engineering', 'group', false],
      ['Sales', 'group', false],
    ]);
    const grants = await readGrants(connector, 'group');
    const pairs = grants.map((g) => [g.accountId, g.entitlementId]);
    expect(pairs).toHaveLength(3);
    expect(pairs).toContainEqual([idOf(sandbox, 'cy'), groupId(sandbox, 'Engineering')]);
    expect(pairs).toContainEqual([idOf(sandbox, 'dee'), groupId(sandbox, 'Sales')]);
    const anaRaw = (await connector.accounts.get!({ id: idOf(sandbox, 'ana') }))!.raw as {
      groupIds: unknown;
    };
    expect(anaRaw.groupIds).toBeNull();
    expect(connector.entitlements.group!.grant).toBeUndefined();
    expect(connector.entitlements.group!.revoke).toBeUndefined();
  });

  it('super delegates: one privileged delegate entitlement, granted by isSuperDelegate, read with no request', async () => {
    started = await start();
    const { connector, sandbox } = started;
    const list = await connector.entitlements.delegate!.list({ pageToken: null });
    expect(list.items).toEqual([
      {
        appId: 'directory',
        id: 'super-delegate',
        kind: 'delegate',
        name: 'Super delegate',
        privileged: true,
      },
    ]);
    expect(sandbox.requests()).toHaveLength(0);
    const grants = await readGrants(connector, 'delegate');
    expect(grants).toEqual([
      { appId: 'directory', entitlementId: 'super-delegate', accountId: idOf(sandbox, 'cy') },
    ]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type Connector, readAll } from '../sdk/index.js';
import { apiRequests, connectorFor, startTp, strip, type TpSandbox } from './testkit.js';

let env: { sandbox: TpSandbox; connector: Connector; close(): Promise<void> } | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('Targetprocess roles', () => {
  it('roles list from /Roles; Administrator and the configured privilegedRoles are privileged', async () => {
    env = await startTp();
    const connector = connectorFor(env.sandbox, { privilegedRoles: ['QA Engineer'] });
    const roles = await readAll(connector.entitlements.role!.list, (e) => e.id);
    await connector.close();
    expect(roles.map(strip)).toEqual([
      { appId: 'tp', id: 'role:1', kind: 'role', name: 'Administrator', privileged: true },
      { appId: 'tp', id: 'role:2', kind: 'role', name: 'Developer', privileged: false },
      { appId: 'tp', id: 'role:3', kind: 'role', name: 'QA Engineer', privileged: true },
    ]);
    const sent = apiRequests(env.sandbox).find((r) => r.path === '/Roles')!;
    expect([sent.query.get('take'), sent.query.get('format')]).toEqual(['1000', 'json']);
  });

  it("role grants come from each user's Role in the user listing, with no request per role", async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    expect(connector.entitlements.role?.grantsFromAccounts).toBe(true);
    expect(connector.entitlements.role?.listGrants).toBeUndefined();
    const page = await connector.accounts.list!({ pageToken: null });
    expect(page.grants).toEqual(
      expect.arrayContaining([
        { appId: 'tp', entitlementId: 'role:1', accountId: '1' },
        { appId: 'tp', entitlementId: 'role:2', accountId: '2' },
        { appId: 'tp', entitlementId: 'role:3', accountId: '3' },
      ]),
    );
    // O'Brien (#5) has no role, so no grant.
    expect(page.grants?.some((g) => g.accountId === '5')).toBe(false);
    expect(apiRequests(sandbox).map((r) => r.path)).toEqual(['/Users']);
  });

  it('granting a role POSTs {"Role":{"Id":n}} to /Users/{id}; granting the held role sends nothing', async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    const role = connector.entitlements.role!;
    expect(await role.grant!({ accountId: '2', entitlementId: 'role:3' })).toEqual({ alreadyGranted: false });
    expect(sandbox.state.usersById.get(2)?.RoleId).toBe(3);
    expect(await role.grant!({ accountId: '2', entitlementId: 'role:3' })).toEqual({ alreadyGranted: true });
    const writes = apiRequests(sandbox).filter((r) => r.method !== 'GET');
    expect(writes.map((w) => [w.method, w.path, w.body])).toEqual([
      ['POST', '/Users/2', { Role: { Id: 3 } }],
    ]);
  });

  it('role revoke is unsupported and the manifest says to grant another role instead', async () => {
    env = await startTp();
    const { connector } = env;
    expect(connector.entitlements.role?.revoke).toBeUndefined();
    expect(connector.manifest.entitlements.role).toEqual({ list: true, grant: true, revoke: false });
    expect(connector.manifest.entitlements.team).toEqual({ list: true, grant: true, revoke: true });
    expect(connector.manifest.notes.revoke).toMatch(/grant another role/);
    expect(connector.manifest.incremental).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import { readGrants } from '../../connectors/sdk/contract.testkit.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { startTestServer, type TestServer } from '../testkit.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('roster.yaml scim.apps: which entitlements are Groups, and attribute overrides, on the live facade', () => {
  let fleet: Fleet;
  let t: TestServer;
  let directory: Connector;
  beforeAll(async () => {
    fleet = await startFleet({ people: 10, seed: 8, apps: ['customer-directory', 'thought-industries'] });
    const ws = fleetWorkspace(fleet, {
      prefix: 'roster-scim-config-',
      edit: (yaml) =>
        `${yaml}scim:\n  apps:\n    customer-directory: { groups: role }\n` +
        `    thought-industries:\n      attributes:\n        "${ENTERPRISE}:department": null\n`,
    });
    const config = await loadConfig(ws.file, { env: {} });
    t = await startTestServer({ dir: ws.dir, config });
    directory = connectorFor(config.apps.find((a) => a.id === 'customer-directory')!);
    await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
    for (let i = 0; i < 1000 && t.server.context.jobs.list().length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
  }, 60_000);
  afterAll(async () => {
    await directory?.close();
    await t?.close();
    await fleet?.close();
  });

  const scim = async (app: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${t.server.url}/scim/v2/${app}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.tokens.operate}`,
        ...(body ? { 'content-type': 'application/scim+json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('customer-directory roles are its Groups, and a membership added there is held by the sandbox', async () => {
    const roles = (await t.store.listEntitlements({ appId: 'customer-directory' })).filter(
      (e) => e.kind === 'role',
    );
    const groups = (await scim('customer-directory', 'GET', '/Groups?count=100')).body['Resources'] as {
      id: string;
    }[];
    expect(groups.map((g) => g.id).sort()).toEqual(roles.map((r) => r.id).sort());
    const users = (await scim('customer-directory', 'GET', '/Users?filter=active%20eq%20true&count=1')).body[
      'Resources'
    ] as { id: string }[];
    const user = users[0]!.id;
    const role = groups[0]!.id;
    const before = (await readGrants(directory, 'role')).some(
      (g) => g.entitlementId === role && g.accountId === user,
    );
    const op = before
      ? { op: 'remove', path: `members[value eq "${user}"]` }
      : { op: 'add', path: 'members', value: [{ value: user }] };
    const answer = await scim('customer-directory', 'PATCH', `/Groups/${encodeURIComponent(role)}`, {
      schemas: [PATCH],
      Operations: [op],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const after = (await readGrants(directory, 'role')).some(
      (g) => g.entitlementId === role && g.accountId === user,
    );
    expect(after).toBe(!before);
    const read = await scim('customer-directory', 'GET', `/Groups/${encodeURIComponent(role)}`);
    expect(JSON.stringify(read.body['members'] ?? []).includes(`"${user}"`)).toBe(!before);
  });

  it('an attribute mapped to null is neither declared nor served', async () => {
    const schema = (await scim('thought-industries', 'GET', '/Schemas')).body;
    expect(JSON.stringify(schema)).not.toContain('"department"');
    const users = (await scim('thought-industries', 'GET', '/Users?count=50')).body['Resources'] as Record<
      string,
      unknown
    >[];
    expect(users.length).toBeGreaterThan(0);
    for (const user of users) expect(user[ENTERPRISE]).toBeUndefined();
  });
});

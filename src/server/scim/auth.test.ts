import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonData, roster } from '../../cli/testkit.js';
import { loadConfig } from '../../config/load.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { startTestServer, type TestServer } from '../testkit.js';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('a scim:<appId> token opens that app’s facade and nothing else, and every request is audited', () => {
  let fleet: Fleet;
  let t: TestServer;
  let scimToken: string;
  beforeAll(async () => {
    fleet = await startFleet({ people: 5, seed: 12, apps: ['thought-industries', 'targetprocess'] });
    const ws = fleetWorkspace(fleet, { prefix: 'roster-scim-auth-' });
    const made = await roster(
      ...ws.args,
      'tokens',
      'create',
      '--name',
      'okta-lms',
      '--scope',
      'scim:thought-industries',
      '--json',
    );
    expect(made.code, made.stderr).toBe(0);
    scimToken = jsonData<{ token: string }>(made.stdout).token;
    t = await startTestServer({ dir: ws.dir, config: await loadConfig(ws.file, { env: {} }) });
  });
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
  });

  const get = (path: string, token: string | null) =>
    fetch(`${t.server.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(
      async (r) => ({
        status: r.status,
        headers: r.headers,
        body: (await r.json()) as Record<string, unknown>,
      }),
    );

  it('roster tokens create refuses a scim scope naming no app, with the apps it could name', async () => {
    const ws = fleetWorkspace(fleet, { prefix: 'roster-scim-auth-bad-' });
    const bad = await roster(...ws.args, 'tokens', 'create', '--name', 'x', '--scope', 'scim:lsm');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--scope');
    expect(bad.stderr).toContain('thought-industries, targetprocess');
    const listed = await roster(...ws.args, 'tokens', 'list', '--json');
    expect(jsonData<unknown[]>(listed.stdout)).toEqual([]);
  });

  it('the token works on its own app’s facade', async () => {
    const spc = await get('/scim/v2/thought-industries/ServiceProviderConfig', scimToken);
    expect(spc.status).toBe(200);
    expect(spc.body).toMatchObject({ patch: { supported: true } });
  });

  it('another app’s facade is a SCIM 403 that says which token to make', async () => {
    const other = await get('/scim/v2/targetprocess/ServiceProviderConfig', scimToken);
    expect(other.status).toBe(403);
    expect(other.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(other.body).toMatchObject({ schemas: [ERROR], status: '403' });
    expect(other.body['detail']).toContain('--scope scim:targetprocess');
  });

  it('the rest of the API refuses it (403), even routes a read token may call', async () => {
    const apps = await get('/apps', scimToken);
    expect(apps.status).toBe(403);
    expect(apps.body).toMatchObject({ code: 'forbidden' });
    const mcp = await fetch(`${t.server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(mcp.status).toBe(403);
  });

  it('no token and an unknown token are SCIM 401s with WWW-Authenticate: Bearer', async () => {
    for (const token of [null, `rst_${'x'.repeat(43)}`]) {
      const r = await get('/scim/v2/thought-industries/Users', token);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: '401' });
    }
  });

  it('operate tokens still open every facade (an admin’s own tools); read tokens do not', async () => {
    expect((await get('/scim/v2/targetprocess/ResourceTypes', t.tokens.operate)).status).toBe(200);
    const read = await get('/scim/v2/targetprocess/ResourceTypes', t.tokens.read);
    expect(read.status).toBe(403);
    expect(read.body).toMatchObject({ schemas: [ERROR] });
  });

  it('each request is in the audit log under the token’s name, the refused ones too', async () => {
    // The request events are queued and written in batches: written by now, or at the latest on flush.
    await t.server.context.scimAudit?.flush();
    const events = (await t.store.listAudit({ limit: 1000 })).filter((e) => e.kind === 'scim.request');
    const mine = events.filter((e) => e.actor === 'okta-lms');
    expect(mine.map((e) => [e.subject, e.data['status']])).toEqual(
      expect.arrayContaining([
        ['GET /scim/v2/thought-industries/ServiceProviderConfig', 200],
        ['GET /scim/v2/targetprocess/ServiceProviderConfig', 403],
      ]),
    );
    expect(JSON.stringify(events)).not.toContain(scimToken);
  });

  it('POST /tokens makes a scim token for a configured app and refuses one for an unknown app', async () => {
    const ok = await t.call('POST', '/tokens', {
      token: t.tokens.admin,
      body: { name: 'entra-tp', scope: 'scim:targetprocess' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ record: { scope: 'scim:targetprocess' } });
    const bad = await t.call('POST', '/tokens', {
      token: t.tokens.admin,
      body: { name: 'entra-x', scope: 'scim:nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_input', where: 'body.scope' });
  });
});

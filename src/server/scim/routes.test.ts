import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { startTestServer, type TestServer } from '../testkit.js';

const TYPE = 'application/scim+json';

describe("Okta's create, get-by-filter and deactivate through /scim/v2/<app> land in the sandbox", () => {
  let fleet: Fleet;
  let t: TestServer;
  let app: Connector;
  let appId: string;
  beforeAll(async () => {
    fleet = await startFleet({ people: 10, seed: 5, apps: ['thought-industries'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-scim-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    writeFileSync(
      join(dir, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    t = await startTestServer({ dir, config });
    appId = config.apps[0]!.id;
    // The test's own view of the sandbox, apart from Roster's: what the app really holds.
    app = connectorFor(config.apps[0]!);
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
    await fleet?.close();
  });

  const scim = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.server.url}/scim/v2/${appId}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.tokens.operate}`,
        ...(body !== undefined ? { 'content-type': TYPE } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).then(async (r) => ({
      status: r.status,
      headers: r.headers,
      body: r.status === 204 ? null : ((await r.json()) as Record<string, unknown>),
    }));

  it('discovery answers in application/scim+json; an unknown app is a SCIM 404; no token is 401', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(spc.body).toMatchObject({ patch: { supported: true }, etag: { supported: true } });
    const unknown = await fetch(`${t.server.url}/scim/v2/nope/Users`, {
      headers: { authorization: `Bearer ${t.tokens.operate}` },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
    });
    expect((await fetch(`${t.server.url}/scim/v2/${appId}/Users`)).status).toBe(401);
  });

  it('refuses Users with a 503 and Retry-After until the app has a snapshot, then serves it', async () => {
    const before = await scim('GET', '/Users');
    expect(before.status).toBe(503);
    expect(before.headers.get('retry-after')).toBe('60');
    await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
    for (let i = 0; i < 500 && t.server.context.jobs.list().length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const after = await scim('GET', '/Users?count=1');
    expect(after.status).toBe(200);
    expect((after.body as { totalResults: number }).totalResults).toBeGreaterThan(0);
  });

  it('creates the user in the app, finds it by userName, deactivates it, and the app holds it inactive', async () => {
    const userName = 'okta.user@example.com';
    const lookup = `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`;
    expect((await scim('GET', lookup)).body).toMatchObject({ totalResults: 0 });

    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      name: { givenName: 'Okta', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Okta User',
      locale: 'en-US',
      externalId: '00u1okta',
      groups: [],
      password: 'x-Okta-sends-one-1',
      active: true,
    });
    expect(created.body).toMatchObject({ userName });
    expect(created.status).toBe(201);
    const id = created.body?.['id'] as string;
    expect(created.headers.get('location')).toBe(
      `${t.server.url}/scim/v2/${appId}/Users/${encodeURIComponent(id)}`,
    );
    expect(created.body).not.toHaveProperty('password');

    // What the sandbox holds, read by the test's own connector.
    const held = await app.accounts.get!({ id });
    expect(held).toMatchObject({ email: userName, firstName: 'Okta', lastName: 'User', status: 'active' });

    const found = await scim('GET', lookup.replace('okta.user', 'OKTA.USER'));
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, userName, active: true }] });

    const off = await scim(
      'PATCH',
      `/Users/${encodeURIComponent(id)}`,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      },
      { 'if-match': created.headers.get('etag') as string },
    );
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id, active: false });
    expect((await app.accounts.get!({ id }))?.status).toBe('inactive');

    // The write is a plan like any other, visible to the API and the audit log.
    const plans = (await t.call('GET', '/plans', { token: t.tokens.read })).body as {
      items: { status: string }[];
    };
    expect(plans.items.filter((p) => p.status === 'applied').length).toBeGreaterThanOrEqual(2);
  });

  it('Entra\'s quirks land too: a dotted name key, "False" then "True", a stale If-Match refused, then delete', async () => {
    const userName = 'adele.vance@example.com';
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      externalId: 'AdeleV',
      userName,
      active: true,
      displayName: 'Adele Vance',
      emails: [{ primary: true, type: 'work', value: userName }],
      name: { formatted: 'Adele Vance', familyName: 'Vance', givenName: 'Adele' },
    });
    expect(created.status).toBe(201);
    const id = encodeURIComponent(created.body?.['id'] as string);
    const patch = (Operations: unknown[], headers: Record<string, string> = {}) =>
      scim(
        'PATCH',
        `/Users/${id}`,
        { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations },
        headers,
      );

    const renamed = await patch([{ op: 'Replace', value: { 'name.givenName': 'Adela' } }]);
    expect(renamed.status).toBe(200);
    expect((await app.accounts.get!({ id: decodeURIComponent(id) }))?.firstName).toBe('Adela');

    const stale = await patch([{ op: 'Replace', path: 'active', value: 'False' }], {
      'if-match': created.headers.get('etag') as string,
    });
    expect(stale.status).toBe(412);
    expect((await app.accounts.get!({ id: decodeURIComponent(id) }))?.status).toBe('active');

    expect((await patch([{ op: 'Replace', path: 'active', value: 'False' }])).body).toMatchObject({
      active: false,
    });
    expect((await app.accounts.get!({ id: decodeURIComponent(id) }))?.status).toBe('inactive');
    expect((await patch([{ op: 'Replace', path: 'active', value: 'True' }])).body).toMatchObject({
      active: true,
    });
    expect((await app.accounts.get!({ id: decodeURIComponent(id) }))?.status).toBe('active');

    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${id}`)).status).toBe(404);
    expect(await app.accounts.get!({ id: decodeURIComponent(id) })).toBeNull();
  });
});

import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonData, roster } from '../../cli/testkit.js';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { startTestServer, type TestServer } from '../testkit.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const APP = 'thought-industries';

describe('past scim.hold.max removals in the window, the facade holds the next ones for a person', () => {
  let fleet: Fleet;
  let t: TestServer;
  let app: Connector;
  let args: string[];
  let sink: Server;
  const received: string[] = [];
  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += String(c);
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const port = (sink.address() as { port: number }).port;
    fleet = await startFleet({ people: 8, seed: 31, apps: [APP] });
    const ws = fleetWorkspace(fleet, {
      prefix: 'roster-scim-hold-',
      edit: (yaml) =>
        `${yaml}scim:\n  hold: { max: 2, window: 1h, retryAfter: 2m }\n` +
        `server:\n  notifications:\n    - { type: webhook, name: oncall, url: "http://127.0.0.1:${port}/hook" }\n`,
    });
    args = ws.args;
    const config = await loadConfig(ws.file, { env: {} });
    t = await startTestServer({ dir: ws.dir, config });
    app = connectorFor(config.apps[0]!);
    await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
    for (let i = 0; i < 1000 && t.server.context.jobs.list().length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await t?.close();
    await fleet?.close();
    await new Promise((r) => sink?.close(r));
  });

  const scim = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${t.server.url}/scim/v2/${APP}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.tokens.operate}`,
        ...(body ? { 'content-type': 'application/scim+json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return {
      status: r.status,
      headers: r.headers,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  const off = (id: string) =>
    scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
  const status = async (id: string) => (await app.accounts.get!({ id }))?.status;

  it('holds the third deactivation, notifies, holds the retry, and runs it once released', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const created = await scim('POST', '/Users', {
        schemas: [USER],
        userName: `held.user${i}@${fleet.company.domain}`,
        name: { givenName: 'Held', familyName: `User${i}` },
        active: true,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.push(created.body['id'] as string);
    }
    // Creates do not count; two removals are within the limit.
    expect((await off(ids[0]!)).status).toBe(200);
    expect((await scim('DELETE', `/Users/${ids[1]}`)).status).toBe(204);

    const held = await off(ids[2]!);
    expect(held.status).toBe(503);
    expect(held.headers.get('retry-after')).toBe('120');
    expect(held.body).toMatchObject({ status: '503' });
    expect(String(held.body['detail'])).toContain('roster scim release');
    expect(await status(ids[2]!)).toBe('active');

    await t.server.context.notifier.settle();
    expect(received.join('\n')).toMatch(/need approval/);

    // The IdP retries: still held, and no second hold for the same change.
    expect((await off(ids[2]!)).status).toBe(503);
    const holds = await roster(...args, 'scim', 'holds', '--json');
    expect(holds.code, holds.stderr).toBe(0);
    const waiting = jsonData<{ planId: string; state: string; key: string }[]>(holds.stdout);
    expect(waiting).toEqual([
      expect.objectContaining({ state: 'waiting', key: `${APP}|deactivate|${ids[2]}` }),
    ]);

    const released = await roster(...args, 'scim', 'release', waiting[0]!.planId, '--by', 'alice', '--json');
    expect(released.code, released.stderr).toBe(0);
    expect(jsonData<{ state: string }>(released.stdout).state).toBe('released');
    expect(await status(ids[2]!)).toBe('active');
    const retried = await off(ids[2]!);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await status(ids[2]!)).toBe('inactive');

    // The next one is held, and approved with roster approve: that releases it, and the command says so
    // (the IdP's retry runs it; there is nothing to roster apply).
    expect((await off(ids[3]!)).status).toBe(503);
    const fourth = jsonData<{ planId: string }[]>((await roster(...args, 'scim', 'holds', '--json')).stdout);
    const approved = await roster(...args, 'approve', fourth[0]!.planId, '--by', 'alice');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`roster scim release ${fourth[0]!.planId}`);
    expect(approved.stdout).not.toContain('roster apply');
    expect((await off(ids[3]!)).status).toBe(200);
    expect(await status(ids[3]!)).toBe('inactive');

    // The next one is held too, and a person rejects it: the IdP is told, the account stays.
    expect((await off(ids[4]!)).status).toBe(503);
    const next = jsonData<{ planId: string }[]>((await roster(...args, 'scim', 'holds', '--json')).stdout);
    const rejected = await roster(...args, 'scim', 'reject', next[0]!.planId, '--by', 'alice');
    expect(rejected.code, rejected.stderr).toBe(0);
    const told = await off(ids[4]!);
    expect(told.status).toBe(409);
    expect(String(told.body['detail'])).toContain('rejected');
    expect(await status(ids[4]!)).toBe('active');

    // Every hold, newest first: the rejected one, and the two that ran once released or approved.
    expect(jsonData((await roster(...args, 'scim', 'holds', '--json')).stdout)).toEqual([]);
    const all = await roster(...args, 'scim', 'holds', '--all', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect(jsonData<{ state: string; key: string }[]>(all.stdout).map((h) => [h.state, h.key])).toEqual([
      ['rejected', `${APP}|deactivate|${ids[4]}`],
      ['done', `${APP}|deactivate|${ids[3]}`],
      ['done', `${APP}|deactivate|${ids[2]}`],
    ]);
  }, 60_000);

  it("lists the facade's plans apart from the policy's: roster plans shows the policy's, --facade the IdP's writes", async () => {
    expect((await roster(...args, 'plan')).code).toBe(0);
    type Listed = { id: string; summary: { source?: string } };
    const policy = jsonData<Listed[]>((await roster(...args, 'plans', '--json')).stdout);
    const facade = jsonData<Listed[]>(
      (await roster(...args, 'plans', '--facade', '--limit', '100', '--json')).stdout,
    );
    expect(policy).toHaveLength(1);
    expect(policy[0]?.summary.source).toBeUndefined();
    // The writes above: five creates, the removals run, held and rejected.
    expect(facade.length).toBeGreaterThanOrEqual(8);
    expect(facade.every((p) => p.summary.source === 'scim')).toBe(true);
    // The API filters the same way when asked (and lists both when not).
    const listed = async (query: string) =>
      (
        (await t.call('GET', `/plans${query}`, { token: t.tokens.read })).body as { items: { id: string }[] }
      ).items.map((p) => p.id);
    expect(await listed('?source=policy')).toEqual([policy[0]?.id]);
    expect((await listed('?source=facade&limit=100')).sort()).toEqual(facade.map((p) => p.id).sort());
    expect(await listed('?limit=100')).toContain(policy[0]?.id);
    expect((await t.call('GET', '/plans?source=idp', { token: t.tokens.read })).status).toBe(400);
  });
});

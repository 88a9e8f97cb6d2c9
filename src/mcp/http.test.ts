import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, withRoster } from '../app/index.js';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { startTestServer, type TestServer } from '../server/testkit.js';
import { TOKEN_SCOPES, type TokenScope } from '../store/tokens.js';
import { assistantActor } from './server.js';
import { call, plantedLeavers, startWorld, toolSuite, type World } from './testkit.js';

let world: World;
let config: RosterConfig;
let api: TestServer;
const clients: Client[] = [];

/** An SDK client on `roster serve`'s /mcp, authenticated by the token (or by none). */
async function connect(token: string | null): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${api.server.url}/mcp`), {
    requestInit: token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'roster-http-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

let operate: Client;

beforeAll(async () => {
  world = await startWorld();
  config = await loadConfig(world.configPath);
  api = await startTestServer({ dir: world.dir, config });
  operate = await connect(api.tokens.operate);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await api?.close();
  await world?.close();
});

describe('MCP over streamable HTTP under roster serve (an operate token)', () => {
  toolSuite({ world: () => world, client: () => operate, actor: assistantActor('operate-bot') });
});

describe('tokens at /mcp', () => {
  it('no token, or a wrong one, is refused before any tool runs', async () => {
    await expect(connect(null)).rejects.toThrow(/401|unauthenticated|no API token/i);
    await expect(connect('rst_not-a-real-token')).rejects.toThrow(/401|unauthenticated/i);
    const get = await api.call('GET', '/mcp', { token: api.tokens.read });
    expect(get.status).toBe(405);
  });

  it('a read token reads but may not propose, and is told what may', async () => {
    const reader = await connect(api.tokens.read);
    const findings = await call<{ findings: unknown[] }>(
      reader,
      'findings',
      { rule: 'leaver_with_access', limit: 100 },
      world.secrets,
    );
    expect(findings.structured.findings).toHaveLength(plantedLeavers(world.fleet).length);
    const [key] = plantedLeavers(world.fleet);
    const email = world.fleet.company.hr.find((p) => p.employee_id === key?.split(':')[1])?.email;
    const refused = await call(reader, 'propose_change', { action: 'offboard', person: email });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(
      /^forbidden: the token "read-bot" has the read scope; proposing a plan needs operate/,
    );
  });

  it('no tool call with any token, admin included, approves or applies; proposals name the assistant and its token', async () => {
    const leavers = plantedLeavers(world.fleet);
    const email = world.fleet.company.hr.find((p) => p.employee_id === leavers[0]?.split(':')[1])?.email;
    const before = (await readPlans()).length;
    for (const scope of TOKEN_SCOPES) {
      const client = await connect(api.tokens[scope]);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort(), scope).toEqual([
        'app_status',
        'explain_finding',
        'findings',
        'person_access',
        'plan_status',
        'propose_change',
        'search_people',
      ]);
      const proposed = await call<{ plan: { id: string } }>(client, 'propose_change', {
        action: 'offboard',
        person: email,
        approve: true,
      });
      expect(proposed.isError, scope).toBe(true);
      if (scope !== 'read') {
        const plain = await call<{ plan: { id: string; requestedBy: string } }>(client, 'propose_change', {
          action: 'offboard',
          person: email,
        });
        expect(plain.structured.plan.requestedBy).toBe(
          assistantActor(`${scope}-bot` satisfies `${TokenScope}-bot`),
        );
      }
    }
    const plans = await readPlans();
    expect(plans.length - before).toBe(TOKEN_SCOPES.length - 1);
    for (const plan of plans) expect(plan.status).toBe('draft');
    const { events } = await withRoster(config, { store: api.store }, (r) => readAudit(r));
    const byAssistants = events.filter((e) => e.actor.startsWith('assistant via '));
    expect(new Set(byAssistants.map((e) => e.kind))).toEqual(new Set(['plan.proposed']));
    expect(new Set(byAssistants.map((e) => e.actor))).toEqual(
      new Set(['operate', 'approve', 'admin'].map((s) => assistantActor(`${s}-bot`))),
    );
    const ops = (await Promise.all(plans.map((p) => api.store.listOps({ planId: p.id })))).flat();
    for (const op of ops) expect(op).toMatchObject({ status: 'pending', approvedBy: null });
  });
});

async function readPlans() {
  return api.store.listPlans({ limit: 1000 });
}

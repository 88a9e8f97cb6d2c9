import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRoster, type Roster, readAudit } from '../app/index.js';
import { osUser } from '../cli/session.js';
import { roster as cli } from '../cli/testkit.js';
import { loadConfig } from '../config/load.js';
import { MASK } from '../config/mask.js';
import type { TargetprocessState } from '../sandbox/targetprocess/state.js';
import { createMcpServer, STDIO_ACTOR } from './server.js';
import { call, plantedLeavers, startWorld, toolSuite, type World } from './testkit.js';

/** The text of a resource's first contents. */
const textOf = (read: { contents: ({ text: string } | { blob: string })[] }): string => {
  const [first] = read.contents;
  return first && 'text' in first ? first.text : '';
};

let world: World;
let context: Roster;
let client: Client;

beforeAll(async () => {
  world = await startWorld();
  context = await openRoster(await loadConfig(world.configPath), { actor: STDIO_ACTOR });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(context).connect(serverSide);
  client = new Client({ name: 'roster-test', version: '1.0.0' });
  await client.connect(clientSide);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await context?.close();
  await world?.close();
});

describe('every tool over the SDK client (in memory)', () => {
  toolSuite({ world: () => world, client: () => client, actor: STDIO_ACTOR });
});

const FORBIDDEN = /approve|apply|link|policy|grant|revoke|delete|deactivate|sync/i;

describe('the guard: read and propose, never approve, apply, link or change policy', () => {
  it('the tools are the read and propose ones, and the proposing ones say where a person approves', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'app_status',
      'explain_finding',
      'findings',
      'person_access',
      'plan_status',
      'propose_change',
      'search_people',
    ]);
    for (const tool of tools) expect(tool.name).not.toMatch(FORBIDDEN);
    for (const name of ['propose_change', 'plan_status']) {
      const description = tools.find((t) => t.name === name)?.description ?? '';
      expect(description).toContain('roster approve');
      expect(description).toMatch(/audit log shows who proposed each plan and who approved it/);
    }
    for (const tool of tools) expect(tool.outputSchema, tool.name).toBeDefined();
  });

  it('no module of the MCP server imports approve, apply, link or unlink, or calls a store write that does them', () => {
    const dir = import.meta.dirname;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testkit'),
    );
    expect(files.length).toBeGreaterThan(5);
    const forbidden = new Set([
      'approve',
      'applyPlan',
      'linkAccount',
      'unlinkAccount',
      'syncApps',
      'importPeople',
    ]);
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const [, names = '', from = ''] of source.matchAll(
        /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g,
      )) {
        expect(from, `${file} imports the executor`).not.toMatch(
          /reconcile\/apply|store\/(sqlite|postgres|kysely)/,
        );
        for (const name of names.split(',').map(
          (n) =>
            n
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)[0],
        )) {
          expect(forbidden.has(name ?? ''), `${file} imports ${name}`).toBe(false);
        }
      }
      // A namespace import would hide which use cases a module reaches.
      expect(source, file).not.toMatch(/import\s+\*\s+as/);
      expect(source, file).not.toMatch(
        /\.(approveOps|setPlanStatus|decideLink|undecideLink|createPlan|appendAudit)\(/,
      );
    }
  });

  it('extra arguments are refused, so no call can smuggle an approval; what was proposed stays unapproved and unapplied', async () => {
    const tp = world.fleet.get('targetprocess');
    const [key] = plantedLeavers(world.fleet).filter((k) => k.startsWith('targetprocess:'));
    const email = world.fleet.company.hr.find((p) => p.employee_id === key?.split(':')[1])?.email;
    tp.clearRequests();
    const smuggled = await call(client, 'propose_change', {
      action: 'offboard',
      person: email,
      approve: true,
      apply: true,
      yes: true,
    });
    expect(smuggled.isError).toBe(true);
    expect(smuggled.text).toMatch(/approve/);
    const proposed = await call<{ plan: { id: string } }>(client, 'propose_change', {
      action: 'offboard',
      person: email,
    });
    expect(proposed.isError, proposed.text).toBe(false);
    for (const [name, args] of Object.entries({
      plan_status: { plan: proposed.structured.plan.id, approve: true },
      findings: { apply: true },
      search_people: { link: 'x' },
      person_access: { person: email, unlink: true },
      app_status: { policy: {} },
      explain_finding: { id: 'x', approve: true },
    })) {
      const answer = await call(client, name, args);
      expect(answer.isError, name).toBe(true);
    }
    const status = await call<{
      plan: { status: string };
      ops: { status: string; approvedBy: string | null }[];
      audit: { actor: string; kind: string }[];
    }>(client, 'plan_status', { plan: proposed.structured.plan.id });
    expect(status.structured.plan.status).toBe('draft');
    for (const op of status.structured.ops) expect(op).toMatchObject({ status: 'pending', approvedBy: null });
    expect(status.structured.audit.map((e) => e.kind)).toEqual(['plan.proposed']);
    expect(tp.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('answers an assistant can act on', () => {
  it('an unknown app, person or finding is a tool error that names the field and the fix', async () => {
    const app = await call(client, 'findings', { app: 'jira' });
    expect(app.isError).toBe(true);
    expect(app.text).toMatch(/no app "jira".*\n.*use one of: process-street, targetprocess/);
    const person = await call(client, 'person_access', { person: 'nobody@nowhere.test' });
    expect(person).toMatchObject({
      isError: true,
      text: expect.stringMatching(/^not_found: .*nobody@nowhere.test/),
    });
    const finding = await call(client, 'explain_finding', { id: 'leaver_with_acess:targetprocess:1' });
    expect(finding.text).toContain('did you mean "leaver_with_access"?');
    const missing = await call(client, 'propose_change', { action: 'fix_finding' });
    expect(missing.text).toMatch(/findingId: fix_finding needs the finding id/);
  });

  it('offboarding someone still active in HR plans no removal and says HR must record the leave first', async () => {
    const active = world.fleet.company.hr.find(
      (p) => p.status === 'active' && p.department === 'Engineering',
    );
    if (!active) throw new Error('the sample company has an active engineer');
    const answer = await call<{ ops: { kind: string }[]; notes: string[] }>(client, 'propose_change', {
      action: 'offboard',
      person: active.email,
    });
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.structured.ops.filter((o) => o.kind === 'deactivate' || o.kind === 'delete')).toEqual([]);
    expect(answer.structured.notes.join('\n')).toMatch(/is active in the HR export.*mark them as a leaver/);
  });

  it('fixing an orphan finding is refused with what a person does instead; a leaver finding gets its plan', async () => {
    const orphans = await call<{ findings: { id: string }[] }>(client, 'findings', {
      rule: 'orphan',
      limit: 1,
    });
    const [orphan] = orphans.structured.findings;
    if (!orphan) throw new Error('the sample company planted orphans');
    const refused = await call(client, 'propose_change', { action: 'fix_finding', findingId: orphan.id });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/nobody in HR owns.*\n.*roster link/);
    const leavers = await call<{ findings: { id: string; accountId: string; appId: string }[] }>(
      client,
      'findings',
      { rule: 'leaver_with_access', app: 'targetprocess', limit: 1 },
    );
    const [leaver] = leavers.structured.findings;
    if (!leaver) throw new Error('the sample company planted a Targetprocess leaver with access');
    const fixed = await call<{
      ops: { kind: string; account: string | null; appId: string }[];
      finding: string;
    }>(client, 'propose_change', { action: 'fix_finding', findingId: leaver.id });
    expect(fixed.isError, fixed.text).toBe(false);
    expect(fixed.structured.finding).toBe(leaver.id);
    expect(fixed.structured.ops).toEqual([
      expect.objectContaining({ appId: 'targetprocess', kind: 'delete', account: leaver.accountId }),
    ]);
  });
});

describe('resources and prompts', () => {
  it('the findings summary counts what the sandboxes hold; the catalogue lists the app groups', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'roster://apps/process-street/entitlements',
      'roster://apps/targetprocess/entitlements',
      'roster://findings/summary',
      'roster://policy',
    ]);
    const summary = await client.readResource({ uri: 'roster://findings/summary' });
    const counts = JSON.parse(textOf(summary)) as { byRule: Record<string, number> };
    expect(counts.byRule.leaver_with_access).toBe(plantedLeavers(world.fleet).length);
    const catalogue = await client.readResource({ uri: 'roster://apps/targetprocess/entitlements' });
    const rows = JSON.parse(textOf(catalogue)) as { kind: string; name: string }[];
    const tp = world.fleet.get('targetprocess').state as TargetprocessState;
    const teams = tp.teams.map((t) => t.Name).sort();
    expect(teams.length).toBeGreaterThan(0);
    expect(
      rows
        .filter((r) => r.kind === 'team')
        .map((r) => r.name)
        .sort(),
    ).toEqual(teams);
  });

  it('the policy resource is the policy, with a secret pasted into it masked', async () => {
    const read = await client.readResource({ uri: 'roster://policy' });
    const text = textOf(read);
    for (const secret of world.secrets) expect(text).not.toContain(secret);
    const policy = JSON.parse(text) as { rules: { name: string }[]; unmanaged: Record<string, string[]> };
    expect(policy.rules.map((r) => r.name)).toEqual(['ops tools', 'engineering']);
    expect(policy.unmanaged['process-street']).toEqual([`legacy ${MASK}`]);
  });

  it('the prompts walk an assistant through an access review and an offboarding check', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['access_review', 'offboarding_check']);
    const review = await client.getPrompt({ name: 'access_review', arguments: { app: 'targetprocess' } });
    const text = JSON.stringify(review.messages);
    for (const tool of ['app_status', 'findings', 'explain_finding', 'propose_change'])
      expect(text).toContain(tool);
    const offboarding = await client.getPrompt({
      name: 'offboarding_check',
      arguments: { person: 'ana@acme.com' },
    });
    expect(JSON.stringify(offboarding.messages)).toContain(
      'propose_change with action \\"offboard\\" and person \\"ana@acme.com\\"',
    );
  });
});

describe('a proposal a person approves and applies later', () => {
  it('the audit log names the assistant who proposed it and the person who approved and applied it', async () => {
    const leaver = world.fleet.company.hr.find((p) =>
      plantedLeavers(world.fleet).includes(`targetprocess:${p.employee_id}`),
    );
    if (!leaver) throw new Error('the sample company planted a Targetprocess leaver with access');
    const proposed = await call<{
      plan: { id: string };
      ops: { seq: number; account: string | null; requiresApproval: boolean }[];
    }>(client, 'propose_change', { action: 'offboard', person: leaver.email, reason: 'ticket IT-42' });
    expect(proposed.isError, proposed.text).toBe(false);
    const planId = proposed.structured.plan.id;
    expect(proposed.structured.ops.map((o) => o.requiresApproval)).toEqual([true]);
    // A person approves and applies it, later, by the CLI.
    const approved = await cli(...world.args, 'approve', planId, '--by', 'ana');
    expect(approved.code, approved.stderr).toBe(0);
    const applied = await cli(...world.args, 'apply', planId, '--yes');
    expect(applied.code, applied.stderr).toBe(0);

    // Targetprocess deletes are soft: the user stays, deleted.
    const tp = world.fleet.get('targetprocess').state as TargetprocessState;
    expect(tp.usersById.get(Number(proposed.structured.ops[0]?.account))?.DeleteDate).not.toBeNull();

    const status = await call<{ plan: { status: string }; audit: { actor: string; kind: string }[] }>(
      client,
      'plan_status',
      { plan: planId },
    );
    expect(status.structured.plan.status).toBe('applied');
    const events = (await readAudit(context)).events.filter((e) => e.subject === planId);
    expect(events.map((e) => `${e.kind} by ${e.actor}`)).toEqual([
      `plan.proposed by ${STDIO_ACTOR}`,
      'plan.approved by ana',
      `plan.applied by ${osUser()}`,
    ]);
    expect(status.structured.audit.map((e) => `${e.kind} by ${e.actor}`)).toEqual(
      events.map((e) => `${e.kind} by ${e.actor}`),
    );
  });
});

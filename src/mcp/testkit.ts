/**
 * @module Test support for the MCP server: a store synced from two sandboxes, a typed tool call, and the shared
 * suite that drives every tool through an SDK client — run over each transport by its own test file.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { roster } from '../cli/testkit.js';
import { APP_DEPARTMENTS, hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import type { PsState } from '../sandbox/process-street/state.js';

/**
 * Everyone in the apps' departments gets an account; Roster manages accounts, and a leaver's are deleted — a
 * change the default safety settings hold for a person's approval.
 */
export function policyFor(fleet: Fleet): object {
  return {
    rules: [
      {
        name: 'ops tools',
        when: { department: [...APP_DEPARTMENTS['process-street']], status: 'active' },
        apps: { 'process-street': {} },
      },
      {
        name: 'engineering',
        when: { department: [...APP_DEPARTMENTS.targetprocess], status: 'active' },
        apps: { targetprocess: {} },
      },
    ],
    managed: { 'process-street': ['account'], targetprocess: ['account'] },
    leavers: { action: 'delete' },
    // A secret pasted where it does not belong (a hand-made group name): the policy resource must mask it.
    unmanaged: { 'process-street': [`legacy ${fleet.get('process-street').credentials.token}`] },
  };
}

export interface World {
  fleet: Fleet;
  dir: string;
  configPath: string;
  /** `-c <roster.yaml>` for CLI runs. */
  args: string[];
  /** Every secret the sandboxes' config holds: no answer may contain one. */
  secrets: string[];
  close(): Promise<void>;
}

/** Two sandboxes on one sample company, a roster.yaml with the policy, and a store `roster sync` filled. */
export async function startWorld(options: { seed?: number; people?: number } = {}): Promise<World> {
  const fleet = await startFleet({
    apps: ['process-street', 'targetprocess'],
    seed: options.seed ?? 5,
    people: options.people ?? 80,
  });
  const dir = mkdtempSync(join(tmpdir(), 'roster-mcp-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  const configPath = join(dir, 'roster.yaml');
  writeFileSync(configPath, stringify({ ...doc, policy: policyFor(fleet) }));
  const args = ['-c', configPath];
  const synced = await roster(...args, 'sync');
  if (synced.code !== 0) {
    await fleet.close();
    throw new Error(`roster sync failed: ${synced.stderr}`);
  }
  return {
    fleet,
    dir,
    configPath,
    args,
    secrets: fleet.sandboxes.map((s) => s.credentials.token),
    close: () => fleet.close(),
  };
}

export interface ToolAnswer<T> {
  structured: T;
  text: string;
  isError: boolean;
}

/** Calls a tool and returns its structured content and text; every answer is checked to carry no secret. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  secrets: readonly string[] = [],
): Promise<ToolAnswer<T>> {
  const result = await client.callTool({ name, arguments: args });
  const wire = JSON.stringify(result);
  for (const secret of secrets) expect(wire, `${name} answered with a secret`).not.toContain(secret);
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return {
    structured: (result.structuredContent ?? {}) as T,
    text: content.map((c) => c.text ?? '').join('\n'),
    isError: result.isError === true,
  };
}

/** Calls a paged tool until the last page and returns every item under `key`. */
export async function allPages<T>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  key: string,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let offset: number | null = 0;
  let pages = 0;
  while (offset !== null) {
    const answer: ToolAnswer<Record<string, unknown>> = await call(client, name, { ...args, offset, limit });
    expect(answer.isError, answer.text).toBe(false);
    items.push(...(answer.structured[key] as T[]));
    offset = (answer.structured.page as { nextOffset: number | null }).nextOffset;
    pages++;
    if (pages > 1000) throw new Error(`${name} never reached its last page`);
  }
  return { items, pages };
}

interface FindingRow {
  id: string;
  rule: string;
  appId: string;
  accountId: string;
  employeeId: string | null;
}

interface OpRow {
  seq: number;
  appId: string;
  kind: string;
  account: string | null;
  person: string | null;
  status: string;
}

/** The leavers with access the sample company planted, as `app:employeeId` (their accounts' planted keys). */
export function plantedLeavers(fleet: Fleet): string[] {
  const apps = fleet.sandboxes.map((s) => `${s.type}:`);
  return fleet.company.planted.leaversWithAccess.filter((k) => apps.some((a) => k.startsWith(a))).sort();
}

/**
 * The shared suite: every tool, through a connected SDK client, answered from the synced store and checked
 * against what the sandboxes hold. `actor` is who the transport's sessions act as.
 */
export function toolSuite(ctx: { world: () => World; client: () => Client; actor: string }): void {
  const secrets = () => ctx.world().secrets;

  it('findings: leavers with access, walked page by page, are exactly the ones the sandboxes hold', async () => {
    const { fleet } = ctx.world();
    const { items, pages } = await allPages<FindingRow>(
      ctx.client(),
      'findings',
      { rule: 'leaver_with_access' },
      'findings',
      3,
    );
    const planted = plantedLeavers(fleet);
    expect(planted.length).toBeGreaterThan(3);
    expect(pages).toBe(Math.ceil(planted.length / 3));
    expect(items.map((f) => `${f.appId}:${f.employeeId}`).sort()).toEqual(planted);
    const onlyPs = await call<{ findings: FindingRow[] }>(
      ctx.client(),
      'findings',
      { rule: 'leaver_with_access', app: 'process-street', limit: 100 },
      secrets(),
    );
    expect(onlyPs.structured.findings.map((f) => `${f.appId}:${f.employeeId}`).sort()).toEqual(
      planted.filter((k) => k.startsWith('process-street:')),
    );
  });

  it('search_people: a name finds the person; leavers, paged, are the HR export leavers', async () => {
    const { fleet } = ctx.world();
    const someone = fleet.company.hr[3];
    if (!someone) throw new Error('the sample company has people');
    const found = await call<{ people: { employeeId: string; email: string }[] }>(
      ctx.client(),
      'search_people',
      { query: `${someone.first_name} ${someone.last_name}` },
      secrets(),
    );
    expect(found.isError, found.text).toBe(false);
    expect(found.structured.people.map((p) => p.employeeId)).toContain(someone.employee_id);
    const { items } = await allPages<{ employeeId: string; status: string }>(
      ctx.client(),
      'search_people',
      { status: 'leaver' },
      'people',
      4,
    );
    expect(items.map((p) => p.employeeId).sort()).toEqual(
      fleet.company.hr
        .filter((p) => p.status === 'leaver')
        .map((p) => p.employee_id)
        .sort(),
    );
  });

  it('person_access: the Process Street member the sandbox holds, tied by email, given by the ops rule', async () => {
    const { fleet } = ctx.world();
    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    const person = fleet.company.hr.find(
      (p) =>
        p.status === 'active' &&
        APP_DEPARTMENTS['process-street'].includes(p.department) &&
        members.some((m) => m.email.toLowerCase() === p.email.toLowerCase()),
    );
    const held = members.find((m) => m.email.toLowerCase() === person?.email.toLowerCase());
    if (!person || !held)
      throw new Error('the sample company has an ops person with a Process Street account');
    const answer = await call<{
      person: { employeeId: string; status: string };
      accounts: { account: { appId: string; id: string }; rules: string[]; link: { why: string } }[];
    }>(ctx.client(), 'person_access', { person: person.email }, secrets());
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.structured.person).toMatchObject({ employeeId: person.employee_id, status: 'active' });
    const account = answer.structured.accounts.find((a) => a.account.appId === 'process-street');
    expect(account).toMatchObject({ account: { id: held.id }, rules: ['ops tools'] });
    expect(account?.link.why).toMatch(/email/);
  });

  it('explain_finding: a leaver finding with its evidence, the leaver and their account', async () => {
    const { fleet } = ctx.world();
    const [key] = plantedLeavers(fleet).filter((k) => k.startsWith('targetprocess:'));
    const employeeId = key?.split(':')[1];
    const hr = fleet.company.hr.find((p) => p.employee_id === employeeId);
    if (!hr) throw new Error('the sample company planted a Targetprocess leaver with access');
    const listed = await call<{ findings: FindingRow[] }>(
      ctx.client(),
      'findings',
      { rule: 'leaver_with_access', person: hr.email },
      secrets(),
    );
    const [finding] = listed.structured.findings;
    if (!finding) throw new Error(`no finding for ${hr.email}: ${listed.text}`);
    const answer = await call<{
      finding: { id: string; evidence: Record<string, unknown> };
      person: { employeeId: string; status: string } | null;
      account: { id: string; email: string | null } | null;
      nextStep: string;
    }>(ctx.client(), 'explain_finding', { id: finding.id }, secrets());
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.structured.person).toMatchObject({ employeeId, status: 'leaver' });
    expect(answer.structured.account?.email?.toLowerCase()).toBe(hr.email.toLowerCase());
    expect(Object.keys(answer.structured.finding.evidence).length).toBeGreaterThan(0);
    expect(answer.structured.nextStep).toContain('propose_change');
  });

  it('app_status: each app synced, what it read, and what its API can do', async () => {
    const { fleet } = ctx.world();
    const answer = await call<{
      apps: {
        appId: string;
        healthy: boolean;
        lastSync: { status: string; counts: Record<string, number> } | null;
        capabilities: { accounts: Record<string, boolean>; incremental: boolean };
      }[];
    }>(ctx.client(), 'app_status', {}, secrets());
    expect(answer.isError, answer.text).toBe(false);
    expect(answer.structured.apps.map((a) => a.appId)).toEqual(['process-street', 'targetprocess']);
    for (const app of answer.structured.apps) {
      expect(app.healthy).toBe(true);
      expect(app.lastSync?.status).toBe('succeeded');
      expect(app.capabilities.accounts.list).toBe(true);
    }
    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    expect(answer.structured.apps[0]?.lastSync?.counts.accounts).toBe(members.length);
    // The Targetprocess guide documents ModifyDate filtering; Process Street lists everything each time.
    expect(answer.structured.apps.map((a) => a.capabilities.incremental)).toEqual([false, true]);
  });

  it('propose_change then plan_status: a saved plan marked as proposed by the assistant, nothing sent to the app', async () => {
    const { fleet } = ctx.world();
    const [key] = plantedLeavers(fleet).filter((k) => k.startsWith('targetprocess:'));
    const hr = fleet.company.hr.find((p) => p.employee_id === key?.split(':')[1]);
    if (!hr) throw new Error('the sample company planted a Targetprocess leaver with access');
    const tp = fleet.get('targetprocess');
    tp.clearRequests();
    const proposed = await call<{
      plan: { id: string; requestedBy: string; status: string };
      ops: OpRow[];
      diff: string;
    }>(
      ctx.client(),
      'propose_change',
      { action: 'offboard', person: hr.email, reason: 'left in October' },
      secrets(),
    );
    expect(proposed.isError, proposed.text).toBe(false);
    expect(proposed.structured.plan).toMatchObject({ requestedBy: ctx.actor, status: 'draft' });
    expect(proposed.structured.ops.filter((o) => o.appId === 'targetprocess')).toEqual([
      expect.objectContaining({
        kind: 'delete',
        person: hr.email,
        status: 'pending',
        requiresApproval: true,
      }),
    ]);
    expect(proposed.structured.diff).toContain(hr.email);
    expect(proposed.text).toContain(`roster approve ${proposed.structured.plan.id}`);
    expect(tp.requests().filter((r) => r.method !== 'GET')).toEqual([]);

    const status = await call<{
      plan: { id: string; status: string };
      ops: OpRow[];
      audit: { actor: string; kind: string }[];
    }>(ctx.client(), 'plan_status', { plan: proposed.structured.plan.id.slice(0, 12) }, secrets());
    expect(status.isError, status.text).toBe(false);
    expect(status.structured.plan).toMatchObject({ id: proposed.structured.plan.id, status: 'draft' });
    expect(status.structured.ops.map((o) => o.seq)).toEqual(proposed.structured.ops.map((o) => o.seq));
    expect(status.structured.audit).toEqual([
      { actor: ctx.actor, kind: 'plan.proposed', at: expect.any(String) },
    ]);
  });
}

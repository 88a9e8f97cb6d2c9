import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { issueToken } from '../app/tokens.js';
import { loadConfig } from '../config/load.js';
import { connectorFor } from '../connectors/registry.js';
import type { Finding } from '../identity/index.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { tokenStore } from '../store/tokens.js';
import type { ScheduledJob } from './scheduler.js';
import { everyPage, startTestServer, type TestServer, until } from './testkit.js';

interface PlanDetail {
  body: { requestedBy?: string };
  plan: { id: string; status: string; applying: boolean; summary: { total: number; approvals: number } };
  ops: {
    seq: number;
    appId: string;
    kind: string;
    status: string;
    requiresApproval: boolean;
    target: Record<string, unknown>;
    approvedBy: string | null;
  }[];
}

const personOf = (op: { target: Record<string, unknown> }) =>
  (op.target.person as { employeeId?: string } | null | undefined)?.employeeId;

describe('roster serve end to end on the sandboxes, through HTTP only', () => {
  let fleet: Fleet;
  let t: TestServer;
  let secondApprover: string;
  let dir: string;
  const received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] =
    [];
  let receiver: Server;

  beforeAll(async () => {
    // A local receiver stands in for Slack and for a generic JSON webhook.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += String(c);
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    fleet = await startFleet({ people: 60, seed: 7 });
    dir = mkdtempSync(join(tmpdir(), 'roster-e2e-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    const doc = parse(
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    ) as Record<string, unknown>;
    doc.schedule = { apps: { '*': { every: '1h' } }, people: { every: '1h' } };
    doc.policy = { safety: { fourEyes: true } };
    doc.server = {
      publicUrl: 'http://roster.example',
      notifications: [
        { type: 'slack', url: `${hookBase}/slack` },
        { type: 'webhook', url: `${hookBase}/json`, secret: 'notify-secret', events: ['approval.waiting'] },
      ],
    };
    writeFileSync(join(dir, 'roster.yaml'), stringify(doc));
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    t = await startTestServer({ dir, config });
    secondApprover = (
      await issueToken(
        { store: t.store, tokens: tokenStore(t.store) },
        { name: 'second-approver', scope: 'approve', createdBy: 'test' },
      )
    ).token;
  });
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
    receiver?.close();
  });

  it('syncs on schedule, finds leavers, plans, approves with four eyes, applies, and the apps hold the change', async () => {
    const read = t.tokens.read;
    // 1. The first scheduled runs: people, then every app, each followed by a plan.
    const jobs = await until('the first scheduled syncs', async () => {
      const r = await t.call('GET', '/schedule', { token: read });
      const items = (r.body as { items: ScheduledJob[] }).items;
      return items.length === 6 && items.every((j) => j.lastStatus !== null && !j.running)
        ? items
        : undefined;
    });
    expect(jobs.filter((j) => j.lastStatus !== 'succeeded')).toEqual([]);
    for (const j of jobs)
      expect(Date.parse(j.nextRunAt ?? '')).toBeGreaterThan(Date.parse(j.lastRunAt ?? ''));
    const apps = (await t.call('GET', '/apps', { token: read })).body as {
      items: { id: string; health: string; nextSyncAt: string | null }[];
    };
    expect(apps.items.map((a) => a.health)).toEqual(Array(5).fill('ok'));
    expect(apps.items.every((a) => a.nextSyncAt !== null)).toBe(true);

    // 2. Findings: every leaver with access is a leaver in HR.
    const findings = (await t.call('GET', '/findings?rule=leaver_with_access&limit=1000', { token: read }))
      .body as { items: Finding[]; total: number };
    expect(findings.total).toBeGreaterThan(0);
    const leavers = new Set(fleet.company.hr.filter((p) => p.status === 'leaver').map((p) => p.employee_id));
    for (const f of findings.items) expect(leavers.has(f.employeeId ?? '')).toBe(true);

    // 3. A plan, asked for by one approver; four eyes refuses that same token's approval.
    const created = await t.call('POST', '/plans', { token: t.tokens.approve, body: {} });
    expect(created.status).toBe(201);
    const planned = created.body as PlanDetail;
    const planId = planned.plan.id;
    const removals = planned.ops.filter((o) => o.kind === 'deactivate' || o.kind === 'delete');
    expect(removals.length).toBeGreaterThan(0);
    expect(planned.plan.summary.approvals).toBeGreaterThan(0);
    const self = await t.call('POST', `/plans/${planId}/approve`, { token: t.tokens.approve, body: {} });
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('four eyes') });
    const approved = await t.call('POST', `/plans/${planId}/approve`, { token: secondApprover, body: {} });
    expect(approved.status).toBe(200);
    expect((approved.body as { approved: number[] }).approved).toHaveLength(planned.plan.summary.approvals);

    // 4. Apply in the background; its status is readable while it runs and after.
    const apply = await t.call('POST', `/plans/${planId}/apply`, { token: t.tokens.operate, body: {} });
    expect(apply.status).toBe(202);
    const done = await until('the apply to finish', async () => {
      const r = (await t.call('GET', `/plans/${planId}`, { token: read })).body as PlanDetail;
      return !r.plan.applying && r.plan.status !== 'applying' && r.plan.status !== 'approved' ? r : undefined;
    });
    // Manual tasks (an op the API cannot do) keep a plan at tasks_open until a sync shows them done.
    expect(['applied', 'tasks_open']).toContain(done.plan.status);
    const doneRemovals = done.ops.filter((o) => o.kind === 'deactivate' || o.kind === 'delete');
    expect(doneRemovals.map((o) => o.status)).toEqual(doneRemovals.map(() => 'succeeded'));

    // 5. What the apps hold, read back through each app's own API.
    for (const op of doneRemovals) {
      const appConfig = t.config.apps.find((a) => a.id === op.appId);
      const connector = connectorFor(appConfig!);
      try {
        const accountId = (op.target.account as { id: string }).id;
        const account = await connector.accounts.get?.({ id: accountId });
        const held = account?.status ?? 'absent';
        // Deactivation by delete (Process Street) leaves nothing to read back.
        expect(['inactive', 'deleted', 'absent'], `${op.appId} ${accountId}`).toContain(held);
        if (op.kind === 'deactivate') expect(held, `${op.appId} ${accountId}`).not.toBe('absent');
      } finally {
        await connector.close();
      }
    }

    // 6. The audit names the tokens: who asked, who approved, who applied; the chain holds.
    const audit = (await t.call('GET', `/audit?limit=1000`, { token: read })).body as {
      items: { kind: string; actor: string; subject: string | null }[];
    };
    expect(done.body.requestedBy).toBe('approve-bot');
    expect(audit.items.find((e) => e.kind === 'plan.approved' && e.subject === planId)?.actor).toBe(
      'second-approver',
    );
    const actors = new Set(audit.items.filter((e) => e.kind.startsWith('op.')).map((e) => e.actor));
    expect(actors.has('operate-bot')).toBe(true);
    expect((await t.call('GET', '/audit/verify', { token: read })).body).toMatchObject({ ok: true });

    // 7. What an operator scrapes: syncs per app, API requests by route, findings, ops, scheduler runs.
    const metrics = await t.call('GET', '/metrics', { token: read });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const app of [
      'targetprocess',
      'process-street',
      'thought-industries',
      'customer-directory',
      'stackspot-scim',
    ]) {
      expect(metrics.text).toContain(
        `roster_sync_duration_seconds_count{app="${app}",outcome="succeeded"} 1`,
      );
    }
    expect(metrics.text).toMatch(
      /roster_upstream_requests_total\{app="targetprocess",endpoint="[^"]+"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /roster_http_requests_total\{method="GET",route="\/findings",status="200"\} 1/,
    );
    expect(metrics.text).toContain(
      `roster_findings{rule="leaver_with_access",severity="high"} ${findings.total}`,
    );
    expect(metrics.text).toMatch(/roster_ops\{kind="(deactivate|delete)",status="succeeded"\} [1-9]/);
    expect(metrics.text).toContain('roster_scheduler_runs_total{job="people",outcome="succeeded"} 1');
    expect(metrics.text).toMatch(/roster_upstream_concurrency_limit\{app="targetprocess"\} [1-9]/);
    expect(metrics.text).toContain('roster_scheduler_lag_seconds_count{job="sync:targetprocess"} 1');
    expect((await t.call('GET', '/metrics')).status).toBe(401);

    // 8. Notifications: Slack-format messages for the new high findings (each finding once) and the approval.
    await t.server.context.notifier.settle();
    const slack = received
      .filter((r) => r.path === '/slack')
      .map((r) => JSON.parse(r.body) as { text: string });
    const findingLines = slack
      .filter((m) => m.text.startsWith('*New high-severity findings*'))
      .flatMap((m) => m.text.split('\n').filter((l) => l.startsWith('• ')));
    const high = (await t.call('GET', '/findings?minSeverity=high&limit=1000', { token: read })).body as {
      total: number;
    };
    expect(findingLines.length).toBe(Math.min(high.total, findingLines.length));
    expect(new Set(findingLines).size).toBe(findingLines.length);
    expect(findingLines.length).toBeGreaterThan(0);
    expect(
      slack.some(
        (m) => m.text.includes(`plan ${planId}`) && m.text.includes('<http://roster.example/plans/'),
      ),
    ).toBe(true);
    const json = received.filter((r) => r.path === '/json');
    expect(json.length).toBeGreaterThan(0);
    for (const r of json) {
      const expected = `sha256=${createHmac('sha256', 'notify-secret').update(r.body).digest('hex')}`;
      expect(r.headers['x-roster-signature']).toBe(expected);
      expect(JSON.parse(r.body)).toMatchObject({ event: 'approval.waiting' });
    }
    // A second run of the same sync finds the same things: nothing new is said.
    const before = received.length;
    expect(
      (await t.call('POST', '/schedule/sync:targetprocess/run', { token: t.tokens.operate })).status,
    ).toBe(202);
    await until('the second targetprocess run', async () => {
      const items = ((await t.call('GET', '/schedule', { token: read })).body as { items: ScheduledJob[] })
        .items;
      const job = items.find((j) => j.id === 'sync:targetprocess');
      return job && job.runs === 2 && !job.running ? job : undefined;
    });
    await t.server.context.notifier.settle();
    const after = received.slice(before).map((r) => JSON.parse(r.body) as { text?: string });
    expect(after.filter((m) => m.text?.startsWith('*New high-severity findings*'))).toEqual([]);
    const sent = (await t.call('GET', '/notifications?limit=1000', { token: read })).body as {
      items: { status: string }[];
    };
    expect(sent.items.length).toBeGreaterThan(0);
    expect(sent.items.every((n) => n.status === 'delivered')).toBe(true);

    // The accounts listing by (app, id) is paged by the store; sorted otherwise it pages the cached views: the same
    // accounts, owners and situations either way, under the same filters.
    type AccountView = { account: { appId: string; id: string } };
    const walkAccounts = async (query: string) => {
      const pages = await everyPage<AccountView>(t, `/accounts?${query}`, read);
      const items = pages.flatMap((page) => page.items);
      const key = (v: AccountView) => `${v.account.appId}\u0000${v.account.id}`;
      return {
        keys: items.map(key),
        byKey: [...items].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
        total: pages[pages.length - 1]?.total ?? -1,
      };
    };
    for (const filter of [
      '',
      'status=active&admin=false&',
      'appId=targetprocess&',
      'situation=linked&',
      'appId=process-street&situation=unmatched&',
    ]) {
      const paged = await walkAccounts(`${filter}limit=37`);
      const cached = await walkAccounts(`${filter}sort=email&limit=1000`);
      expect(paged.total).toBeGreaterThan(0);
      expect(paged.keys).toEqual([...paged.keys].sort());
      expect([paged.total, paged.keys.length]).toEqual([cached.total, cached.total]);
      expect(paged.byKey).toEqual(cached.byKey);
    }

    // 9. HR says someone left: the scheduled people run imports it and re-plans, with that person's removals.
    const accountsNow = (
      await t.call('GET', '/accounts?situation=linked&status=active&limit=1000', { token: read })
    ).body as { items: { owner: { employeeId: string; status: string } | null }[] };
    const stayer = accountsNow.items.find((a) => a.owner?.status === 'active')?.owner?.employeeId;
    expect(stayer).toBeDefined();
    const hr = fleet.company.hr.map((p) =>
      p.employee_id === stayer ? { ...p, status: 'leaver' as const, end_date: '2026-01-01' } : p,
    );
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(hr));
    expect((await t.call('POST', '/schedule/people/run', { token: t.tokens.operate })).status).toBe(202);
    const replanned = await until('the scheduled re-plan', async () => {
      const plans = (await t.call('GET', '/plans?limit=5', { token: read })).body as {
        items: { id: string }[];
      };
      for (const p of plans.items) {
        const d = (await t.call('GET', `/plans/${p.id}`, { token: read })).body as PlanDetail;
        if (d.body.requestedBy === 'scheduler' && d.ops.some((o) => personOf(o) === stayer)) return d;
      }
      return undefined;
    });
    expect(replanned.ops.filter((o) => personOf(o) === stayer).map((o) => o.kind)).toContain('deactivate');
  }, 120_000);
});

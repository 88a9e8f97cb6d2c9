import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openRoster } from '../../app/context.js';
import { accessReviewRows } from '../../app/review-export.js';
import { syncApps } from '../../app/sync.js';
import { loadConfig } from '../../config/load.js';
import { hrToCsv } from '../../sandbox/company.js';
import type { CdState } from '../../sandbox/customer-directory/state.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { startTestServer, type TestServer, until } from '../testkit.js';

interface Item {
  seq: number;
  appId: string;
  accountId: string;
  reviewer: string;
  reviewerReason: string;
  decision: string | null;
  planId: string | null;
  opSeq: number | null;
  verifiedAt: string | null;
  subject: {
    entitlement: { id: string; kind: string; name: string } | null;
    person: { email: string } | null;
    suggestion: { decision: string } | null;
  };
  op: { status: string; approvedBy: string | null } | null;
}
interface Detail {
  review: { id: string; status: string; planIds: string[] };
  progress: { total: number; decided: number; planned: number; carriedOut: number; verified: number };
  items: Item[];
}

const APPS = ['stackspot-scim', 'customer-directory'] as const;
const NAME = 'Q4 <privileged> review & "friends"';

describe('access reviews end to end on the sandboxes, through the HTTP API', () => {
  let fleet: Fleet;
  let store: Store;
  let t: TestServer;
  /** The manager of most privileged people (and owner of stackspot-scim), a second manager, the fallback. */
  let managerA: string;
  let managerB: string;
  let fallback: string;
  /** managerB's manager: where managerB's overdue items go. */
  let director: string;
  const tokens: Record<string, string> = {};
  let workspace: { dir: string; file: string };

  beforeAll(async () => {
    fleet = await startFleet({ apps: [...APPS], people: 40, seed: 7 });
    const ws = fleetWorkspace(fleet, { policy: { safety: { fourEyes: true } } });
    workspace = ws;
    let config = await loadConfig(ws.file, { env: {} });
    store = await openStore(config.store);
    await syncApps(await openRoster(config, { store }));

    // The HR export decides who manages whom: give every privileged person without a manager one (managerB),
    // except managerA, whose own access must find no manager and fall to the app owner — managerA themselves.
    const rows = (await accessReviewRows(await openRoster(config, { store }))).filter((r) => r.privileged);
    const managers = new Map<string, number>();
    for (const r of rows) if (r.manager) managers.set(r.manager, (managers.get(r.manager) ?? 0) + 1);
    managerA = [...managers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    expect(rows.some((r) => r.app === 'stackspot-scim' && r.personEmail === managerA)).toBe(true);
    const holders = new Set(rows.map((r) => r.personEmail));
    const free = fleet.company.hr.filter(
      (p) => p.status === 'active' && !holders.has(p.email) && p.email !== managerA && !p.manager_email,
    );
    managerB = free[0]?.email ?? '';
    fallback = free[1]?.email ?? '';
    director = free[2]?.email ?? '';
    const hr = fleet.company.hr.map((p) =>
      p.email === managerB
        ? { ...p, manager_email: director }
        : holders.has(p.email) && p.email !== managerA && !p.manager_email
          ? { ...p, manager_email: managerB }
          : p,
    );
    writeFileSync(join(ws.dir, 'hr.csv'), hrToCsv(hr));
    const doc = parse(readFileSync(ws.file, 'utf8')) as { apps: { id: string; owner?: string }[] };
    for (const app of doc.apps) if (app.id === 'stackspot-scim') app.owner = managerA;
    writeFileSync(ws.file, stringify(doc));
    config = await loadConfig(ws.file, { env: {} });
    t = await startTestServer({ dir: ws.dir, config, store });
    expect((await t.call('POST', '/people/import', { token: t.tokens.operate, body: {} })).status).toBe(200);

    for (const [name, person, scope] of [
      ['manager-a', managerA, 'read'],
      ['manager-b', managerB, 'read'],
      ['fallback', fallback, 'read'],
      ['second-approver', null, 'approve'],
    ] as const) {
      const made = await t.call('POST', '/tokens', {
        token: t.tokens.admin,
        body: { name, scope, ...(person ? { person } : {}) },
      });
      expect(made.status).toBe(201);
      tokens[name] = (made.body as { token: string }).token;
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await store?.close();
    await fleet?.close();
  });

  it('starts, decides (one revoke, one keep, a self-review refused), closes into an approved plan, verifies by re-sync, and exports the evidence', async () => {
    // 1. An operator starts a campaign over privileged access in two apps.
    const started = await t.call('POST', '/reviews', {
      token: t.tokens.operate,
      body: { name: NAME, apps: [...APPS], select: 'privileged', fallback, dueInDays: 7 },
    });
    expect(started.status, started.text).toBe(201);
    const campaign = started.body as Detail;
    const id = campaign.review.id;
    const all = campaign.items;
    expect(new Set(all.map((i) => i.appId))).toEqual(new Set(APPS));
    // Flagged items (orphans, dormant...) come first, with revoke pre-suggested.
    const firstPlain = all.findIndex((i) => i.subject.suggestion === null);
    expect(
      all.slice(0, Math.max(firstPlain, 0)).every((i) => i.subject.suggestion?.decision === 'revoke'),
    ).toBe(true);
    expect(all.slice(firstPlain).every((i) => i.subject.suggestion === null)).toBe(true);
    expect(all.some((i) => i.subject.suggestion !== null)).toBe(true);
    // managerA's own stackspot account: the owner rule names managerA, so it went to the fallback.
    const own = all.find((i) => i.appId === 'stackspot-scim' && i.subject.person?.email === managerA) as Item;
    expect(own).toMatchObject({ reviewer: fallback, reviewerReason: 'self_review' });

    // 2. A reviewer's token sees only that reviewer's items.
    const mineA = (await t.call('GET', `/reviews/${id}`, { token: tokens['manager-a'] })).body as Detail;
    const mineB = (await t.call('GET', `/reviews/${id}`, { token: tokens['manager-b'] })).body as Detail;
    expect(mineA.items.length).toBeGreaterThan(0);
    expect(mineA.items.every((i) => i.reviewer === managerA)).toBe(true);
    // Their reports' access by the manager rule; the app's orphans as its owner.
    expect(new Set(mineA.items.map((i) => i.reviewerReason))).toEqual(new Set(['manager', 'owner']));
    expect(mineB.items.every((i) => i.reviewer === managerB)).toBe(true);
    expect(mineA.progress.total).toBe(all.length);
    // A reviewer's token reviews access and nothing else: no evidence of others' items, no rest of the API.
    for (const path of [`/reviews/${id}/evidence.csv`, '/accounts', '/findings']) {
      expect((await t.call('GET', path, { token: tokens['manager-a'] })).status, path).toBe(403);
    }

    // 3. Self-review is refused: managerA cannot decide their own access, nor hand an item to the person reviewed.
    const self = await t.call('POST', `/reviews/${id}/items/${own.seq}/decision`, {
      token: tokens['manager-a'],
      body: { decision: 'keep' },
    });
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('self-review') });
    const reviewed = mineA.items[0] as Item;
    const toSubject = await t.call('POST', `/reviews/${id}/items/${reviewed.seq}/delegate`, {
      token: tokens['manager-a'],
      body: { to: reviewed.subject.person?.email },
    });
    expect(toSubject.status).toBe(403);
    // A token that answers for nobody cannot decide.
    const nobody = await t.call('POST', `/reviews/${id}/items/${reviewed.seq}/decision`, {
      token: t.tokens.admin,
      body: { decision: 'keep' },
    });
    expect(nobody.status).toBe(403);

    // 4. managerA keeps everything; managerB revokes a privileged role in customer-directory and keeps the rest.
    for (const item of mineA.items) {
      const r = await t.call('POST', `/reviews/${id}/items/${item.seq}/decision`, {
        token: tokens['manager-a'],
        body: { decision: 'keep', comment: 'still on call' },
      });
      expect(r.status, r.text).toBe(200);
    }
    const target = mineB.items.find(
      (i) => i.appId === 'customer-directory' && i.subject.entitlement?.kind === 'role',
    ) as Item;
    expect(target).toBeDefined();
    for (const item of mineB.items) {
      const decision = item.seq === target.seq ? 'revoke' : 'keep';
      const r = await t.call('POST', `/reviews/${id}/items/${item.seq}/decision`, {
        token: tokens['manager-b'],
        body: {
          decision,
          comment: decision === 'revoke' ? 'no longer administers <the directory>' : 'needed',
        },
      });
      expect(r.status, r.text).toBe(200);
    }
    // Deciding someone else's item is refused.
    const foreign = await t.call('POST', `/reviews/${id}/items/${target.seq}/decision`, {
      token: tokens['manager-a'],
      body: { decision: 'keep' },
    });
    expect(foreign.status).toBe(403);
    // The fallback keeps what is left.
    const mineF = (await t.call('GET', `/reviews/${id}`, { token: tokens.fallback })).body as Detail;
    expect(mineF.items.some((i) => i.seq === own.seq)).toBe(true);
    for (const item of mineF.items) {
      const r = await t.call('POST', `/reviews/${id}/items/${item.seq}/decision`, {
        token: tokens.fallback,
        body: { decision: 'keep', comment: 'service account, owned by IT' },
      });
      expect(r.status, r.text).toBe(200);
    }

    // 5. Closing turns the revoke into a plan; four eyes: whoever closed it cannot approve it.
    const closed = await t.call('POST', `/reviews/${id}/close`, { token: t.tokens.approve, body: {} });
    expect(closed.status, closed.text).toBe(200);
    const planId = (closed.body as { planId: string }).planId;
    expect(planId).toEqual(expect.any(String));
    const plan = (await t.call('GET', `/plans/${planId}`, { token: t.tokens.read })).body as {
      ops: { seq: number; kind: string; requiresApproval: boolean; target: Record<string, unknown> }[];
    };
    expect(plan.ops.map((o) => o.kind)).toEqual(['revoke']);
    expect(plan.ops[0]?.requiresApproval).toBe(true);
    expect(plan.ops[0]?.target.account).toEqual({ id: target.accountId });
    const selfApprove = await t.call('POST', `/plans/${planId}/approve`, {
      token: t.tokens.approve,
      body: {},
    });
    expect(selfApprove.status).toBe(403);
    const approved = await t.call('POST', `/plans/${planId}/approve`, {
      token: tokens['second-approver'],
      body: {},
    });
    expect(approved.status, approved.text).toBe(200);

    // 6. Apply; the app no longer holds the role it held.
    const state = fleet.get('customer-directory').state as CdState;
    expect(state.users.get(target.accountId)?.roleIds).toContain(target.subject.entitlement?.id);
    expect(
      (await t.call('POST', `/plans/${planId}/apply`, { token: t.tokens.operate, body: {} })).status,
    ).toBe(202);
    await until('the apply to finish', async () => {
      const r = (await t.call('GET', `/plans/${planId}`, { token: t.tokens.read })).body as {
        plan: { status: string; applying: boolean };
      };
      return !r.plan.applying && r.plan.status === 'applied' ? r : undefined;
    });
    expect(state.users.get(target.accountId)?.roleIds).not.toContain(target.subject.entitlement?.id);

    // 7. Not verified until a sync after the op shows it gone; then verified.
    const early = (await t.call('POST', `/reviews/${id}/verify`, { token: t.tokens.operate })).body as {
      verified: number[];
      pending: number[];
    };
    expect(early).toEqual({ verified: [], pending: [target.seq] });
    const sync = await t.call('POST', '/syncs', {
      token: t.tokens.operate,
      body: { apps: ['customer-directory'] },
    });
    expect(sync.status).toBe(202);
    await until('the re-sync', async () => {
      const runs = (await t.call('GET', '/syncs?appId=customer-directory', { token: t.tokens.read }))
        .body as {
        items: { status: string }[];
      };
      return runs.items.length >= 2 && runs.items.every((r) => r.status !== 'running') ? runs : undefined;
    });
    const verified = (await t.call('POST', `/reviews/${id}/verify`, { token: t.tokens.operate })).body;
    expect(verified).toEqual({ verified: [target.seq], pending: [] });
    const after = (await t.call('GET', `/reviews/${id}`, { token: t.tokens.read })).body as Detail;
    expect(after.review.status).toBe('closed');
    expect(after.progress).toMatchObject({
      total: all.length,
      decided: all.length,
      planned: 1,
      carriedOut: 1,
      verified: 1,
    });
    expect(after.items.find((i) => i.seq === target.seq)?.op).toMatchObject({
      status: 'succeeded',
      approvedBy: 'second-approver',
    });

    // 8. Evidence: CSV and a printable page, with who decided what, the op, its audit event and the check.
    const csv = await t.call('GET', `/reviews/${id}/evidence.csv`, { token: t.tokens.read });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toMatch(/^item,app,account,account_email,entitlement,privileged,/);
    expect(lines).toHaveLength(all.length + 1);
    const revoked = lines.find((l) => l.startsWith(`${target.seq},customer-directory,`)) as string;
    expect(revoked).toContain(`,revoke,,no longer administers <the directory>,${managerB},`);
    expect(revoked).toContain(`,revoke,succeeded,second-approver,`);
    expect(revoked).toMatch(/,\d+,[0-9a-f]{64},\d{4}-\d\d-\d\dT[^,]+,[0-9a-f-]{36}$/);
    const selfLine = lines.find((l) => l.startsWith(`${own.seq},`)) as string;
    expect(selfLine).toContain(`,${fallback},self_review,`);
    expect(lines.filter((l) => l.includes(',keep,'))).toHaveLength(all.length - 1);

    const html = await t.call('GET', `/reviews/${id}/evidence.html`, { token: t.tokens.read });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toContain('Q4 &lt;privileged&gt; review &amp; &quot;friends&quot;');
    expect(html.text).not.toContain('<privileged>');
    expect(html.text).not.toMatch(/<script|<link|src=/);
    expect(html.text).toContain('no longer administers &lt;the directory&gt;');
    expect(html.text).toMatch(/intact: \d+ events verified/);
    expect(html.text).toContain(planId);
    for (const kind of [
      'review.started',
      'review.decided',
      'review.closed',
      'plan.approved',
      'op.succeeded',
      'review.verified',
    ])
      expect(html.text, kind).toContain(`<td>${kind}</td>`);
  }, 180_000);
  it("a scheduled reviews job escalates overdue items to the reviewer's manager and says so through the sinks", async () => {
    const received: { event: string; items: { text: string }[] }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += String(c);
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as { event: string; items: { text: string }[] });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const doc = parse(readFileSync(workspace.file, 'utf8')) as Record<string, unknown>;
    doc.schedule = { reviews: { cron: '0 9 * * 1-5' } };
    doc.server = { notifications: [{ type: 'webhook', url }] };
    writeFileSync(workspace.file, stringify(doc));
    const scheduled = await startTestServer({
      dir: workspace.dir,
      config: await loadConfig(workspace.file, { env: {} }),
      store,
      tokens: t.tokens,
    });
    try {
      // Overdue from the start: its items are escalated on the next reviews run.
      const started = await scheduled.call('POST', '/reviews', {
        token: t.tokens.operate,
        body: { apps: [...APPS], select: 'privileged', fallback, dueAt: '2020-01-01' },
      });
      expect(started.status, started.text).toBe(201);
      const campaign = started.body as Detail;
      const fromManagerA = campaign.items.filter((i) => i.reviewer === managerA);
      const fromManagerB = campaign.items.filter((i) => i.reviewer === managerB);
      expect(fromManagerA.length).toBeGreaterThan(0);
      expect(fromManagerB.length).toBeGreaterThan(0);
      const jobs = (await scheduled.call('GET', '/schedule', { token: t.tokens.read })).body as {
        items: { id: string; kind: string }[];
      };
      expect(jobs.items.map((j) => j.id)).toContain('reviews');
      expect(
        (await scheduled.call('POST', '/schedule/reviews/run', { token: t.tokens.operate })).status,
      ).toBe(202);
      const moved = await until('the escalation', async () => {
        const d = (await scheduled.call('GET', `/reviews/${campaign.review.id}`, { token: t.tokens.read }))
          .body as Detail;
        const escalated = d.items.filter((i) => i.reviewerReason === 'escalated');
        return escalated.length > 0 ? escalated : undefined;
      });
      // managerB's overdue items go up to their manager in HR; managerA has none, so theirs go to the fallback.
      const reviewerOf = (seq: number) => moved.find((i) => i.seq === seq)?.reviewer;
      for (const i of fromManagerB) expect(reviewerOf(i.seq)).toBe(director);
      for (const i of fromManagerA) expect(reviewerOf(i.seq)).toBe(fallback);
      await scheduled.server.context.notifier.settle();
      const escalations = received.filter((r) => r.event === 'review.escalated').flatMap((r) => r.items);
      expect(escalations.some((i) => i.text.includes(`overdue with ${managerA}, now with ${fallback}`))).toBe(
        true,
      );
    } finally {
      await scheduled.close();
      receiver.close();
    }
  }, 60_000);
});

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import type { TargetprocessState } from '../sandbox/targetprocess/state.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { jsonData, roster } from './testkit.js';

interface Detail {
  review: { id: string; status: string };
  progress: { total: number; decided: number };
  items: {
    seq: number;
    appId: string;
    reviewer: string;
    reviewerReason: string;
    decision: string | null;
    planId: string | null;
    accountId: string;
    subject: {
      person: { email: string; managerEmail: string | null } | null;
      entitlement: { name: string } | null;
    };
  }[];
}

let fleet: Fleet;
let args: string[];
let dir: string;
let receiver: Server;
const received: { event: string; items: { text: string }[] }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
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
  fleet = await startFleet({ apps: ['stackspot-scim', 'targetprocess'], people: 40, seed: 7 });
  const ws = fleetWorkspace(fleet);
  const doc = parse(readFileSync(ws.file, 'utf8')) as Record<string, unknown>;
  doc.server = {
    notifications: [
      { type: 'webhook', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
    ],
  };
  writeFileSync(ws.file, stringify(doc));
  ({ args, dir } = ws);
  expect((await roster(...args, 'sync')).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  receiver?.close();
});

const fallback = 'security@acme.com';

describe('roster review', () => {
  it('starts a campaign, shows it, records decisions (refusing a self-review) and exports the evidence', async () => {
    const started = await roster(
      ...args,
      'review',
      'start',
      '--fallback',
      fallback,
      '--select',
      'privileged',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const campaign = jsonData<Detail>(started.stdout);
    const id = campaign.review.id;
    expect(campaign.items.length).toBeGreaterThan(0);

    const shown = await roster(...args, 'review', 'show', id.slice(0, 8));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`review ${id}`);
    expect(shown.stdout).toContain(`decided 0/${campaign.items.length}`);

    const managed = campaign.items.find((i) => i.reviewerReason === 'manager');
    expect(managed).toBeDefined();
    const item = managed as Detail['items'][number];
    // The person reviewed cannot decide on their own access, nor can anyone but the reviewer.
    const self = await roster(
      ...args,
      'review',
      'decide',
      id,
      String(item.seq),
      '--as',
      item.subject.person?.email ?? '',
      '--decision',
      'keep',
    );
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain('self-review');
    const other = await roster(
      ...args,
      'review',
      'decide',
      id,
      String(item.seq),
      '--as',
      fallback,
      '--decision',
      'keep',
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`is for ${item.reviewer} to review`);

    for (const i of campaign.items) {
      const decided = await roster(
        ...args,
        'review',
        'decide',
        id,
        String(i.seq),
        '--as',
        i.reviewer,
        '--decision',
        'keep',
        '--comment',
        '=HYPERLINK("http://evil")',
      );
      expect(decided.code, decided.stderr).toBe(0);
    }
    const closed = await roster(...args, 'review', 'close', id, '--json');
    expect(closed.code, closed.stderr).toBe(0);
    expect(jsonData<{ planId: string | null }>(closed.stdout).planId).toBeNull();

    const csv = await roster(...args, 'review', 'evidence', id);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines).toHaveLength(campaign.items.length + 1);
    expect(lines.slice(1).every((l) => l.includes(',keep,'))).toBe(true);
    // A comment that looks like a formula is defused for spreadsheets.
    expect(csv.stdout).toContain(`'=HYPERLINK`);
    expect(lines.find((l) => l.startsWith(`${item.seq},`))).toContain(`,${item.reviewer},manager,`);

    const out = join(dir, 'evidence.html');
    const html = await roster(...args, 'review', 'evidence', id, '--format', 'html', '--out', out);
    expect(html.code, html.stderr).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<td>review.closed</td>');
    expect(page).toContain('=HYPERLINK(&quot;http://evil&quot;)');
  }, 60_000);

  it('an overdue item is escalated to the reviewer’s manager and the reminders go out through the sinks', async () => {
    const started = await roster(
      ...args,
      'review',
      'start',
      '--fallback',
      fallback,
      '--select',
      'privileged',
      '--due',
      '2020-01-01',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const campaign = jsonData<Detail>(started.stdout);
    const reminded = await roster(...args, 'review', 'remind', '--json');
    expect(reminded.code, reminded.stderr).toBe(0);
    const result = jsonData<{ escalations: { seq: number; from: string; to: string }[] }>(reminded.stdout);
    const mine = result.escalations.filter((e) => campaign.items.some((i) => i.seq === e.seq));
    // Each item not already with the fallback moves up: to the reviewer's manager in HR, else the fallback.
    const movable = campaign.items.filter((i) => i.reviewer !== fallback);
    expect(movable.length).toBeGreaterThan(0);
    expect(mine.map((e) => e.seq).sort()).toEqual(movable.map((i) => i.seq).sort());
    const managerOf = new Map(fleet.company.hr.map((p) => [p.email, p.manager_email]));
    for (const e of mine) expect(e.to).toBe(managerOf.get(e.from) || fallback);
    const shown = jsonData<Detail>(
      (await roster(...args, 'review', 'show', campaign.review.id, '--json')).stdout,
    );
    for (const item of shown.items.filter((i) => movable.some((m) => m.seq === i.seq))) {
      expect(item.reviewerReason).toBe('escalated');
    }
    // Escalated once: a second run moves nothing, and says nothing new.
    const again = jsonData<{ escalations: unknown[] }>(
      (await roster(...args, 'review', 'remind', '--json')).stdout,
    );
    expect(again.escalations).toEqual([]);
    const escalated = received.filter((r) => r.event === 'review.escalated').flatMap((r) => r.items);
    expect(escalated).toHaveLength(movable.length);
    expect(received.some((r) => r.event === 'review.reminder')).toBe(true);
  }, 60_000);

  it('with --revoke-when decided, a change is planned as it is decided, approved, applied and verified by a sync', async () => {
    const started = await roster(
      ...args,
      'review',
      'start',
      '--fallback',
      fallback,
      '--app',
      'targetprocess',
      '--select',
      'privileged',
      '--revoke-when',
      'decided',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const campaign = jsonData<
      Detail & { items: { accountId: string; subject: { entitlement: { name: string } | null } }[] }
    >(started.stdout);
    const item = campaign.items.find(
      (i) => i.subject.entitlement?.name === 'Administrator' && i.subject.person,
    );
    expect(item).toBeDefined();
    const { seq, reviewer, accountId } = item as Detail['items'][number];
    const decide = (...more: string[]) =>
      roster(...args, 'review', 'decide', campaign.review.id, String(seq), '--as', reviewer, ...more);
    const unknown = await decide('--decision', 'change', '--to', 'Astronaut');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no role "Astronaut"');
    const changed = await decide(
      '--decision',
      'change',
      '--to',
      'Developer',
      '--comment',
      'no admin needed',
      '--json',
    );
    expect(changed.code, changed.stderr).toBe(0);
    const planId = jsonData<{ planId: string | null }>(changed.stdout).planId as string;
    expect(planId).toEqual(expect.any(String));

    const plan = jsonData<{
      ops: { kind: string; requiresApproval: boolean; target: Record<string, unknown> }[];
    }>((await roster(...args, 'plan', 'show', planId, '--json')).stdout);
    expect(plan.ops.map((o) => [o.kind, (o.target.entitlement as { name: string }).name])).toEqual([
      ['grant', 'Developer'],
    ]);
    expect(plan.ops[0]?.target.replaces).toMatchObject({ name: 'Administrator' });
    // Taking a privileged role away needs a person's yes, as the policy asks by default.
    expect(plan.ops[0]?.requiresApproval).toBe(true);
    const approved = await roster(...args, 'approve', planId, '--by', 'ciso');
    expect(approved.code, approved.stderr).toBe(0);
    const applied = await roster(...args, 'apply', planId, '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    const state = fleet.get('targetprocess').state as TargetprocessState;
    const user = state.usersById.get(Number(accountId));
    expect(state.rolesById.get(user?.RoleId ?? -1)?.Name).toBe('Developer');

    const early = jsonData<{ verified: number[] }>(
      (await roster(...args, 'review', 'verify', campaign.review.id, '--json')).stdout,
    );
    expect(early.verified).toEqual([]);
    expect((await roster(...args, 'sync', '--app', 'targetprocess')).code).toBe(0);
    const verified = jsonData<{ verified: number[] }>(
      (await roster(...args, 'review', 'verify', campaign.review.id, '--json')).stdout,
    );
    expect(verified.verified).toEqual([seq]);
  }, 60_000);

  it('a scope with nothing in it is refused with what to do', async () => {
    const none = await roster(
      ...args,
      'review',
      'start',
      '--fallback',
      fallback,
      '--select',
      'findings',
      '--app',
      'nope',
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no app "nope"');
  });
});

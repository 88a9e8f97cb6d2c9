import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { APP_DEPARTMENTS, hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { ADMIN_PREFIX } from '../sandbox/kit/server.js';
import { jsonData, roster } from './testkit.js';

let fleet: Fleet;
let dir: string;
const c = () => ['-c', join(dir, 'roster.yaml')];

/**
 * Accounts for the apps' departments plus Design, who have none yet (invites in Process Street, manual
 * creates in the directory, whose API cannot create); leavers deactivated (Process Street: removed).
 */
const policy = {
  rules: [
    {
      name: 'ops tools',
      when: { department: [...APP_DEPARTMENTS['process-street'], 'Design'], status: 'active' },
      apps: { 'process-street': {} },
    },
    {
      name: 'directory',
      when: { department: [...APP_DEPARTMENTS['customer-directory'], 'Design'], status: 'active' },
      apps: { 'customer-directory': {} },
    },
  ],
  managed: { 'process-street': ['account'], 'customer-directory': ['account'] },
};

interface PlanJson {
  id: string;
  ops: { kind: string; requiresApproval: boolean; person: { email: string } | null; ref: string }[];
}
interface ApplyJson {
  status: string;
  ops: { seq: number; ref: string; kind: string; state: string }[];
}

async function ok(...args: string[]): Promise<string> {
  const run = await roster(...c(), ...args);
  // sync draws its progress board on stderr; every other command here must print no warning.
  if (args[0] !== 'sync') expect(run.stderr, args.join(' ')).toBe('');
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

beforeAll(async () => {
  fleet = await startFleet({ apps: ['process-street', 'customer-directory'], seed: 3, people: 80 });
  dir = mkdtempSync(join(tmpdir(), 'roster-apply-cli-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
  await ok('import');
  await ok('sync');
  await ok('graph');
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('roster plan / apply / approve / tasks / audit', () => {
  let plan: PlanJson;

  it('plan renders terraform-style marks: + for adds, ~ for changes, - for removals', async () => {
    const text = await ok('plan');
    expect(text).toMatch(/^ {4}\+ invite /m);
    expect(text).toMatch(/^ {4}~ update account /m);
    expect(text).toMatch(/^ {4}- delete account .*\[approval needed\]/m);
    expect(text).toMatch(/^ {4}! task /m);
    plan = jsonData(await ok('plan', '--json')) as PlanJson;
    expect(plan.ops.some((o) => o.requiresApproval)).toBe(true);
  });

  it('apply without --yes off a terminal refuses, says to pass --yes, and changes nothing', async () => {
    const before = fleet.get('process-street').requests().length;
    // Off a terminal whatever runs the tests: apply cannot ask first.
    const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
    const refused = await roster(...c(), 'apply', plan.id).finally(() => {
      if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('pass --yes');
    expect(fleet.get('process-street').requests().length).toBe(before);
    const audit = jsonData(await ok('audit', '--json')) as { events: { kind: string }[] };
    expect(audit.events.filter((e) => e.kind.startsWith('op.'))).toEqual([]);
  });

  it('approve --op SEQ --by NAME releases an op that waited for approval', async () => {
    const first = jsonData(await ok('apply', plan.id, '--yes', '--hold', '0', '--json')) as ApplyJson;
    const held = first.ops.filter((o) => o.state === 'awaiting_approval');
    expect(held.length).toBeGreaterThan(0);
    const target = held[0]!;
    const approved = jsonData(
      await ok('approve', plan.id, '--op', String(target.seq), '--by', 'alice', '--json'),
    ) as { approved: number[]; by: string };
    expect(approved).toEqual({ planId: plan.id, approved: [target.seq], by: 'alice' });

    const second = jsonData(await ok('apply', plan.id, '--yes', '--hold', '0', '--json')) as ApplyJson;
    const released = second.ops.find((o) => o.seq === target.seq);
    expect(released?.state).toBe('succeeded');
    // Only the approved one: the others still wait for a person's yes.
    expect(second.ops.filter((o) => o.state === 'awaiting_approval')).toHaveLength(held.length - 1);
    const audit = jsonData(await ok('audit', '--json')) as {
      events: { kind: string; actor: string; data: { seqs?: number[] } }[];
    };
    expect(audit.events).toContainEqual(
      expect.objectContaining({ kind: 'plan.approved', actor: 'alice', data: { seqs: [target.seq] } }),
    );
  });

  it('tasks lists manual tasks with instructions, and a later sync closes the one done in the app', async () => {
    const open = jsonData(await ok('tasks', '--json')) as {
      kind: string;
      appId: string;
      instructions: string;
    }[];
    const creates = open.filter((t) => t.appId === 'customer-directory' && t.kind === 'create');
    expect(creates.length).toBeGreaterThan(0);
    expect(creates[0]?.instructions).toMatch(/no create endpoint.*Add the person in the directory admin/);
    const text = await ok('tasks');
    expect(text).toContain(creates[0]!.instructions);

    // Someone does the first task by hand: the person is added in the directory admin.
    const email = /<([^>]+)>/.exec(creates[0]!.instructions)?.[1] as string;
    const person = fleet.company.hr.find((p) => p.email === email)!;
    const cd = fleet.get('customer-directory');
    const res = await fetch(`${cd.origin}${ADMIN_PREFIX}/customer-directory/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, firstName: person.first_name, lastName: person.last_name }),
    });
    expect(res.status).toBeLessThan(300);

    expect(await ok('sync')).toContain('1 manual task(s) now done and closed');
    const after = jsonData(await ok('tasks', '--json')) as { instructions: string }[];
    expect(after).toHaveLength(open.length - 1);
    expect(after.map((t) => t.instructions)).not.toContain(creates[0]!.instructions);
    const all = jsonData(await ok('tasks', '--all', '--json')) as {
      status: string;
      instructions: string;
    }[];
    expect(all.find((t) => t.instructions === creates[0]!.instructions)?.status).toBe('done');
  });

  it('audit --verify passes on the untouched chain and fails, naming the event, once a row is edited', async () => {
    expect(await ok('audit', '--verify')).toMatch(/audit chain verified: \d+ events, unbroken/);

    const db = new Database(join(dir, 'roster.db'));
    try {
      const row = db.prepare('SELECT seq FROM audit_events ORDER BY seq LIMIT 1 OFFSET 2').get() as {
        seq: number;
      };
      db.prepare("UPDATE audit_events SET actor = 'mallory' WHERE seq = ?").run(row.seq);
      const broken = await roster(...c(), 'audit', '--verify');
      expect(broken.code).not.toBe(0);
      expect(broken.stderr).toContain(`audit chain BROKEN at event ${row.seq}`);
    } finally {
      db.close();
    }
  });
});

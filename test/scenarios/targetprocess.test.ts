import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonData } from '../../src/cli/testkit.js';
import { companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import type { TargetprocessState } from '../../src/sandbox/targetprocess/state.js';
import { calls, hrRow, OPEN_SAFETY, opsOf, type Scenario, startScenario } from './support.js';

const planted = (key: string, role: string, teams: string[]) =>
  plantedAccount(key, { role, groups: teams, department: 'Engineering' });

const people = [
  hrRow('E-bob', 'bob@acme.test', 'Bob', 'Tester'),
  hrRow('E-carol', 'carol@acme.test', 'Carol', 'Tester'),
  hrRow('E-dave', 'dave@acme.test', 'Dave', 'Tester'),
  hrRow('E-nina', 'nina@acme.test', 'Nina', 'New'),
  hrRow('E-omar', 'omar@acme.test', 'Omar', 'New'),
];

const policy = {
  rules: [
    {
      name: 'engineering',
      when: { department: 'Engineering' },
      apps: { targetprocess: { role: 'Developer', teams: ['Platform'] } },
    },
    { name: 'qa', when: { title: 'QA*' }, apps: { targetprocess: { role: 'QA Engineer' } } },
  ],
  leavers: { action: 'deactivate' },
  managed: { targetprocess: ['account', 'role', 'team'] },
  safety: OPEN_SAFETY,
};

let s: Scenario<TargetprocessState>;

beforeAll(async () => {
  s = await startScenario<TargetprocessState>({
    app: 'targetprocess',
    company: companyWith('targetprocess', {
      accounts: [
        planted('bob', 'Developer', ['Platform']),
        planted('carol', 'Developer', ['Platform']),
        planted('dave', 'Developer', ['Platform']),
      ],
      roles: ['Developer', 'QA Engineer'],
      groups: ['Platform', 'Mobile'],
    }),
    hr: people,
    policy,
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

const user = (email: string) => s.sandbox.state.users.find((u) => u.Email.toLowerCase() === email);
const roleId = (name: string) => s.sandbox.state.roles.find((r) => r.Name === name)?.Id;
const teamsOf = (userId: number) =>
  [...(s.sandbox.state.membershipsByUser.get(userId) ?? [])]
    .map((id) => s.sandbox.state.teamMembers.get(id)?.TeamId)
    .map((id) => s.sandbox.state.teams.find((t) => t.Id === id)?.Name);

describe('Targetprocess common scenarios', () => {
  it('bulk-provisions users from the HR system: Role by Id, then TeamMembers', async () => {
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(opsOf(plan).sort()).toEqual(
      [
        'create targetprocess:E-nina:create',
        'create targetprocess:E-omar:create',
        `grant targetprocess:E-nina:grant:role:${plan.ops.find((o) => o.entitlement?.kind === 'role')?.entitlement?.id}`,
        `grant targetprocess:E-omar:grant:role:${plan.ops.find((o) => o.entitlement?.kind === 'role')?.entitlement?.id}`,
        `grant targetprocess:E-nina:grant:team:${plan.ops.find((o) => o.entitlement?.kind === 'team')?.entitlement?.id}`,
        `grant targetprocess:E-omar:grant:team:${plan.ops.find((o) => o.entitlement?.kind === 'team')?.entitlement?.id}`,
      ].sort(),
    );
    s.sandbox.clearRequests();
    const applied = await s.apply(plan.id);
    expect(applied.ops.filter((o) => o.state !== 'succeeded')).toEqual([]);
    expect(applied.status).toBe('applied');

    const developer = roleId('Developer');
    for (const email of ['nina@acme.test', 'omar@acme.test']) {
      const u = user(email);
      expect(u, email).toBeDefined();
      expect(u?.IsActive).toBe(true);
      expect(u?.RoleId).toBe(developer);
      expect(teamsOf(u?.Id ?? 0)).toEqual(['Platform']);
      // Guide: Password is required for non-SSO accounts; Login from the email's local part.
      expect(u?.Login).toBe(email.split('@')[0]);
      expect(u?.password).not.toBeNull();
    }
    const log = s.requests();
    const sent = calls(log);
    expect(sent.filter((c) => c === 'POST /api/v1/Users')).toHaveLength(2);
    expect(sent.filter((c) => c === 'POST /api/v1/TeamMembers')).toHaveLength(2);
    // The role goes by reference Id (looked up on /Roles), never by name; and before the team assignment.
    expect(sent).toContain('GET /api/v1/Roles');
    const roleWrites = log.filter(
      (e) => e.method === 'POST' && /\/Users\/\d+$/.test(e.url.split('?')[0] ?? '') && e.body !== null,
    );
    expect(roleWrites.map((e) => e.body)).toEqual([{ Role: { Id: developer } }, { Role: { Id: developer } }]);
    const nina = user('nina@acme.test')?.Id;
    const ninaRole = log.findIndex(
      (e) => e.url.split('?')[0] === `/api/v1/Users/${nina}` && e.method === 'POST',
    );
    const ninaTeam = log.findIndex(
      (e) =>
        e.url.split('?')[0] === '/api/v1/TeamMembers' &&
        (e.body as { User?: { Id?: number } }).User?.Id === nina,
    );
    expect(ninaRole).toBeGreaterThanOrEqual(0);
    expect(ninaTeam).toBeGreaterThanOrEqual(0);

    // Re-sync: the apps hold what the policy says, so the next plan is empty.
    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('deactivates a departed employee: located by email, IsActive false, verified by GET', async () => {
    const bob = user('bob@acme.test');
    s.writeHr(
      people.map((p) => (p.employee_id === 'E-bob' ? { ...p, status: 'leaver', end_date: '2025-01-31' } : p)),
    );
    await s.sync();
    const plan = await s.plan();
    expect(opsOf(plan)).toEqual([`deactivate targetprocess:${bob?.Id}:deactivate`]);
    s.sandbox.clearRequests();
    const applied = await s.apply(plan.id);
    expect(applied.status).toBe('applied');

    expect(user('bob@acme.test')?.IsActive).toBe(false);
    // Deactivation, not deletion: the record and its data stay.
    expect(user('bob@acme.test')?.DeleteDate).toBeNull();
    const log = s.requests();
    const write = log.findIndex(
      (e) => e.method === 'POST' && e.url.split('?')[0] === `/api/v1/Users/${bob?.Id}`,
    );
    expect(log[write]?.body).toEqual({ IsActive: false });
    const readBack = log.findIndex(
      (e, i) => i > write && e.method === 'GET' && e.url.split('?')[0] === `/api/v1/Users/${bob?.Id}`,
    );
    expect(readBack).toBeGreaterThan(write);
    expect(calls(log)).not.toContain(`DELETE /api/v1/Users/${bob?.Id}`);

    // The located-by-email step: the sync found Bob's account by his HR email (the graph linked them).
    const accounts = await s.run('accounts', '--json');
    const rows = jsonData(accounts.stdout) as {
      account: { id: string; email: string };
      owner: { employeeId: string } | null;
    }[];
    expect(rows.find((r) => r.account.id === String(bob?.Id))?.owner?.employeeId).toBe('E-bob');
  });

  it('syncs role changes by ModifyDate polling: only changed users are read, the Role is updated by Id', async () => {
    await s.sync();
    const carol = user('carol@acme.test');
    s.writeHr(
      people.map((p) =>
        p.employee_id === 'E-bob'
          ? { ...p, status: 'leaver', end_date: '2025-01-31' }
          : p.employee_id === 'E-carol'
            ? { ...p, title: 'QA Analyst' }
            : p,
      ),
    );
    await s.sync();
    const plan = await s.plan();
    const qa = roleId('QA Engineer');
    expect(opsOf(plan)).toEqual([`grant targetprocess:E-carol:grant:role:${plan.ops[0]?.entitlement?.id}`]);
    expect(plan.ops[0]?.entitlement?.name).toBe('QA Engineer');
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');
    const roleWrites = s.requests().filter((e) => e.method === 'POST');
    expect(roleWrites.map((e) => [e.url.split('?')[0], e.body])).toEqual([
      [`/api/v1/Users/${carol?.Id}`, { Role: { Id: qa } }],
    ]);
    expect(user('carol@acme.test')?.RoleId).toBe(qa);
    expect(user('dave@acme.test')?.RoleId).toBe(roleId('Developer'));

    // The incremental sync asks only for users modified since the last one: Carol, not Dave.
    s.sandbox.clearRequests();
    const result = await s.sync();
    expect(result.mode).toBe('incremental');
    const userLists = s
      .requests()
      .filter((e) => e.method === 'GET' && e.url.split('?')[0] === '/api/v1/Users');
    expect(userLists.length).toBeGreaterThan(0);
    for (const e of userLists) expect(decodeURIComponent(e.url)).toMatch(/ModifyDate gt '/);
    // What that filter selects in the app is Carol alone: the role change bumped her ModifyDate only.
    const since = /ModifyDate gt '([^']+)'/.exec(decodeURIComponent(userLists[0]?.url ?? ''))?.[1] ?? '';
    const selected = s.sandbox.state.users.filter((u) => Date.parse(u.ModifyDate) > Date.parse(since));
    expect(selected.map((u) => u.Email)).toEqual(['carol@acme.test']);
    expect(opsOf(await s.plan())).toEqual([]);
  });
});

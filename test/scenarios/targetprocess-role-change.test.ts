import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonData } from '../../src/cli/testkit.js';
import { companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import type { TargetprocessState } from '../../src/sandbox/targetprocess/state.js';
import { hrRow, type Scenario, startScenario } from './support.js';

// A Targetprocess user holds exactly one Role (guide: "Role: object"): giving another one takes the first away.
const people = [
  hrRow('E-ann', 'ann@acme.test', 'Ann', 'Tester'),
  hrRow('E-bob', 'bob@acme.test', 'Bob', 'Tester'),
  hrRow('E-cy', 'cy@acme.test', 'Cy', 'Tester'),
];
const developers = {
  rules: [
    {
      name: 'engineering',
      when: { department: 'Engineering' },
      apps: { targetprocess: { role: 'Developer' } },
    },
  ],
};

let s: Scenario<TargetprocessState>;

beforeAll(async () => {
  s = await startScenario<TargetprocessState>({
    app: 'targetprocess',
    company: companyWith('targetprocess', {
      accounts: [
        plantedAccount('ann', { role: 'Administrator', department: 'Engineering' }),
        plantedAccount('bob', { role: 'Developer', department: 'Engineering' }),
        plantedAccount('cy', { role: 'Administrator', department: 'Engineering' }),
      ],
      roles: ['Administrator', 'Developer'],
    }),
    hr: people,
    policy: developers,
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

const roleOf = (email: string) => {
  const user = s.sandbox.state.users.find((u) => u.Email.toLowerCase() === email);
  return s.sandbox.state.roles.find((r) => r.Id === user?.RoleId)?.Name;
};

describe('a single-valued role given over another one', () => {
  it('a rule can leave privileged holders alone (keepPrivileged)', async () => {
    s.writePolicy({
      rules: [
        { ...developers.rules[0], apps: { targetprocess: { role: 'Developer', keepPrivileged: true } } },
      ],
    });
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(plan.ops).toEqual([]);
    expect(plan.untouched['privileged role kept (keepPrivileged)']).toHaveLength(2);
  });

  it('is a change that says what it replaces; taking Administrator away is high risk and waits for approval', async () => {
    s.writePolicy(developers);
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    // One op per Administrator, a grant carrying what it replaces; Bob already is a Developer.
    expect(
      plan.ops.map((o) => [o.person?.employeeId, o.kind, o.replaces?.name, o.entitlement?.name]),
    ).toEqual([
      ['E-ann', 'grant', 'Administrator', 'Developer'],
      ['E-cy', 'grant', 'Administrator', 'Developer'],
    ]);
    for (const op of plan.ops) {
      expect(op).toMatchObject({ risk: 'high', requiresApproval: true });
      expect(op.approvalReasons.join()).toContain('privileged role "Administrator"');
      expect(op.reason.text).toContain('"Administrator" → "Developer"');
    }
    const text = await s.run('plan');
    expect(text.stdout).toContain('~ role "Administrator" → "Developer"  [approval needed]');

    // Not approved: nothing changes in the app.
    const held = await s.apply(plan.id);
    expect(held.ops.map((o) => o.state)).toEqual(['awaiting_approval', 'awaiting_approval']);
    expect(roleOf('ann@acme.test')).toBe('Administrator');

    const approved = await s.run('approve', plan.id, '--by', 'security@acme.test');
    expect(approved.code, approved.stderr).toBe(0);
    const applied = await s.apply(plan.id);
    expect(applied.status).toBe('applied');
    // Read back from the app: each now holds Developer, the one role a user has.
    expect(roleOf('ann@acme.test')).toBe('Developer');
    expect(roleOf('cy@acme.test')).toBe('Developer');
    expect(roleOf('bob@acme.test')).toBe('Developer');

    // The audit trail records the change, not a bare grant.
    const audit = jsonData((await s.run('audit', '--json')).stdout) as {
      events: { kind: string; data: { reason?: string } }[];
    };
    const done = audit.events.filter((e) => e.kind === 'op.succeeded');
    expect(done.map((e) => e.data.reason)).toEqual([
      expect.stringContaining('changes role "Administrator" → "Developer"'),
      expect.stringContaining('changes role "Administrator" → "Developer"'),
    ]);

    await s.sync();
    expect((await s.plan()).ops).toEqual([]);
  });
});

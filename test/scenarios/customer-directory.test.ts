import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonData } from '../../src/cli/testkit.js';
import type { CdState } from '../../src/sandbox/customer-directory/state.js';
import { adminCall, companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import type { TaskRecord } from '../../src/store/store.js';
import { calls, hrRow, OPEN_SAFETY, opsOf, type Scenario, startScenario } from './support.js';

const people = [
  hrRow('E-alma', 'alma@acme.test', 'Alma', 'Tester'),
  hrRow('E-bert', 'bert@acme.test', 'Bert', 'Tester'),
  hrRow('E-cleo', 'cleo@acme.test', 'Cleo', 'Tester'),
];
const leaver = (employeeId: string) => (p: (typeof people)[number]) =>
  p.employee_id === employeeId ? { ...p, status: 'leaver' as const, end_date: '2025-04-30' } : p;

const policy = {
  rules: [
    {
      name: 'engineering',
      when: { department: 'Engineering' },
      apps: { 'customer-directory': { role: 'Member' } },
    },
    { name: 'sales', when: { department: 'Sales' }, apps: { 'customer-directory': { role: 'Seller' } } },
  ],
  // The API cannot deactivate (PATCH has no status field): a leaver's account goes by DELETE.
  leavers: { action: 'delete' },
  managed: { 'customer-directory': ['account', 'role'] },
  // Deletion keeps its default approval: it is permanent.
  safety: { ...OPEN_SAFETY, approval: { ...OPEN_SAFETY.approval, delete: true } },
};

let s: Scenario<CdState>;

beforeAll(async () => {
  const engineer = (key: string) =>
    plantedAccount(key, { role: 'Member', department: 'Engineering', title: 'Engineer' });
  s = await startScenario<CdState>({
    app: 'customer-directory',
    company: companyWith('customer-directory', {
      accounts: [engineer('alma'), engineer('bert'), engineer('cleo')],
      roles: ['Member', 'Seller'],
    }),
    hr: people,
    policy,
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

/** The guide's endpoints: everything Roster may send with no opt-in (no role or group list among them). */
const DOCUMENTED = [
  /^GET \/api\/v1\/customers\/[0-9a-f]{24}\/users(\/lookup)?$/,
  /^(GET|DELETE|PATCH) \/api\/v1\/customers\/[0-9a-f]{24}\/users\/[0-9a-f]{24}$/,
  /^PATCH \/api\/v2\/customers\/[0-9a-f]{24}\/users\/[0-9a-f]{24}$/,
];
const undocumented = () => calls(s.requests()).filter((call) => !DOCUMENTED.some((d) => d.test(call)));

// Whatever each scenario sent (sync, plan, apply) stayed on the guide's paths.
afterEach(() => {
  expect(undocumented()).toEqual([]);
});

const user = (email: string) => [...s.sandbox.state.users.values()].find((u) => u.email === email);
const roleId = (name: string) => [...s.sandbox.state.roles.values()].find((r) => r.name === name)?._id;
const tasks = async (...flags: string[]) => {
  const listed = await s.run('tasks', '--json', ...flags);
  expect(listed.code, listed.stderr).toBe(0);
  return jsonData(listed.stdout) as TaskRecord[];
};

describe('customer-directory common scenarios', () => {
  it('syncs through documented paths only, with roles named by roster.yaml', async () => {
    expect(calls(s.requests()).length).toBeGreaterThan(0);
    expect(undocumented()).toEqual([]);
  });

  it('updates role and department from HR through PATCH v2', async () => {
    expect(opsOf(await s.plan())).toEqual([]);
    const alma = user('alma@acme.test');
    s.writeHr(
      people.map((p) =>
        p.employee_id === 'E-alma' ? { ...p, department: 'Sales', title: 'Account Executive' } : p,
      ),
    );
    await s.sync();
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(plan.ops.map((o) => [o.kind, o.person?.email, o.entitlement?.name ?? null])).toEqual([
      ['update', 'alma@acme.test', null],
      ['grant', 'alma@acme.test', 'Seller'],
      ['revoke', 'alma@acme.test', 'Member'],
    ]);
    expect(plan.ops[0]?.changes).toEqual({
      department: { from: 'Engineering', to: 'Sales' },
      jobTitle: { from: 'Engineer', to: 'Account Executive' },
    });
    s.sandbox.clearRequests();
    const applied = await s.apply(plan.id);
    expect(applied.ops.filter((o) => o.state !== 'succeeded')).toEqual([]);
    expect(applied.status).toBe('applied');

    const after = user('alma@acme.test');
    expect(after?.department).toBe('Sales');
    expect(after?.jobTitle).toBe('Account Executive');
    expect(after?.roleIds).toEqual([roleId('Seller')]);
    // PATCH "if set, will update": nothing the change did not name moved.
    expect(after?.firstName).toBe('Alma');
    expect(after?.email).toBe(alma?.email);
    expect(user('bert@acme.test')?.roleIds).toEqual([roleId('Member')]);

    const log = s.requests();
    const patches = log.filter((e) => e.method === 'PATCH');
    // Every write goes to v2, the current update; v1 is only the fallback for instances without it.
    expect(calls(patches).every((c) => c.startsWith('PATCH /api/v2/'))).toBe(true);
    expect(calls(patches).every((c) => c.endsWith(`/users/${alma?._id}`))).toBe(true);
    expect(patches.map((e) => e.body)).toContainEqual({ department: 'Sales', jobTitle: 'Account Executive' });
    // roleIds replaces the whole set, so the last role write carries exactly the one role the policy gives.
    const roleWrites = patches.filter((e) => 'roleIds' in (e.body as object));
    expect(roleWrites.at(-1)?.body).toEqual({ roleIds: [roleId('Seller')] });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('deletes a leaver once the deletion is approved', async () => {
    const hr = people.map((p) =>
      p.employee_id === 'E-alma' ? { ...p, department: 'Sales', title: 'Account Executive' } : p,
    );
    const bert = user('bert@acme.test');
    s.writeHr(hr.map(leaver('E-bert')));
    await s.sync();
    const plan = await s.plan();
    expect(opsOf(plan)).toEqual([`delete customer-directory:${bert?._id}:delete`]);
    expect(plan.ops[0]?.requiresApproval).toBe(true);
    expect(plan.ops[0]?.approvalReasons).toEqual(['deletion']);

    // Without the approval the apply sends nothing and leaves the op waiting for a person.
    s.sandbox.clearRequests();
    const held = await s.apply(plan.id);
    expect(held.ops.map((o) => o.state)).toEqual(['awaiting_approval']);
    expect(held.status).not.toBe('applied');
    expect(calls(s.requests()).filter((c) => !c.startsWith('GET '))).toEqual([]);
    expect(user('bert@acme.test')).toBeDefined();

    const approved = await s.run('approve', plan.id, '--by', 'hr-lead', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(jsonData(approved.stdout)).toMatchObject({ planId: plan.id, by: 'hr-lead' });
    const applied = await s.apply(plan.id);
    expect(applied.ops.map((o) => o.state)).toEqual(['succeeded']);
    expect(applied.status).toBe('applied');

    expect(user('bert@acme.test')).toBeUndefined();
    expect(s.sandbox.state.byEmail.has('bert@acme.test')).toBe(false);
    const sent = calls(s.requests());
    const deleted = sent.indexOf(`DELETE /api/v1/customers/${s.sandbox.state.customerId}/users/${bert?._id}`);
    expect(deleted).toBeGreaterThanOrEqual(0);
    expect(sent.filter((c) => c.startsWith('DELETE'))).toHaveLength(1);

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('turns a create into a manual task that a re-sync closes once the account exists', async () => {
    const hr = people
      .map((p) =>
        p.employee_id === 'E-alma' ? { ...p, department: 'Sales', title: 'Account Executive' } : p,
      )
      .map(leaver('E-bert'));
    s.writeHr([...hr, hrRow('E-dina', 'dina@acme.test', 'Dina', 'New')]);
    await s.sync();
    const plan = await s.plan();
    // The API has no create endpoint: the plan says so and hands the job to a person.
    expect(plan.ops.map((o) => [o.kind, o.task?.instead ?? o.entitlement?.name, o.person?.email])).toEqual([
      ['task', 'create', 'dina@acme.test'],
      ['grant', 'Member', 'dina@acme.test'],
    ]);
    expect(plan.ops[0]?.task?.instructions).toMatch(/no create endpoint/);
    expect(plan.ops[0]?.task?.instructions).toMatch(/dina@acme\.test/);
    expect(plan.ops[1]?.dependsOn).toEqual([plan.ops[0]?.ref]);
    s.sandbox.clearRequests();
    const applied = await s.apply(plan.id);
    // The create is a person's job: the plan waits on the open task, and its role op with it.
    expect(applied.status).toBe('tasks_open');
    // The role waits for the account a person makes: skipped now, planned again once a sync links it.
    expect(applied.ops.map((o) => [o.kind, o.state])).toEqual([
      ['task', 'task_open'],
      ['grant', 'skipped'],
    ]);
    expect(applied.ops[1]?.error).toMatch(/manual task/);
    expect(calls(s.requests()).filter((c) => !c.startsWith('GET '))).toEqual([]);

    const open = await tasks();
    expect(open.map((t) => [t.appId, t.kind, t.status, t.planId])).toEqual([
      ['customer-directory', 'create', 'open', plan.id],
    ]);
    expect(open[0]?.instructions).toBe(plan.ops[0]?.task?.instructions);

    // A sync before anyone acted leaves the task open.
    await s.sync();
    expect((await tasks()).map((t) => t.id)).toEqual([open[0]?.id]);

    // Someone adds Dina in the directory admin (the product UI; the API cannot).
    const added = await adminCall(s.sandbox, 'POST', '/customer-directory/users', {
      email: 'dina@acme.test',
      firstName: 'Dina',
      lastName: 'New',
      jobTitle: 'Engineer',
      department: 'Engineering',
    });
    expect(added.status).toBe(201);
    await s.sync();
    expect(await tasks()).toEqual([]);
    const all = await tasks('--all');
    expect(all.map((t) => [t.id, t.status, t.closedBy])).toEqual([[open[0]?.id, 'done', 'sync']]);

    // The account is linked now: the next plan carries on with what the create could not, the role.
    const next = await s.plan();
    expect(next.ops.map((o) => [o.kind, o.person?.email, o.entitlement?.name ?? null])).toEqual([
      ['grant', 'dina@acme.test', 'Member'],
    ]);
    expect((await s.apply(next.id)).status).toBe('applied');
    expect(user('dina@acme.test')?.roleIds).toEqual([roleId('Member')]);
  });
});

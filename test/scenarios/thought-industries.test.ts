import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonData } from '../../src/cli/testkit.js';
import { companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import type { TiState } from '../../src/sandbox/thought-industries/state.js';
import { calls, hrRow, OPEN_SAFETY, opsOf, type Scenario, startScenario } from './support.js';

const people = [
  hrRow('E-lena', 'lena@acme.test', 'Lena', 'Tester'),
  hrRow('E-mark', 'mark@acme.test', 'Mark', 'Tester'),
  hrRow('E-tara', 'tara@acme.test', 'Tara', 'New'),
];

const academy = {
  name: 'academy',
  when: { department: 'Engineering' },
  apps: {
    'thought-industries': {
      courses: ['Security Awareness'],
      account: { attributes: { 'customFields.title': '{title}' } },
    },
  },
};
const policy = { rules: [academy], managed: { 'thought-industries': ['account'] }, safety: OPEN_SAFETY };

let s: Scenario<TiState>;

beforeAll(async () => {
  s = await startScenario<TiState>({
    app: 'thought-industries',
    company: companyWith('thought-industries', {
      accounts: [
        plantedAccount('lena', {
          department: 'Engineering',
          title: 'Engineer',
          externalId: 'idp-lena',
          courses: ['Security Awareness'],
        }),
        plantedAccount('mark', {
          department: 'Engineering',
          title: 'Engineer',
          courses: ['Security Awareness'],
        }),
      ],
      courses: [
        { name: 'Security Awareness', published: true },
        { name: 'Draft Course', published: false },
      ],
    }),
    hr: people,
    policy,
    appConfig: { customFieldKeys: ['department', 'title'] },
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

/** The guide's endpoints (its reference and its scenarios): everything Roster may send with no opt-in. */
const DOCUMENTED = [
  /^(GET|POST) \/incoming\/api\/v1\/users$/,
  /^(GET|PUT|DELETE) \/incoming\/api\/v1\/users\/[^/]+$/,
  /^GET \/incoming\/api\/v1\/users\/[^/]+\/enrollments$/,
  /^POST \/incoming\/api\/v1\/groups\/[^/]+\/users$/,
  /^POST \/incoming\/api\/v1\/courses\/[^/]+\/enrollments$/,
  /^POST \/incoming\/api\/graphql$/,
];
const undocumented = () => calls(s.requests()).filter((call) => !DOCUMENTED.some((d) => d.test(call)));

// Whatever each scenario sent (sync, plan, apply) stayed on the guide's paths.
afterEach(() => {
  expect(undocumented()).toEqual([]);
});

const user = (email: string) => s.sandbox.state.users.find((u) => u.email === email);
const courseId = (title: string) => [...s.sandbox.state.courses.values()].find((c) => c.title === title)?.id;

describe('Thought Industries common scenarios', () => {
  it('syncs through documented paths only: courses named by roster.yaml, enrollments per user', async () => {
    const sent = calls(s.requests());
    expect(sent.length).toBeGreaterThan(0);
    expect(undocumented()).toEqual([]);
    expect(sent).toContain(`GET /incoming/api/v1/users/${user('lena@acme.test')?.id}/enrollments`);
    expect(sent.some((c) => c.endsWith('/groups') || c.endsWith('/courses'))).toBe(false);
  });

  it('provisions a new learner and enrolls them in a published course once they are active', async () => {
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(opsOf(plan)).toEqual([
      'create thought-industries:E-tara:create',
      `grant thought-industries:E-tara:grant:course:${plan.ops[1]?.entitlement?.id}`,
    ]);
    expect(plan.ops[1]?.dependsOn).toEqual(['thought-industries:E-tara:create']);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const tara = user('tara@acme.test');
    expect(tara?.active).toBe(true);
    expect(tara?.customFields).toEqual({ department: 'Engineering', title: 'Engineer' });
    const sent = calls(s.requests());
    const created = sent.indexOf('POST /incoming/api/v1/users');
    const enrolled = sent.indexOf(
      `POST /incoming/api/v1/courses/${courseId('Security Awareness')}/enrollments`,
    );
    expect(created).toBeGreaterThanOrEqual(0);
    expect(enrolled).toBeGreaterThan(created);
    expect(s.requests()[enrolled]?.body).toMatchObject({ userId: tara?.id });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('deactivates a departed employee by PUT active:false without nulling any other field', async () => {
    const before = structuredClone(user('lena@acme.test'));
    s.writeHr(
      people.map((p) =>
        p.employee_id === 'E-lena' ? { ...p, status: 'leaver', end_date: '2025-03-31' } : p,
      ),
    );
    await s.sync();
    const plan = await s.plan();
    expect(opsOf(plan)).toEqual([`deactivate thought-industries:${before?.id}:deactivate`]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const after = user('lena@acme.test');
    expect(after?.active).toBe(false);
    const { active: _a, updatedAt: _u, ...kept } = after ?? ({} as NonNullable<typeof after>);
    const { active: _b, updatedAt: _v, ...was } = before ?? ({} as NonNullable<typeof before>);
    expect(kept).toEqual(was);
    expect(was.customFields).toEqual({ department: 'Engineering', title: 'Engineer' });
    expect(was.ssoId).toBe('idp-lena');
    const sent = calls(s.requests());
    expect(sent).toContain(`PUT /incoming/api/v1/users/${before?.id}`);
    // Deactivation keeps the completion history: never the permanent DELETE.
    expect(sent.filter((c) => c.startsWith('DELETE'))).toEqual([]);
  });

  it('syncs profile updates from HR: PUT the changed custom field, create on a 404, refuse unknown keys', async () => {
    const hr = people.map((p) =>
      p.employee_id === 'E-lena'
        ? { ...p, status: 'leaver' as const, end_date: '2025-03-31' }
        : p.employee_id === 'E-mark'
          ? { ...p, title: 'Staff Engineer' }
          : p,
    );
    s.writeHr([...hr, hrRow('E-uma', 'uma@acme.test', 'Uma', 'New')]);
    await s.sync();
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(plan.ops.map((o) => [o.kind, o.person?.email, o.changes ?? null])).toEqual([
      ['update', 'mark@acme.test', { 'customFields.title': { from: 'Engineer', to: 'Staff Engineer' } }],
      ['create', 'uma@acme.test', null],
      ['grant', 'uma@acme.test', null],
    ]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');
    const mark = user('mark@acme.test');
    expect(mark?.customFields).toEqual({ department: 'Engineering', title: 'Staff Engineer' });
    expect(mark?.firstName).toBe('Mark');
    expect(user('uma@acme.test')?.customFields).toEqual({ department: 'Engineering', title: 'Engineer' });
    const sent = calls(s.requests());
    expect(sent).toContain(`PUT /incoming/api/v1/users/${mark?.id}`);
    expect(sent).toContain('POST /incoming/api/v1/users');

    // A custom field the portal does not have: the app would drop it silently, so the plan refuses it.
    s.writePolicy({
      ...policy,
      rules: [
        academy,
        {
          name: 'sizes',
          when: { department: 'Engineering' },
          apps: { 'thought-industries': { account: { attributes: { 'customFields.shoeSize': '42' } } } },
        },
      ],
    });
    await s.sync();
    const refused = await s.run('plan', '--json');
    expect(refused.code).not.toBe(0);
    const body = jsonData(refused.stdout) as {
      errors: { rule: string; message: string }[];
      ops: unknown[];
    };
    expect(body.errors.map((e) => e.rule)).toEqual(['sizes']);
    expect(body.errors[0]?.message).toMatch(/"shoeSize" is not one of the portal's custom fields/);
    expect(body.ops).toEqual([]);
    expect(s.sandbox.state.users.some((u) => 'shoeSize' in u.customFields)).toBe(false);
  });
});

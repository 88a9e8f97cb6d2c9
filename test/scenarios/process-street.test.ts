import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import type { PsState } from '../../src/sandbox/process-street/state.js';
import { calls, hrRow, OPEN_SAFETY, opsOf, type Scenario, startScenario } from './support.js';

const people = [
  hrRow('E-paul', 'paul@acme.test', 'Paul', 'Tester'),
  hrRow('E-quinn', 'quinn@acme.test', 'Quinn', 'Tester', { department: 'Sales' }),
  hrRow('E-rita', 'rita@acme.test', 'Rita', 'Tester'),
  hrRow('E-nora', 'nora@acme.test', 'Nora', 'New'),
];

const policy = {
  rules: [
    {
      name: 'engineering',
      when: { department: 'Engineering' },
      apps: { 'process-street': { groups: ['Engineering'] } },
    },
    { name: 'sales', when: { department: 'Sales' }, apps: { 'process-street': { groups: ['Sales'] } } },
  ],
  managed: { 'process-street': ['account', 'group'] },
  // Made by hand in the app for something HR knows nothing about: never emptied by a sync.
  unmanaged: { 'process-street': ['Book club'] },
  safety: OPEN_SAFETY,
};

let s: Scenario<PsState>;

beforeAll(async () => {
  s = await startScenario<PsState>({
    app: 'process-street',
    company: companyWith('process-street', {
      accounts: [
        plantedAccount('paul', { groups: ['Engineering', 'Book club'] }),
        plantedAccount('quinn', { groups: ['Sales'] }),
        plantedAccount('rita', { groups: ['Engineering'] }),
      ],
      groups: ['Engineering', 'Sales', 'Book club'],
    }),
    hr: people,
    policy,
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

const member = (email: string) => [...s.sandbox.state.membersById.values()].find((m) => m.email === email);
const membersOf = (group: string) =>
  [...s.sandbox.state.groupsById.values()]
    .find((g) => g.name === group)
    ?.memberIds.map((id) => s.sandbox.state.membersById.get(id)?.email)
    .sort();
const until = async (what: () => boolean) => {
  while (!what()) await new Promise((r) => setTimeout(r, 10));
};

describe('Process Street common scenarios', () => {
  it('onboards a new employee: invite, the apply waits for acceptance, then the group add runs', async () => {
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(plan.ops.map((o) => o.kind)).toEqual(['create', 'wait', 'grant']);
    expect(plan.ops.every((o) => o.person?.email === 'nora@acme.test')).toBe(true);
    s.sandbox.clearRequests();

    const applying = s.apply(plan.id, 25);
    // The invitation goes out and the apply polls the member: no group add while the status is 'invited'.
    await until(() => member('nora@acme.test') !== undefined);
    const nora = member('nora@acme.test');
    expect(nora?.status).toBe('invited');
    // Two reads of the member: the create's read-back, then the wait's first poll, which finds it invited.
    const reads = () => calls(s.requests()).filter((c) => c === `GET /api/v1/members/${nora?.id}`).length;
    await until(() => reads() >= 2);
    expect(calls(s.requests()).filter((c) => c.includes('/groups/'))).toEqual([]);

    const accepted = await adminCall(s.sandbox, 'POST', `/members/${nora?.id}/accept`);
    expect(accepted.status).toBe(200);
    const applied = await applying;
    expect(applied.ops.map((o) => [o.kind, o.state])).toEqual([
      ['create', 'succeeded'],
      ['wait', 'succeeded'],
      ['grant', 'succeeded'],
    ]);
    expect(applied.status).toBe('applied');
    expect(member('nora@acme.test')?.status).toBe('active');
    expect(membersOf('Engineering')).toContain('nora@acme.test');

    const sent = calls(s.requests());
    const invite = sent.indexOf('POST /api/v1/members');
    const groupAdd = sent.findIndex((c) => /^POST \/api\/v1\/groups\/[^/]+\/members$/.test(c));
    expect(invite).toBeGreaterThanOrEqual(0);
    expect(groupAdd).toBeGreaterThan(invite);
    expect(s.requests()[invite]?.body).toMatchObject({ email: 'nora@acme.test' });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('offboards a departing employee: DELETE the member, then a GET confirms they are gone', async () => {
    const rita = member('rita@acme.test');
    s.writeHr(
      people.map((p) =>
        p.employee_id === 'E-rita' ? { ...p, status: 'leaver', end_date: '2025-02-28' } : p,
      ),
    );
    await s.sync();
    const plan = await s.plan();
    // No deactivation in the API: removing the member is how access is revoked.
    expect(opsOf(plan)).toEqual([`delete process-street:${rita?.id}:delete`]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    expect(member('rita@acme.test')).toBeUndefined();
    expect(membersOf('Engineering')).not.toContain('rita@acme.test');
    const sent = calls(s.requests());
    const deleted = sent.indexOf(`DELETE /api/v1/members/${rita?.id}`);
    expect(deleted).toBeGreaterThanOrEqual(0);
    expect(sent.slice(deleted + 1).some((c) => c.startsWith('GET /api/v1/members'))).toBe(true);
  });

  it('syncs group membership from the directory: converges to the policy, unmanaged groups untouched', async () => {
    s.writeHr(
      people.map((p) =>
        p.employee_id === 'E-rita'
          ? { ...p, status: 'leaver', end_date: '2025-02-28' }
          : p.employee_id === 'E-quinn'
            ? { ...p, department: 'Engineering' }
            : p,
      ),
    );
    await s.sync();
    const plan = await s.plan();
    expect(plan.ops.map((o) => [o.kind, o.person?.email, o.entitlement?.name])).toEqual([
      ['grant', 'quinn@acme.test', 'Engineering'],
      ['revoke', 'quinn@acme.test', 'Sales'],
    ]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    expect(membersOf('Engineering')).toEqual(['nora@acme.test', 'paul@acme.test', 'quinn@acme.test']);
    expect(membersOf('Sales')).toEqual([]);
    expect(membersOf('Book club')).toEqual(['paul@acme.test']);
    const quinn = member('quinn@acme.test')?.id;
    const writes = calls(s.requests()).filter((c) => !c.startsWith('GET '));
    const groupId = (name: string) =>
      [...s.sandbox.state.groupsById.values()].find((g) => g.name === name)?.id;
    expect(writes.sort()).toEqual(
      [
        `POST /api/v1/groups/${groupId('Engineering')}/members`,
        `DELETE /api/v1/groups/${groupId('Sales')}/members/${quinn}`,
      ].sort(),
    );

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });
});

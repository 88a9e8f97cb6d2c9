import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HrRecord } from '../../src/sandbox/kit/company.js';
import { companyWith, plantedAccount } from '../../src/sandbox/kit/testkit.js';
import { CUSTOM_SCHEMA, type SsState } from '../../src/sandbox/stackspot-scim/state.js';
import { call } from '../../src/sandbox/stackspot-scim/testkit.js';
import { calls, hrRow, OPEN_SAFETY, opsOf, type Scenario, startScenario } from './support.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The HR file as the scenarios so far left it; each scenario changes it through `hrWith`. */
let hr: HrRecord[] = [
  hrRow('E-ivo', 'ivo@acme.test', 'Ivo', 'Tester'),
  hrRow('E-jana', 'jana@acme.test', 'Jana', 'Tester'),
  hrRow('E-kai', 'kai@acme.test', 'Kai', 'Tester'),
];
const hrWith = (employeeId: string, change: Partial<HrRecord>) => {
  hr = hr.map((p) => (p.employee_id === employeeId ? { ...p, ...change } : p));
  s.writeHr(hr);
};

const engineering = {
  name: 'engineering',
  when: { department: 'Engineering' },
  apps: { 'stackspot-scim': {} },
};
const policy = {
  rules: [engineering],
  leavers: { action: 'deactivate' },
  managed: { 'stackspot-scim': ['account'] },
  safety: OPEN_SAFETY,
};
/** StackSpot's custom extension carries the hire date (`hireDate`, answered flattened as `hire_date`). */
const withHireDate = {
  ...policy,
  rules: [
    {
      ...engineering,
      apps: { 'stackspot-scim': { account: { attributes: { 'ext.hireDate': '{start_date}' } } } },
    },
  ],
};

let s: Scenario<SsState>;

beforeAll(async () => {
  s = await startScenario<SsState>({
    app: 'stackspot-scim',
    company: companyWith('stackspot-scim', {
      accounts: ['ivo', 'jana', 'kai'].map((key) =>
        plantedAccount(key, { login: `${key}@acme.test`, role: key === 'ivo' ? 'developer' : null }),
      ),
    }),
    hr,
    policy,
  });
  await s.sync();
});

afterAll(async () => {
  await s?.close();
});

const user = (userName: string) => [...s.sandbox.state.users.values()].find((u) => u.userName === userName);
/** The resource as the API answers it: GET /scim/Users/{id} with the tenant header. */
const resource = (id: string | undefined) => call(s.sandbox, 'GET', `Users/${id}`);
const writes = () => s.requests().filter((e) => e.method !== 'GET');
type PatchBody = { schemas: string[] | string; Operations: { op: string; path?: string; value?: unknown }[] };

describe('StackSpot SCIM common scenarios', () => {
  it('creates a user from HR: POST /scim/Users with userName, name and work email, active', async () => {
    expect(opsOf(await s.plan())).toEqual([]);
    hr = [...hr, hrRow('E-lia', 'lia@acme.test', 'Lia', 'New')];
    s.writeHr(hr);
    await s.sync();
    const plan = await s.plan();
    expect(plan.errors).toEqual([]);
    expect(opsOf(plan)).toEqual(['create stackspot-scim:E-lia:create']);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const sent = writes();
    expect(calls(sent)).toEqual(['POST /scim/Users']);
    // Endpoint table: every call names the tenant in X-Tenant-Id.
    expect(sent[0]?.headers['x-tenant-id']).toBe(s.sandbox.credentials.tenant);
    expect(sent[0]?.body).toMatchObject({
      userName: 'lia@acme.test',
      name: { givenName: 'Lia', familyName: 'New' },
      emails: [{ value: 'lia@acme.test', type: 'work', primary: true }],
      active: true,
    });
    const lia = user('lia@acme.test');
    expect(lia).toMatchObject({ givenName: 'Lia', familyName: 'New', active: true });
    const answered = await resource(lia?.id);
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ userName: 'lia@acme.test', is_blocked: false });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('replaces an attribute HR changed (first name) in place, never by a PUT that resets the rest', async () => {
    const before = structuredClone(user('ivo@acme.test'));
    hrWith('E-ivo', { first_name: 'Ivan' });
    await s.sync();
    const plan = await s.plan();
    expect(plan.ops.map((o) => [o.kind, o.person?.email, o.changes])).toEqual([
      ['update', 'ivo@acme.test', { firstName: { from: 'Ivo', to: 'Ivan' } }],
    ]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const sent = writes();
    // Guide: PUT "Update Users" replaces emails, name, phones and the extension wholesale (and the sandbox, like
    // RFC 7644, reactivates on a PUT without `active`): the one changed value goes as a PatchOp replace instead.
    expect(calls(sent)).toEqual([`PATCH /scim/Users/${before?.id}`]);
    expect((sent[0]?.body as PatchBody | undefined)?.Operations).toEqual([
      { op: 'replace', path: 'name.givenName', value: 'Ivan' },
    ]);
    const after = user('ivo@acme.test');
    expect(after?.givenName).toBe('Ivan');
    const {
      givenName: _g,
      displayName: _d,
      lastModified: _l,
      version: _v,
      ...kept
    } = after ?? ({} as NonNullable<typeof after>);
    const {
      givenName: _h,
      displayName: _e,
      lastModified: _m,
      version: _w,
      ...was
    } = before ?? ({} as NonNullable<typeof before>);
    expect(kept).toEqual(was);
    expect(was.extension).toEqual({ properties: { role: 'developer' } });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('patches a custom-extension attribute by its URN path, keeping the rest of the extension', async () => {
    s.writePolicy(withHireDate);
    await s.sync();
    const plan = await s.plan();
    expect(plan.ops.map((o) => [o.kind, o.person?.email, o.changes])).toEqual(
      ['ivo', 'jana', 'kai', 'lia'].map((key) => [
        'update',
        `${key}@acme.test`,
        { 'ext.hireDate': { from: null, to: '2024-01-02' } },
      ]),
    );
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const sent = writes();
    expect(sent.map((e) => e.method)).toEqual(['PATCH', 'PATCH', 'PATCH', 'PATCH']);
    for (const e of sent) {
      const body = e.body as PatchBody;
      expect(body.schemas).toContain(PATCH_OP);
      expect(body.Operations).toEqual([
        { op: 'replace', path: `${CUSTOM_SCHEMA}:hireDate`, value: '2024-01-02' },
      ]);
    }
    const ivo = user('ivo@acme.test');
    expect(ivo?.extension).toEqual({ properties: { role: 'developer' }, hireDate: '2024-01-02' });
    expect(ivo?.givenName).toBe('Ivan');
    const answered = await resource(ivo?.id);
    expect(answered.body).toMatchObject({ hire_date: '2024-01-02', properties: { role: 'developer' } });

    // Read back through the extension, the value matches: the next plan is empty.
    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('deactivates a leaver with active:false; the resource then answers is_blocked true', async () => {
    const kai = user('kai@acme.test');
    hrWith('E-kai', { status: 'leaver', end_date: '2025-05-31' });
    await s.sync();
    const plan = await s.plan();
    expect(opsOf(plan)).toEqual([`deactivate stackspot-scim:${kai?.id}:deactivate`]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const sent = writes();
    expect(calls(sent)).toEqual([`PATCH /scim/Users/${kai?.id}`]);
    expect((sent[0]?.body as PatchBody | undefined)?.Operations).toEqual([
      { op: 'replace', path: 'active', value: false },
    ]);
    // Resources carry no `active`: StackSpot shows a deactivated user as blocked.
    const answered = await resource(kai?.id);
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ userName: 'kai@acme.test', is_blocked: true });
    expect(answered.body).not.toHaveProperty('active');
    // Deactivation is not deletion: the user and its data stay.
    expect(user('kai@acme.test')?.emails).toEqual(kai?.emails);
    expect(user('kai@acme.test')?.extension).toEqual({ hireDate: '2024-01-02' });

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });

  it('deletes a leaver once the policy says delete: DELETE answers 204 and the user is gone', async () => {
    const kai = user('kai@acme.test');
    s.writePolicy({ ...withHireDate, leavers: { action: 'delete' } });
    await s.sync();
    const plan = await s.plan();
    // The account is already blocked; the policy now wants it gone.
    expect(opsOf(plan)).toEqual([`delete stackspot-scim:${kai?.id}:delete`]);
    s.sandbox.clearRequests();
    expect((await s.apply(plan.id)).status).toBe('applied');

    const deletes = writes();
    expect(calls(deletes)).toEqual([`DELETE /scim/Users/${kai?.id}`]);
    expect(deletes[0]?.status).toBe(204);
    expect(user('kai@acme.test')).toBeUndefined();
    expect((await resource(kai?.id)).status).toBe(404);
    expect([...s.sandbox.state.users.values()].map((u) => u.userName).sort()).toEqual([
      'ivo@acme.test',
      'jana@acme.test',
      'lia@acme.test',
    ]);

    await s.sync();
    expect(opsOf(await s.plan())).toEqual([]);
  });
});

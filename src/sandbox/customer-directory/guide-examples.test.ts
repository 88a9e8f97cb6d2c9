import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { customerDirectorySandbox } from './sandbox.js';
import type { CdState } from './state.js';
import { account, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<CdState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const OBJECT_ID = /^[0-9a-f]{24}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Every field the guide's user schema marks Required, with its type; the optional ones typed when present. */
function expectDocumentedUser(value: unknown): void {
  const user = value as Record<string, unknown>;
  expect(user._id).toMatch(OBJECT_ID);
  expect(user.createdAt).toMatch(ISO);
  expect(user.updatedAt).toMatch(ISO);
  for (const field of ['email', 'firstName', 'jobTitle', 'lastName', 'nickname']) {
    expect(typeof user[field]).toBe('string');
  }
  expect(['active', 'inactive', 'pending']).toContain(user.status);
  for (const field of ['seniority', 'department', 'office', 'subdepartment', 'pod']) {
    if (field in user) expect(typeof user[field]).toBe('string');
  }
  if ('isSuperDelegate' in user) expect(typeof user.isSuperDelegate).toBe('boolean');
  expect(user.groupIds === null || Array.isArray(user.groupIds)).toBe(true);
  if ('superDelegatePermissions' in user) expect(typeof user.superDelegatePermissions).toBe('object');
}

describe('customer-directory guide examples', () => {
  it('each documented request answers 200 with the documented user shape', async () => {
    sandbox = await startSandbox(customerDirectorySandbox, {
      seed: 5,
      company: company([
        account('ana', { externalId: '00u1ana', admin: true, groups: ['Ops'] }),
        account('bo'),
        account('cy'),
      ]),
    });
    const cid = sandbox.credentials.tenant;
    const ana = idOf(sandbox, 'ana');

    // get /api/v1/customers/{customerId}/users
    const list = await call(sandbox, 'GET', `/api/v1/customers/${cid}/users?integration=okta&search=acme`);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(3);
    for (const user of list.body as unknown[]) expectDocumentedUser(user);

    // get /api/v1/customers/{customerId}/users/lookup
    const lookup = await call(
      sandbox,
      'GET',
      `/api/v1/customers/${cid}/users/lookup?type=okta&value=00u1ana`,
    );
    expect(lookup.status).toBe(200);
    expectDocumentedUser(lookup.body);

    // get /api/v1/customers/{customerId}/users/{userId}
    const get = await call(sandbox, 'GET', `/api/v1/customers/${cid}/users/${ana}`);
    expect(get.status).toBe(200);
    expectDocumentedUser(get.body);

    // patch /api/v1/customers/{customerId}/users/{userId}
    const v1 = await call(sandbox, 'PATCH', `/api/v1/customers/${cid}/users/${ana}`, {
      delegateIds: [idOf(sandbox, 'bo')],
      firstName: 'Ana',
      email: 'ana@acme.test',
      jobTitle: 'CTO',
      lastName: 'Tester',
      nickname: '',
      roleIds: [],
      seniority: 'Senior',
      department: 'Engineering',
      office: 'Porto',
      subdepartment: 'Platform',
      pod: 'Core',
    });
    expect(v1.status).toBe(200);
    expectDocumentedUser(v1.body);

    // patch /api/v2/customers/{customerId}/users/{userId}
    const v2 = await call(sandbox, 'PATCH', `/api/v2/customers/${cid}/users/${ana}`, {
      jobTitle: 'VP Engineering',
      seniority: 'Executive',
    });
    expect(v2.status).toBe(200);
    expectDocumentedUser(v2.body);

    // delete /api/v1/customers/{customerId}/users/{userId}
    const del = await call(
      sandbox,
      'DELETE',
      `/api/v1/customers/${cid}/users/${idOf(sandbox, 'cy')}?isForwarded=false`,
    );
    expect(del.status).toBe(200);
    expectDocumentedUser(del.body);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { customerDirectorySandbox } from './sandbox.js';
import type { CdState } from './state.js';
import { type Answer, account, admin, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<CdState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

type User = Record<string, unknown>;

const sample = () =>
  company(
    [
      account('ana', { externalId: '00u1ana', admin: true, role: 'Manager', groups: ['Engineering'] }),
      account('bo', { firstName: 'Bo', lastName: 'Lindqvist', state: 'inactive', title: 'Designer' }),
      account('cy', { firstName: 'Cy', lastName: 'Park', state: 'invited', department: 'Sales' }),
      account('dee', { state: 'deleted' }),
    ],
    ['Manager', 'Member'],
    ['Engineering', 'Sales'],
  );

async function start(seed = 3, undocumented: string[] = []): Promise<SandboxHandle<CdState>> {
  sandbox = await startSandbox(customerDirectorySandbox, { seed, company: sample(), undocumented });
  return sandbox;
}
const LISTS = ['roles-endpoint', 'groups-endpoint'];

const users = (answer: Answer) => answer.body as User[];

describe('customer-directory auth', () => {
  it('takes the access token as "Bearer <token>" or as the bare header value', async () => {
    const sb = await start();
    const bearer = await call(sb, 'GET', '~/users?integration=okta');
    const bare = await call(sb, 'GET', '~/users?integration=okta', undefined, {
      authorization: sb.credentials.token,
    });
    expect(bearer.status).toBe(200);
    expect(bare.status).toBe(200);
  });

  it('a missing or wrong token is a 401 in the error shape', async () => {
    const sb = await start();
    expect((await call(sb, 'GET', '~/users?integration=okta', undefined, {})).status).toBe(401);
    const wrong = await call(sb, 'GET', '~/users?integration=okta', undefined, {
      authorization: 'Bearer nope',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid access token' });
  });

  it('the token is scoped to one customer: another customerId is a 403, a malformed one a 400', async () => {
    const sb = await start();
    const other = await call(sb, 'GET', '/api/v1/customers/0123456789abcdef01234567/users?integration=okta');
    expect(other.status).toBe(403);
    const malformed = await call(sb, 'GET', '/api/v1/customers/acme/users?integration=okta');
    expect(malformed.status).toBe(400);
  });
});

describe('customer-directory list users', () => {
  it('integration is required and a missing or unknown value is a 400 naming the allowed values', async () => {
    const sb = await start();
    const missing = await call(sb, 'GET', '~/users');
    expect(missing.status).toBe(400);
    expect((missing.body as { message: string }).message).toContain(
      'okta, google, azure-ad, bamboohr, slack',
    );
    expect((await call(sb, 'GET', '~/users?integration=workday')).status).toBe(400);
  });

  it('answers a bare JSON array by default, and { users } when listShape is object', async () => {
    const sb = await start();
    const bare = await call(sb, 'GET', '~/users?integration=google');
    expect(Array.isArray(bare.body)).toBe(true);
    await admin(sb, 'PUT', '/customer-directory/config', { listShape: 'object' });
    const wrapped = await call(sb, 'GET', '~/users?integration=google');
    expect(Object.keys(wrapped.body as object)).toEqual(['users']);
    expect((wrapped.body as { users: User[] }).users).toHaveLength(3);
  });

  it('has no pagination: every user comes back in one answer', async () => {
    const many = Array.from({ length: 450 }, (_, i) => account(`u${i}`));
    sandbox = await startSandbox(customerDirectorySandbox, { seed: 3, company: company(many) });
    const answer = await call(sandbox, 'GET', '~/users?integration=okta');
    expect(users(answer)).toHaveLength(450);
  });

  it('search matches first name, last name, nickname and email, case-insensitively', async () => {
    const sb = await start();
    await call(sb, 'PATCH', `~/users/${idOf(sb, 'cy')}`, { nickname: 'Skipper' });
    const emails = async (q: string) =>
      users(await call(sb, 'GET', `~/users?integration=okta&search=${encodeURIComponent(q)}`)).map(
        (u) => u.email,
      );
    expect(await emails('LINDQ')).toEqual(['bo@acme.test']);
    expect(await emails('bo')).toEqual(['bo@acme.test']);
    expect(await emails('skip')).toEqual(['cy@acme.test']);
    expect(await emails('ANA@ACME')).toEqual(['ana@acme.test']);
    expect(await emails('acme.test')).toHaveLength(3);
    expect(await emails('nobody')).toEqual([]);
  });

  it('integration does not filter by default, and does when integrationFilters is on', async () => {
    const sb = await start();
    expect(users(await call(sb, 'GET', '~/users?integration=okta'))).toHaveLength(3);
    await admin(sb, 'PUT', '/customer-directory/config', { integrationFilters: true });
    expect(users(await call(sb, 'GET', '~/users?integration=okta')).map((u) => u.email)).toEqual([
      'ana@acme.test',
    ]);
  });
});

describe('customer-directory planted company', () => {
  it('maps admin, role, groups and state into the app shape and leaves deleted accounts out', async () => {
    const sb = await start(3, LISTS);
    expect(sb.state.keys.has('dee')).toBe(false);
    const roles = (await call(sb, 'GET', '~/roles')).body as { _id: string; name: string }[];
    const groups = (await call(sb, 'GET', '~/groups')).body as { _id: string; name: string }[];
    const roleId = (name: string) => roles.find((r) => r.name === name)?._id;
    expect(roles.map((r) => r.name).sort()).toEqual(['Admin', 'Manager', 'Member']);
    const ana = (await call(sb, 'GET', `~/users/${idOf(sb, 'ana')}`)).body as User;
    expect(ana.isSuperDelegate).toBe(true);
    expect(ana.superDelegatePermissions).toBeTypeOf('object');
    expect(ana.roleIds).toEqual([roleId('Admin'), roleId('Manager')]);
    expect(ana.groupIds).toEqual([groups.find((g) => g.name === 'Engineering')?._id]);
    expect(ana.status).toBe('active');
    const bo = (await call(sb, 'GET', `~/users/${idOf(sb, 'bo')}`)).body as User;
    expect(bo.status).toBe('inactive');
    expect(bo.jobTitle).toBe('Designer');
    expect('isSuperDelegate' in bo).toBe(false);
    expect(bo.groupIds).toBeNull();
    const cy = (await call(sb, 'GET', `~/users/${idOf(sb, 'cy')}`)).body as User;
    expect(cy.status).toBe('pending');
    expect(cy.department).toBe('Sales');
    expect('seniority' in cy).toBe(false);
  });

  it('ids are 24-hex and the same for the same seed', async () => {
    const first = await start(9);
    const id = idOf(first, 'ana');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    await first.close();
    const second = await start(9);
    expect(idOf(second, 'ana')).toBe(id);
  });
});

describe('customer-directory lookup', () => {
  it('finds a user by an external identity given as type/value query parameters', async () => {
    const sb = await start();
    const found = await call(sb, 'GET', '~/users/lookup?type=okta&value=00u1ana');
    expect(found.status).toBe(200);
    expect((found.body as User)._id).toBe(idOf(sb, 'ana'));
  });

  it('email lookups ignore case and follow an email changed by PATCH', async () => {
    const sb = await start();
    const found = await call(sb, 'GET', '~/users/lookup?type=email&value=BO%40Acme.Test');
    expect((found.body as User)._id).toBe(idOf(sb, 'bo'));
    await call(sb, 'PATCH', `~/users/${idOf(sb, 'bo')}`, { email: 'bo.l@acme.test' });
    expect((await call(sb, 'GET', '~/users/lookup?type=email&value=bo%40acme.test')).status).toBe(404);
    expect((await call(sb, 'GET', '~/users/lookup?type=email&value=bo.l%40acme.test')).status).toBe(200);
  });

  it('no matching identity is a 404; a missing or unknown type is a 400', async () => {
    const sb = await start();
    expect((await call(sb, 'GET', '~/users/lookup?type=okta&value=00U1ANA')).status).toBe(404);
    expect((await call(sb, 'GET', '~/users/lookup?type=google&value=00u1ana')).status).toBe(404);
    expect((await call(sb, 'GET', '~/users/lookup?value=00u1ana')).status).toBe(400);
    expect((await call(sb, 'GET', '~/users/lookup?type=github&value=x')).status).toBe(400);
    expect((await call(sb, 'GET', '~/users/lookup?type=okta')).status).toBe(400);
  });

  it('a customerId query parameter naming another customer is a 403', async () => {
    const sb = await start();
    const answer = await call(
      sb,
      'GET',
      '~/users/lookup?type=okta&value=00u1ana&customerId=0123456789abcdef01234567',
    );
    expect(answer.status).toBe(403);
  });
});

describe('customer-directory get, patch, delete', () => {
  it('a malformed userId is a 400 and an unknown one a 404', async () => {
    const sb = await start();
    expect((await call(sb, 'GET', '~/users/not-an-id')).status).toBe(400);
    const unknown = await call(sb, 'GET', '~/users/0123456789abcdef01234567');
    expect(unknown.status).toBe(404);
    expect((unknown.body as { error: string }).error).toBe('Not Found');
  });

  it('PATCH changes only the fields that are set and moves updatedAt', async () => {
    const sb = await start();
    await admin(sb, 'PUT', '/clock', { now: '2030-05-05T10:00:00.000Z' });
    const id = idOf(sb, 'bo');
    const answer = await call(sb, 'PATCH', `~/users/${id}`, { jobTitle: 'Lead Designer', office: 'Lisbon' });
    expect(answer.status).toBe(200);
    const user = answer.body as User;
    expect(user.jobTitle).toBe('Lead Designer');
    expect(user.office).toBe('Lisbon');
    expect(user.firstName).toBe('Bo');
    expect(user.updatedAt).toBe('2030-05-05T10:00:00Z');
    expect(user.createdAt).toBe('2025-01-15T09:00:00Z');
  });

  it('the role and group lists are not in the guide: unknown paths unless their flags are on', async () => {
    const sb = await start();
    expect((await call(sb, 'GET', '~/roles')).status).toBe(404);
    expect((await call(sb, 'GET', '~/groups')).status).toBe(404);
    await sb.close();
    sandbox = await startSandbox(customerDirectorySandbox, {
      seed: 3,
      company: sample(),
      undocumented: ['roles-endpoint'],
    });
    expect((await call(sandbox, 'GET', '~/roles')).status).toBe(200);
    expect((await call(sandbox, 'GET', '~/groups')).status).toBe(404);
  });

  it('a flag the sandbox does not have is an error naming the ones it has', async () => {
    await expect(
      startSandbox(customerDirectorySandbox, {
        seed: 3,
        company: sample(),
        undocumented: ['courses-endpoint'],
      }),
    ).rejects.toThrow(/no undocumented flag "courses-endpoint" \(known: roles-endpoint, groups-endpoint\)/);
  });

  it('PATCH roleIds replaces the roles, and an unknown role id is a 400', async () => {
    const sb = await start(3, LISTS);
    const roles = (await call(sb, 'GET', '~/roles')).body as { _id: string; name: string }[];
    const member = roles.find((r) => r.name === 'Member')?._id;
    const id = idOf(sb, 'ana');
    const answer = await call(sb, 'PATCH', `/api/v2/customers/${sb.credentials.tenant}/users/${id}`, {
      roleIds: [member],
    });
    expect((answer.body as User).roleIds).toEqual([member]);
    expect((await call(sb, 'PATCH', `~/users/${id}`, { roleIds: ['0123456789abcdef01234567'] })).status).toBe(
      400,
    );
  });

  it('v1 PATCH sets delegateIds; v2 has no delegateIds and silently ignores it', async () => {
    const sb = await start();
    const ana = idOf(sb, 'ana');
    const bo = idOf(sb, 'bo');
    const v1 = await call(sb, 'PATCH', `~/users/${ana}`, { delegateIds: [bo] });
    expect((v1.body as User).delegateIds).toEqual([bo]);
    const v2 = await call(sb, 'PATCH', `/api/v2/customers/${sb.credentials.tenant}/users/${ana}`, {
      delegateIds: [],
      nickname: 'A',
    });
    expect(v2.status).toBe(200);
    expect((v2.body as User).delegateIds).toEqual([bo]);
    expect((v2.body as User).nickname).toBe('A');
  });

  it('PATCH rejects a bad email, a null value and another user email', async () => {
    const sb = await start();
    const id = idOf(sb, 'bo');
    expect((await call(sb, 'PATCH', `~/users/${id}`, { email: 'not-an-email' })).status).toBe(400);
    expect((await call(sb, 'PATCH', `~/users/${id}`, { department: null })).status).toBe(400);
    expect((await call(sb, 'PATCH', `~/users/${id}`, { email: 'ANA@acme.test' })).status).toBe(409);
  });

  it('DELETE answers the deleted user, ignores the forwarding query parameters, and a second DELETE is 404', async () => {
    const sb = await start();
    const id = idOf(sb, 'bo');
    const first = await call(
      sb,
      'DELETE',
      `~/users/${id}?isForwarded=true&originalPrincipalClientId=c1&originalPrincipalCustomerId=x&originalPrincipalUserId=y`,
    );
    expect(first.status).toBe(200);
    expect((first.body as User)._id).toBe(id);
    expect((first.body as User).email).toBe('bo@acme.test');
    expect((await call(sb, 'GET', `~/users/${id}`)).status).toBe(404);
    expect((await call(sb, 'DELETE', `~/users/${id}`)).status).toBe(404);
    expect(users(await call(sb, 'GET', '~/users?integration=okta'))).toHaveLength(2);
  });

  it('there is no create endpoint: POST /users is a 404', async () => {
    const sb = await start();
    const answer = await call(sb, 'POST', '~/users', {
      email: 'new@acme.test',
      firstName: 'N',
      lastName: 'U',
    });
    expect(answer.status).toBe(404);
    expect(sb.state.users.size).toBe(3);
  });
});

describe('customer-directory admin', () => {
  it('an admin-created user (as the product UI would) lists and looks up by its identities', async () => {
    const sb = await start();
    const created = await admin(sb, 'POST', '/customer-directory/users', {
      email: 'eve@acme.test',
      firstName: 'Eve',
      lastName: 'Adams',
      identities: [{ type: 'google', value: 'g-123' }],
    });
    expect(created.status).toBe(201);
    const found = await call(sb, 'GET', '~/users/lookup?type=google&value=g-123');
    expect((found.body as User).email).toBe('eve@acme.test');
    expect(users(await call(sb, 'GET', '~/users?integration=okta'))).toHaveLength(4);
  });

  it('state survives a snapshot and restore through the admin API', async () => {
    const sb = await start();
    await call(sb, 'PATCH', `~/users/${idOf(sb, 'bo')}`, { pod: 'Blue' });
    const snap = (await admin(sb, 'GET', '/state')).body;
    await admin(sb, 'POST', '/reset', { empty: true });
    expect(users(await call(sb, 'GET', '~/users?integration=okta'))).toHaveLength(0);
    await admin(sb, 'PUT', '/state', snap);
    const bo = await call(sb, 'GET', '~/users/lookup?type=email&value=bo%40acme.test');
    expect((bo.body as User).pod).toBe('Blue');
    expect((await call(sb, 'GET', '~/users/lookup?type=okta&value=00u1ana')).status).toBe(200);
  });
});

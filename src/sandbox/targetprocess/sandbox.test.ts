import { afterEach, describe, expect, it } from 'vitest';
import type { SampleCompany } from '../kit/company.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../kit/server.js';
import { targetprocessSandbox } from './sandbox.js';
import type { TargetprocessState } from './state.js';
import { manyAccounts, sampleCompany } from './testkit.js';

let sandbox: SandboxHandle<TargetprocessState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(
  company: SampleCompany | null = sampleCompany(),
  options: SandboxOptions = {},
): Promise<SandboxHandle<TargetprocessState>> {
  sandbox = await startSandbox(targetprocessSandbox, { seed: 11, company, ...options });
  return sandbox;
}

type Json = Record<string, unknown>;
interface Page {
  Items: Json[];
  Next?: string;
  Prev?: string;
}

/** Calls the API with the bearer token and `format=json` unless the path already names a format. */
async function call(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const s = sandbox!;
  const url = `${s.baseUrl}${path}${path.includes('format=') ? '' : `${path.includes('?') ? '&' : '?'}format=json`}`;
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${s.credentials.token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: json ? JSON.parse(text) : text, headers: res.headers };
}

const where = (clause: string) => `where=${encodeURIComponent(clause)}`;
const ids = (page: unknown) => (page as Page).Items.map((u) => u['Id']);

async function admin(path: string, method: string, body: unknown) {
  const res = await fetch(`${sandbox!.origin}/__admin${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

describe('Targetprocess sandbox: auth', () => {
  it('accepts a Bearer token, an access_token query parameter and Basic login:password', async () => {
    const s = await start();
    const bearer = await fetch(`${s.baseUrl}/Users?format=json`, {
      headers: { authorization: `Bearer ${s.credentials.token}` },
    });
    const query = await fetch(`${s.baseUrl}/Users?format=json&access_token=${s.credentials.token}`);
    const basic = await fetch(`${s.baseUrl}/Users?format=json`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${s.credentials.username}:${s.credentials.password}`).toString('base64')}`,
      },
    });
    expect([bearer.status, query.status, basic.status]).toEqual([200, 200, 200]);
  });

  it('anything else is a 401 in the Targetprocess error shape', async () => {
    const s = await start();
    const none = await fetch(`${s.baseUrl}/Users?format=json`);
    const wrong = await fetch(`${s.baseUrl}/Users?format=json&access_token=nope`);
    const badBasic = await fetch(`${s.baseUrl}/Users?format=json`, {
      headers: { authorization: `Basic ${Buffer.from('roster.admin:wrong').toString('base64')}` },
    });
    expect([none.status, wrong.status, badBasic.status]).toEqual([401, 401, 401]);
    expect(await none.json()).toEqual({ Status: 'Unauthorized', Message: 'Authentication failed' });
  });
});

describe('Targetprocess sandbox: response format', () => {
  it('answers XML unless format=json or an Accept: application/json header asks for JSON', async () => {
    const s = await start();
    const auth = { authorization: `Bearer ${s.credentials.token}` };
    const xml = await fetch(`${s.baseUrl}/Users/2`, { headers: auth });
    expect(xml.headers.get('content-type')).toMatch(/application\/xml/);
    const text = await xml.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<User Id="2">/);
    expect(text).toContain('<FirstName>Jane</FirstName>');
    expect(text).toContain('<DeleteDate nil="true" />');
    const accept = await fetch(`${s.baseUrl}/Users/2`, { headers: { ...auth, accept: 'application/json' } });
    expect(((await accept.json()) as Json)['FirstName']).toBe('Jane');
    const forcedXml = await fetch(`${s.baseUrl}/Users/2?format=xml`, {
      headers: { ...auth, accept: 'application/json' },
    });
    expect(forcedXml.headers.get('content-type')).toMatch(/xml/);
  });

  it('an XML list carries Next and Prev as attributes of the root element', async () => {
    const s = await start();
    const res = await fetch(`${s.baseUrl}/Users?take=2&skip=2`, {
      headers: { authorization: `Bearer ${s.credentials.token}` },
    });
    const text = await res.text();
    expect(text).toMatch(/<Users Next="[^"]*skip=4" Prev="[^"]*skip=0"><User Id="3">/);
  });

  it('JSON dates use the /Date(ms+0000)/ form unless the isoDates flag is on', async () => {
    await start();
    const user = (await call('/Users/2')).body as Json;
    expect(user['CreateDate']).toBe(`/Date(${Date.parse('2024-01-10T09:00:00.000Z')}+0000)/`);
    await admin('/targetprocess/settings', 'PUT', { isoDates: true });
    const iso = (await call('/Users/2')).body as Json;
    expect(iso['CreateDate']).toBe('2024-01-10T09:00:00.000Z');
  });
});

describe('Targetprocess sandbox: paging', () => {
  it('pages of 25 by default with a Next URL, no Prev on the first page and no Next on the last', async () => {
    await start(sampleCompany(manyAccounts(45)));
    const first = (await call('/Users')).body as Page;
    expect(first.Items).toHaveLength(25);
    expect(first.Prev).toBeUndefined();
    expect(first.Next).toMatch(/\/api\/v1\/Users\?format=json&take=25&skip=25$/);
    const next = await fetch(first.Next!, {
      headers: { authorization: `Bearer ${sandbox!.credentials.token}` },
    });
    const last = (await next.json()) as Page;
    expect(last.Items).toHaveLength(25);
    expect(last.Items[0]?.['Id']).toBe(26);
    expect(last.Prev).toMatch(/take=25&skip=0$/);
    expect(last.Next).toBeUndefined();
  });

  it('a take above 1000 is silently clamped to 1000, Next link included', async () => {
    await start(sampleCompany(manyAccounts(1200)));
    const page = (await call('/Users?take=5000')).body as Page;
    expect(page.Items).toHaveLength(1000);
    const next = new URL(page.Next!);
    expect([next.searchParams.get('take'), next.searchParams.get('skip')]).toEqual(['1000', '1000']);
  });

  it('Next keeps the where and include parameters of the request', async () => {
    await start(sampleCompany(manyAccounts(10)));
    const page = (await call(`/Users?take=3&${where('IsActive eq true')}&include=[Email]`)).body as Page;
    const next = new URL(page.Next!);
    expect(next.searchParams.get('where')).toBe('IsActive eq true');
    expect(next.searchParams.get('include')).toBe('[Email]');
    expect(next.searchParams.get('skip')).toBe('3');
  });

  it('pages after the first drift when a record lands meanwhile (the client sees one twice)', async () => {
    await start(sampleCompany(manyAccounts(10)), { faults: { drift: 1, driftKinds: ['insert'] } });
    const first = (await call('/Users?take=5')).body as Page;
    const second = (await call('/Users?take=5&skip=5')).body as Page;
    expect(ids(first)).toEqual([1, 2, 3, 4, 5]);
    expect(ids(second)).toEqual([5, 6, 7, 8, 9]);
  });

  it('a take that is not a positive number is a 400', async () => {
    await start();
    expect((await call('/Users?take=abc')).status).toBe(400);
    expect((await call('/Users?take=0')).status).toBe(400);
    expect((await call('/Users?skip=-1')).status).toBe(400);
  });
});

describe('Targetprocess sandbox: fields', () => {
  it('a user without include has only the default fields: no Role, no Teams', async () => {
    await start();
    const user = (await call('/Users/2')).body as Json;
    expect(Object.keys(user).sort()).toEqual(
      [
        'Id',
        'FirstName',
        'LastName',
        'Email',
        'Login',
        'IsActive',
        'IsAdministrator',
        'CreateDate',
        'ModifyDate',
        'DeleteDate',
        'Kind',
      ].sort(),
    );
    expect(user['Kind']).toBe('GeneralUser');
  });

  it('include=[Role,Teams] returns ONLY those fields plus Id, Teams as an Items collection', async () => {
    await start();
    const user = (await call('/Users/2?include=[Role,Teams]')).body as Json;
    expect(user).toEqual({
      Id: 2,
      Role: { Id: 2, Name: 'Developer' },
      Teams: {
        Items: [
          { Id: 10, Name: 'Alpha Team' },
          { Id: 11, Name: 'Beta Team' },
        ],
      },
    });
  });

  it('inner field lists and exclude work; an unknown field is a 400', async () => {
    await start();
    expect((await call('/Users/2?include=[Email,Role[Name]]')).body).toEqual({
      Id: 2,
      Email: 'jane@acme.com',
      Role: { Id: 2, Name: 'Developer' },
    });
    const excluded = (await call('/Users/2?exclude=[Email,Login]')).body as Json;
    expect(excluded['Email']).toBeUndefined();
    expect(excluded['FirstName']).toBe('Jane');
    expect((await call('/Users/2?include=[Nope]')).status).toBe(400);
    expect((await call('/Users/2?include=[Password]')).status).toBe(400);
  });

  it('a user with no role answers Role: null when asked for it', async () => {
    await start();
    expect((await call('/Users/5?include=[Role]')).body).toEqual({ Id: 5, Role: null });
  });
});

describe('Targetprocess sandbox: where', () => {
  it('finds a user by email, ignoring case', async () => {
    await start();
    expect(ids((await call(`/Users?${where("Email eq 'JANE@acme.com'")}`)).body)).toEqual([2]);
  });

  it("an apostrophe in a value is escaped with a backslash (o\\'brien@acme.com)", async () => {
    await start();
    const found = await call(`/Users?${where("(Email eq 'o\\'brien@acme.com')")}`);
    expect(ids(found.body)).toEqual([5]);
  });

  it("an OData-style doubled quote ('o''brien') is a malformed clause", async () => {
    await start();
    const res = await call(`/Users?${where("Email eq 'o''brien@acme.com'")}`);
    expect(res.status).toBe(400);
  });

  it('a malformed clause, an unknown field or `or` is a 400 with a terse message', async () => {
    await start();
    for (const clause of [
      "(Email eq 'x'",
      'Email eq',
      "(Nope eq 'x')",
      "(Email eq 'a') or (Id eq 1)",
      'Id eq',
    ]) {
      const res = await call(`/Users?${where(clause)}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ Status: 'BadRequest', Message: 'Invalid where clause' });
    }
  });

  it('supports and (any case, brackets optional), ne, gt/lt, is (not) null, dotted paths, true/false', async () => {
    await start();
    expect(
      ids((await call(`/Users?${where('(IsActive eq true) AND (IsAdministrator eq false)')}`)).body),
    ).toEqual([2, 4, 5]);
    expect(ids((await call(`/Users?${where("IsActive eq 'false'")}`)).body)).toEqual([3]);
    expect(ids((await call(`/Users?${where('Id gt 1 and Id lte 3')}`)).body)).toEqual([2, 3]);
    expect(ids((await call(`/Users?${where("Role.Name eq 'Developer'")}`)).body)).toEqual([2, 4]);
    expect(ids((await call(`/Users?${where('Role.Id eq 1')}`)).body)).toEqual([1]);
    expect(ids((await call(`/Users?${where('Role is null')}`)).body)).toEqual([5]);
    expect(ids((await call(`/Users?${where('DeleteDate is not null')}`)).body)).toEqual([4]);
    expect(ids((await call(`/Users?${where("FirstName ne 'Jane'")}`)).body)).toEqual([1, 3, 4, 5]);
    expect(ids((await call(`/Users?${where('Id in (1,3)')}`)).body)).toEqual([1, 3]);
  });

  it('a ModifyDate filter takes a quoted ISO 8601 timestamp and needs correct URL encoding', async () => {
    await start();
    await admin('/clock', 'PUT', { now: '2030-01-01T00:00:00.000Z' });
    await call('/Users/3', { method: 'POST', body: { LastName: 'Changed' } });
    const encoded = await call(`/Users?${where("ModifyDate gt '2029-12-31T00:00:00'")}`);
    expect(ids(encoded.body)).toEqual([3]);
    // A raw `+` in a query string is a space: an unencoded offset breaks the timestamp.
    const raw = await call("/Users?where=(ModifyDate gt '2029-12-31T00:00:00+00:00')");
    expect(raw.status).toBe(400);
  });

  it('finds one user among 100k by email through the index', async () => {
    await start(sampleCompany(manyAccounts(100_000)));
    const res = await call(`/Users?${where("Email eq 'person99999@acme.com'")}&include=[Email]`);
    expect((res.body as Page).Items).toEqual([{ Id: 100_004, Email: 'person99999@acme.com' }]);
  });
});

describe('Targetprocess sandbox: deleted users', () => {
  it('DELETE is soft: 200 {}, the record is retained with DeleteDate and still lists without a DeleteDate filter', async () => {
    await start();
    const del = await call('/Users/2', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({});
    const user = (await call('/Users/2')).body as Json;
    expect(user['DeleteDate']).toMatch(/^\/Date\(\d+\+0000\)\/$/);
    expect(user['IsActive']).toBe(true);
    expect(ids((await call('/Users')).body)).toContain(2);
    expect(ids((await call(`/Users?${where('DeleteDate is null')}`)).body)).toEqual([1, 3, 5]);
  });

  it('a second DELETE of the same user is a 404 and leaves DeleteDate as it was', async () => {
    await start();
    const before = ((await call('/Users/4')).body as Json)['DeleteDate'];
    const again = await call('/Users/4', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ Status: 'NotFound', Message: 'User with Id 4 is already deleted' });
    expect(((await call('/Users/4')).body as Json)['DeleteDate']).toBe(before);
  });

  it('the excludeDeletedByDefault flag hides deleted users unless the clause names DeleteDate', async () => {
    await start();
    await admin('/targetprocess/settings', 'PUT', { excludeDeletedByDefault: true });
    expect(ids((await call('/Users')).body)).toEqual([1, 2, 3, 5]);
    expect(ids((await call(`/Users?${where('DeleteDate is not null')}`)).body)).toEqual([4]);
    expect((await call('/Users/4')).status).toBe(200);
  });

  it('a deleted user keeps its email: creating another user with it is a 400', async () => {
    await start();
    const res = await call('/Users', {
      method: 'POST',
      body: { FirstName: 'Leo', LastName: 'Again', Email: 'leo@acme.com', Login: 'leo2', Password: 'x1!' },
    });
    expect(res.status).toBe(400);
    expect((res.body as Json)['Message']).toMatch(/already in use/);
  });
});

describe('Targetprocess sandbox: create and update', () => {
  const john = { FirstName: 'John', LastName: 'Smith', Email: 'john@example.com', Login: 'john.smith' };

  it('POST /Users creates with 200; Password is required and never returned', async () => {
    await start();
    const missing = await call('/Users', { method: 'POST', body: john });
    expect(missing.status).toBe(400);
    expect((missing.body as Json)['Message']).toBe('Password is required');
    const created = await call('/Users', { method: 'POST', body: { ...john, Password: 'SecurePass1!' } });
    expect(created.status).toBe(200);
    const body = created.body as Json;
    expect(body['Id']).toBe(6);
    expect(body['IsActive']).toBe(true);
    expect(body['Password']).toBeUndefined();
    expect(JSON.stringify((await call('/Users/6?include=[Email,Login]')).body)).not.toContain('SecurePass1!');
  });

  it('with the sso flag on, POST /Users needs no Password', async () => {
    await start();
    await admin('/targetprocess/settings', 'PUT', { sso: true });
    expect((await call('/Users', { method: 'POST', body: john })).status).toBe(200);
  });

  it('each of FirstName, LastName, Email and Login is required on create', async () => {
    await start();
    for (const field of ['FirstName', 'LastName', 'Email', 'Login'] as const) {
      const body: Json = { ...john, Password: 'p' };
      delete body[field];
      const res = await call('/Users', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect((res.body as Json)['Message']).toBe(`${field} is required`);
    }
  });

  it('Email must be unique, case-insensitively', async () => {
    await start();
    const res = await call('/Users', {
      method: 'POST',
      body: { ...john, Email: 'Jane@ACME.com', Password: 'p' },
    });
    expect(res.status).toBe(400);
    expect((res.body as Json)['Message']).toBe("Email 'Jane@ACME.com' is already in use");
  });

  it('Login must be unique too, case-insensitively', async () => {
    await start();
    const res = await call('/Users', { method: 'POST', body: { ...john, Login: 'JANE.DOE', Password: 'p' } });
    expect(res.status).toBe(400);
    expect((res.body as Json)['Message']).toBe("Login 'JANE.DOE' is already in use");
  });

  it('Role is set by {Id} only: a name or an unknown Id is a 400', async () => {
    await start();
    const byName = await call('/Users', {
      method: 'POST',
      body: { ...john, Password: 'p', Role: { Name: 'Developer' } },
    });
    expect(byName.status).toBe(400);
    const unknown = await call('/Users', {
      method: 'POST',
      body: { ...john, Password: 'p', Role: { Id: 99 } },
    });
    expect(unknown.status).toBe(400);
    const ok = await call('/Users', { method: 'POST', body: { ...john, Password: 'p', Role: { Id: 2 } } });
    const id = (ok.body as Json)['Id'];
    expect((await call(`/Users/${id}?include=[Role]`)).body).toEqual({
      Id: id,
      Role: { Id: 2, Name: 'Developer' },
    });
  });

  it('POST /Users/{id} updates only the given fields and bumps ModifyDate', async () => {
    await start();
    const before = (await call('/Users/2')).body as Json;
    await admin('/clock', 'PUT', { advanceMs: 60_000 });
    const res = await call('/Users/2', { method: 'POST', body: { FirstName: 'Jonathan', IsActive: false } });
    expect(res.status).toBe(200);
    const after = (await call('/Users/2')).body as Json;
    expect(after['FirstName']).toBe('Jonathan');
    expect(after['IsActive']).toBe(false);
    expect(after['LastName']).toBe(before['LastName']);
    expect(after['Email']).toBe(before['Email']);
    expect(after['ModifyDate']).not.toBe(before['ModifyDate']);
    expect(after['CreateDate']).toBe(before['CreateDate']);
  });

  it('a POST to /Users whose body carries an Id updates that user, as the real API does', async () => {
    await start();
    await call('/Users', { method: 'POST', body: { Id: 3, LastName: 'Updated' } });
    expect(((await call('/Users/3')).body as Json)['LastName']).toBe('Updated');
    expect(sandbox!.state.users).toHaveLength(5);
  });

  it('PUT and PATCH are 405: updates are POSTs', async () => {
    await start();
    expect((await call('/Users/2', { method: 'PUT', body: { FirstName: 'X' } })).status).toBe(405);
    expect((await call('/Users/2', { method: 'PATCH', body: { FirstName: 'X' } })).status).toBe(405);
    expect(((await call('/Users/2')).body as Json)['FirstName']).toBe('Jane');
  });

  it('an unknown user is a 404', async () => {
    await start();
    expect((await call('/Users/999')).status).toBe(404);
    expect((await call('/Users/999', { method: 'POST', body: { FirstName: 'X' } })).status).toBe(404);
    expect((await call('/Users/999', { method: 'DELETE' })).status).toBe(404);
  });

  it('Teams in a user body are ignored: membership is managed through TeamMembers', async () => {
    await start();
    await call('/Users/3', { method: 'POST', body: { Teams: { Items: [{ Id: 10 }] } } });
    expect((await call('/Users/3?include=[Teams]')).body).toEqual({ Id: 3, Teams: { Items: [] } });
  });
});

describe('Targetprocess sandbox: roles, teams and team members', () => {
  it('lists roles and teams with Ids that user and membership writes take', async () => {
    await start();
    expect(((await call('/Roles')).body as Page).Items).toEqual([
      { Id: 1, Name: 'Administrator' },
      { Id: 2, Name: 'Developer' },
      { Id: 3, Name: 'QA Engineer' },
    ]);
    expect(((await call('/Teams')).body as Page).Items).toEqual([
      { Id: 10, Name: 'Alpha Team' },
      { Id: 11, Name: 'Beta Team' },
    ]);
  });

  it('TeamMembers filter by User.Id and by Team.Id', async () => {
    await start();
    const byUser = (await call(`/TeamMembers?${where('(User.Id eq 2)')}`)).body as Page;
    expect(byUser.Items.map((m) => (m['Team'] as Json)['Name'])).toEqual(['Alpha Team', 'Beta Team']);
    expect(byUser.Items[0]).toEqual({
      Id: 2,
      User: { Id: 2, FirstName: 'Jane', LastName: 'Doe' },
      Team: { Id: 10, Name: 'Alpha Team' },
    });
    const byTeam = (await call(`/TeamMembers?${where('(Team.Id eq 11)')}`)).body as Page;
    expect(byTeam.Items.map((m) => (m['User'] as Json)['Id'])).toEqual([2, 4]);
  });

  it('POST and DELETE /TeamMembers change membership without bumping the user ModifyDate', async () => {
    await start();
    const before = ((await call('/Users/3')).body as Json)['ModifyDate'];
    await admin('/clock', 'PUT', { advanceMs: 60_000 });
    const added = await call('/TeamMembers', { method: 'POST', body: { User: { Id: 3 }, Team: { Id: 10 } } });
    expect(added.status).toBe(200);
    const memberId = (added.body as Json)['Id'];
    expect((await call('/Users/3?include=[Teams]')).body).toEqual({
      Id: 3,
      Teams: { Items: [{ Id: 10, Name: 'Alpha Team' }] },
    });
    expect(((await call('/Users/3')).body as Json)['ModifyDate']).toBe(before);
    const removed = await call(`/TeamMembers/${memberId}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({});
    expect((await call(`/TeamMembers/${memberId}`)).status).toBe(404);
    expect(((await call('/Users/3')).body as Json)['ModifyDate']).toBe(before);
  });

  it('a duplicate membership, an unknown user or an unknown team is a 400', async () => {
    await start();
    const dup = await call('/TeamMembers', { method: 'POST', body: { User: { Id: 2 }, Team: { Id: 10 } } });
    const noUser = await call('/TeamMembers', {
      method: 'POST',
      body: { User: { Id: 99 }, Team: { Id: 10 } },
    });
    const noTeam = await call('/TeamMembers', {
      method: 'POST',
      body: { User: { Id: 2 }, Team: { Id: 99 } },
    });
    expect([dup.status, noUser.status, noTeam.status]).toEqual([400, 400, 400]);
  });
});

describe('Targetprocess sandbox: seeding and admin', () => {
  it('maps planted accounts: admin, role, teams, inactive and soft-deleted', async () => {
    const s = await start();
    const all = (await call('/Users?include=[Email,IsActive,IsAdministrator,DeleteDate,Role,Teams]'))
      .body as Page;
    const byEmail = new Map(all.Items.map((u) => [u['Email'], u]));
    expect(byEmail.get('ada@acme.com')).toMatchObject({
      IsAdministrator: true,
      Role: { Name: 'Administrator' },
    });
    expect(byEmail.get('ivan@acme.com')).toMatchObject({ IsActive: false, DeleteDate: null });
    expect(byEmail.get('leo@acme.com')?.['DeleteDate']).toMatch(/^\/Date\(/);
    expect(byEmail.get('leo@acme.com')?.['Teams']).toEqual({ Items: [{ Id: 11, Name: 'Beta Team' }] });
    const key = await fetch(`${s.origin}/__admin/targetprocess/users/by-key/E004`);
    expect(await key.json()).toEqual({ Id: 4 });
    expect(s.summary()).toEqual({
      users: 5,
      deletedUsers: 1,
      inactiveUsers: 1,
      roles: 3,
      teams: 2,
      teamMembers: 4,
    });
  });

  it('an empty sandbox still has the Administrator and Developer roles', async () => {
    await start(null);
    expect(((await call('/Roles')).body as Page).Items.map((r) => r['Name'])).toEqual([
      'Administrator',
      'Developer',
    ]);
    expect(((await call('/Users')).body as Page).Items).toEqual([]);
  });

  it('state round-trips through the admin API as plain JSON, indexes included', async () => {
    const s = await start();
    await call('/Users/2', { method: 'POST', body: { Email: 'jane.new@acme.com' } });
    const state = await (await fetch(`${s.origin}/__admin/state`)).json();
    await admin('/reset', 'POST', { empty: true });
    expect(((await call('/Users')).body as Page).Items).toEqual([]);
    await admin('/state', 'PUT', state);
    expect(ids((await call(`/Users?${where("Email eq 'jane.new@acme.com'")}`)).body)).toEqual([2]);
    const created = await call('/Users', {
      method: 'POST',
      body: { FirstName: 'A', LastName: 'B', Email: 'ab@acme.com', Login: 'ab', Password: 'p' },
    });
    expect((created.body as Json)['Id']).toBe(6);
  });

  it('ids and credentials are the same for the same seed', async () => {
    const a = targetprocessSandbox.credentials(5);
    expect(targetprocessSandbox.credentials(5)).toEqual(a);
    expect(targetprocessSandbox.credentials(6).token).not.toBe(a.token);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { PATCH_OP_SCHEMA } from './patch.js';
import { stackspotScimSandbox } from './sandbox.js';
import { CUSTOM_SCHEMA, type SsState } from './state.js';
import { type Answer, account, admin, call, company, idOf } from './testkit.js';

let sandbox: SandboxHandle<SsState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

type Resource = Record<string, unknown>;
interface ListResponse {
  Resources: Resource[];
  itemsPerPage: number;
  startIndex: number;
  totalResults: number;
  schemas: string[];
}

const sample = () =>
  company([
    account('ana', { externalId: '00u1ana', admin: true, lastLoginAt: null }),
    account('bo', { state: 'inactive', role: 'viewer' }),
    account('cy', { state: 'invited' }),
    account('dee', { state: 'deleted' }),
    account('eli', { firstName: 'Eli', lastName: 'Stone' }),
  ]);

async function start(options: { seed?: number; accounts?: number } = {}): Promise<SandboxHandle<SsState>> {
  const accounts = options.accounts;
  const co =
    accounts === undefined ? sample() : company(Array.from({ length: accounts }, (_, i) => account(`u${i}`)));
  sandbox = await startSandbox(stackspotScimSandbox, { seed: options.seed ?? 4, company: co });
  return sandbox;
}

const list = (answer: Answer) => answer.body as ListResponse;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });

describe('StackSpot auth and tenant', () => {
  it('a missing or wrong bearer token is a 401 SCIM error', async () => {
    const sb = await start();
    const none = await call(sb, 'GET', 'Users', undefined, { 'x-tenant-id': sb.credentials.tenant ?? '' });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '401',
      detail: 'Missing bearer token',
    });
    const wrong = await call(sb, 'GET', 'Users', undefined, {
      authorization: 'Bearer nope',
      'x-tenant-id': sb.credentials.tenant ?? '',
    });
    expect(wrong.status).toBe(401);
  });

  it('the tenant works as the X-Tenant-Id header and as the /{tenant}/scim/Users path', async () => {
    const sb = await start();
    const header = await call(sb, 'GET', 'Users');
    const path = await call(sb, 'GET', `/${sb.credentials.tenant}/scim/Users`, undefined, {
      authorization: `Bearer ${sb.credentials.token}`,
    });
    expect(header.status).toBe(200);
    expect(path.status).toBe(200);
    expect(list(path).totalResults).toBe(list(header).totalResults);
  });

  it('/scim/Users without X-Tenant-Id is a 400', async () => {
    const sb = await start();
    const answer = await call(sb, 'GET', 'Users', undefined, {
      authorization: `Bearer ${sb.credentials.token}`,
    });
    expect(answer.status).toBe(400);
  });

  it('another tenant is a 404 by default and a 403 when wrongTenantStatus is 403', async () => {
    const sb = await start();
    const auth = { authorization: `Bearer ${sb.credentials.token}` };
    expect((await call(sb, 'GET', 'Users', undefined, { ...auth, 'x-tenant-id': 'other' })).status).toBe(404);
    expect((await call(sb, 'GET', '/other/scim/Users', undefined, auth)).status).toBe(404);
    await admin(sb, 'PUT', '/stackspot-scim/config', { wrongTenantStatus: 403 });
    expect((await call(sb, 'GET', '/other/scim/Users', undefined, auth)).status).toBe(403);
  });

  it('there is no /Groups endpoint: 404 as a SCIM error', async () => {
    const sb = await start();
    const answer = await call(sb, 'GET', 'Groups');
    expect(answer.status).toBe(404);
    expect((answer.body as { status: string }).status).toBe('404');
  });
});

describe('StackSpot list', () => {
  it('pages with a 1-based startIndex and a default count of 100', async () => {
    const sb = await start({ accounts: 230 });
    const first = list(await call(sb, 'GET', 'Users'));
    expect(first.Resources).toHaveLength(100);
    expect(first).toMatchObject({ startIndex: 1, itemsPerPage: 100, totalResults: 230 });
    const third = list(await call(sb, 'GET', 'Users?startIndex=201'));
    expect(third.Resources).toHaveLength(30);
    expect(third.Resources[0]?.userName).toBe('u200@dev.acme.test');
    const past = list(await call(sb, 'GET', 'Users?startIndex=400'));
    expect(past.Resources).toEqual([]);
    expect(past.totalResults).toBe(230);
  });

  it('a count above 100 is clamped to 100 without an error', async () => {
    const sb = await start({ accounts: 150 });
    const answer = list(await call(sb, 'GET', 'Users?count=500'));
    expect(answer.Resources).toHaveLength(100);
    expect(answer.itemsPerPage).toBe(100);
  });

  it('itemsPerPage is the page size asked for, not the number of resources on the page', async () => {
    const sb = await start();
    const answer = list(await call(sb, 'GET', 'Users?count=10'));
    expect(answer.Resources).toHaveLength(3);
    expect(answer.itemsPerPage).toBe(10);
  });

  it('a non-numeric count is a 400', async () => {
    const sb = await start();
    expect((await call(sb, 'GET', 'Users?count=ten')).status).toBe(400);
  });

  it('pages after the first can drift: an insert before the window repeats a record', async () => {
    const sb = await start({ accounts: 30 });
    sb.setFaults('clean', { drift: 1, driftKinds: ['insert'] });
    const page1 = list(await call(sb, 'GET', 'Users?count=10')).Resources.map((r) => r.userName);
    const page2 = list(await call(sb, 'GET', 'Users?count=10&startIndex=11')).Resources.map(
      (r) => r.userName,
    );
    expect(page2[0]).toBe(page1[9]);
  });

  it('filter userName eq matches case-insensitively', async () => {
    const sb = await start();
    const answer = list(
      await call(sb, 'GET', `Users?filter=${encodeURIComponent('userName eq "ANA@Dev.Acme.Test"')}`),
    );
    expect(answer.totalResults).toBe(1);
    expect(answer.Resources[0]?.id).toBe(idOf(sb, 'ana'));
    const none = list(
      await call(sb, 'GET', `Users?filter=${encodeURIComponent('userName eq "ana@acme.test"')}`),
    );
    expect(none).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('filter emails.value eq finds users by a work email', async () => {
    const sb = await start();
    const answer = list(
      await call(sb, 'GET', `Users?filter=${encodeURIComponent('emails.value eq "Eli@acme.test"')}`),
    );
    expect(answer.Resources.map((r) => r.id)).toEqual([idOf(sb, 'eli')]);
  });

  it('any other filter is a 400 invalidFilter', async () => {
    const sb = await start();
    for (const filter of [
      'externalId eq "00u1ana"',
      'userName co "ana"',
      'userName eq "a" and active eq true',
    ]) {
      const answer = await call(sb, 'GET', `Users?filter=${encodeURIComponent(filter)}`);
      expect(answer.status).toBe(400);
      expect((answer.body as { scimType: string }).scimType).toBe('invalidFilter');
    }
  });
});

describe('StackSpot planted company', () => {
  it('maps login, email, externalId, state, last login and admin into the StackSpot shape', async () => {
    const sb = await start();
    expect([...sb.state.keys.keys()].sort()).toEqual(['ana', 'bo', 'eli']);
    const ana = (await call(sb, 'GET', `Users/${idOf(sb, 'ana')}`)).body as Resource;
    expect(ana.userName).toBe('ana@dev.acme.test');
    expect(ana.emails).toEqual([{ display: 'Work Email', type: 'work', value: 'ana@acme.test' }]);
    expect(ana.externalId).toBe('00u1ana');
    expect(ana.never_logged).toBe(true);
    expect(ana.required_actions).toEqual(['otp-configure']);
    expect(ana.properties).toEqual({ role: 'admin' });
    expect(ana[CUSTOM_SCHEMA]).toEqual({ properties: { role: 'admin' } });
    expect(ana.is_blocked).toBe(false);
    const bo = (await call(sb, 'GET', `Users/${idOf(sb, 'bo')}`)).body as Resource;
    expect(bo.is_blocked).toBe(true);
    expect(bo.never_logged).toBe(false);
    expect(bo.properties).toEqual({ role: 'viewer' });
    expect('externalId' in bo).toBe(false);
  });

  it('ids are UUIDs and the same for the same seed', async () => {
    const first = await start({ seed: 11 });
    const id = idOf(first, 'ana');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await first.close();
    const second = await start({ seed: 11 });
    expect(idOf(second, 'ana')).toBe(id);
  });
});

describe('StackSpot create, replace, patch, delete', () => {
  it('POST answers 201, and a userName already taken in another case is a 409 uniqueness', async () => {
    const sb = await start();
    const created = await call(sb, 'POST', 'Users', {
      userName: 'new@dev.acme.test',
      name: { givenName: 'N' },
    });
    expect(created.status).toBe(201);
    expect((created.body as Resource).never_logged).toBe(true);
    const dup = await call(sb, 'POST', 'Users', { userName: 'ANA@dev.acme.test' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
  });

  it('POST without userName is a 400 invalidValue', async () => {
    const sb = await start();
    const answer = await call(sb, 'POST', 'Users', { name: { givenName: 'N' } });
    expect(answer.status).toBe(400);
    expect((answer.body as { scimType: string }).scimType).toBe('invalidValue');
  });

  it('resources carry no active attribute: deactivation shows as is_blocked, and echoActive adds active', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const answer = await call(
      sb,
      'PATCH',
      `Users/${id}`,
      patch({ op: 'Replace', path: 'active', value: false }),
    );
    expect(answer.status).toBe(200);
    expect('active' in (answer.body as Resource)).toBe(false);
    expect((answer.body as Resource).is_blocked).toBe(true);
    await admin(sb, 'PUT', '/stackspot-scim/config', { echoActive: true });
    expect(((await call(sb, 'GET', `Users/${id}`)).body as Resource).active).toBe(false);
  });

  it('PUT replaces the UpdateUser fields: absent emails are cleared and active:false blocks', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const answer = await call(sb, 'PUT', `Users/${id}`, {
      userName: 'eli@dev.acme.test',
      name: { givenName: 'Elias', familyName: 'Stone' },
      active: false,
    });
    expect(answer.status).toBe(200);
    const user = answer.body as Resource;
    expect(user.emails).toEqual([]);
    expect(user.name).toEqual({ familyName: 'Stone', formatted: 'Elias Stone', givenName: 'Elias' });
    expect(user.is_blocked).toBe(true);
    expect((user.meta as { version: string }).version).toBe('2');
  });

  it('a PUT without active unblocks the user, unless putResetsActive is off', async () => {
    const sb = await start();
    const id = idOf(sb, 'bo');
    const readBack = (await call(sb, 'GET', `Users/${id}`)).body as Resource;
    const put = await call(sb, 'PUT', `Users/${id}`, readBack);
    expect((put.body as Resource).is_blocked).toBe(false);
    await call(sb, 'PATCH', `Users/${id}`, patch({ op: 'replace', path: 'active', value: false }));
    await admin(sb, 'PUT', '/stackspot-scim/config', { putResetsActive: false });
    const again = await call(sb, 'PUT', `Users/${id}`, readBack);
    expect((again.body as Resource).is_blocked).toBe(true);
  });

  it('PUT to a userName another user has is a 409', async () => {
    const sb = await start();
    const answer = await call(sb, 'PUT', `Users/${idOf(sb, 'eli')}`, { userName: 'ana@dev.acme.test' });
    expect(answer.status).toBe(409);
  });

  it('PATCH takes op names in any case and paths like name.givenName and emails[type eq "work"].value', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const answer = await call(
      sb,
      'PATCH',
      `Users/${id}`,
      patch(
        { op: 'REPLACE', path: 'name.givenName', value: 'Elijah' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'elijah@acme.test' },
        { op: 'Add', path: 'emails[type eq "Personal"].value', value: 'eli@home.test' },
      ),
    );
    expect(answer.status).toBe(200);
    const user = answer.body as Resource;
    expect((user.name as { givenName: string }).givenName).toBe('Elijah');
    expect(user.emails).toEqual([
      { display: 'Work Email', type: 'work', value: 'elijah@acme.test' },
      { display: 'Personal Email', type: 'Personal', value: 'eli@home.test' },
    ]);
  });

  it('PATCH without a path applies each attribute of the object value, the extension included', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const answer = await call(
      sb,
      'PATCH',
      `Users/${id}`,
      patch({
        op: 'replace',
        value: { active: 'False', 'name.familyName': 'Rock', [CUSTOM_SCHEMA]: { company: 'Acme' } },
      }),
    );
    const user = answer.body as Resource;
    expect(user.is_blocked).toBe(true);
    expect((user.name as { familyName: string }).familyName).toBe('Rock');
    expect(user.company).toBe('Acme');
    expect(user[CUSTOM_SCHEMA]).toEqual({ company: 'Acme' });
  });

  it('PATCH remove takes the attribute away, and remove without a path is a 400 noTarget', async () => {
    const sb = await start();
    const id = idOf(sb, 'ana');
    const removed = await call(sb, 'PATCH', `Users/${id}`, patch({ op: 'remove', path: 'externalId' }));
    expect('externalId' in (removed.body as Resource)).toBe(false);
    const bad = await call(sb, 'PATCH', `Users/${id}`, patch({ op: 'remove' }));
    expect(bad.status).toBe(400);
    expect((bad.body as { scimType: string }).scimType).toBe('noTarget');
  });

  it('PATCH is all or nothing: an unknown path is a 400 invalidPath and nothing changes', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const answer = await call(
      sb,
      'PATCH',
      `Users/${id}`,
      patch(
        { op: 'replace', path: 'name.givenName', value: 'X' },
        { op: 'replace', path: 'shoeSize', value: 9 },
      ),
    );
    expect(answer.status).toBe(400);
    expect((answer.body as { scimType: string }).scimType).toBe('invalidPath');
    expect(
      ((await call(sb, 'GET', `Users/${id}`)).body as { name: { givenName: string } }).name.givenName,
    ).toBe('Eli');
  });

  it('PATCH needs the PatchOp schema and known op names', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const noSchema = await call(sb, 'PATCH', `Users/${id}`, {
      Operations: [{ op: 'replace', path: 'title', value: 'x' }],
    });
    expect(noSchema.status).toBe(400);
    const badOp = await call(sb, 'PATCH', `Users/${id}`, patch({ op: 'upsert', path: 'title', value: 'x' }));
    expect(badOp.status).toBe(400);
  });

  it('DELETE answers 204 with no body; GET and a second DELETE are 404 after', async () => {
    const sb = await start();
    const id = idOf(sb, 'eli');
    const res = await fetch(`${sb.baseUrl}/Users/${id}`, {
      method: 'DELETE',
      headers: {
        authorization: `Bearer ${sb.credentials.token}`,
        'x-tenant-id': sb.credentials.tenant ?? '',
      },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await call(sb, 'GET', `Users/${id}`)).status).toBe(404);
    expect((await call(sb, 'DELETE', `Users/${id}`)).status).toBe(404);
    expect(list(await call(sb, 'GET', 'Users')).totalResults).toBe(2);
  });
});

describe('StackSpot admin', () => {
  it('state survives a snapshot and restore through the admin API', async () => {
    const sb = await start();
    await call(
      sb,
      'PATCH',
      `Users/${idOf(sb, 'eli')}`,
      patch({ op: 'replace', path: 'title', value: 'CTO' }),
    );
    const snap = (await admin(sb, 'GET', '/state')).body;
    await admin(sb, 'POST', '/reset', { empty: true });
    expect(list(await call(sb, 'GET', 'Users')).totalResults).toBe(0);
    await admin(sb, 'PUT', '/state', snap);
    const found = list(
      await call(sb, 'GET', `Users?filter=${encodeURIComponent('userName eq "eli@dev.acme.test"')}`),
    );
    expect(found.totalResults).toBe(1);
    expect(sb.state.users.get(idOf(sb, 'eli'))?.title).toBe('CTO');
  });

  it('a first login recorded by the admin API clears never_logged and required_actions', async () => {
    const sb = await start();
    const id = idOf(sb, 'ana');
    await admin(sb, 'POST', `/stackspot-scim/users/${id}/login`);
    const user = (await call(sb, 'GET', `Users/${id}`)).body as Resource;
    expect(user.never_logged).toBe(false);
    expect(user.required_actions).toEqual([]);
  });
});

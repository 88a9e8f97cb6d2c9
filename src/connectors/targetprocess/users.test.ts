import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import type { HttpLogger } from '../http/index.js';
import { type Connector, readAll, type WithRaw } from '../sdk/index.js';
import { USER_INCLUDE } from './client.js';
import { apiRequests, connectorFor, setSettings, startTp, strip, type TpSandbox } from './testkit.js';

let env: { sandbox: TpSandbox; connector: Connector; close(): Promise<void> } | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start() {
  env = await startTp();
  return env;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

describe('Targetprocess accounts', () => {
  it('lists users with take=1000, format=json and an include naming every mapped field', async () => {
    const { sandbox, connector } = await start();
    await readAll(connector.accounts.list!, (a) => a.id);
    const lists = apiRequests(sandbox).filter((r) => r.method === 'GET' && r.path === '/Users');
    expect(lists).toHaveLength(1);
    const query = lists[0]!.query;
    expect(query.get('format')).toBe('json');
    expect(query.get('take')).toBe('1000');
    expect(query.get('skip')).toBe('0');
    expect(query.get('include')).toBe(USER_INCLUDE);
    for (const field of [
      'FirstName',
      'LastName',
      'Email',
      'Login',
      'IsActive',
      'IsAdministrator',
      'CreateDate',
      'ModifyDate',
      'DeleteDate',
      'LastLoginDate',
      'Role[Id,Name]',
    ]) {
      expect(query.get('include')).toContain(field);
    }
  });

  it('soft-deleted users still list and map to deleted, never active; IsActive false is inactive', async () => {
    const { sandbox, connector } = await start();
    const accounts = await readAll(connector.accounts.list!, (a) => a.id);
    const byId = new Map(accounts.map((a) => [a.id, a]));
    // Leo (#4) is soft-deleted with IsActive still true, as a DELETE leaves it.
    expect(sandbox.state.usersById.get(4)).toMatchObject({ IsActive: true });
    expect(byId.get('4')).toMatchObject({ status: 'deleted', email: 'leo@acme.com' });
    expect(byId.get('4')?.attributes['deletedAt']).toMatch(/^\d{4}-/);
    expect(byId.get('3')?.status).toBe('inactive');
    expect(byId.get('2')).toMatchObject({
      status: 'active',
      lastLoginAt: '2024-05-20T09:00:00.000Z',
      createdAt: '2024-01-10T09:00:00.000Z',
      attributes: { role: 'Developer' },
    });
    expect((await connector.accounts.get!({ id: '4' }))?.status).toBe('deleted');
  });

  it('dates read the same whether the app sends /Date(ms+0000)/ or ISO 8601', async () => {
    const { sandbox, connector } = await start();
    const msForm = await readAll(connector.accounts.list!, (a) => a.id);
    expect(JSON.stringify((msForm[0] as WithRaw<Account>).raw)).toContain('/Date(');
    await setSettings(sandbox, { isoDates: true });
    const isoForm = await readAll(connector.accounts.list!, (a) => a.id);
    expect(JSON.stringify((isoForm[0] as WithRaw<Account>).raw)).not.toContain('/Date(');
    expect(isoForm.map(strip)).toEqual(msForm.map(strip));
  });

  it('isAdmin comes from IsAdministrator or the Administrator role', async () => {
    const { sandbox, connector } = await start();
    // Jane: Administrator role without the IsAdministrator flag. Ada: both.
    sandbox.state.usersById.get(2)!.RoleId = 1;
    expect((await connector.accounts.get!({ id: '2' }))?.isAdmin).toBe(true);
    expect((await connector.accounts.get!({ id: '1' }))?.isAdmin).toBe(true);
    expect((await connector.accounts.get!({ id: '5' }))?.isAdmin).toBe(false);
  });

  it("findByEmail quotes the value with a backslash before a quote (o'brien@acme.com)", async () => {
    const { sandbox, connector } = await start();
    const found = await connector.accounts.findByEmail!({ email: "O'Brien@acme.com" });
    expect(found.map((a) => a.id)).toEqual(['5']);
    const sent = apiRequests(sandbox).at(-1)!;
    expect(sent.query.get('where')).toBe("(Email eq 'O\\'Brien@acme.com')");
    expect(sent.status).toBe(200);
  });

  it('create sends FirstName, LastName, Email, Login (the local part), a generated Password and Role by Id', async () => {
    const { sandbox, connector } = await start();
    const { account, recovered } = await connector.accounts.create!({
      account: {
        email: 'grace.hopper@acme.com',
        firstName: 'Grace',
        lastName: 'Hopper',
        attributes: { role: 'qa engineer' },
      },
    });
    expect(recovered).toBe(false);
    expect(account).toMatchObject({
      email: 'grace.hopper@acme.com',
      login: 'grace.hopper',
      status: 'active',
      attributes: { role: 'QA Engineer', roleId: 3 },
    });
    const post = apiRequests(sandbox).find((r) => r.method === 'POST' && r.path === '/Users')!;
    const body = post.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['Email', 'FirstName', 'LastName', 'Login', 'Password', 'Role']);
    expect(body['Role']).toEqual({ Id: 3 });
    const password = body['Password'] as string;
    expect(password.length).toBeGreaterThanOrEqual(20);
    for (const cls of [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/]) expect(password).toMatch(cls);
    expect(sandbox.state.usersById.get(Number(account.id))?.password).toBe(password);

    const second = await connector.accounts.create!({
      account: { email: 'alan@acme.com', firstName: 'Alan', lastName: 'Turing', password: 'Given-Pass-1!' },
    });
    expect(sandbox.state.usersById.get(Number(second.account.id))?.password).toBe('Given-Pass-1!');
    expect(sandbox.state.usersById.get(Number(second.account.id))?.password).not.toBe(password);
  });

  it('with sso on, create sends no Password', async () => {
    const { sandbox } = await start();
    await setSettings(sandbox, { sso: true });
    const connector = connectorFor(sandbox, { sso: true });
    const { account } = await connector.accounts.create!({
      account: { email: 'sso.user@acme.com', firstName: 'Sso', lastName: 'User', login: 'sso_user' },
    });
    await connector.close();
    expect(account.login).toBe('sso_user');
    const post = apiRequests(sandbox).find((r) => r.method === 'POST' && r.path === '/Users')!;
    expect(post.body).not.toHaveProperty('Password');
    expect(sandbox.state.usersById.get(Number(account.id))?.password).toBeNull();
  });

  it('a duplicate email (a 400 with a message) is a conflict, a soft-deleted user included', async () => {
    const { sandbox, connector } = await start();
    const error = await errorOf(
      connector.accounts.create!({
        account: { email: 'LEO@acme.com', firstName: 'Leo', lastName: 'Again', login: 'leo2' },
      }),
    );
    expect(isRosterError(error) && error.code).toBe('conflict');
    expect(apiRequests(sandbox).at(-1)).toMatchObject({ method: 'POST', path: '/Users', status: 400 });
    expect(sandbox.state.usersByEmail.get('leo@acme.com')).toHaveLength(1);
  });

  it('a Login another user holds is a conflict naming the Login', async () => {
    const { connector } = await start();
    const error = await errorOf(
      connector.accounts.create!({
        account: { email: 'jane.other@acme.com', firstName: 'Jane', lastName: 'Other', login: 'JANE.DOE' },
      }),
    );
    expect(isRosterError(error) && [error.code, error.details['field']]).toEqual(['conflict', 'Login']);
  });

  it('a create whose answer is lost is looked up by email first and returns recovered: true', async () => {
    const { sandbox, connector } = await start();
    sandbox.setFaults('clean', { lostResponse: 1 });
    const { account, recovered } = await connector.accounts.create!({
      account: { email: 'lost.answer@acme.com', firstName: 'Lost', lastName: 'Answer' },
    });
    expect(recovered).toBe(true);
    expect(account).toMatchObject({ email: 'lost.answer@acme.com', status: 'active' });
    expect(sandbox.state.usersByEmail.get('lost.answer@acme.com')).toHaveLength(1);
    const sent = apiRequests(sandbox);
    expect(sent.filter((r) => r.method === 'POST' && r.path === '/Users')).toHaveLength(1);
    expect(sent.at(-1)).toMatchObject({ method: 'GET', path: '/Users' });
    expect(sent.at(-1)?.query.get('where')).toBe("(Email eq 'lost.answer@acme.com')");
  });

  it('update is a POST to /Users/{id} carrying only the changed fields', async () => {
    const { sandbox, connector } = await start();
    const { account } = await connector.accounts.update!({
      id: '2',
      changes: { firstName: 'Janet', lastName: 'Doe', attributes: { role: 'QA Engineer' } },
    });
    expect(account).toMatchObject({
      firstName: 'Janet',
      lastName: 'Doe',
      attributes: { role: 'QA Engineer' },
    });
    const writes = apiRequests(sandbox).filter((r) => r.method !== 'GET');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: 'POST', path: '/Users/2' });
    expect(writes[0]?.body).toEqual({ FirstName: 'Janet', Role: { Id: 3 } });
    expect(sandbox.state.usersById.get(2)).toMatchObject({ FirstName: 'Janet', RoleId: 3 });
  });

  it('deactivate and reactivate POST only IsActive, and a deleted user cannot be reactivated', async () => {
    const { sandbox, connector } = await start();
    expect((await connector.accounts.deactivate!({ id: '2' })).account.status).toBe('inactive');
    const writes = apiRequests(sandbox).filter((r) => r.method !== 'GET');
    expect(writes.map((w) => [w.method, w.path, w.body])).toEqual([
      ['POST', '/Users/2', { IsActive: false }],
    ]);
    expect(sandbox.state.usersById.get(2)?.IsActive).toBe(false);
    expect(await connector.accounts.deactivate!({ id: '4' })).toMatchObject({
      alreadyInactive: true,
      account: { status: 'deleted' },
    });
    const error = await errorOf(connector.accounts.reactivate!({ id: '4' }));
    expect(isRosterError(error) && error.code).toBe('invalid_input');
  });

  it('delete is soft: DeleteDate set, get says deleted, a second delete and an unknown id say alreadyAbsent', async () => {
    const { sandbox, connector } = await start();
    expect(await connector.accounts.delete!({ id: '2' })).toEqual({ alreadyAbsent: false });
    expect(sandbox.state.usersById.get(2)?.DeleteDate).not.toBeNull();
    expect((await connector.accounts.get!({ id: '2' }))?.status).toBe('deleted');
    expect(await connector.accounts.delete!({ id: '2' })).toEqual({ alreadyAbsent: true });
    expect(await connector.accounts.delete!({ id: '424242' })).toEqual({ alreadyAbsent: true });
    const deletes = apiRequests(sandbox).filter((r) => r.method === 'DELETE');
    expect(deletes.map((d) => d.status)).toEqual([200, 404, 404]);
  });

  it('a generated password travels only in the create body: never in a URL or a log line', async () => {
    const { sandbox } = await start();
    const lines: string[] = [];
    const logger: HttpLogger = {
      child: () => logger,
      debug: (fields, message) => lines.push(JSON.stringify(fields), message),
      info: (fields, message) => lines.push(JSON.stringify(fields), message),
      warn: (fields, message) => lines.push(JSON.stringify(fields), message),
    };
    const connector = connectorFor(sandbox, {}, { logger });
    sandbox.setFaults('clean', { lostResponse: 1 });
    const { account } = await connector.accounts.create!({
      account: { email: 'quiet@acme.com', firstName: 'Quiet', lastName: 'Person' },
    });
    await connector.close();
    const password = sandbox.state.usersById.get(Number(account.id))!.password!;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(password);
    for (const r of sandbox.requests()) expect(r.url).not.toContain(password);
  });

  it('no error message carries the token', async () => {
    const { sandbox, connector } = await start();
    const conflict = await errorOf(
      connector.accounts.create!({ account: { email: 'jane@acme.com', firstName: 'J', lastName: 'D' } }),
    );
    expect(isRosterError(conflict) && conflict.code).toBe('conflict');
    const wrong = connectorFor(sandbox, { auth: { type: 'bearer', token: `${sandbox.credentials.token}x` } });
    const denied = await errorOf(wrong.accounts.list!({ pageToken: null }));
    await wrong.close();
    expect(isRosterError(denied) && denied.code).toBe('unauthenticated');
    for (const error of [conflict, denied] as Error[]) {
      const text = `${error.message} ${JSON.stringify(error)}`;
      expect(text).not.toContain(sandbox.credentials.token);
      expect(text).not.toContain(`${sandbox.credentials.token}x`);
    }
    for (const r of sandbox.requests()) expect(r.url).not.toContain(sandbox.credentials.token);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import type { SsState } from '../../sandbox/stackspot-scim/index.js';
import { account, admin, company, idOf } from '../../sandbox/stackspot-scim/testkit.js';
import { readAll } from '../sdk/paging.js';
import type { Connector, WithRaw } from '../sdk/types.js';
import { connectorFor, startStackspot } from './testkit.js';

let sandbox: SandboxHandle<SsState> | undefined;
let connector: Connector | undefined;
afterEach(async () => {
  await connector?.close();
  await sandbox?.close();
  sandbox = undefined;
  connector = undefined;
});

async function start(accounts = [account('ana'), account('bo', { state: 'inactive' })]) {
  ({ sandbox, connector } = await startStackspot({ company: company(accounts) }));
  return { sandbox, connector };
}

const startIndexes = (sb: SandboxHandle<SsState>) =>
  sb
    .requests()
    .filter((r) => r.method === 'GET' && r.url.split('?')[0] === '/scim/Users')
    .map((r) => new URL(r.url, 'http://x').searchParams.get('startIndex'));

describe('StackSpot SCIM caveats', () => {
  it('is_blocked maps to inactive: resources carry no `active`', async () => {
    const { sandbox: sb, connector: c } = await start();
    const accounts = await readAll(c.accounts.list!, (a) => a.id);
    const bo: WithRaw<Account> = accounts.find((a) => a.id === idOf(sb, 'bo'))!;
    expect(bo.raw).not.toHaveProperty('active');
    expect(bo.raw).toMatchObject({ is_blocked: true });
    expect(bo.status).toBe('inactive');
    expect(bo.attributes['statusUnknown']).toBeUndefined();
    expect(accounts.find((a) => a.id === idOf(sb, 'ana'))?.status).toBe('active');
  });

  it('pages by totalResults and Resources, not by itemsPerPage (which echoes the size asked for)', async () => {
    const many = Array.from({ length: 250 }, (_, i) => account(`u${i}`));
    const { sandbox: sb, connector: c } = await start(many);
    const all = await readAll(c.accounts.list!, (a) => a.id);
    expect(all).toHaveLength(250);
    // 1, then 101 and 201: the last page holds 50 resources while itemsPerPage still says 100.
    expect(startIndexes(sb)).toEqual(['1', '101', '201']);
    const last = sb.requests().at(-1)!;
    expect(last.url).toContain('count=100');
  });

  it('a page that drifted one record early does not make the next page skip a record', async () => {
    const many = Array.from({ length: 250 }, (_, i) => account(`u${i}`));
    const { sandbox: sb, connector: c } = await start(many);
    sb.setFaults('clean', { drift: 1, driftKinds: ['insert'] });
    const seen: string[] = [];
    let pageToken: string | null = null;
    do {
      const page: Awaited<ReturnType<NonNullable<Connector['accounts']['list']>>> = await c.accounts.list!({
        pageToken,
      });
      seen.push(...page.items.map((a) => a.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(250);
    // Pages 2 and 3 each started one early (a repeat), so each next page starts one earlier too.
    expect(startIndexes(sb)).toEqual(['1', '101', '200']);
  });

  it('never sends a PUT: a PUT without `active` would reactivate a blocked user', async () => {
    const { sandbox: sb, connector: c } = await start();
    const boId = idOf(sb, 'bo');
    const { account: updated } = await c.accounts.update!({
      id: boId,
      changes: { lastName: 'Renamed', email: 'bo.new@acme.test', attributes: { title: 'Lead' } },
    });
    expect(updated).toMatchObject({ lastName: 'Renamed', email: 'bo.new@acme.test', status: 'inactive' });
    expect(sb.state.users.get(boId)?.active).toBe(false);
    const { account: created } = await c.accounts.create!({
      account: { email: 'new@acme.test', firstName: 'New', lastName: 'Person' },
    });
    await c.accounts.deactivate!({ id: created.id });
    await c.accounts.update!({ id: created.id, changes: { firstName: 'Still' } });
    expect(sb.state.users.get(created.id)?.active).toBe(false);
    await c.accounts.reactivate!({ id: created.id });
    expect(sb.requests().some((r) => r.method === 'PUT')).toBe(false);
    const patches = sb.requests().filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(0);
    for (const p of patches) {
      expect(p.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] });
    }
  });

  it('sends X-Tenant-Id on every request, on the endpoint table path /scim/Users', async () => {
    const { sandbox: sb, connector: c } = await start();
    await readAll(c.accounts.list!, (a) => a.id);
    await c.accounts.findByEmail!({ email: 'ANA@acme.test' });
    await c.accounts.get!({ id: idOf(sb, 'ana') });
    await c.accounts.get!({ id: '00000000-0000-4000-8000-000000000000' });
    const requests = sb.requests();
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const r of requests) {
      expect(r.headers['x-tenant-id']).toBe(sb.credentials.tenant);
      expect(r.url.startsWith('/scim/Users')).toBe(true);
    }
  });

  it("the examples' path form /{tenant}/scim works as a baseUrl too", async () => {
    const { sandbox: sb } = await start();
    connector = connectorFor(sb, { baseUrl: `${sb.origin}/${sb.credentials.tenant}/scim` });
    const found = await connector.accounts.findByEmail!({ email: 'ana@acme.test' });
    expect(found.map((a) => a.id)).toEqual([idOf(sb, 'ana')]);
    expect(sb.requests().every((r) => r.url.startsWith(`/${sb.credentials.tenant}/scim/Users`))).toBe(true);
  });

  it('a wrong tenant is an error, never "user not found" or "already deleted"', async () => {
    const { sandbox: sb, connector: right } = await start();
    await right.close();
    connector = connectorFor(sb, { tenantId: 'tenant-someone-else' });
    const id = idOf(sb, 'ana');
    for (const call of [() => connector!.accounts.get!({ id }), () => connector!.accounts.delete!({ id })]) {
      const error = await call().catch((e: unknown) => e);
      expect(isRosterError(error) && error.code).toBe('invalid_input');
    }
    expect(sb.state.users.has(id)).toBe(true);
  });

  it('a create whose answer is lost is found by userName, not made twice', async () => {
    const { sandbox: sb, connector: c } = await start();
    sb.setFaults('clean', { lostResponse: 1 });
    const { account: made, recovered } = await c.accounts.create!({
      account: { email: 'lost@acme.test', firstName: 'Lost', lastName: 'Answer' },
    });
    expect(recovered).toBe(true);
    const holders = [...sb.state.users.values()].filter((u) => u.userName === 'lost@acme.test');
    expect(holders.map((u) => u.id)).toEqual([made.id]);
    const posts = sb.requests().filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.fault).toMatch(/^lost_response/);
  });

  it('admin comes from the extension properties role; never_logged leaves lastLoginAt null', async () => {
    const { sandbox: sb, connector: c } = await start([
      account('ana', { admin: true, lastLoginAt: null }),
      account('bo', { role: 'viewer' }),
    ]);
    const ana = await c.accounts.get!({ id: idOf(sb, 'ana') });
    expect(ana).toMatchObject({ isAdmin: true, lastLoginAt: null });
    expect(ana?.attributes).toMatchObject({
      role: 'admin',
      neverLogged: true,
      'ext.properties.role': 'admin',
    });
    const bo = await c.accounts.get!({ id: idOf(sb, 'bo') });
    expect(bo).toMatchObject({ isAdmin: false, lastLoginAt: null, attributes: { role: 'viewer' } });
    await admin(sb, 'POST', `/stackspot-scim/users/${idOf(sb, 'ana')}/login`);
    expect((await c.accounts.get!({ id: idOf(sb, 'ana') }))?.attributes['neverLogged']).toBe(false);
  });

  it('ext.<name> attributes are written to the custom extension', async () => {
    const { sandbox: sb, connector: c } = await start();
    const { account: made } = await c.accounts.create!({
      account: {
        email: 'ext@acme.test',
        firstName: 'Ext',
        lastName: 'Ended',
        attributes: { 'ext.company': 'Acme', title: 'Engineer' },
      },
    });
    expect(sb.state.users.get(made.id)?.extension).toEqual({ company: 'Acme' });
    // StackSpot stores `title` but its resources do not answer it (the guide's examples have none).
    expect(sb.state.users.get(made.id)?.title).toBe('Engineer');
    expect(made.attributes).toMatchObject({ 'ext.company': 'Acme' });
    const error = await c.accounts.create!({
      account: { email: 'x@acme.test', firstName: 'X', lastName: 'Y', attributes: { shoe: 9 } },
    }).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('invalid_input');
  });

  it('no error message carries the token', async () => {
    const { sandbox: sb, connector: c } = await start();
    const conflict = await c.accounts.create!({
      account: { email: 'ana@dev.acme.test', firstName: 'A', lastName: 'B' },
    }).catch((e: unknown) => e);
    expect(isRosterError(conflict) && conflict.code).toBe('conflict');
    const wrong = connectorFor(sb, { auth: { type: 'bearer', token: 'stk_wrong_token_value' } });
    const unauth = await wrong.accounts.list!({ pageToken: null }).catch((e: unknown) => e);
    await wrong.close();
    expect(isRosterError(unauth) && unauth.code).toBe('unauthenticated');
    for (const error of [conflict, unauth] as Error[]) {
      expect(error.message).not.toContain(sb.credentials.token);
      expect(error.message).not.toContain('stk_wrong_token_value');
      expect(JSON.stringify((error as { details?: unknown }).details)).not.toContain(sb.credentials.token);
    }
  });
});

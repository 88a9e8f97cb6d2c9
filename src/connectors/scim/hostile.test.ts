import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Person } from '../../core/types.js';
import { desiredState } from '../../reconcile/desired.js';
import { policySchema } from '../../reconcile/policy.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { syncApp } from '../../sync/sync.js';
import { readGrants } from '../sdk/contract.testkit.js';
import type { Connector } from '../sdk/types.js';
import { type ScimmyOptions, type ScimmyServer, scimConnectorFor, startScimmyServer } from './testkit.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(options: ScimmyOptions): Promise<{ server: ScimmyServer; connector: Connector }> {
  const server = await startScimmyServer(options);
  const connector = scimConnectorFor(server);
  open.push(server, connector);
  return { server, connector };
}

async function freshStore(): Promise<Store> {
  const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'roster-scim-')), 'roster.db')}`);
  open.push(store);
  return store;
}

const params = (url: string) => new URL(url, 'http://x').searchParams;

describe('the generic SCIM client does not take a server at its word', () => {
  it('a server that caps pages at 50 and reports the page length as the total is read whole by sync', async () => {
    // The case seen with scimgateway: 56 users, 50 served, totalResults 50; the sync stopped at 50 and said ok.
    for (const users of [56, 126]) {
      const { server, connector } = await start({ users, groups: 0, capPageAt: 50 });
      const store = await freshStore();
      const result = await syncApp(connector, { store, connectors: [connector] });
      expect(result, `${users} users`).toMatchObject({ status: 'succeeded', counts: { accounts: users } });
      expect((await store.listAccounts({ appId: 'scimmy' })).map((a) => a.id).sort()).toEqual(
        [...server.store.users.keys()].sort(),
      );
      const pages = server.requests().filter((r) => r.url.startsWith('/scim/v2/Users?'));
      // Asked 100, got 50 whose total equals the page: asked again at 50 from 51, until the short last page.
      expect(pages.map((r) => [params(r.url).get('startIndex'), params(r.url).get('count')])).toEqual(
        users === 56
          ? [
              ['1', '100'],
              ['51', '50'],
            ]
          : [
              ['1', '100'],
              ['51', '50'],
              ['101', '50'],
            ],
      );
      for (const o of open.splice(0).reverse()) await o.close();
    }
  });

  it('a total larger than what the server hands out fails the sync, never a silently short snapshot', async () => {
    const { connector } = await start({ users: 30, groups: 0, overstateTotalBy: 5 });
    const store = await freshStore();
    const result = await syncApp(connector, { store, connectors: [connector] });
    expect(result.status).toBe('failed');
    // SCIMMY answers past the end with records it already gave; a server could as well answer none: both fail.
    expect(result.error?.message).toMatch(/^scimmy: GET \/Users .* totalResults 35/);
    expect(await store.listAccounts({ appId: 'scimmy' })).toEqual([]);
  });

  it('a 500 that repeats word for word on a filter is believed after the second, not sent six times', async () => {
    const { server, connector } = await start({ users: 4, crashOnEscapedQuote: true });
    const error = await connector.accounts.findByEmail!({ email: 'o"neil@acme.com' }).catch(
      (e: unknown) => e,
    );
    expect(isRosterError(error) && error.details).toMatchObject({ status: 500, attempts: 2, repeated: 2 });
    const crashed = server.requests().filter((r) => r.status === 500);
    expect(crashed).toHaveLength(2);
    // Filters without the quote still work on the same server.
    expect(await connector.accounts.findByEmail!({ email: 'person0@acme.com' })).toHaveLength(1);
  });

  it('a delete answered 500 after it was carried out reports alreadyAbsent: true', async () => {
    const { server, connector } = await start({ users: 4, deleteThen500: true });
    expect(await connector.accounts.delete!({ id: 'u-000001' })).toEqual({ alreadyAbsent: true });
    expect(server.store.users.has('u-000001')).toBe(false);
    expect(server.requests().map((r) => `${r.method} ${r.url.split('?')[0]} ${r.status}`)).toEqual([
      'DELETE /scim/v2/Users/u-000001 500',
      'GET /scim/v2/Users/u-000001 404',
      'GET /scim/v2/Users 200',
    ]);
  });

  it('the desired account for a SCIM app carries the person’s IdP id as externalId', () => {
    const person = (id: string, idp?: string): Person => ({
      employeeId: id,
      email: `${id}@acme.com`,
      aliases: [],
      firstName: 'A',
      lastName: id,
      status: 'active',
      department: null,
      title: null,
      managerEmail: null,
      startDate: null,
      endDate: null,
      attributes: idp ? { idp_id: idp } : {},
    });
    const desired = desiredState({
      people: [person('e1', '00u1abcd'), person('e2')],
      policy: policySchema.parse({ rules: [{ name: 'everyone', apps: { scimmy: {} } }] }),
      apps: [{ id: 'scimmy', type: 'scim', kinds: ['group'] }],
      now: new Date(),
    });
    const scimmy = desired.accounts.get('scimmy')!;
    expect(scimmy.get('e1')?.fields['externalId']?.value).toBe('00u1abcd');
    // No IdP id in the export: none is sent (never an empty one).
    expect(scimmy.get('e2')?.fields['externalId']).toBeUndefined();
  });

  it('create sends externalId (the IdP id) and the server holds it', async () => {
    const { server, connector } = await start({ users: 1 });
    const { account } = await connector.accounts.create!({
      account: { email: 'ext@acme.com', firstName: 'E', lastName: 'X', externalId: '00u1abcd' },
    });
    expect(account.externalId).toBe('00u1abcd');
    expect(server.store.users.get(account.id)?.['externalId']).toBe('00u1abcd');
  });
});

describe('the ServiceProviderConfig is read once and used', () => {
  it('maxResults sets the page size, and the config is read once per connector', async () => {
    const { server, connector } = await start({
      users: 45,
      groups: 2,
      serviceProviderConfig: { filter: { supported: true, maxResults: 20 } },
    });
    const store = await freshStore();
    expect((await syncApp(connector, { store, connectors: [connector] })).counts.accounts).toBe(45);
    await connector.accounts.findByEmail!({ email: 'person3@acme.com' });
    const requests = server.requests();
    expect(requests.filter((r) => r.url.endsWith('/ServiceProviderConfig'))).toHaveLength(1);
    // Every listing starts at the server's maximum (a one-match search or 2 groups is then probed once more at
    // the size served, in case that was a cap).
    const firsts = requests.filter((r) => params(r.url).get('startIndex') === '1');
    expect(new Set(firsts.map((r) => params(r.url).get('count')))).toEqual(new Set(['20']));
  });

  it('filter.supported false: findByEmail reads the listing instead of sending a filter', async () => {
    const { server, connector } = await start({
      users: 8,
      serviceProviderConfig: { filter: { supported: false, maxResults: 200 } },
    });
    const found = await connector.accounts.findByEmail!({ email: 'PERSON3@acme.com' });
    expect(found.map((a) => a.id)).toEqual(['u-000003']);
    expect(server.requests().some((r) => params(r.url).has('filter'))).toBe(false);
  });

  it('patch.supported false: a grant is refused with the reason before anything is sent', async () => {
    const { server, connector } = await start({
      users: 4,
      groups: 2,
      serviceProviderConfig: { patch: { supported: false } },
    });
    const error = await connector.entitlements.group!.grant!({
      accountId: 'u-000003',
      entitlementId: 'g-0000',
    }).catch((e: unknown) => e);
    expect(isRosterError(error) ? error.message : error).toMatch(
      /ServiceProviderConfig says it does not support PATCH/,
    );
    expect(server.requests().some((r) => r.method === 'PATCH')).toBe(false);
    // Nothing changed: u-000003 is still in g-0001 only.
    expect(await readGrants(connector, 'group')).toHaveLength(4);
  });
});

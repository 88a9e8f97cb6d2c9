import { describe, expect, it } from 'vitest';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import { RosterError } from '../../core/errors.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import type { PlanOp } from '../../reconcile/diff.js';
import { buildProfile } from './discovery.js';
import { createScimHandler, type FacadeBackend, type OpOutcome, type ScimRequest } from './handler.js';

const all = {
  list: true,
  get: true,
  findByEmail: true,
  create: true,
  update: true,
  deactivate: true,
  reactivate: true,
  delete: true,
};

/** A backend over memory that carries ops out as an app would, and keeps every op it was given. */
function memoryBackend(options: { failWith?: RosterError } = {}) {
  const accounts = new Map<string, Account>();
  const groups: Entitlement[] = [
    { appId: 'app', id: 'g1', kind: 'group', name: 'Engineering', privileged: false },
  ];
  const grants: Grant[] = [];
  const ran: PlanOp[] = [];
  let next = 1;
  const backend: FacadeBackend = {
    accounts: async () => [...accounts.values()],
    account: async (id) => accounts.get(id) ?? null,
    groups: async () => groups,
    grants: async () => grants,
    run: async (ops) => {
      if (options.failWith) throw options.failWith;
      const created = new Map<string, string>();
      return ops.map((op): OpOutcome => {
        ran.push(op);
        const ref = op.account;
        const id = ref === null ? null : 'id' in ref ? ref.id : (created.get(ref.createdBy) ?? null);
        const account = id ? accounts.get(id) : undefined;
        switch (op.kind) {
          case 'create': {
            const newId = String(next++);
            const input = op.input!;
            accounts.set(newId, {
              appId: 'app',
              id: newId,
              email: input.email,
              login: null,
              externalId: input.externalId ?? null,
              firstName: input.firstName,
              lastName: input.lastName,
              displayName: `${input.firstName} ${input.lastName}`,
              status: 'active',
              isAdmin: false,
              lastLoginAt: null,
              createdAt: '2026-12-01T00:00:00Z',
              updatedAt: null,
              attributes: {},
            });
            created.set(op.ref, newId);
            return { status: 'succeeded', accountId: newId };
          }
          case 'update':
            for (const [field, change] of Object.entries(op.changes ?? {}))
              (account as unknown as Record<string, string>)[field] = change.to;
            return { status: 'succeeded', accountId: id };
          case 'deactivate':
            account!.status = 'inactive';
            return { status: 'succeeded', accountId: id };
          case 'reactivate':
            account!.status = 'active';
            return { status: 'succeeded', accountId: id };
          case 'delete':
            accounts.delete(id!);
            return { status: 'succeeded', accountId: id };
          case 'grant':
            // As the real backend does: a verified grant is written to the snapshot at once.
            grants.push({ appId: 'app', entitlementId: op.entitlement!.id, accountId: id! });
            return { status: 'succeeded', accountId: id };
          case 'task':
            return { status: 'task_open', accountId: id };
          default:
            return { status: 'skipped', accountId: id };
        }
      });
    },
  };
  return { backend, accounts, grants, ran };
}

function setup(
  accountsCaps: Partial<typeof all> = {},
  notes: CapabilityManifest['notes'] = {},
  failWith?: RosterError,
) {
  const memory = memoryBackend(failWith ? { failWith } : {});
  const profile = buildProfile({
    appId: 'app',
    title: 'App',
    manifest: {
      type: 'scim',
      accounts: { ...all, ...accountsCaps },
      entitlements: { group: { list: true, grant: true, revoke: true } },
      incremental: false,
      notes,
    },
    traits: { attributeMap: { email: '', firstName: '', lastName: '' } },
    baseUrl: 'https://roster.test/scim/v2/app',
  });
  const { handle } = createScimHandler(profile, memory.backend);
  const call = (method: string, path: string, extra: Partial<ScimRequest> = {}) =>
    handle({ method, path, tokenName: 'okta', ...extra });
  return { ...memory, call };
}

/**
 * Makes the memory backend answer as the store-backed one does: each outcome carries the account as the write left
 * it, and `made` for a create the app made anew. Answers a counter of the handler's membership reads.
 */
function likeTheStore(app: ReturnType<typeof memoryBackend>, made = false): () => number {
  const { backend, accounts } = app;
  const run = backend.run;
  backend.run = async (ops) =>
    (await run(ops)).map((o) => ({
      ...o,
      account: accounts.get(o.accountId ?? '') ?? null,
      ...(made && { made }),
    }));
  let reads = 0;
  const read = backend.grants;
  backend.grants = () => {
    reads++;
    return read();
  };
  return () => reads;
}

const jane = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: 'jane@example.com',
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [{ primary: true, value: 'jane@example.com', type: 'work' }],
  active: true,
};

describe('the handler answers discovery, and 404 for what is not there', () => {
  it.each([
    ['/ServiceProviderConfig', 200],
    ['/ResourceTypes', 200],
    ['/ResourceTypes/User', 200],
    ['/Schemas', 200],
    ['/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group', 200],
    ['/Schemas/urn:nope', 404],
    ['/ResourceTypes/Widget', 404],
    ['/Widgets', 404],
    ['/Users/404', 404],
  ])('GET %s → %i', async (path, status) => {
    const { call } = setup();
    const response = await call('GET', path);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/scim+json');
  });
});

describe("Okta's sequence through the handler", () => {
  it('filter finds none, POST creates (201, Location, ETag), filter finds it, PATCH deactivates, a stale If-Match is 412', async () => {
    const { call, ran, accounts } = setup();
    const lookup = { filter: 'userName eq "jane@example.com"', startIndex: '1', count: '100' };
    expect((await call('GET', '/Users', { query: lookup })).body).toMatchObject({ totalResults: 0 });
    const created = await call('POST', '/Users', { body: jane });
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe('https://roster.test/scim/v2/app/Users/1');
    expect(created.headers['etag']).toMatch(/^W\/"/);
    expect(ran[0]).toMatchObject({ kind: 'create', reason: { text: 'SCIM POST /Users (token okta)' } });
    const found = await call('GET', '/Users', { query: { filter: 'userName eq "JANE@example.com"' } });
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: '1', active: true }] });

    const stale = await call('PATCH', '/Users/1', {
      ifMatch: 'W/"old"',
      body: { Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(stale.status).toBe(412);
    expect(accounts.get('1')?.status).toBe('active');

    const off = await call('PATCH', '/Users/1', {
      ifMatch: created.headers['etag'],
      body: { Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ active: false });
    expect(ran.at(-1)?.kind).toBe('deactivate');
    expect(accounts.get('1')?.status).toBe('inactive');

    const notModified = await call('GET', '/Users/1', { ifNoneMatch: off.headers['etag'] });
    expect(notModified.status).toBe(304);
  });
  it('a second POST of the same userName is a 409 uniqueness and runs nothing', async () => {
    const { call, ran } = setup();
    await call('POST', '/Users', { body: jane });
    const again = await call('POST', '/Users', { body: { ...jane, userName: 'Jane@Example.com' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ scimType: 'uniqueness' });
    expect(ran).toHaveLength(1);
  });
  it('a PATCH that keeps userName succeeds where the app already held another account under it', async () => {
    const { call, accounts, ran } = setup();
    await call('POST', '/Users', { body: jane });
    // A duplicate the app already had (made outside the facade, brought in by a sync): not this write's doing.
    accounts.set('2', { ...(accounts.get('1') as Account), id: '2' });
    const off = await call('PATCH', '/Users/2', {
      body: { Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(off.status).toBe(200);
    expect(ran.at(-1)?.kind).toBe('deactivate');
    expect(accounts.get('2')?.status).toBe('inactive');
  });
  it('a PATCH that changes userName to one another account holds is a 409 and runs nothing', async () => {
    const { call, ran } = setup();
    await call('POST', '/Users', { body: jane });
    const john = 'john@example.com';
    await call('POST', '/Users', {
      body: { ...jane, userName: john, emails: [{ primary: true, value: john, type: 'work' }] },
    });
    const taken = await call('PATCH', '/Users/2', {
      body: { Operations: [{ op: 'replace', path: 'userName', value: 'JANE@example.com' }] },
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ scimType: 'uniqueness' });
    expect(ran).toHaveLength(2);
  });
  it('DELETE removes; the user is then 404', async () => {
    const { call } = setup();
    await call('POST', '/Users', { body: jane });
    expect((await call('DELETE', '/Users/1')).status).toBe(204);
    expect((await call('GET', '/Users/1')).status).toBe(404);
  });
});

describe('what an app cannot do is a manual task and a 501, never a success', () => {
  it('POST to an app without create records a task and answers why', async () => {
    const { call, ran, accounts } = setup(
      { create: false },
      { create: 'Add the person in the directory admin.' },
    );
    const response = await call('POST', '/Users', { body: jane });
    expect(response.status).toBe(501);
    expect(response.body).toMatchObject({
      status: '501',
      detail: expect.stringContaining('Add the person in the directory admin.'),
    });
    expect(ran.map((o) => o.kind)).toEqual(['task']);
    expect(accounts.size).toBe(0);
  });
  it('a held write (unavailable) is a 503 with Retry-After, which IdPs retry', async () => {
    const { call } = setup(
      {},
      {},
      new RosterError('unavailable', 'deactivation threshold reached; held for approval', {
        details: { retryAfterMs: 60_000 },
      }),
    );
    const response = await call('POST', '/Users', { body: jane });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('60');
  });
});

describe('groups and bulk through the handler', () => {
  it('PATCH members adds grants; POST /Groups is a 501', async () => {
    const { call, grants } = setup();
    await call('POST', '/Users', { body: jane });
    const response = await call('PATCH', '/Groups/g1', {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: '1' }] }] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ members: [{ value: '1', display: 'Jane Doe' }] });
    expect(grants).toEqual([{ appId: 'app', entitlementId: 'g1', accountId: '1' }]);
    expect((await call('POST', '/Groups', { body: { displayName: 'New' } })).status).toBe(501);
    const stranger = await call('PATCH', '/Groups/g1', {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: '99' }] }] },
    });
    expect(stranger.status).toBe(400);
  });
  it('a user PATCH answers with the groups the user is in, read once: a User write changes no membership', async () => {
    const app = setup();
    const { call, grants } = app;
    const membershipReads = likeTheStore(app);
    await call('POST', '/Users', { body: jane });
    grants.push({ appId: 'app', entitlementId: 'g1', accountId: '1' });
    const before = membershipReads();
    const renamed = await call('PATCH', '/Users/1', {
      body: { Operations: [{ op: 'replace', path: 'name.givenName', value: 'Janet' }] },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: { givenName: 'Janet' }, groups: [{ value: 'g1' }] });
    expect(membershipReads() - before).toBe(1);
    expect((await call('GET', '/Users/1')).headers['etag']).toBe(renamed.headers['etag']);
  });
  it('a create the app made anew answers with no groups and reads none; an adopted account shows the groups it holds', async () => {
    for (const made of [true, false]) {
      const app = setup();
      const { call, grants } = app;
      const membershipReads = likeTheStore(app, made);
      // The account the app will answer with ('1') already holds a group: so it can only if it was adopted.
      grants.push({ appId: 'app', entitlementId: 'g1', accountId: '1' });
      const created = await call('POST', '/Users', { body: jane });
      expect(created.status).toBe(201);
      if (made) {
        expect(membershipReads()).toBe(0);
        expect(created.body).not.toHaveProperty('groups');
      } else {
        expect(membershipReads()).toBe(1);
        expect(created.body).toMatchObject({ groups: [{ value: 'g1' }] });
      }
    }
  });
  it('a group write answers the group as the backend holds it after the write, and a GET agrees', async () => {
    const { call, grants } = setup();
    await call('POST', '/Users', { body: jane });
    const response = await call('PATCH', '/Groups/g1', {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: '1' }] }] },
    });
    expect(grants).toEqual([{ appId: 'app', entitlementId: 'g1', accountId: '1' }]);
    expect(response.body).toMatchObject({ members: [{ value: '1', display: 'Jane Doe' }] });
    expect((await call('GET', '/Groups/g1')).body).toMatchObject({ members: [{ value: '1' }] });
  });
  it('Bulk creates a user and adds it to a group by bulkId', async () => {
    const { call, grants } = setup();
    const response = await call('POST', '/Bulk', {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          {
            method: 'PATCH',
            path: '/Groups/g1',
            data: { Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:jane' }] }] },
          },
          { method: 'POST', path: '/Users', bulkId: 'jane', data: jane },
        ],
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      Operations: [
        { method: 'PATCH', status: '200' },
        {
          method: 'POST',
          bulkId: 'jane',
          status: '201',
          location: 'https://roster.test/scim/v2/app/Users/1',
        },
      ],
    });
    expect(grants).toEqual([{ appId: 'app', entitlementId: 'g1', accountId: '1' }]);
  });
});

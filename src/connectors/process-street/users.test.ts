import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../../core/errors.js';
import { account, admin, company, idOf } from '../../sandbox/process-street/testkit.js';
import { pathOf, requestsTo, type Started, startProcessStreet } from './testkit.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.close();
  started = undefined;
});

const start = async (
  accounts = [account('ann'), account('bob', { admin: true }), account('ivy', { state: 'invited' })],
) => {
  started = await startProcessStreet({ company: company(accounts, ['Ops']) });
  return started;
};

const failure = (promise: Promise<unknown>): Promise<RosterError> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => {
      if (!isRosterError(error)) throw error;
      return error;
    },
  );

describe('create is an invitation, read back for the full member', () => {
  it('POSTs email, names and role, then GETs the member: the result is the whole invited member', async () => {
    const { connector, sandbox } = await start();
    const { account: created, recovered } = await connector.accounts.create!({
      account: {
        email: 'new@acme.test',
        firstName: 'New',
        lastName: 'Person',
        attributes: { role: 'guest' },
      },
    });
    expect(recovered).toBe(false);
    expect(created).toMatchObject({
      email: 'new@acme.test',
      firstName: 'New',
      lastName: 'Person',
      status: 'invited',
      isAdmin: false,
      attributes: { role: 'guest', organizationId: sandbox.credentials.tenant },
    });
    expect(created.createdAt).toEqual(expect.any(String));
    const [post] = requestsTo(sandbox, 'POST', /^\/members$/);
    expect(post?.body).toEqual({
      email: 'new@acme.test',
      firstName: 'New',
      lastName: 'Person',
      role: 'guest',
    });
    expect(sandbox.requests().map((e) => `${e.method} ${pathOf(e)}`)).toEqual([
      'POST /members',
      `GET /members/${created.id}`,
    ]);
    expect(sandbox.state.membersById.get(created.id)).toMatchObject({ status: 'invited', role: 'guest' });
  });

  it('an email already in the organization, in any letter case, is a conflict', async () => {
    const { connector } = await start();
    const error = await failure(
      connector.accounts.create!({ account: { email: 'ANN@acme.test', firstName: 'A', lastName: 'B' } }),
    );
    expect(error.code).toBe('conflict');
  });

  it('the seat limit is a conflict that says the plan is full and how to make room', async () => {
    const { connector, sandbox } = await start();
    await admin(sandbox, 'PUT', '/seat-limit', { seatLimit: 3 });
    const error = await failure(
      connector.accounts.create!({ account: { email: 'late@acme.test', firstName: 'L', lastName: 'Ate' } }),
    );
    expect(error.code).toBe('conflict');
    expect(error.details).toMatchObject({ reason: 'seat_limit', status: 402 });
    expect(error.message).toMatch(/seat limit is reached/);
    expect(error.fix).toMatch(/free a seat/);
    expect(error.fix).toMatch(/raise the plan/);
    expect(sandbox.summary()['members']).toBe(3);
  });

  it('an invite whose answer was lost is found by email, not sent twice', async () => {
    const { connector, sandbox } = await start();
    sandbox.setFaults('clean', { lostResponse: 1 });
    const { account: created, recovered } = await connector.accounts.create!({
      account: { email: 'lost@acme.test', firstName: 'Lo', lastName: 'St' },
    });
    expect(recovered).toBe(true);
    expect(created).toMatchObject({ email: 'lost@acme.test', status: 'invited' });
    expect(requestsTo(sandbox, 'POST', /^\/members$/)).toHaveLength(1);
    const holders = [...sandbox.state.membersById.values()].filter((m) => m.email === 'lost@acme.test');
    expect(holders.map((m) => m.id)).toEqual([created.id]);
  });
});

describe('get and findByEmail', () => {
  it("get is null for an unknown id and for another organization's member", async () => {
    const { connector, sandbox } = await start();
    const foreign = [...sandbox.state.membersById.values()].find(
      (m) => m.organizationId !== sandbox.credentials.tenant,
    )!;
    expect(await connector.accounts.get!({ id: foreign.id })).toBeNull();
    expect(await connector.accounts.get!({ id: 'mem_0000' })).toBeNull();
    expect(await connector.accounts.get!({ id: idOf(sandbox, 'bob') })).toMatchObject({ isAdmin: true });
  });

  it('findByEmail has no filter endpoint: it pages through every member and matches any letter case', async () => {
    const accounts = Array.from({ length: 250 }, (_, i) => account(`p${i}`));
    const { connector, sandbox } = await start(accounts);
    const found = await connector.accounts.findByEmail!({ email: ' P249@ACME.test ' });
    expect(found.map((a) => a.id)).toEqual([idOf(sandbox, 'p249')]);
    expect(requestsTo(sandbox, 'GET', /^\/members$/)).toHaveLength(3);
  });
});

describe('delete removes the member from the organization', () => {
  it('DELETE then a GET that proves it gone; again, and for an unknown id, alreadyAbsent', async () => {
    const { connector, sandbox } = await start();
    const id = idOf(sandbox, 'ann');
    expect(await connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: false });
    expect(sandbox.requests().map((e) => `${e.method} ${pathOf(e)} ${e.status}`)).toEqual([
      `DELETE /members/${id} 200`,
      `GET /members/${id} 404`,
    ]);
    expect(sandbox.state.membersById.has(id)).toBe(false);
    expect(await connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: true });
    expect(await connector.accounts.delete!({ id: 'mem_0000' })).toEqual({ alreadyAbsent: true });
  });

  it('a delete whose answer was lost is checked with a GET, not reported as already absent', async () => {
    const { connector, sandbox } = await start();
    const id = idOf(sandbox, 'ann');
    sandbox.setFaults('clean', { lostResponse: 1 });
    expect(await connector.accounts.delete!({ id })).toEqual({ alreadyAbsent: false });
    expect(requestsTo(sandbox, 'DELETE', /^\/members\//)).toHaveLength(1);
    expect(sandbox.state.membersById.has(id)).toBe(false);
  });
});

describe('what the API cannot do is explained', () => {
  it('no update, no deactivation: removal is the only revocation and leaves the account and SSO sessions', async () => {
    const { connector } = await start();
    expect(connector.manifest.accounts).toMatchObject({
      update: false,
      deactivate: false,
      reactivate: false,
    });
    expect(connector.manifest.notes.update).toMatch(/no member update endpoint/);
    expect(connector.manifest.notes.deactivate).toMatch(/only way to revoke access/);
    expect(connector.manifest.notes.deactivate).toMatch(
      /does not delete the person's Process Street account/,
    );
    expect(connector.manifest.notes.deactivate).toMatch(/SSO/);
    expect(connector.manifest.notes.reactivate).toMatch(/invite the person again/);
  });
});

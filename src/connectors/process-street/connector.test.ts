import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { PlantedAccount } from '../../sandbox/kit/company.js';
import { account, admin, company, idOf } from '../../sandbox/process-street/testkit.js';
import { readGrants } from '../sdk/contract.testkit.js';
import { createConnector } from '../sdk/create.js';
import { grantKey, readAll } from '../sdk/paging.js';
import { testHttp } from '../sdk/testkit.js';
import { PAGE_LIMIT } from './client.js';
import { processStreetConnector } from './connector.js';
import { requestsTo, type Started, startProcessStreet } from './testkit.js';

const opened: Started[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
const open = async (...args: Parameters<typeof startProcessStreet>) => {
  const s = await startProcessStreet(...args);
  opened.push(s);
  return s;
};

/** A big organization: every 11th person still invited (no groups), the rest spread over five groups. */
function bigCompany(n: number) {
  const accounts: PlantedAccount[] = Array.from({ length: n }, (_, i) => {
    const invited = i % 11 === 0;
    const groups = [
      ...(i % 100 === 0 ? ['Leads'] : []),
      ...(i % 3 === 0 ? ['Engineering'] : []),
      ...(i % 7 === 0 ? ['Sales'] : []),
      ...(i % 500 === 0 ? ['Board'] : []),
    ];
    return account(`p${i}`, { state: invited ? 'invited' : 'active', admin: i % 50 === 1, groups });
  });
  return company(accounts, ['Leads', 'Engineering', 'Sales', 'Board', 'Empty']);
}

async function fullRead(s: Started) {
  const accounts = await readAll(s.connector.accounts.list!, (a) => a.id);
  const groups = await readAll(s.connector.entitlements.group!.list, (g) => g.id);
  const grants = await readGrants(s.connector, 'group');
  return {
    accounts: accounts.sort((a, b) => a.id.localeCompare(b.id)),
    groups: groups.sort((a, b) => a.id.localeCompare(b.id)),
    grants: grants.map(grantKey).sort(),
  };
}

describe('request counts are the physical minimum', () => {
  it('2,345 members, 5 groups: ceil(N / 100) member pages, groups listed once, member lists paged', async () => {
    const N = 2345;
    const s = await open({ company: bigCompany(N) });
    const read = await fullRead(s);
    expect(read.accounts).toHaveLength(N);
    expect(read.groups).toHaveLength(5);

    // 24 pages of members: the 24th has 45 (< 100), which ends the listing.
    expect(requestsTo(s.sandbox, 'GET', /^\/members$/)).toHaveLength(Math.ceil(N / PAGE_LIMIT));
    // 5 groups come back on a first page shorter than asked: one more (empty) page proves the end. The
    // grant listing reuses these groups rather than reading them again.
    expect(requestsTo(s.sandbox, 'GET', /^\/groups$/)).toHaveLength(2);
    // Each group's members: floor(m / 100) + 1 pages once the page size is known (it is learned from the
    // first group of 100 or more, Engineering); before that a short first page needs one more request to
    // be told from a clamp. An empty group is one request.
    let known = false;
    let expected = 0;
    const byGroup: Record<string, number> = {};
    for (const name of ['Leads', 'Engineering', 'Sales', 'Board', 'Empty']) {
      const group = [...s.sandbox.state.groupsById.values()].find((g) => g.name === name)!;
      const m = group.memberIds.length;
      const pages = m === 0 ? 1 : m < PAGE_LIMIT && !known ? 2 : Math.floor(m / PAGE_LIMIT) + 1;
      if (m >= PAGE_LIMIT) known = true;
      byGroup[group.id] = pages;
      expected += pages;
    }
    const perGroup: Record<string, number> = {};
    for (const entry of requestsTo(s.sandbox, 'GET', /^\/groups\/[^/]+\/members$/)) {
      const id = entry.url.split('/')[4]!;
      perGroup[id] = (perGroup[id] ?? 0) + 1;
    }
    expect(perGroup).toEqual(byGroup);
    expect(expected).toBe(2 + 8 + 4 + 1 + 1);
    expect(read.grants).toHaveLength(
      [...s.sandbox.state.groupsById.values()]
        .filter((g) => g.organizationId === s.sandbox.credentials.tenant)
        .reduce((sum, g) => sum + g.memberIds.length, 0),
    );
    // Nothing else: no per-member reads.
    expect(s.sandbox.requests()).toHaveLength(Math.ceil(N / PAGE_LIMIT) + 2 + expected);
  });

  it('with the hidden maximum lowered to 40, the pages follow it: ceil(N / 40) member requests', async () => {
    const N = 2345;
    const s = await open({ company: bigCompany(N) });
    await admin(s.sandbox, 'PUT', '/config', { maxPageSize: 40 });
    expect(await readAll(s.connector.accounts.list!, (a) => a.id)).toHaveLength(N);
    expect(requestsTo(s.sandbox, 'GET', /^\/members$/)).toHaveLength(Math.ceil(N / 40));
  });
});

describe('a full read under the flaky profile equals the clean one', () => {
  it('accounts, groups and grants are the same, each once, despite 429s, 5xx, resets and drifting pages', async () => {
    const clean = await open({ seed: 5, company: bigCompany(900) });
    const flaky = await open({ seed: 5, company: bigCompany(900), profile: 'flaky' });
    const expected = await fullRead(clean);
    const got = await fullRead(flaky);
    expect(got.accounts.map((a) => a.id)).toEqual(expected.accounts.map((a) => a.id));
    expect(got).toEqual(expected);
    // The faults really happened.
    expect(flaky.sandbox.requests().some((e) => e.fault !== null)).toBe(true);
  });
});

describe('no secret in any URL or error', () => {
  it('the API key travels only in the Authorization header and no error names it', async () => {
    const s = await open({
      company: company([account('ann'), account('ivy', { state: 'invited' })], ['Ops']),
    });
    const { token } = s.sandbox.credentials;
    const errors: unknown[] = [];
    const collect = (p: Promise<unknown>) =>
      p.then(
        () => errors.push(null),
        (e: unknown) => errors.push(e),
      );
    await collect(
      s.connector.accounts.create!({ account: { email: 'ann@acme.test', firstName: 'A', lastName: 'B' } }),
    );
    await admin(s.sandbox, 'PUT', '/seat-limit', { seatLimit: 2 });
    await collect(
      s.connector.accounts.create!({ account: { email: 'x@acme.test', firstName: 'X', lastName: 'Y' } }),
    );
    const ops = s.connector.entitlements.group!;
    const [ops1] = await readAll(ops.list, (g) => g.id);
    await collect(ops.grant!({ accountId: idOf(s.sandbox, 'ivy'), entitlementId: ops1!.id }));
    const wrong = createConnector(
      processStreetConnector,
      {
        id: 'process-street',
        type: 'process-street',
        baseUrl: s.sandbox.baseUrl,
        auth: { type: 'bearer', token: `${token}x` },
      },
      { http: testHttp(s.sandbox) },
    );
    await collect(wrong.accounts.list!({ pageToken: null }));
    await wrong.close();

    expect(errors.map((e) => isRosterError(e) && e.code)).toEqual([
      'conflict',
      'conflict',
      'conflict',
      'unauthenticated',
    ]);
    for (const error of errors) {
      if (!isRosterError(error)) continue;
      const text = [error.message, error.fix ?? '', JSON.stringify(error.details), String(error.cause)].join(
        ' ',
      );
      expect(text).not.toContain(token);
    }
    for (const entry of s.sandbox.requests()) {
      expect(entry.url).not.toContain(token);
      expect(entry.headers['authorization']).toMatch(/^Bearer /);
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { openStore } from '../../store/open.js';
import { syncApp } from '../../sync/sync.js';
import { grantKey } from '../sdk/paging.js';
import type { Connector, ListInput, Page } from '../sdk/types.js';
import {
  connectorFor,
  countBy,
  DOCUMENTED_PATHS,
  endpointsOf,
  startTiConnector,
  type TiSetup,
} from './testkit.js';

const open: TiSetup[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(...args: Parameters<typeof startTiConnector>): Promise<TiSetup> {
  const s = await startTiConnector(...args);
  open.push(s);
  return s;
}

interface FullRead {
  accounts: Account[];
  entitlements: Entitlement[];
  grants: Grant[];
}

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

/**
 * Reads every page as the sync engine does: a page that fails with a retryable error (the HTTP layer does not
 * retry a 500, even on a GET) is asked for again with the same stored token, at most three times.
 */
async function readPages<T>(
  list: (input: ListInput) => Promise<Page<T> & { grants?: Grant[] }>,
  onPage: (page: Page<T> & { grants?: Grant[] }) => void,
): Promise<void> {
  let pageToken: string | null = null;
  do {
    const token: string | null = pageToken;
    let page: (Page<T> & { grants?: Grant[] }) | undefined;
    for (let attempt = 0; page === undefined; attempt++) {
      try {
        page = await list({ pageToken: token });
      } catch (error) {
        if (!isRosterError(error) || !error.retryable || attempt >= 3) throw error;
      }
    }
    onPage(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
}

/** Everything a sync reads: accounts (group grants ride along), both entitlement kinds, course grants. */
async function fullRead(connector: Connector): Promise<FullRead> {
  const accounts = new Map<string, Account>();
  const entitlements = new Map<string, Entitlement>();
  const grants = new Map<string, Grant>();
  // Drift can repeat a record on the next page: the first one seen is kept.
  const keep = <T>(map: Map<string, T>, key: string, item: T) => {
    if (!map.has(key)) map.set(key, item);
  };
  await readPages(connector.accounts.list!, (page) => {
    for (const account of page.items) keep(accounts, account.id, account);
    for (const grant of page.grants ?? []) keep(grants, grantKey(grant), grant);
  });
  for (const ops of Object.values(connector.entitlements)) {
    await readPages(ops.list, (page) => {
      for (const entitlement of page.items) keep(entitlements, entitlement.id, entitlement);
    });
    if (ops.listGrants) {
      await readPages(ops.listGrants, (page) => {
        for (const grant of page.items) keep(grants, grantKey(grant), grant);
      });
    }
  }
  return {
    accounts: byId([...accounts.values()]),
    entitlements: byId([...entitlements.values()]),
    grants: [...grants.values()].sort((a, b) => grantKey(a).localeCompare(grantKey(b))),
  };
}

describe('sync', () => {
  it('a full read sends only documented paths, and its request counts are the documented minimum', async () => {
    // 4 sample users plus 241: 245 users, 3 pages of at most 100.
    const s = await start(sampleCompany(241));
    const read = await fullRead(s.connector);
    expect(read.accounts).toHaveLength(245);
    expect(
      read.grants.filter((g) => read.entitlements.find((e) => e.id === g.entitlementId)?.kind === 'group'),
    ).toHaveLength(2);
    expect(read.entitlements.map((e) => [e.kind, e.name]).sort()).toEqual(
      [
        ['course', 'Negotiation Basics'],
        ['course', 'New Manager Training (draft)'],
        ['course', 'Security Awareness'],
        ['group', 'Sales Academy'],
        ['group', 'Support Academy'],
      ].sort(),
    );
    expect(endpointsOf(s.sandbox).filter((e) => !DOCUMENTED_PATHS.includes(e))).toEqual([]);
    // The account listing names the groups and the users (no request): the enrollment walk reads each listed
    // user's enrollments (the guide's only per-user way) without listing them again; introspection finds no
    // User.enrollments.
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'GET /incoming/api/v1/users': 3,
      'POST /incoming/api/graphql': 1,
      'GET /incoming/api/v1/users/{id}/enrollments': 245,
    });
  });

  it('with GraphQL enrollments served (graphql-enrollments), enrollments take one request per 100 users', async () => {
    // 4 sample users plus 2,341: 2,345 users, 24 pages of at most 100.
    const s = await start(sampleCompany(2341), { undocumented: ['graphql-enrollments'] });
    const read = await fullRead(s.connector);
    expect(read.accounts).toHaveLength(2345);
    expect(countBy(endpointsOf(s.sandbox))).toEqual({
      'GET /incoming/api/v1/users': 24,
      'POST /incoming/api/graphql': 2 + 24,
    });
  });

  it('a sync opted into endpoints this tenant lacks succeeds on the documented path and stores the named groups and courses', async () => {
    const s = await start(sampleCompany(), {
      config: { undocumented: ['groups-endpoint', 'courses-endpoint', 'unenroll-endpoint'] },
    });
    const store = await openStore(':memory:');
    try {
      const result = await syncApp(s.connector, {
        store,
        connectors: [s.connector],
        configPaths: { ti: 'apps[2]' },
      });
      expect(result.error).toBeNull();
      expect(result.status).toBe('succeeded');
      const stored = await store.listEntitlements({ appId: 'ti' });
      expect(stored.map((e) => `${e.kind}:${e.name}`).sort()).toEqual([
        'course:Negotiation Basics',
        'course:New Manager Training (draft)',
        'course:Security Awareness',
        'group:Sales Academy',
        'group:Support Academy',
      ]);
      const ada = s.sandbox.state.keys.get('ada')!;
      const held = (await store.listGrants({ appId: 'ti' })).filter((g) => g.accountId === ada);
      // Ada: one group and two courses, as the app holds them.
      expect(held).toHaveLength(3);
      // Each absent endpoint was tried once (a 404) and nothing else undocumented was sent.
      const extra = endpointsOf(s.sandbox).filter((e) => !DOCUMENTED_PATHS.includes(e));
      expect(extra.sort()).toEqual(['GET /incoming/api/v1/courses', 'GET /incoming/api/v1/groups']);
    } finally {
      await store.close();
    }
  });

  it('a full read under the flaky profile equals the clean one', async () => {
    const company = sampleCompany(141);
    const clean = await start(company, { seed: 21 });
    // The documented enrollment read is one request per user, so the hidden rate limit is met: the backoff
    // it needs is the client's kind (hundreds of ms), not the few ms the other tests use to stay fast.
    const flaky = await start(company, {
      seed: 21,
      profile: 'flaky',
      http: { backoff: { baseMs: 50, capMs: 1000 }, maxRetries: 8 },
    });
    const expected = await fullRead(clean.connector);
    const got = await fullRead(flaky.connector);
    expect(got.accounts.map((a) => a.id)).toEqual(expected.accounts.map((a) => a.id));
    expect(got).toEqual(expected);
    expect(expected.accounts).toHaveLength(145);
    expect(expected.grants.length).toBeGreaterThan(0);
    // The flaky sandbox did inject faults along the way.
    expect(flaky.sandbox.requests().some((r) => r.fault !== null)).toBe(true);
  });

  it('no secret in any URL, nor in any error message', async () => {
    const s = await start(sampleCompany());
    const token = s.sandbox.credentials.token;
    const errors: unknown[] = [];
    const collect = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => errors.push(e),
      );
    const ada = s.sandbox.state.keys.get('ada')!;
    await collect(
      s.connector.accounts.create!({
        account: { email: 'ada.lovelace@acme.com', firstName: 'A', lastName: 'L' },
      }),
    );
    await collect(
      s.connector.accounts.update!({ id: ada, changes: { attributes: { 'customFields.x': 1 } } }),
    );
    await collect(
      s.connector.accounts.update!({
        id: '00000000-0000-4000-8000-00000000ffff',
        changes: { firstName: 'X' },
      }),
    );
    const wrongKey = connectorFor(s.sandbox, {
      auth: { type: 'api-key', key: `${token}x`, header: 'X-API-Key' },
    });
    await collect(wrongKey.accounts.list!({ pageToken: null }));
    await wrongKey.close();

    expect(errors.map((e) => isRosterError(e) && e.code)).toEqual([
      'conflict',
      'invalid_input',
      'not_found',
      'unauthenticated',
    ]);
    for (const error of errors) {
      expect(isRosterError(error)).toBe(true);
      if (!isRosterError(error)) continue;
      expect(error.describe()).not.toContain(token);
      expect(JSON.stringify(error.details)).not.toContain(token);
    }
    for (const request of s.sandbox.requests()) {
      expect(request.url).not.toContain(token.slice(3));
      expect(request.url).not.toMatch(/apikey/i);
    }
  });
});

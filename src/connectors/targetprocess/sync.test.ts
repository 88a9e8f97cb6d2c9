import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import { startSandbox } from '../../sandbox/kit/server.js';
import { targetprocessSandbox } from '../../sandbox/targetprocess/sandbox.js';
import { type Connector, grantKey, type ListInput, type Page, readAll } from '../sdk/index.js';
import { apiRequests, company, connectorFor, startTp, strip, type TpSandbox } from './testkit.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function open(options: Parameters<typeof startTp>[0] = {}) {
  const env = await startTp(options);
  opened.push(env);
  return env;
}

const EXTRA = 2340;
const byId = <T extends { id: string }>(a: T, b: T) => a.id.localeCompare(b.id);
const byKey = (a: Grant, b: Grant) => grantKey(a).localeCompare(grantKey(b));

interface FullRead {
  accounts: Account[];
  entitlements: Entitlement[];
  grants: Grant[];
  watermark: string | null;
}

/**
 * Reads every page as the sync engine does: a page that fails with a retryable error (the HTTP layer does
 * not retry a 500, even on a GET) is asked for again with the same stored token, at most three times.
 */
async function readPages<T>(
  list: (input: ListInput) => Promise<Page<T> & { grants?: Grant[] }>,
  onPage: (page: Page<T> & { grants?: Grant[] }) => void,
): Promise<number> {
  let resumed = 0;
  let pageToken: string | null = null;
  do {
    const token: string | null = pageToken;
    let page: (Page<T> & { grants?: Grant[] }) | undefined;
    for (let attempt = 0; page === undefined; attempt++) {
      try {
        page = await list({ pageToken: token });
      } catch (error) {
        if (!isRosterError(error) || !error.retryable || attempt >= 3) throw error;
        resumed++;
      }
    }
    onPage(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
  return resumed;
}

/** What a full sync reads: every account page (role grants ride along), every entitlement, team grants. */
async function fullRead(connector: Connector): Promise<FullRead & { resumed: number }> {
  const accounts = new Map<string, Account>();
  const grants = new Map<string, Grant>();
  const entitlements = new Map<string, Entitlement>();
  let watermark: string | null = null;
  let resumed = await readPages(connector.accounts.list!, (page) => {
    // Drift can repeat a record on the next page: the first one seen is kept.
    for (const account of page.items) if (!accounts.has(account.id)) accounts.set(account.id, strip(account));
    for (const grant of page.grants ?? []) grants.set(grantKey(grant), grant);
    watermark = page.watermark ?? null;
  });
  for (const ops of Object.values(connector.entitlements)) {
    resumed += await readPages(ops.list, (page) => {
      for (const e of page.items) if (!entitlements.has(e.id)) entitlements.set(e.id, strip(e));
    });
    if (ops.listGrants) {
      resumed += await readPages(ops.listGrants, (page) => {
        for (const grant of page.items) grants.set(grantKey(grant), strip(grant));
      });
    }
  }
  return {
    accounts: [...accounts.values()].sort(byId),
    entitlements: [...entitlements.values()].sort(byId),
    grants: [...grants.values()].sort(byKey),
    watermark,
    resumed,
  };
}

const count = (sandbox: TpSandbox, path: string) =>
  apiRequests(sandbox).filter((r) => r.method === 'GET' && r.path === path).length;

describe('Targetprocess sync', () => {
  it('request counts are the physical minimum', async () => {
    const { sandbox, connector } = await open({ company: company(EXTRA) });
    const users = sandbox.state.users.length;
    const members = sandbox.state.teamMembers.size;
    expect(users).toBe(2345);
    expect(members).toBe(3124);
    const read = await fullRead(connector);
    expect(read.accounts).toHaveLength(users);
    expect(read.grants.filter((g) => g.entitlementId.startsWith('team:'))).toHaveLength(members);
    expect(count(sandbox, '/Users')).toBe(Math.ceil(users / 1000));
    expect(count(sandbox, '/Roles')).toBe(1);
    expect(count(sandbox, '/Teams')).toBe(1);
    expect(count(sandbox, '/TeamMembers')).toBe(Math.ceil(members / 1000));
    expect(sandbox.requests()).toHaveLength(Math.ceil(users / 1000) + 1 + 1 + Math.ceil(members / 1000));
    // The watermark is the latest ModifyDate over every page, not just the last page's.
    const latest = read.accounts
      .map((a) => a.updatedAt!)
      .sort()
      .at(-1);
    expect(read.watermark).toBe(latest);
  });

  it('a full read under the flaky profile equals the clean one', { timeout: 60_000 }, async () => {
    const clean = await open({ company: company(EXTRA) });
    const flakySandbox = await startSandbox(targetprocessSandbox, {
      seed: 11,
      company: company(EXTRA),
      profile: 'flaky',
    });
    const flaky = connectorFor(flakySandbox);
    opened.push({
      close: async () => {
        await flaky.close();
        await flakySandbox.close();
      },
    });
    const expected = await fullRead(clean.connector);
    // Three rounds, so that the seeded faults surely strike (a round is only nine requests).
    for (let round = 0; round < 3; round++) {
      const { resumed, ...actual } = await fullRead(flaky);
      expect(actual.accounts).toEqual(expected.accounts);
      expect(actual.entitlements).toEqual(expected.entitlements);
      expect(actual.grants).toEqual(expected.grants);
      expect(actual.watermark).toBe(expected.watermark);
      expect(resumed).toBeLessThanOrEqual(3);
    }
    expect(expected.resumed).toBe(0);
    const faults = flakySandbox.requests().filter((r) => r.fault !== null && !r.fault.startsWith('slow'));
    expect(faults.length).toBeGreaterThan(0);
  });

  it('a page that drifted early repeats nothing and the next page starts earlier, so no record is missed', async () => {
    const { sandbox, connector } = await open({
      company: company(EXTRA),
      faults: { drift: 1, driftKinds: ['insert'] },
    });
    const seen: string[] = [];
    let pageToken: string | null = null;
    do {
      const page = await connector.accounts.list!({ pageToken });
      seen.push(...page.items.map((a) => a.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== null);
    expect(seen).toHaveLength(sandbox.state.users.length);
    expect(new Set(seen).size).toBe(seen.length);
    const skips = apiRequests(sandbox).map((r) => r.query.get('skip'));
    expect(skips).toEqual(['0', '1000', '1999']);
  });

  it("incremental: since adds ModifyDate gt '<ISO>' and returns the latest ModifyDate as the watermark", async () => {
    const { sandbox, connector } = await open();
    const first = await fullRead(connector);
    expect(first.watermark).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    await connector.accounts.update!({ id: '2', changes: { firstName: 'Janet' } });
    sandbox.clearRequests();

    const changed = await connector.accounts.list!({ pageToken: null, since: first.watermark });
    expect(changed.items.map((a) => [a.id, a.firstName])).toEqual([['2', 'Janet']]);
    expect(changed.nextPageToken).toBeNull();
    expect(changed.watermark! > first.watermark!).toBe(true);
    expect(changed.watermark).toBe(changed.items[0]?.updatedAt);
    const sent = apiRequests(sandbox)[0]!;
    expect(sent.query.get('where')).toBe(`(ModifyDate gt '${first.watermark}')`);
    expect(sent.query.get('take')).toBe('1000');

    const nothing = await connector.accounts.list!({ pageToken: null, since: changed.watermark });
    expect(nothing.items).toEqual([]);
    expect(nothing.watermark).toBe(changed.watermark);
  });

  it('team membership changes do not bump ModifyDate, so team grants come from /TeamMembers', async () => {
    const { sandbox, connector } = await open();
    const first = await fullRead(connector);
    await connector.entitlements.team!.grant!({ accountId: '5', entitlementId: 'team:10' });
    const changed = await connector.accounts.list!({ pageToken: null, since: first.watermark });
    expect(changed.items).toEqual([]);
    const teamGrants = await readAll(connector.entitlements.team!.listGrants!, grantKey);
    expect(teamGrants.map(grantKey)).toContain(grantKey({ entitlementId: 'team:10', accountId: '5' }));
    expect(sandbox.state.usersById.get(5)?.ModifyDate).toBe(
      first.accounts.find((a) => a.id === '5')?.updatedAt,
    );
  });
});

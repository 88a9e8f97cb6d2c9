import { describe, expect, it } from 'vitest';
import type { Account } from '../../core/types.js';
import { readAll } from '../sdk/paging.js';
import type { Connector } from '../sdk/types.js';
import { sampleCompany, startStackspot } from './testkit.js';

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
const strip = (accounts: Account[]) =>
  byId(accounts.map(({ raw: _raw, ...rest }: Account & { raw?: unknown }) => rest));

async function fullRead(connector: Connector) {
  return { accounts: strip(await readAll(connector.accounts.list!, (a) => a.id)) };
}

describe('StackSpot SCIM full reads', () => {
  it('request counts are the physical minimum: ceil(N / 100) list pages and nothing else', async () => {
    const { sandbox, connector } = await startStackspot({ company: sampleCompany(2345) });
    try {
      const n = sandbox.state.users.size;
      expect(n).toBeGreaterThan(500);
      const { accounts } = await fullRead(connector);
      expect(accounts).toHaveLength(n);
      expect(Object.keys(connector.entitlements)).toEqual([]);
      const requests = sandbox.requests();
      expect(
        requests.filter((r) => r.method === 'GET' && r.url.split('?')[0] === '/scim/Users'),
      ).toHaveLength(Math.ceil(n / 100));
      expect(requests).toHaveLength(Math.ceil(n / 100));
    } finally {
      await connector.close();
      await sandbox.close();
    }
  });

  it('a full read under the flaky profile equals the clean one', async () => {
    const company = sampleCompany(2345);
    const clean = await startStackspot({ company });
    const flaky = await startStackspot({ company, profile: 'flaky' });
    try {
      const expected = await fullRead(clean.connector);
      const got = await fullRead(flaky.connector);
      const again = await fullRead(flaky.connector);
      expect(got.accounts.length).toBe(clean.sandbox.state.users.size);
      expect(got).toEqual(expected);
      expect(again).toEqual(expected);
      expect(flaky.sandbox.requests().some((r) => r.fault !== null)).toBe(true);
    } finally {
      await Promise.all([clean.connector.close(), flaky.connector.close()]);
      await Promise.all([clean.sandbox.close(), flaky.sandbox.close()]);
    }
  });
});

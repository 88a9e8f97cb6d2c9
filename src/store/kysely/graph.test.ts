/** @module The graph's lean reads of a whole app's accounts and of everyone: page after page, each row once, in key order. */

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { account, person } from '../contract.testkit.js';
import { memoryStoreEachTest } from './testkit.js';

describe('listGraphAccounts', () => {
  const store = memoryStoreEachTest();

  it('reads an app of several pages whole, each account once, in id order', async () => {
    // Ids whose text order is not their numeric one, over more than two pages of the read.
    const ids = Array.from({ length: 4_501 }, (_, i) => String(i + 1));
    await store().replaceSnapshot({
      appId: 'app',
      runId: null,
      accounts: ids.map((id) => account('app', id, { email: `u${id}@example.com` })),
      entitlements: [],
      grants: [],
    });
    const read = await store().listGraphAccounts({ appId: 'app' });
    expect(read.map((a) => a.id)).toEqual([...ids].sort());
    expect(read[0]).toMatchObject({ appId: 'app', id: '1', email: 'u1@example.com' });
    expect(await store().listGraphAccounts({ appId: 'app', ids: ['4501', '2000', 'gone'] })).toHaveLength(2);
  });

  it('reads everyone over several pages, each person once, in employee id order', async () => {
    const ids = Array.from({ length: 4_501 }, (_, i) => `E${i + 1}`);
    await store().replacePeople({ sourcePath: 'hr.csv', hash: 'h', people: ids.map((id) => person(id)) });
    const read = await store().listGraphPeople({});
    expect(read.map((p) => p.employeeId)).toEqual([...ids].sort());
    expect(await store().listGraphPeople({ employeeIds: ['E4501', 'E1', 'nobody'] })).toHaveLength(2);
  });

  it.each([
    ['attributes', `'not json'`, /people\[E2\]\.attributes is not JSON/],
    ['attributes', `'{"idp_id":7}'`, /people\[E2\]\.attributes has the wrong shape/],
    ['aliases', `'["a@x.com",1]'`, /people\[E2\]\.aliases has the wrong shape/],
    ['status', `'retired'`, /people\[E2\]\.status holds "retired"/],
  ])(
    'names the person and the column when their stored %s was edited into %s',
    async (column, value, message) => {
      await store().replacePeople({ sourcePath: 'hr.csv', hash: 'h', people: [person('E1'), person('E2')] });
      await sql`update people set ${sql.ref(column)} = ${sql.raw(value)} where employee_id = 'E2'`.execute(
        store().db,
      );
      await expect(store().listGraphPeople({})).rejects.toThrow(message);
    },
  );
});

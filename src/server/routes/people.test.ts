import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from '../../store/contract.testkit.js';
import { everyPage, startTestServer, type TestServer } from '../testkit.js';

interface Listed {
  items: { employeeId: string; status: string; department: string; lastName: string }[];
  total: number;
  nextCursor: string | null;
}

const PEOPLE = 230;
const id = (n: number) => `E${String(n).padStart(4, '0')}`;

describe('GET /people', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-people-')) });
    await t.store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'h',
      people: Array.from({ length: PEOPLE }, (_, n) =>
        person(id(n), {
          status: n % 10 === 0 ? 'leaver' : 'active',
          department: n % 2 === 0 ? 'Sales' : 'Engineering',
          lastName: `Name${(PEOPLE - n) % 7}`,
        }),
      ),
    });
  });
  afterAll(async () => t?.close());

  const list = async (query: string): Promise<Listed> => {
    const response = await t.call('GET', `/people?${query}`, { token: t.tokens.read });
    expect(response.status, response.text).toBe(200);
    return response.body as Listed;
  };
  const walk = async (query: string) => {
    const pages = await everyPage<Listed['items'][number]>(t, `/people?${query}`, t.tokens.read);
    const items = pages.flatMap((page) => page.items);
    return { ids: items.map((p) => p.employeeId), items, total: pages[pages.length - 1]?.total ?? -1 };
  };

  it('pages through everyone by employee id, either way, with the total', async () => {
    const every = Array.from({ length: PEOPLE }, (_, n) => id(n));
    expect(await walk('limit=100')).toMatchObject({ ids: every, total: PEOPLE });
    expect((await walk('limit=70&order=desc')).ids).toEqual([...every].reverse());
  });

  it('filters by status and department in every listing, searches, and sorts by other fields', async () => {
    const leaversInSales = await walk('status=leaver&department=Sales&limit=5');
    expect(leaversInSales.total).toBe(PEOPLE / 10);
    expect(leaversInSales.items.every((p) => p.status === 'leaver' && p.department === 'Sales')).toBe(true);
    const found = await walk('q=e012&limit=3');
    expect(found.ids).toEqual(Array.from({ length: 10 }, (_, n) => id(120 + n)));
    expect(found.total).toBe(10);
    const byName = await walk('sort=lastName&limit=50');
    expect(byName.total).toBe(PEOPLE);
    expect(byName.items.map((p) => p.lastName)).toEqual(byName.items.map((p) => p.lastName).sort());
  });

  it('refuses a cursor of another order or sort, naming it', async () => {
    const next = (await list('limit=10')).nextCursor as string;
    for (const query of [`order=desc&cursor=${next}`, `sort=lastName&cursor=${next}`]) {
      const response = await t.call('GET', `/people?${query}`, { token: t.tokens.read });
      expect(response.status).toBe(400);
      expect(response.text).toContain('cursor');
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyPage, startTestServer, type TestServer } from '../testkit.js';

interface Listed {
  items: { appId: string; accountId: string; employeeId: string | null; manual: boolean }[];
  total: number;
  nextCursor: string | null;
}

const ACCOUNTS = 250;

describe('GET /links', () => {
  let t: TestServer;
  let app = '';

  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-links-')) });
    app = t.config.apps[0]?.id ?? '';
    await t.store.upsertApp({
      id: app,
      type: t.config.apps[0]?.type ?? 'targetprocess',
      baseUrl: 'http://x',
    });
    const accountId = (n: number) => `a${String(n).padStart(4, '0')}`;
    await t.store.upsertLinks({
      links: Array.from({ length: ACCOUNTS }, (_, n) => ({
        appId: app,
        accountId: accountId(n),
        employeeId: n % 2 === 0 ? `E${n}` : null,
        situation: n % 2 === 0 ? 'linked' : 'unmatched',
        method: n % 2 === 0 ? 'email' : null,
        confidence: n % 2 === 0 ? 0.9 : 0,
        candidates: [],
      })),
    });
    // A person's decision comes later than every computed link, to the millisecond the sort by time compares.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await t.store.decideLink({ appId: app, accountId: accountId(7), employeeId: 'E7', decidedBy: 'ana' });
  });
  afterAll(async () => t?.close());

  const list = async (query: string): Promise<Listed> => {
    const response = await t.call('GET', `/links?${query}`, { token: t.tokens.read });
    expect(response.status, response.text).toBe(200);
    return response.body as Listed;
  };
  const walk = (query: string) => everyPage<Listed['items'][number]>(t, `/links?${query}`, t.tokens.read);

  it('pages through every link in key order, either way, with the total', async () => {
    const pages = await walk('limit=100');
    expect(pages.map((p) => [p.items.length, p.total])).toEqual([
      [100, ACCOUNTS],
      [100, ACCOUNTS],
      [50, ACCOUNTS],
    ]);
    const ids = pages.flatMap((p) => p.items.map((l) => l.accountId));
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ACCOUNTS);
    const backwards = (await walk('limit=60&order=desc')).flatMap((p) => p.items.map((l) => l.accountId));
    expect(backwards).toEqual([...ids].reverse());
  });

  it('filters by situation and by whether a person decided, and still sorts by when a link moved', async () => {
    const unmatched = await walk('situation=unmatched&limit=1000');
    expect(unmatched[0]?.total).toBe(ACCOUNTS / 2 - 1);
    expect(unmatched.flatMap((p) => p.items).every((l) => l.employeeId === null)).toBe(true);
    const decided = await list('manual=true');
    expect(decided.items.map((l) => [l.accountId, l.employeeId, l.manual])).toEqual([['a0007', 'E7', true]]);
    expect(decided.total).toBe(1);
    expect((await list('manual=false&limit=1')).total).toBe(ACCOUNTS - 1);
    const moved = await list('sort=updatedAt&order=desc&limit=1');
    expect(moved.items.map((l) => l.accountId)).toEqual(['a0007']);
    expect(moved.total).toBe(ACCOUNTS);
  });

  it('refuses a cursor of another sort or order, naming it', async () => {
    const byKey = (await list('limit=10')).nextCursor as string;
    for (const query of [`order=desc&cursor=${byKey}`, `sort=updatedAt&cursor=${byKey}`]) {
      const response = await t.call('GET', `/links?${query}`, { token: t.tokens.read });
      expect(response.status).toBe(400);
      expect(response.text).toContain('cursor');
    }
  });
});

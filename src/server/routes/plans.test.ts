import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyPage, startTestServer, type TestServer } from '../testkit.js';

interface Listed {
  items: { id: string; createdAt: string; summary: { source?: string } }[];
  total: number;
  nextCursor: string | null;
}

/** Plans made through the store: a busy facade's IdP writes, and a few of the policy's among them. */
const FACADE_PLANS = 60;
const POLICY_PLANS = 5;

describe('GET /plans', () => {
  let t: TestServer;
  /** Every plan's id, in the order they were made. */
  const made: string[] = [];

  const list = async (query: string): Promise<Listed> => {
    const response = await t.call('GET', `/plans${query}`, { token: t.tokens.read });
    expect(response.status, response.text).toBe(200);
    return response.body as Listed;
  };
  /** Every page from the first to the last, checking each page's total. */
  const walk = async (query: string, total: number) => {
    const pages = await everyPage<Listed['items'][number]>(t, `/plans?${query}`, t.tokens.read);
    for (const page of pages) expect(page.total).toBe(total);
    return pages.map((page) => page.items);
  };
  /** (createdAt, id) as the listing sorts them. */
  const byKey = (a: Listed['items'][number], b: Listed['items'][number]) =>
    a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-plans-')) });
    for (let n = 0; n < FACADE_PLANS + POLICY_PLANS; n++) {
      const facade = n % 13 !== 0;
      const { plan } = await t.store.createPlan({
        stateHash: `s${n}`,
        summary: facade ? { total: 0, source: 'scim' } : { total: 0 },
        body: {},
        ops: [],
      });
      made.push(plan.id);
    }
  });
  afterAll(async () => t?.close());

  it('pages through every plan newest first, past the newest 50, down to the oldest', async () => {
    const pages = await walk('limit=7', made.length);
    expect(pages.map((p) => p.length)).toEqual([...Array(9).fill(7), 2]);
    const items = pages.flat();
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
    expect(items.map((p) => p.id).sort()).toEqual([...made].sort());
    expect(items).toEqual([...items].sort(byKey).reverse());
    expect(items.map((p) => p.id)).toContain(made[0]);

    const oldestFirst = (await walk('order=asc&sort=createdAt&limit=20', made.length)).flat();
    expect(oldestFirst.map((p) => p.id)).toEqual(items.map((p) => p.id).reverse());
  });

  it("pages through the facade's plans and the policy's apart, each with its own total", async () => {
    const facade = (await walk('source=facade&limit=25', FACADE_PLANS)).flat();
    expect(facade).toHaveLength(FACADE_PLANS);
    expect(facade.every((p) => p.summary.source === 'scim')).toBe(true);
    const policy = (await walk('source=policy&order=asc&limit=2', POLICY_PLANS)).flat();
    expect(policy.map((p) => p.id).sort()).toEqual(made.filter((_, n) => n % 13 === 0).sort());
    expect(policy).toEqual([...policy].sort(byKey));
    expect((await list('?status=draft&limit=1')).total).toBe(made.length);
    expect((await list('?status=applied')).total).toBe(0);
  });

  it('refuses a cursor handed out in the other order as invalid input about the cursor', async () => {
    const cursor = (await list('?order=asc&limit=1')).nextCursor as string;
    const refused = await t.call('GET', `/plans?order=desc&cursor=${encodeURIComponent(cursor)}`, {
      token: t.tokens.read,
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_input', where: 'cursor' });
  });
});

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { startTestServer, type TestServer, until } from '../server/testkit.js';
import { expectAccessible, HAVE_CHROMIUM, launchChromium, signIn, WAIT } from './browser.testkit.js';

const APPS = ['stackspot-scim', 'customer-directory'] as const;

interface Item {
  seq: number;
  reviewer: string;
  decision: string | null;
  decidedBy: string | null;
  comment: string | null;
}
interface Detail {
  review: { id: string; name: string };
  items: Item[];
}

describe.skipIf(!HAVE_CHROMIUM)('a reviewer working through their items in the console', () => {
  let fleet: Fleet;
  let t: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    fleet = await startFleet({ apps: [...APPS], people: 30, seed: 11 });
    const ws = fleetWorkspace(fleet, { prefix: 'roster-console-reviews-' });
    t = await startTestServer({ dir: ws.dir, config: await loadConfig(ws.file, { env: {} }) });
    expect((await t.call('POST', '/people/import', { token: t.tokens.operate, body: {} })).status).toBe(200);
    expect((await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} })).status).toBe(202);
    // Synced and not syncing: the review snapshots what the store holds.
    await until('every app synced', async () => {
      const apps = (await t.call('GET', '/apps', { token: t.tokens.read })).body as {
        items: { health: string }[];
      };
      return apps.items.every((a) => a.health === 'ok') ? true : undefined;
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fleet?.close();
  });

  it('signs in with a reviewer token, sees only their items, records a revoke and a keep, and cannot open the rest', async () => {
    const fallback = fleet.company.hr.find((p) => p.status === 'active')?.email as string;
    const started = await t.call('POST', '/reviews', {
      token: t.tokens.operate,
      body: { name: 'Q4 access review', apps: [...APPS], select: 'all', fallback, dueInDays: 7 },
    });
    expect(started.status, started.text).toBe(201);
    const campaign = started.body as Detail;
    // The reviewer with the most items works through two of them.
    const counts = new Map<string, number>();
    for (const i of campaign.items) counts.set(i.reviewer, (counts.get(i.reviewer) ?? 0) + 1);
    const [reviewer, count] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
    expect(count).toBeGreaterThanOrEqual(2);
    const made = await t.call('POST', '/tokens', {
      token: t.tokens.admin,
      body: { name: 'reviewer', scope: 'read', person: reviewer },
    });
    expect(made.status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await signIn(page, t.server.url, (made.body as { token: string }).token);
    // A reviewer lands on their reviews, and the navigation offers nothing else.
    await page.waitForURL(/\/console\/reviews$/, WAIT);
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links).toEqual(['Reviews']);
    await expectAccessible(page, "a reviewer's campaigns");

    await page.getByRole('link', { name: 'Q4 access review' }).click();
    await page.waitForURL(new RegExp(`/console/reviews/${campaign.review.id}$`), WAIT);
    // Only this reviewer's items are on the page.
    expect(await page.locator('section.card').count()).toBe(count);
    await expectAccessible(page, "a reviewer's items");

    const mine = campaign.items.filter((i) => i.reviewer === reviewer);
    const [first, second] = mine as [Item, Item];
    const decide = async (item: Item, label: 'Revoke' | 'Keep', comment: string) => {
      const card = page.locator(`#item-${item.seq}`);
      await card.getByLabel(label).check();
      await card.getByLabel('Comment (kept as evidence)').fill(comment);
      await card.getByRole('button', { name: 'Record decision' }).click();
      await page
        .locator(`#item-${item.seq} h2 .badge`)
        .getByText(label.toLowerCase(), { exact: true })
        .waitFor(WAIT);
    };
    await decide(first, 'Revoke', 'left the team in October');
    await decide(second, 'Keep', 'still on call for this app');
    // The form is gone for what was decided; the store holds the decisions, as this reviewer.
    expect(await page.locator(`#item-${first.seq} form`).count()).toBe(0);
    const after = (await t.call('GET', `/reviews/${campaign.review.id}`, { token: t.tokens.read }))
      .body as Detail;
    const stored = new Map(after.items.map((i) => [i.seq, i]));
    expect(stored.get(first.seq)).toMatchObject({
      decision: 'revoke',
      decidedBy: reviewer,
      comment: 'left the team in October',
    });
    expect(stored.get(second.seq)).toMatchObject({ decision: 'keep', decidedBy: reviewer });
    expect(after.items.filter((i) => i.decision !== null)).toHaveLength(2);

    // The rest of the console is not a reviewer's: a page sends them back, a write is refused.
    await page.goto(`${t.server.url}/console/people`);
    await page.waitForURL(/\/console\/reviews$/, WAIT);
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const refused = await page.request.post(`${t.server.url}/console/tasks/x/done`, {
      form: { _csrf: csrf ?? '', note: 'not mine' },
    });
    expect(refused.status()).toBe(403);
    await context.close();
  }, 180_000);
});

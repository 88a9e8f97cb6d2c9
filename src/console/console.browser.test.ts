import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingRow } from '../app/index.js';
import { issueToken } from '../app/tokens.js';
import { loadConfig } from '../config/load.js';
import { connectorFor } from '../connectors/registry.js';
import { shortId } from '../core/ids.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { startTestServer, type TestServer } from '../server/testkit.js';
import { tokenStore } from '../store/tokens.js';
import { expectAccessible, HAVE_CHROMIUM, launchChromium, signIn, WAIT } from './browser.testkit.js';

const SCREENSHOTS = process.env.ROSTER_SCREENSHOTS === '1';
const SHOTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

async function shot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`), fullPage: true });
}

/** Reloads until the page shows what is awaited: the server renders state, so a background job shows on reload. */
async function reloadUntil(page: Page, what: string, check: () => Promise<boolean>, attempts = 240) {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await page.waitForTimeout(250);
    await page.reload({ waitUntil: 'domcontentloaded' });
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A link of the main navigation (pages link to each other too). */
const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe.skipIf(!HAVE_CHROMIUM)('the console in a real browser, on the sandboxes', () => {
  let fleet: Fleet;
  let t: TestServer;
  let browser: Browser;
  let approverToken: string;

  beforeAll(async () => {
    fleet = await startFleet({ people: 40, seed: 7 });
    const ws = fleetWorkspace(fleet, { policy: { safety: { fourEyes: true } }, prefix: 'roster-console-' });
    const config = await loadConfig(ws.file, { env: {} });
    t = await startTestServer({ dir: ws.dir, config });
    approverToken = (
      await issueToken(
        { store: t.store, tokens: tokenStore(t.store) },
        { name: 'second-approver', scope: 'approve', createdBy: 'test' },
      )
    ).token;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await fleet?.close();
  });

  it('signs in, finds a leaver, plans from findings, approves with four eyes, applies live, re-syncs, works a task, verifies the audit', async () => {
    const url = t.server.url;
    const operator = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await operator.newPage();
    page.setDefaultTimeout(60_000);

    // 1. Sign in with an operate token; nothing secret stays in the URL or in storage.
    await signIn(page, url, t.tokens.operate);
    expect(page.url()).not.toContain('rst_');
    expect(
      await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)'),
    ).not.toContain('rst_');
    await page.getByText('No app has been synced yet').waitFor(WAIT);
    await expectAccessible(page, 'the empty overview');

    // 2. Import HR and sync every app from the Apps page; the overview shows each app healthy.
    await nav(page, 'Apps').click();
    await page.getByRole('button', { name: 'Import HR and sync all apps now' }).click();
    await page.waitForURL(/\/console\/apps$/, WAIT);
    await reloadUntil(page, 'every app synced', async () => (await page.locator('.h-ok').count()) === 5);
    await expectAccessible(page, 'the apps page');
    await shot(page, 'apps');
    await nav(page, 'Overview').click();
    await page.getByRole('heading', { name: 'Findings by kind' }).waitFor(WAIT);
    await expectAccessible(page, 'the overview');
    await shot(page, 'overview');

    // 3. From the overview to a leaver with access: what the console shows is what HR and the app hold.
    const findings = await t.server.context.findings.list('test', { rules: ['leaver_with_access'] });
    const manifests = Object.fromEntries(t.config.apps.map((a) => [a.id, connectorFor(a).manifest]));
    // One the plan removes through the app's API: an app that deactivates, or Process Street, which deletes
    // (its guide has no deactivation); elsewhere removal is a manual task.
    const byApi = findings.find(
      (f) => manifests[f.appId]?.accounts.deactivate || manifests[f.appId]?.type === 'process-street',
    ) as FindingRow;
    expect(byApi).toBeDefined();
    const hrRow = fleet.company.hr.find((p) => p.employee_id === byApi.employeeId);
    expect(hrRow?.status).toBe('leaver');
    const appConfig = t.config.apps.find((a) => a.id === byApi.appId)!;
    const held = async () => {
      const c = connectorFor(appConfig);
      try {
        return (await c.accounts.get?.({ id: byApi.accountId }))?.status ?? 'absent';
      } catch {
        return 'absent';
      }
    };
    expect(['active', 'invited']).toContain(await held());
    await page.getByRole('link', { name: 'leaver with access' }).click();
    await page.waitForURL(/\/console\/findings\?rule=leaver_with_access/, WAIT);
    await page
      .locator('#findings tr', { hasText: byApi.accountEmail ?? byApi.accountId })
      .getByRole('link', { name: byApi.personEmail ?? '' })
      .click();
    await page.waitForURL(new RegExp(`/console/people/${byApi.employeeId}$`), WAIT);
    await page.getByText(`still has access in ${byApi.appId}`).waitFor(WAIT);
    await expect(page.locator('h1').innerText()).resolves.toContain(hrRow?.last_name ?? '');
    await expect(page.locator('#acc-h + * ').innerText()).resolves.toContain(byApi.appId);
    await page.getByText('the email (or one of its aliases) matches the HR record').first().waitFor(WAIT);
    await expectAccessible(page, 'the person page');
    await shot(page, 'person');

    // 4. Every leaver with access, selected in bulk, becomes one plan; the operator cannot approve it.
    await nav(page, 'Findings').click();
    await page.getByLabel('Kind').selectOption('leaver_with_access');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/rule=leaver_with_access/, WAIT);
    await page.getByLabel('Select all findings on this page').check();
    await page.getByText(`${findings.length} selected`).waitFor(WAIT);
    await expectAccessible(page, 'the findings page');
    await shot(page, 'findings');
    const csv = await page.request.get(`${url}/console/findings.csv?rule=leaver_with_access`);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^id,severity,kind,title,app,account/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(findings.map((f) => f.id).sort());
    await page.getByRole('button', { name: 'Plan fixes for the selected findings' }).click();
    await page.waitForURL(/\/console\/plans\/[0-9a-f-]{36}$/, WAIT);
    const planId = page.url().split('/').pop() as string;
    const saved = await t.store.getPlan({ id: planId });
    expect(((saved?.body ?? {}) as { findings?: string[] }).findings?.sort()).toEqual(
      findings.map((f) => f.id).sort(),
    );
    const ops = await t.store.listOps({ planId });
    expect(ops.length).toBeGreaterThan(0);
    const waiting = ops.filter((o) => o.requiresApproval).length;
    expect(waiting).toBeGreaterThan(0);
    await page.getByText(`${waiting} op(s) wait for an approval`).waitFor(WAIT);
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await expectAccessible(page, 'the plan page');
    await shot(page, 'plan');

    // 5. A second person (another token) approves, applies, and watches each op's outcome arrive live.
    const approverContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const approver = await approverContext.newPage();
    approver.setDefaultTimeout(60_000);
    await signIn(approver, url, approverToken);
    await approver.goto(`${url}/console/plans/${planId}`);
    await approver.getByRole('button', { name: `Approve ${waiting} op(s)` }).click();
    await approver.getByText('approved by second-approver').first().waitFor(WAIT);
    expect(
      (await t.store.listOps({ planId })).filter((o) => o.approvedBy === 'second-approver'),
    ).toHaveLength(waiting);
    await approver.getByRole('button', { name: 'Apply' }).click();
    await approver.waitForURL(new RegExp(`/console/plans/${planId}$`), WAIT);
    await approver.locator('[data-progress-log] li', { hasText: 'apply finished' }).waitFor(WAIT);
    const finalStatus = await approver.locator('[data-plan-status]').innerText();
    expect(['applied', 'tasks_open']).toContain(finalStatus.trim());
    const progress = await approver.locator('[data-progress-log]').innerText();
    const after = await t.store.listOps({ planId });
    for (const op of after.filter((o) => o.status === 'succeeded')) {
      // Each op shows succeeded; the log has a line for each op seen moving while the page was open (an apply can
      // finish an op before the page loads: it is then rendered done, with nothing to add to the log).
      const cell = approver.locator(`[data-op-status="${op.seq}"]`);
      expect((await cell.innerText()).trim()).toBe('succeeded');
      const line = `op ${op.seq} (${op.appId} ${op.kind}): `;
      if (progress.includes(line)) expect(progress).toContain(`${line}succeeded`);
    }
    await shot(approver, 'plan-applied');
    expect(['inactive', 'deleted', 'absent']).toContain(await held());

    // 6. A re-sync from the console; the finding is gone from the page and from the graph.
    await page.goto(`${url}/console/apps`);
    await page.getByRole('button', { name: `Sync ${byApi.appId} now` }).click();
    await page.waitForURL(/\/console\/apps$/, WAIT);
    const resynced = async () =>
      (await t.store.listSyncRuns({ appId: byApi.appId, status: 'succeeded' })).length >= 2 &&
      (await page.locator(`#app-${byApi.appId} .h-ok`).count()) === 1;
    await reloadUntil(page, `the re-sync of ${byApi.appId}`, resynced);
    await page.goto(`${url}/console/findings?rule=leaver_with_access`);
    await page.getByRole('heading', { name: 'Findings' }).waitFor(WAIT);
    expect(
      await page
        .locator('#findings')
        .innerText()
        .catch(() => ''),
    ).not.toContain(byApi.accountEmail ?? byApi.accountId);
    const now = await t.server.context.findings.list('test', { rules: ['leaver_with_access'] });
    expect(now.some((f) => f.id === byApi.id)).toBe(false);

    // 7. The manual task the plan opened (an app whose API cannot do it) is marked done with a note.
    const open = await t.store.listTasks({ status: 'open' });
    expect(open.length).toBeGreaterThan(0);
    const task = open[0]!;
    await nav(page, 'Tasks').click();
    await page.locator(`#task-${task.id}`).getByText(task.instructions.slice(0, 40)).waitFor(WAIT);
    await expectAccessible(page, 'the tasks page');
    await shot(page, 'tasks');
    await page
      .locator(`#task-${task.id}`)
      .getByLabel('What you did')
      .fill('Removed in the admin UI, ticket IT-42');
    await page.locator(`#task-${task.id}`).getByRole('button', { name: 'Mark done' }).click();
    await page.waitForURL(/\/console\/tasks\?status=all$/, WAIT);
    await page.locator(`#task-${task.id}`).getByText('closed').waitFor(WAIT);
    const closed = (await t.store.listTasks({})).find((x) => x.id === task.id);
    expect(closed?.status).toBe('done');
    expect(closed?.closedBy).toBe('operate-bot');

    // 8. The audit log names who did what, and its chain verifies.
    await nav(page, 'Audit').click();
    await page.getByLabel('Search (who, what, subject, details)').fill('IT-42');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('td', { hasText: 'task.done' }).first().waitFor(WAIT);
    await page.getByRole('link', { name: 'Verify the chain' }).click();
    await page.getByText('The audit chain is intact').waitFor(WAIT);
    expect(await t.store.verifyAudit()).toMatchObject({ ok: true });
    const audit = await t.store.listAudit({ limit: 10_000 });
    expect(audit.find((e) => e.kind === 'plan.approved' && e.subject === planId)?.actor).toBe(
      'second-approver',
    );
    await expectAccessible(page, 'the audit page');
    await shot(page, 'audit');

    // 9. Link by hand, with a reason, from a person's page; then withdraw it. The store keeps each decision.
    const orphan = (await t.server.context.findings.list('test', { rules: ['orphan'] }))[0] as FindingRow;
    const someone = fleet.company.hr.find((p) => p.status === 'active')!;
    await nav(page, 'People').click();
    await page.getByLabel('Name, email or employee id').fill(someone.last_name);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('link', { name: `${someone.first_name} ${someone.last_name}` })
      .first()
      .waitFor(WAIT);
    await expectAccessible(page, 'the people search');
    await nav(page, 'Plans').click();
    await page.getByRole('link', { name: shortId(planId) }).waitFor(WAIT);
    await expectAccessible(page, 'the plans list');
    await page.goto(`${url}/console/people/${someone.employee_id}`);
    await page.getByLabel('App', { exact: true }).selectOption(orphan.appId);
    await page.getByLabel('Account id').fill(orphan.accountId);
    await page.locator('#l-reason').fill('shared inbox she administers, ticket IT-7');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    const row = page.locator('#acc-h + * tr', { hasText: orphan.accountId });
    await row.getByText('decided by operate-bot').waitFor(WAIT);
    const decided = (await t.store.listLinks({ appId: orphan.appId })).find(
      (l) => l.accountId === orphan.accountId,
    );
    expect(decided).toMatchObject({ manual: true, employeeId: someone.employee_id });
    await row.getByLabel('Reason').fill('linked by mistake');
    await row.getByRole('button', { name: 'Withdraw link' }).click();
    await page.getByRole('heading', { name: 'Accounts across apps' }).waitFor(WAIT);
    const withdrawn = (await t.store.listLinks({ appId: orphan.appId })).find(
      (l) => l.accountId === orphan.accountId,
    );
    expect(withdrawn?.manual ?? false).toBe(false);
    const reasons = (await t.store.listAudit({ limit: 10_000 }))
      .filter((e) => e.subject === orphan.accountId && e.kind.startsWith('link.'))
      .map((e) => [e.kind, e.actor, e.data.reason]);
    expect(reasons).toEqual([
      ['link.decided', 'operate-bot', 'shared inbox she administers, ticket IT-7'],
      ['link.withdrawn', 'operate-bot', 'linked by mistake'],
    ]);

    // 10. The keyboard reaches the content first: the skip link moves focus to the page's main region.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
      'Skip to content',
    );
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('main');

    // 11. Signing out ends the session: the pages ask to sign in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login$/, WAIT);
    await page.goto(`${url}/console/plans`);
    await page.waitForURL(/\/console\/login\?next=/, WAIT);
    await operator.close();
    await approverContext.close();
  }, 600_000);
});

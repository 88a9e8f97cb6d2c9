import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../app/tokens.js';
import { person } from '../identity/testkit.js';
import { startTestServer, type TestServer } from '../server/testkit.js';
import { serverDb } from '../store/server-tables.js';
import { type TokenScope, tokenStore } from '../store/tokens.js';
import { SESSION_COOKIE } from './sessions.js';

/** A browser stand-in: keeps the cookies the console sets and never follows redirects. */
function client(t: TestServer) {
  const jar = new Map<string, string>();
  const cookie = () => [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (r: Response) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = (pair ?? '').split('=');
      if (k) {
        if (v) jar.set(k.trim(), v.trim());
        else jar.delete(k.trim());
      }
    }
    return r;
  };
  return {
    jar,
    async get(path: string) {
      return keep(
        await fetch(`${t.server.url}${path}`, { headers: { cookie: cookie() }, redirect: 'manual' }),
      );
    },
    async post(path: string, form: Record<string, string | string[]>) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
      return keep(
        await fetch(`${t.server.url}${path}`, {
          method: 'POST',
          headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
          body,
          redirect: 'manual',
        }),
      );
    },
    /** Signs in with a token; returns the CSRF token the session's forms carry. */
    async login(token: string) {
      const page = await (await this.get('/console/login')).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const r = await this.post('/console/login', { _csrf: csrf, token, next: '/console/tasks' });
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe('/console/tasks');
      const tasks = await (await this.get('/console/tasks')).text();
      return /name="_csrf" value="([^"]+)"/.exec(tasks)?.[1] ?? '';
    },
  };
}

describe('console sign-in and write protection', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-console-')) });
  });
  afterAll(async () => t?.close());

  it('sends a visitor without a session to the login page, keeping where they were going', async () => {
    const r = await client(t).get('/console/plans?x=1');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/console/login?next=${encodeURIComponent('/console/plans?x=1')}`);
    expect((await client(t).get('/')).headers.get('location')).toBe('/console');
  });

  it('exchanges a token for an httpOnly SameSite=Strict cookie whose id is stored only hashed', async () => {
    const c = client(t);
    const page = await (await c.get('/console/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const bad = await c.post('/console/login', { _csrf: csrf, token: 'rst_nope' });
    expect(bad.status).toBe(401);
    const again = await bad.text();
    expect(again).toContain('the API token is unknown or revoked');
    expect(again).not.toContain('rst_nope');
    expect(c.jar.has(SESSION_COOKIE)).toBe(false);
    const r = await c.post('/console/login', {
      _csrf: /name="_csrf" value="([^"]+)"/.exec(again)?.[1] ?? '',
      token: t.tokens.read,
      next: 'https://evil.example/',
    });
    expect(r.headers.get('location')).toBe('/console');
    const set = r.headers.getSetCookie().find((s) => s.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    const id = c.jar.get(SESSION_COOKIE) ?? '';
    expect(id.length).toBeGreaterThan(30);
    const rows = await serverDb(t.store).selectFrom('console_sessions').selectAll().execute();
    expect(rows.some((row) => row.id_hash === id)).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(id);
    const overview = await c.get('/console');
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await overview.text();
    expect(html).toContain('Signed in as');
    expect(html).not.toContain(t.tokens.read);
  });

  it("refuses a SCIM facade token at sign-in, and confines a reviewer's session to the review pages", async () => {
    const deps = { store: t.store, tokens: tokenStore(t.store) };
    const appId = t.config.apps[0]?.id ?? 'targetprocess';
    const scim = (await issueToken(deps, { name: 'okta', scope: `scim:${appId}`, createdBy: 'test' })).token;
    const c = client(t);
    const page = await (await c.get('/console/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const r = await c.post('/console/login', { _csrf: csrf, token: scim });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain(`for scim:${appId} only`);
    expect(c.jar.has(SESSION_COOKIE)).toBe(false);

    const reviewerToken = (
      await issueToken(deps, {
        name: 'reviewer',
        scope: 'admin',
        createdBy: 'test',
        person: 'pat@example.com',
      })
    ).token;
    const reviewer = client(t);
    const loginPage = await (await reviewer.get('/console/login')).text();
    const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(loginPage)?.[1] ?? '';
    const signedIn = await reviewer.post('/console/login', { _csrf: loginCsrf, token: reviewerToken });
    expect(signedIn.headers.get('location')).toBe('/console/reviews');
    const reviews = await reviewer.get('/console/reviews');
    expect(reviews.status).toBe(200);
    const sessionCsrf = /name="_csrf" value="([^"]+)"/.exec(await reviews.text())?.[1] ?? '';
    // Even with an admin scope, a reviewer's session opens nothing else: pages send it back, writes are refused.
    const people = await reviewer.get('/console/people');
    expect([people.status, people.headers.get('location')]).toEqual([303, '/console/reviews']);
    const auditBefore = (await t.store.listAudit({ limit: 10_000 })).length;
    const write = await reviewer.post('/console/tasks/x/done', { _csrf: sessionCsrf, note: 'not mine' });
    expect(write.status).toBe(403);
    expect((await t.store.listAudit({ limit: 10_000 })).length).toBe(auditBefore);
  });

  it('refuses a login form without its CSRF token', async () => {
    const c = client(t);
    await c.get('/console/login');
    const r = await c.post('/console/login', { token: t.tokens.admin });
    expect(r.status).toBe(403);
    expect(c.jar.has(SESSION_COOKIE)).toBe(false);
  });

  it('refuses every write without the CSRF token, or from a read-only session, and changes nothing', async () => {
    const writes = t.server.routes
      .filter((r) => r.method === 'POST' && r.url.startsWith('/console/') && r.url !== '/console/login')
      .map((r) => r.url.replace(':id', 'x'));
    expect(writes.length).toBeGreaterThanOrEqual(10);
    const auditBefore = (await t.store.listAudit({ limit: 10_000 })).length;
    const admin = client(t);
    const adminCsrf = await admin.login(t.tokens.admin);
    const reader = client(t);
    const readerCsrf = await reader.login(t.tokens.read);
    const afterLogins = (await t.store.listAudit({ limit: 10_000 })).length;
    expect(afterLogins).toBe(auditBefore + 2);
    for (const url of writes) {
      const form = { reason: 'because', note: 'done', app: 'x', appId: 'x', accountId: 'y', person: 'z' };
      const missing = await admin.post(url, form);
      expect(missing.status, `${url} without CSRF`).toBe(403);
      const wrong = await admin.post(url, { ...form, _csrf: readerCsrf });
      expect(wrong.status, `${url} with another session's CSRF`).toBe(403);
      if (url === '/console/logout') continue;
      const readOnly = await reader.post(url, { ...form, _csrf: readerCsrf });
      expect(readOnly.status, `${url} as read-only`).toBe(403);
    }
    expect((await t.store.listAudit({ limit: 10_000 })).length).toBe(afterLogins);
    expect(await t.store.listPlans({})).toEqual([]);
    // The admin session still works: the refusals did not sign anyone out.
    expect((await admin.get('/console/plans')).status).toBe(200);
    expect(adminCsrf).not.toBe(readerCsrf);
  });

  it('signs out: the cookie is cleared and the session no longer opens pages', async () => {
    const c = client(t);
    const csrf = await c.login(t.tokens.operate);
    const id = c.jar.get(SESSION_COOKIE) ?? '';
    expect((await c.post('/console/logout', { _csrf: csrf })).status).toBe(303);
    expect(c.jar.has(SESSION_COOKIE)).toBe(false);
    c.jar.set(SESSION_COOKIE, id);
    expect((await c.get('/console')).status).toBe(303);
  });

  it('ends the sessions of a revoked token', async () => {
    const c = client(t);
    await c.login(t.tokens.approve);
    expect((await c.get('/console/audit')).status).toBe(200);
    await t.server.context.tokens.revoke({ idOrName: `${'approve' satisfies TokenScope}-bot` });
    expect((await c.get('/console/audit')).status).toBe(303);
  });

  it('ends a session when its time is up', async () => {
    let now = Date.parse('2026-12-01T09:00:00Z');
    const later = await startTestServer({
      dir: mkdtempSync(join(tmpdir(), 'roster-console-')),
      clock: () => new Date(now),
    });
    try {
      const c = client(later);
      await c.login(later.tokens.read);
      now += 7 * 60 * 60 * 1000;
      expect((await c.get('/console/tasks')).status).toBe(200);
      now += 2 * 60 * 60 * 1000;
      expect((await c.get('/console/tasks')).status).toBe(303);
    } finally {
      await later.close();
    }
  });

  it('shows the newest events on the overview and a person’s own events on their page, read by the store', async () => {
    const { store } = t.server.context;
    await store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'console-history',
      people: [person('E77', 'rita.moreno@acme.com')],
    });
    await store.appendAudit({
      actor: 'okta',
      kind: 'op.succeeded',
      subject: 'RITA.MORENO@acme.com',
      data: {},
    });
    for (let i = 0; i < 20; i++)
      await store.appendAudit({ actor: 'okta', kind: 'scim.request', subject: `other-${i}`, data: {} });
    const c = client(t);
    await c.login(t.tokens.read);
    const overview = await (await c.get('/console')).text();
    // The newest 15 only: the last event is there, the person's (older than 20 others) is not.
    const recent = overview.slice(overview.indexOf('id="recent-h"'));
    const rows = recent.slice(0, recent.indexOf('</table>')).match(/<tr>/g) ?? [];
    expect(rows.length).toBe(16);
    expect(recent).toContain('other-19');
    expect(recent).not.toContain('RITA.MORENO@acme.com');
    const page = await (await c.get('/console/people/E77')).text();
    const history = page.slice(page.indexOf('id="hist-h"'));
    expect(history).toContain('op.succeeded');
    expect(history).not.toContain('scim.request');
  });

  it('searches the audit log by text and kind, counted and paged by the store, newest first', async () => {
    const { store } = t.server.context;
    for (let i = 0; i < 3; i++)
      await store.appendAudit({
        actor: 'entra',
        kind: 'scim.search-test',
        subject: `found-${i}`,
        data: { i },
      });
    const c = client(t);
    await c.login(t.tokens.read);
    const all = await (await c.get('/console/audit?q=FOUND-')).text();
    expect(all).toContain('3 events, newest first.');
    expect(all.indexOf('found-2')).toBeLessThan(all.indexOf('found-0'));
    // The kinds offered are the log's own.
    expect(all).toContain('<option>scim.search-test</option>');
    const kind = await (await c.get('/console/audit?kind=scim.search-test&q=found-1')).text();
    expect(kind).toContain('1 event, newest first.');
    expect(kind).toContain('found-1');
    expect(kind).not.toContain('found-2');
    const none = await (await c.get('/console/audit?q=%25_nothing')).text();
    expect(none).toContain('0 events, newest first.');
    expect(none).toContain('No event matches');
  });

  it("lists the policy's plans, and the SCIM facade's apart, so a busy IdP cannot push the policy's off the page", async () => {
    const { store } = t.server.context;
    const made = async (summary: Record<string, unknown>) =>
      (await store.createPlan({ stateHash: 's', summary, body: {}, ops: [] })).plan.id;
    const policy = await made({ total: 0 });
    const writes = [];
    for (let i = 0; i < 120; i++) writes.push(await made({ total: 1, source: 'scim', removals: 0 }));
    const c = client(t);
    await c.login(t.tokens.read);
    const page = await (await c.get('/console/plans')).text();
    expect(page).toContain(`/console/plans/${policy}`);
    expect(page).not.toContain(`/console/plans/${writes[119]}`);
    const facade = await (await c.get('/console/plans?facade=1')).text();
    expect(facade).toContain(`/console/plans/${writes[119]}`);
    expect(facade).not.toContain(`/console/plans/${policy}`);
    // A page holds the newest 100; the older ones are a link away, down to the first write, each listed once.
    expect(facade).toContain('(120 in all)');
    const listed = (page: string) =>
      [...page.matchAll(/href="\/console\/plans\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(listed(facade)).toHaveLength(100);
    const older = /href="([^"]+)" rel="next">Older plans</.exec(facade)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toMatch(/^\/console\/plans\?facade=1&cursor=/);
    const last = await (await c.get(older as string)).text();
    expect(listed(last)).toHaveLength(20);
    expect(listed(last)).toContain(writes[0]);
    expect([...listed(facade), ...listed(last)].sort()).toEqual([...writes].sort());
    expect(last).not.toContain('Older plans');
    expect(last).toContain('href="/console/plans?facade=1">Newest plans</a>');
    const bad = await c.get('/console/plans?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('cursor');
  });

  it("counts every removal the SCIM facade held on the overview, apart from the policy's plans awaiting approval", async () => {
    const { store } = t.server.context;
    const app = t.server.context.config.apps[0]?.id ?? '';
    const op = { appId: app, target: {}, requiresApproval: true };
    const policy = (
      await store.createPlan({
        stateHash: 's',
        summary: { total: 1, approvals: 1 },
        body: { requestedBy: 'policy-owner' },
        ops: [{ ...op, kind: 'delete' }],
      })
    ).plan.id;
    // More held removals than the overview read of drafts, all newer than the policy's plan.
    for (let i = 0; i < 60; i++) {
      await store.createPlan({
        stateHash: 's',
        summary: {
          total: 1,
          source: 'scim',
          removals: 1,
          hold: { key: `${app}|deactivate|u${i}` },
          approvals: 1,
        },
        body: { source: 'scim', requestedBy: 'okta' },
        ops: [{ ...op, kind: 'deactivate' }],
      });
    }
    const c = client(t);
    await c.login(t.tokens.read);
    const page = await (await c.get('/console')).text();
    const waiting = page.slice(page.indexOf('id="wait-h"'));
    expect(waiting).toContain(`/console/plans/${policy}`);
    expect(waiting).toMatch(/<span class="count">1<\/span> plan waiting for approval/);
    expect(waiting).toMatch(/<span class="count">60<\/span> removals held at the SCIM facade/);
    expect(waiting.match(/deactivate\|u\d+, asked by okta/g)).toHaveLength(10);
  });

  it('pages the people by employee id, reading only the page, and searches them by name or address', async () => {
    const { store } = t.server.context;
    const ids = Array.from({ length: 120 }, (_, i) => `P${String(i).padStart(3, '0')}`);
    await store.replacePeople({
      sourcePath: 'hr.csv',
      hash: 'console-people',
      people: ids.map((id, i) =>
        person(id, `first${i}.last${i}@acme.com`, i % 4 === 0 ? { status: 'leaver' } : {}),
      ),
    });
    const c = client(t);
    await c.login(t.tokens.read);
    const shown = (page: string) => [...page.matchAll(/<td>(P\d{3})<\/td>/g)].map((m) => m[1]);
    const second = await (await c.get('/console/people?page=2')).text();
    expect(shown(second)).toEqual(ids.slice(50, 100));
    expect(second).toContain('Page 2 of 3 (120 in all)');
    const leavers = await (await c.get('/console/people?status=leaver')).text();
    expect(shown(leavers)).toEqual(ids.filter((_, i) => i % 4 === 0));
    expect(leavers).not.toContain('Page 1 of');
    const found = await (await c.get('/console/people?q=FIRST11')).text();
    expect(shown(found)).toEqual([
      'P011',
      'P110',
      'P111',
      'P112',
      'P113',
      'P114',
      'P115',
      'P116',
      'P117',
      'P118',
      'P119',
    ]);
    const past = await (await c.get('/console/people?page=9')).text();
    expect(shown(past)).toEqual([]);
  });

  it('answers a page about something that is not there with a readable 404 naming it', async () => {
    const c = client(t);
    await c.login(t.tokens.read);
    const r = await c.get('/console/people/%3Cscript%3Ex%3C%2Fscript%3E');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await r.text();
    expect(page).toContain('no person &quot;&lt;script&gt;x&lt;/script&gt;&quot; in the last import');
    expect(page).not.toContain('<script>x');
  });
});

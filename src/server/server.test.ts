import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../app/tokens.js';
import { MIGRATIONS } from '../store/migrations/index.js';
import { startTestServer, type TestServer, testConfig } from './testkit.js';

describe('the API server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      dir: mkdtempSync(join(tmpdir(), 'roster-serve-')),
      rateLimit: { max: 5, timeWindowMs: 60_000 },
    });
  });
  afterAll(async () => t?.close());

  it('answers /healthz and /readyz without a token, readiness checking the store migrations', async () => {
    expect((await t.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    const count = Object.keys(MIGRATIONS).length;
    expect(ready.body).toMatchObject({ status: 'ready', migrations: { applied: count, expected: count } });
  });

  it('serves interactive docs at /docs without a token', async () => {
    const page = await fetch(`${t.server.url}/docs`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });

  it('puts a request id on every response, keeping a caller-given one', async () => {
    const own = await t.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(own.headers.get('x-request-id')).toBe('trace-123');
    const fresh = await t.call('GET', '/nowhere');
    expect(fresh.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(fresh.body).toMatchObject({ code: 'not_found', requestId: fresh.headers.get('x-request-id') });
  });

  it('refuses a request with no token, a bad token or a revoked one as problem+json 401', async () => {
    for (const token of [null, 'rst_nope', `rst_${'a'.repeat(43)}`]) {
      const r = await t.call('GET', '/tokens', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.body).toMatchObject({ code: 'unauthenticated', status: 401, instance: '/tokens' });
      // A refused token is never echoed back.
      if (token) expect(r.text).not.toContain(token);
    }
  });

  it('refuses a token whose scope is too low with 403, and lets a high enough one through', async () => {
    const r = await t.call('GET', '/tokens', { token: t.tokens.approve });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'forbidden', fix: expect.stringContaining('admin') });
    const ok = await t.call('GET', '/tokens', { token: t.tokens.admin });
    expect(ok.status).toBe(200);
    const names = (ok.body as { items: { name: string }[] }).items.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['read-bot', 'admin-bot']));
    expect(ok.text).not.toMatch(/rst_[A-Za-z0-9_-]{43}/);
  });

  it('creates a token shown once, stores only its hash, and a revoked token stops working', async () => {
    const created = await t.call('POST', '/tokens', {
      token: t.tokens.admin,
      body: { name: 'ci', scope: 'read' },
    });
    expect(created.status).toBe(201);
    const { token } = created.body as { token: string };
    expect(token).toMatch(/^rst_[A-Za-z0-9_-]{43}$/);
    expect((await t.call('GET', '/readyz', { token })).status).toBe(200);
    const audit = await t.store.listAudit({});
    expect(audit.find((e) => e.kind === 'token.created' && e.subject === 'ci')?.actor).toBe('admin-bot');
    expect(JSON.stringify(audit)).not.toContain(token);

    expect((await t.call('DELETE', '/tokens/ci', { token: t.tokens.admin })).status).toBe(200);
    expect((await t.call('GET', '/tokens', { token })).status).toBe(401);
  });

  it('rejects a body that does not match its schema with 400 naming the field', async () => {
    const r = await t.call('POST', '/tokens', { token: t.tokens.admin, body: { name: 'x', scope: 'root' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'invalid_input', where: 'body.scope' });
  });
});

describe('the API rate limit', () => {
  it('limits requests per token with 429 and Retry-After, leaving other tokens their own budget', async () => {
    const t = await startTestServer({
      dir: mkdtempSync(join(tmpdir(), 'roster-serve-')),
      rateLimit: { max: 3, timeWindowMs: 60_000 },
    });
    try {
      const other = await issueToken(t.server.context, { name: 'other', scope: 'admin', createdBy: 'test' });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await t.call('GET', '/tokens', { token: t.tokens.admin })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const last = await t.call('GET', '/tokens', { token: t.tokens.admin });
      expect(last.body).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await t.call('GET', '/tokens', { token: other.token })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('the rate limit from roster.yaml', () => {
  it('applies server.rateLimit when the caller gives none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-serve-'));
    const t = await startTestServer({
      dir,
      config: testConfig(dir, { server: { rateLimit: { max: 2, window: '1m' } } }),
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await t.call('GET', '/tokens', { token: t.tokens.admin })).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('the API logs', () => {
  it('are JSON lines, each line about a request carrying its request id, and never the token', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await startTestServer({
      dir: mkdtempSync(join(tmpdir(), 'roster-serve-')),
      logger: { level: 'info', stream },
    });
    try {
      const ok = await t.call('GET', '/tokens', { token: t.tokens.admin });
      const refused = await t.call('GET', '/tokens', { token: t.tokens.read });
      for (const r of [ok, refused]) {
        const id = r.headers.get('x-request-id');
        const about = lines.filter((l) => l.reqId === id);
        // At least "incoming request" and "request completed"; the refusal also says why.
        expect(about.length, JSON.stringify(lines)).toBeGreaterThanOrEqual(2);
      }
      expect(
        lines.find((l) => l.reqId === refused.headers.get('x-request-id') && l.code === 'forbidden'),
      ).toBeDefined();
      const text = JSON.stringify(lines);
      for (const token of Object.values(t.tokens)) expect(text).not.toContain(token);
    } finally {
      await t.close();
    }
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeAllows } from '../app/tokens.js';
import { TOKEN_SCOPES } from '../store/tokens.js';
import { startTestServer, type TestServer } from './testkit.js';

interface Operation {
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: unknown;
  security?: unknown[];
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** OpenAPI `{id}` path → the server's `:id`. */
const toFastifyPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');
const UNKNOWN = 'unknown-0000';

describe('the OpenAPI document', () => {
  let t: TestServer;
  let doc: Document;
  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-openapi-')) });
    doc = (await t.call('GET', '/openapi.json')).body as Document;
  });
  afterAll(async () => t?.close());

  it('is valid OpenAPI 3.1 by a real validator', async () => {
    const result = await validate(structuredClone(doc) as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('describes every route the server has (docs UI aside)', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${toFastifyPath(path)}`),
      ),
    );
    // The SCIM facade speaks RFC 7644 and describes itself at /scim/v2/<app>/Schemas, not in this document;
    // the console (and / sending a browser to it) is HTML for people, not part of the API.
    const served = t.server.routes
      .filter(
        (r) =>
          !r.url.startsWith('/docs') &&
          !r.url.startsWith('/scim/') &&
          !r.url.startsWith('/console') &&
          r.url !== '/' &&
          r.method !== 'HEAD',
      )
      .map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('every route refuses no token (401) and a too-low scope (403), and lets its scope through', async () => {
    const checked: string[] = [];
    for (const route of t.server.routes) {
      if (route.url.startsWith('/docs') || route.method === 'HEAD') continue;
      const path = route.url.replace(/:[A-Za-z]+/g, UNKNOWN);
      // The SCIM facade checks its tokens per app, and answers in SCIM's error form (src/server/scim/routes.test.ts).
      if (route.scope === 'public' || route.scope === 'webhook' || route.scope === 'scim') continue;
      const withBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
      const bad = (token?: string) =>
        t.call(route.method, path, { token: token ?? null, ...(withBody ? { body: 'not an object' } : {}) });
      const none = await bad();
      expect(none.status, `${route.method} ${route.url} without a token`).toBe(401);
      expect(none.body).toMatchObject({ code: 'unauthenticated' });
      for (const scope of TOKEN_SCOPES) {
        const r = await bad(t.tokens[scope]);
        if (scopeAllows(scope, route.scope)) {
          expect([401, 403], `${route.method} ${route.url} with ${scope}`).not.toContain(r.status);
        } else {
          expect(r.status, `${route.method} ${route.url} with ${scope}`).toBe(403);
          expect(r.body).toMatchObject({ code: 'forbidden' });
        }
      }
      checked.push(`${route.method} ${route.url}`);
    }
    expect(checked.length).toBeGreaterThan(20);
  });

  it('answers a bad body with 400 and an unknown id with 404, for every route the document lists', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = t.server.routes.find(
          (r) => r.url === toFastifyPath(path) && r.method === method.toUpperCase(),
        );
        const token =
          route && route.scope !== 'public' && route.scope !== 'webhook' && route.scope !== 'scim'
            ? t.tokens[route.scope]
            : null;
        const url = path.replace(/\{[^}]+\}/g, UNKNOWN);
        const where = `${method.toUpperCase()} ${path}`;
        if (op.requestBody !== undefined) {
          const r = await t.call(method.toUpperCase(), url, { token, body: 'not an object' });
          expect(r.status, where).toBe(400);
          expect(r.body, where).toMatchObject({
            code: 'invalid_input',
            where: expect.stringMatching(/^body/),
          });
        } else if (path.includes('{')) {
          const requiredQuery = (op.parameters ?? []).some((p) => p.in === 'query' && p.required);
          const r = await t.call(method.toUpperCase(), url, { token });
          expect(r.status, where).toBe(requiredQuery ? 400 : 404);
          expect(r.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
        }
      }
    }
  });
});

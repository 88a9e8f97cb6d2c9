import { afterEach, describe, expect, it } from 'vitest';
import { bearerToken, type SandboxDefinition, type SandboxHandle, startSandbox } from './server.js';

interface EchoState {
  items: { id: string; name: string }[];
}

const echo: SandboxDefinition<EchoState> = {
  type: 'process-street',
  title: 'Echo',
  retryAfter: 'always',
  credentials: (seed) => ({ token: `echo_${seed}` }),
  baseUrl: (origin) => `${origin}/api`,
  createState: () => ({ items: [] }),
  snapshot: (state) => state,
  restore: (json) => json as EchoState,
  summary: (state) => ({ items: state.items.length }),
  authenticate: (request, credentials) =>
    bearerToken(request) === credentials.token ? { ok: true } : { ok: false, status: 401, message: 'no' },
  errorBody: (status, message) => ({ status, message }),
  routes(app, ctx) {
    app.get('/api/items', async () => ({ items: ctx.state.items }));
    app.post('/api/items', async (request) => {
      const item = { id: ctx.newId('it_'), name: (request.body as { name: string }).name };
      ctx.state.items.push(item);
      return item;
    });
  },
};

let sandbox: SandboxHandle<EchoState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const auth = { authorization: 'Bearer echo_7' };

describe('undocumented flags', () => {
  const flagged: SandboxDefinition<EchoState> = {
    ...echo,
    undocumented: { 'count-endpoint': 'GET /api/count' },
    appConfig: (state, flags) => ({ items: state.items.length, optIn: flags }),
    routes(app, ctx) {
      echo.routes(app, ctx);
      if (ctx.undocumented('count-endpoint')) app.get('/api/count', async () => ({ count: 0 }));
    },
  };

  it('an undocumented route is served only with its flag, and info and appConfig say which are on', async () => {
    sandbox = await startSandbox(flagged, { seed: 7 });
    expect((await fetch(`${sandbox.baseUrl}/count`, { headers: auth })).status).toBe(404);
    expect(sandbox.undocumented).toEqual([]);
    await sandbox.close();
    sandbox = await startSandbox(flagged, { seed: 7, undocumented: ['count-endpoint'] });
    expect((await fetch(`${sandbox.baseUrl}/count`, { headers: auth })).status).toBe(200);
    const info = (await (await fetch(`${sandbox.origin}/__admin/info`)).json()) as { undocumented: string[] };
    expect(info.undocumented).toEqual(['count-endpoint']);
    expect(sandbox.appConfig()).toEqual({ items: 0, optIn: ['count-endpoint'] });
  });

  it('a flag the definition does not have is an error, not silently off', async () => {
    await expect(startSandbox(flagged, { undocumented: ['count-endpoin'] })).rejects.toThrow(
      'the process-street sandbox has no undocumented flag "count-endpoin" (known: count-endpoint)',
    );
    await expect(startSandbox(echo, { undocumented: ['x'] })).rejects.toThrow(
      'it serves nothing undocumented',
    );
  });
});

describe('sandbox kit', () => {
  it('rejects a request without the token and logs it', async () => {
    sandbox = await startSandbox(echo, { seed: 7 });
    const res = await fetch(`${sandbox.baseUrl}/items`);
    expect(res.status).toBe(401);
    expect(sandbox.requests()).toHaveLength(1);
    expect(sandbox.requests()[0]?.status).toBe(401);
  });

  it('answers 429 with Retry-After once the hidden bucket is empty', async () => {
    sandbox = await startSandbox(echo, {
      seed: 7,
      faults: { rateLimit: { capacity: 2, refillPerSecond: 0.001 } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${sandbox.baseUrl}/items`, { headers: auth });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).not.toBeNull();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it('a lost response still applies the mutation', async () => {
    sandbox = await startSandbox(echo, { seed: 7, faults: { lostResponse: 1 } });
    const res = await fetch(`${sandbox.baseUrl}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    }).then(
      (r) => r.status,
      () => 'reset',
    );
    expect([502, 'reset']).toContain(res);
    expect(sandbox.state.items).toHaveLength(1);
  });

  it('a reset drops the connection and a hang never answers', async () => {
    sandbox = await startSandbox(echo, { seed: 7, faults: { reset: 1 } });
    await expect(fetch(`${sandbox.baseUrl}/items`, { headers: auth })).rejects.toThrow();
    sandbox.setFaults('clean', { hang: 1 });
    await expect(
      fetch(`${sandbox.baseUrl}/items`, { headers: auth, signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect(sandbox.requests().map((r) => r.fault)).toEqual(['reset', 'hang']);
  });

  it('a scripted fault answers its status, or answers as usual only after its delay, as many times as it says', async () => {
    sandbox = await startSandbox(echo, { seed: 7 });
    sandbox.scriptFaults([
      { method: 'GET', path: '/items$', status: 503, times: 1 },
      { method: 'POST', path: '/items$', delayMs: 150, times: 1 },
    ]);
    const get = () => fetch(`${sandbox?.baseUrl}/items`, { headers: auth }).then((r) => r.status);
    const post = async () => {
      const at = performance.now();
      const status = await fetch(`${sandbox?.baseUrl}/items`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x' }),
      }).then((r) => r.status);
      return { status, waited: performance.now() - at };
    };
    expect([await get(), await get()]).toEqual([503, 200]);
    const slow = await post();
    expect(slow.status).toBe(200);
    // Held at least as long as the rule says (a floor: the host may add to it, never take from it).
    expect(slow.waited).toBeGreaterThanOrEqual(150);
    expect((await post()).status).toBe(200);
    expect(sandbox.state.items).toHaveLength(2);
    expect(sandbox.requests().map((r) => r.fault ?? null)).toEqual([
      'scripted:503',
      null,
      'slow:150ms',
      null,
    ]);
    // A rule must say which of the two it is.
    for (const rules of [[{ path: '/items', status: 503, delayMs: 10 }], [{ path: '/items' }]]) {
      const refused = await fetch(`${sandbox.origin}/__admin/faults/scripted`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rules }),
      });
      expect(refused.status).toBe(400);
    }
  });

  it('the admin API seeds state, moves the clock and lists requests without logging itself', async () => {
    sandbox = await startSandbox(echo, { seed: 7 });
    const put = await fetch(`${sandbox.origin}/__admin/state`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ id: 'a', name: 'A' }] }),
    });
    expect(await put.json()).toEqual({ items: 1 });
    const clock = await fetch(`${sandbox.origin}/__admin/clock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ now: '2030-01-01T00:00:00.000Z' }),
    });
    expect(((await clock.json()) as { now: string }).now.slice(0, 4)).toBe('2030');
    await fetch(`${sandbox.baseUrl}/items`, { headers: auth });
    const log = (await (await fetch(`${sandbox.origin}/__admin/requests`)).json()) as unknown[];
    expect(log).toHaveLength(1);
  });

  it('malformed JSON is a 400 in the app error shape', async () => {
    sandbox = await startSandbox(echo, { seed: 7 });
    const res = await fetch(`${sandbox.baseUrl}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ status: 400, message: 'Request body is not valid JSON' });
  });
});

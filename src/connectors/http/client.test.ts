import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../../core/errors.js';
import {
  bearerToken,
  type SandboxDefinition,
  type SandboxHandle,
  startSandbox,
} from '../../sandbox/kit/server.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from './client.js';
import { RatePacer } from './pacer.js';
import { withAmbiguityCheck } from './retry.js';
import { inOrder, type ScriptedServer, type ScriptHandler, startScriptedServer } from './testkit.js';

const TOKEN = 'tok_Sup3rSecret';

let server: ScriptedServer | undefined;
let sandbox: SandboxHandle<EchoState> | undefined;
const clients: HttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  await sandbox?.close();
  server = undefined;
  sandbox = undefined;
});

interface Harness {
  client: HttpClient;
  server: ScriptedServer;
  sleeps: number[];
}

async function harness(handler: ScriptHandler, options: Partial<HttpClientOptions> = {}): Promise<Harness> {
  server = await startScriptedServer(handler);
  const sleeps: number[] = [];
  const client = createHttpClient({
    appId: 'process-street',
    baseUrl: `${server.origin}/api/v1`,
    auth: { type: 'bearer', token: TOKEN },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  clients.push(client);
  return { client, server, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<RosterError> {
  try {
    await promise;
  } catch (error) {
    if (isRosterError(error)) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

const ok = { status: 200, body: { ok: true } };

describe('retries', () => {
  it('a 429 with Retry-After waits what the app asked, then succeeds', async () => {
    const { client, sleeps } = await harness(
      inOrder({ status: 429, headers: { 'retry-after': '3' }, body: { message: 'slow down' } }, ok),
    );
    const res = await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    expect(res.body).toEqual({ ok: true });
    expect(sleeps).toEqual([3000]);
  });

  it('a Retry-After date is read against the injected clock and capped at four times capMs', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const { client, sleeps } = await harness(
      inOrder(
        { status: 429, headers: { 'retry-after': 'Tue, 01 Jan 2030 00:00:02 GMT' } },
        { status: 503, headers: { 'retry-after': '86400' } },
        ok,
      ),
      { now: () => now, backoff: { baseMs: 250, capMs: 1000 } },
    );
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    expect(sleeps).toEqual([2000, 4000]);
  });

  it('without Retry-After the wait is full-jitter exponential backoff', async () => {
    const { client, sleeps, server } = await harness(
      inOrder({ status: 429 }, { status: 503 }, { status: 502 }, { status: 504 }, 'reset', ok),
    );
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    // random() = 0.5 of min(15000, 250 * 2^attempt)
    expect(sleeps).toEqual([125, 250, 500, 1000, 2000]);
    expect(server.received).toHaveLength(6);
  });

  it('gives up after maxRetries and throws the last failure', async () => {
    const { client, server } = await harness(inOrder({ status: 503, body: { message: 'down' } }), {
      maxRetries: 2,
    });
    const error = await failure(
      client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' }),
    );
    expect(error.code).toBe('unavailable');
    expect(error.details).toMatchObject({ status: 503, attempts: 3, ambiguous: false });
    expect(server.received).toHaveLength(3);
  });

  it('4xx answers are not retried and map to their codes', async () => {
    const cases = [
      [400, 'invalid_input'],
      [401, 'unauthenticated'],
      [403, 'forbidden'],
      [404, 'not_found'],
      [409, 'conflict'],
      [422, 'invalid_input'],
    ] as const;
    const { client, server, sleeps } = await harness((request) => ({
      status: Number(request.url.split('/').pop()),
      body: { message: 'nope' },
    }));
    for (const [status, code] of cases) {
      const error = await failure(
        client.request({ method: 'GET', path: `/s/${status}`, endpoint: 'GET /s' }),
      );
      expect(error.code).toBe(code);
      expect(error.details['status']).toBe(status);
    }
    expect(server.received).toHaveLength(cases.length);
    expect(sleeps).toEqual([]);
  });

  it('the error message names the app, method, URL without query, status and the app’s own words', async () => {
    const { client, server } = await harness(
      inOrder({ status: 401, headers: { 'x-request-id': 'req-9' }, body: { error: 'invalid api key' } }),
    );
    const error = await failure(
      client.request({ method: 'GET', path: '/members', query: { offset: 5 }, endpoint: 'GET /members' }),
    );
    expect(error.message).toBe(
      `process-street: 401 Unauthorized from GET ${server.origin}/api/v1/members: "invalid api key"`,
    );
    expect(error.details).toEqual({
      status: 401,
      appId: 'process-street',
      method: 'GET',
      path: '/api/v1/members',
      requestId: 'req-9',
      ambiguous: false,
      attempts: 1,
    });
  });

  it('accept404 returns the 404 answer instead of throwing', async () => {
    const { client } = await harness(inOrder({ status: 404, body: { message: 'gone' } }));
    const res = await client.request({
      method: 'DELETE',
      path: '/members/1',
      endpoint: 'DELETE /members/{id}',
      accept404: true,
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'gone' });
  });
});

describe('writes that may have happened', () => {
  for (const [label, reply] of [
    ['a reset', 'reset'],
    ['a 502', { status: 502, body: '<html>Bad Gateway</html>' }],
    ['a 504', { status: 504 }],
  ] as const) {
    it(`a POST is not retried after ${label} and throws ambiguous`, async () => {
      const { client, server } = await harness(inOrder(reply, ok));
      const error = await failure(
        client.request({
          method: 'POST',
          path: '/members',
          body: { email: 'a@x.com' },
          endpoint: 'POST /members',
        }),
      );
      expect(error.code).toBe('unavailable');
      expect(error.details['ambiguous']).toBe(true);
      expect(server.received).toHaveLength(1);
    });
  }

  it('a POST is not retried after a timeout and throws ambiguous', async () => {
    const { client, server } = await harness(inOrder('hang'), { timeoutMs: 100 });
    const error = await failure(
      client.request({
        method: 'POST',
        path: '/members',
        body: { email: 'a@x.com' },
        endpoint: 'POST /members',
      }),
    );
    expect(error.details).toMatchObject({ ambiguous: true, failure: 'timeout' });
    expect(server.received).toHaveLength(1);
  });

  it('an answer whose body stops coming times out like one that never comes, and is retried', async () => {
    // Headers and half the declared body, then nothing: the attempt's timer must end the read of the body too.
    const stalled = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"members": [');
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    const client = createHttpClient({
      appId: 'process-street',
      baseUrl: `http://127.0.0.1:${port}`,
      auth: { type: 'bearer', token: TOKEN },
      timeoutMs: 100,
      maxRetries: 1,
      sleep: async () => undefined,
    });
    clients.push(client);
    try {
      const error = await failure(
        client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' }),
      );
      expect(error.details).toMatchObject({ failure: 'timeout' });
      expect(client.stats().timeouts).toBe(2);
    } finally {
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    }
  });

  it('a POST is retried after a 429 or a 503, which are answered before processing', async () => {
    const { client, server } = await harness(
      inOrder({ status: 429 }, { status: 503 }, { status: 201, body: { id: 1 } }),
    );
    const res = await client.request({
      method: 'POST',
      path: '/members',
      body: {},
      endpoint: 'POST /members',
    });
    expect(res.status).toBe(201);
    expect(server.received).toHaveLength(3);
  });

  it('a POST marked idempotent is retried after a reset', async () => {
    const { client, server } = await harness(inOrder('reset', ok));
    await client.request({
      method: 'POST',
      path: '/Users/7',
      body: {},
      endpoint: 'POST /Users/{id}',
      idempotent: true,
    });
    expect(server.received).toHaveLength(2);
  });

  it('a connection refused is retried even for a POST: the request never left', async () => {
    const probe = await startScriptedServer(inOrder(ok));
    const origin = probe.origin;
    await probe.close();
    const sleeps: number[] = [];
    const client = createHttpClient({
      appId: 'process-street',
      baseUrl: origin,
      auth: { type: 'none' },
      maxRetries: 2,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    clients.push(client);
    const error = await failure(
      client.request({ method: 'POST', path: '/x', body: {}, endpoint: 'POST /x' }),
    );
    expect(error.details).toMatchObject({ ambiguous: false, failure: 'refused', attempts: 3 });
    expect(sleeps).toHaveLength(2);
  });
});

interface EchoState {
  items: { id: string; name: string }[];
}

const echo: SandboxDefinition<EchoState> = {
  type: 'process-street',
  title: 'Echo',
  retryAfter: 'never',
  credentials: () => ({ token: TOKEN }),
  baseUrl: (origin) => `${origin}/api/v1`,
  createState: () => ({ items: [] }),
  snapshot: (state) => state,
  restore: (json) => json as EchoState,
  summary: (state) => ({ items: state.items.length }),
  authenticate: (request, credentials) =>
    bearerToken(request) === credentials.token
      ? { ok: true }
      : { ok: false, status: 401, message: 'bad token' },
  errorBody: (status, message) => ({ status, message }),
  routes(app, ctx) {
    app.get('/api/v1/items', async (request) => {
      const name = (request.query as { name?: string }).name;
      return { items: ctx.state.items.filter((item) => name === undefined || item.name === name) };
    });
    app.post('/api/v1/items', async (request) => {
      const item = { id: ctx.newId('it_'), name: (request.body as { name: string }).name };
      ctx.state.items.push(item);
      return item;
    });
  },
};

function sandboxClient(
  handle: SandboxHandle<EchoState>,
  options: Partial<HttpClientOptions> = {},
): HttpClient {
  const client = createHttpClient({
    appId: 'echo',
    baseUrl: handle.baseUrl,
    auth: { type: 'bearer', token: handle.credentials.token },
    sleep: async () => {},
    ...options,
  });
  clients.push(client);
  return client;
}

describe('withAmbiguityCheck over a sandbox that loses answers', () => {
  it('recovers a create whose answer was lost by looking it up', async () => {
    sandbox = await startSandbox(echo, { seed: 3, faults: { lostResponse: 1 } });
    const client = sandboxClient(sandbox);
    const create = async () =>
      (
        await client.request({
          method: 'POST',
          path: '/items',
          body: { name: 'ada' },
          endpoint: 'POST /items',
        })
      ).body as { id: string; name: string };
    const lookup = async () => {
      const res = await client.request({
        method: 'GET',
        path: '/items',
        query: { name: 'ada' },
        endpoint: 'GET /items',
      });
      return (res.body as EchoState).items[0] ?? null;
    };
    const result = await withAmbiguityCheck({ attempt: create, lookup, maxAttempts: 3 });
    expect(result.recovered).toBe(true);
    expect(result.attempts).toBe(1);
    expect(result.value.name).toBe('ada');
    expect(sandbox.state.items).toHaveLength(1);
    expect(sandbox.requests().filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});

describe('secrets', () => {
  function capture(): { logger: ReturnType<typeof pino>; lines: string[] } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { logger: pino({ level: 'debug' }, stream), lines };
  }

  it('the token travels only in the Authorization header, never in a URL the sandbox saw', async () => {
    sandbox = await startSandbox(echo, { seed: 3, profile: 'clean' });
    const client = sandboxClient(sandbox);
    await client.request({ method: 'GET', path: '/items', query: { name: 'x y' }, endpoint: 'GET /items' });
    await client.request({ method: 'POST', path: '/items', body: { name: 'z' }, endpoint: 'POST /items' });
    const log = sandbox.requests();
    expect(log).toHaveLength(2);
    for (const entry of log) {
      expect(entry.url).not.toContain(TOKEN);
      expect(entry.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('a secret the app echoes back never reaches an error message or a log line', async () => {
    const { logger, lines } = capture();
    const { client } = await harness(
      inOrder(
        { status: 503, body: { message: `token ${TOKEN} is throttled` } },
        { status: 401, body: { message: `bad token ${TOKEN}; try ?access_token=${TOKEN}&key=other-secret` } },
      ),
      { logger },
    );
    const error = await failure(
      client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' }),
    );
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('other-secret');
    expect(error.message).toContain('***');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('other-secret');
    }
  });

  it('Basic credentials and their encoding are masked in log lines and errors', async () => {
    const { logger, lines } = capture();
    const password = 'pa55-word-xyz';
    const encoded = Buffer.from(`svc:${password}`).toString('base64');
    const { client, server } = await harness(
      inOrder({ status: 400, body: { message: `header was Basic ${encoded}, password ${password}` } }),
      { logger, auth: { type: 'basic', username: 'svc', password } },
    );
    const error = await failure(client.request({ method: 'GET', path: '/Users', endpoint: 'GET /Users' }));
    expect(server.received[0]?.headers['authorization']).toBe(`Basic ${encoded}`);
    for (const text of [error.message, ...lines]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(encoded);
    }
    expect(client.redact(`x ${encoded} y`)).toBe('x *** y');
  });

  it('an api key goes in its header, by default X-API-Key', async () => {
    const { client, server } = await harness(inOrder(ok), { auth: { type: 'api-key', key: 'k-123456' } });
    await client.request({ method: 'GET', path: '/users', endpoint: 'GET /users' });
    expect(server.received[0]?.headers['x-api-key']).toBe('k-123456');
    expect(server.received[0]?.url).toBe('/api/v1/users');
  });
});

describe('adaptive concurrency', () => {
  it('halves the limit on a 429 and grows it by one after a limit’s worth of successes', async () => {
    const { client } = await harness(inOrder({ status: 429 }, ok), {
      concurrency: { initial: 8, min: 1, max: 32 },
    });
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    // the 429 halved 8 to 4; the retry's success is the first of four needed to grow
    expect(client.concurrencyLimit).toBe(4);
    for (let i = 0; i < 3; i++)
      await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    expect(client.concurrencyLimit).toBe(5);
    expect(client.stats().concurrencyLimit).toBe(5);
  });

  it('a timeout halves the limit too', async () => {
    const { client } = await harness(inOrder('hang', ok), { timeoutMs: 100, concurrency: { initial: 4 } });
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    expect(client.concurrencyLimit).toBe(2);
  });

  it('never has more requests in flight than the limit; the rest wait their turn', async () => {
    const { client, server } = await harness(() => ({ status: 200, body: {}, delayMs: 20 }), {
      concurrency: { initial: 2, min: 1, max: 2 },
    });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.request({ method: 'GET', path: `/members/${i}`, endpoint: 'GET /members/{id}' }),
      ),
    );
    expect(server.received.map((r) => r.url).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `/api/v1/members/${i}`),
    );
    expect(server.maxConcurrent()).toBe(2);
  });
});

describe('pacing', () => {
  it('a pacer given from outside spaces the sends: a cut one client’s 429 made delays another client', async () => {
    let now = 0;
    // One pace for both clients, as cluster mode's shared pacer is one for every worker.
    const shared = new RatePacer({ decrease: 0.5 }, () => now);
    const ten = Array.from({ length: 10 }, () => ok);
    const { client, sleeps } = await harness(inOrder(...ten, { status: 429 }, ok), {
      now: () => now,
      pacerFor: () => shared,
    });
    for (let i = 0; i < 10; i++)
      await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    now = 1000;
    // 10 accepted in a second, then a 429: the pace is half that, 5 a second; the retry (no backoff of its own: 0)
    // waits one interval.
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    expect(sleeps).toEqual([0, 200]);
    const otherSleeps: number[] = [];
    const other = createHttpClient({
      appId: 'process-street',
      baseUrl: `${server!.origin}/api/v1`,
      auth: { type: 'bearer', token: TOKEN },
      sleep: async (ms) => {
        otherSleeps.push(ms);
      },
      now: () => now,
      pacerFor: () => shared,
    });
    clients.push(other);
    await other.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    // Its own pacer would not have paced at all: it never met a 429.
    expect(otherSleeps).toEqual([400]);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, fails fast without the network, and closes after a probe', async () => {
    let clock = 1_000_000;
    let healthy = false;
    const { client, server } = await harness(
      () => (healthy ? ok : { status: 500, body: { message: 'boom' } }),
      {
        maxRetries: 0,
        breaker: { failureThreshold: 3, cooldownMs: 10_000 },
        now: () => clock,
      },
    );
    const get = () => client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    for (let i = 0; i < 3; i++) expect((await failure(get())).details['status']).toBe(500);
    expect(client.stats().circuit).toBe('open');

    const fast = await failure(get());
    expect(fast.code).toBe('unavailable');
    expect(fast.message).toMatch(/^circuit open for process-street after 3 failures; retrying after /);
    expect(server.received).toHaveLength(3);

    clock += 10_000;
    healthy = true;
    await get();
    expect(server.received).toHaveLength(4);
    expect(client.stats().circuit).toBe('closed');
    await get();
    expect(client.stats().shortCircuited).toBe(1);
  });

  it('a failed probe opens the circuit again; 4xx answers never open it', async () => {
    let clock = 0;
    const { client, server } = await harness(
      (request) => (request.url.endsWith('/bad') ? { status: 400 } : { status: 502 }),
      { maxRetries: 0, breaker: { failureThreshold: 2, cooldownMs: 1000 }, now: () => clock },
    );
    const bad = () => client.request({ method: 'GET', path: '/bad', endpoint: 'GET /bad' });
    const down = () => client.request({ method: 'GET', path: '/down', endpoint: 'GET /down' });
    for (let i = 0; i < 5; i++) await failure(bad());
    expect(client.stats().circuit).toBe('closed');
    await failure(down());
    await failure(down());
    expect(client.stats().circuit).toBe('open');
    clock += 1000;
    await failure(down());
    expect(client.stats().circuit).toBe('open');
    expect((await failure(down())).message).toContain('circuit open');
    expect(server.received).toHaveLength(8);
  });
});

describe('URLs', () => {
  it('encodes apostrophes, brackets, parentheses and spaces in query values', async () => {
    const { client, server } = await harness(inOrder(ok));
    const where = "(Email eq 'o'brien@x.com') and (Name eq 'a+b')";
    await client.request({
      method: 'GET',
      path: '/Users',
      query: { where, include: '[Role,Teams]', take: 1000, skip: undefined, tag: ['a', 'b'] },
      endpoint: 'GET /Users',
    });
    const url = server.received[0]!.url;
    expect(url).toBe(
      '/api/v1/Users?where=%28Email%20eq%20%27o%27brien%40x.com%27%29%20and%20%28Name%20eq%20%27a%2Bb%27%29' +
        '&include=%5BRole%2CTeams%5D&take=1000&tag=a&tag=b',
    );
    const parsed = new URL(url, server.origin).searchParams;
    expect(parsed.get('where')).toBe(where);
    expect(parsed.get('include')).toBe('[Role,Teams]');
  });

  it('follows a same-origin Next link as given and refuses any other origin without a request', async () => {
    const { client, server } = await harness(inOrder(ok));
    const next = `${server.origin}/api/v1/Users?take=25&skip=25&where=(IsActive%20eq%20'true')`;
    await client.requestUrl(next, { endpoint: 'GET /Users' });
    // The link's own encoding is kept; only the WHATWG URL parser's escaping of the apostrophe differs.
    expect(server.received[0]?.url).toBe('/api/v1/Users?take=25&skip=25&where=(IsActive%20eq%20%27true%27)');
    expect(server.received[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);

    const error = await failure(
      client.requestUrl('https://evil.example/api/v1/Users?skip=25', { endpoint: 'GET /Users' }),
    );
    expect(error.code).toBe('invalid_input');
    expect(server.received).toHaveLength(1);
  });

  it('rejects a path that carries its own query string', async () => {
    const { client, server } = await harness(inOrder(ok));
    const error = await failure(
      client.request({ method: 'GET', path: '/Users?token=abc', endpoint: 'GET /Users' }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).not.toContain('abc');
    expect(server.received).toHaveLength(0);
  });
});

describe('answers', () => {
  it('parses JSON bodies, keeps text as text, and reads the request id', async () => {
    const { client } = await harness(
      inOrder(
        {
          status: 200,
          headers: { 'content-type': 'application/scim+json', 'x-request-id': 'r-1' },
          body: { a: 1 },
        },
        { status: 200, body: 'plain words' },
        { status: 204 },
      ),
    );
    const json = await client.request({ method: 'GET', path: '/a', endpoint: 'GET /a' });
    expect(json).toMatchObject({ status: 200, body: { a: 1 }, requestId: 'r-1' });
    const text = await client.request({ method: 'GET', path: '/b', endpoint: 'GET /b' });
    expect(text.body).toBe('plain words');
    expect(text.requestId).toBeNull();
    const empty = await client.request({ method: 'DELETE', path: '/c', endpoint: 'DELETE /c' });
    expect(empty.status).toBe(204);
  });

  it('malformed JSON under a JSON content-type is unavailable', async () => {
    const { client } = await harness(
      inOrder({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"users": [' }),
    );
    const error = await failure(client.request({ method: 'GET', path: '/users', endpoint: 'GET /users' }));
    expect(error.code).toBe('unavailable');
    expect(error.details['failure']).toBe('malformed');
  });

  it('a 3xx is an error naming the redirect and where it points, never followed and never a success', async () => {
    const { client, server } = await harness(
      inOrder({
        status: 302,
        headers: { location: `https://login.example.com/sso?next=1&access_token=${TOKEN}` },
        body: { members: [] },
      }),
    );
    const error = await failure(
      client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      `process-street: 302 Found from GET ${server.origin}/api/v1/members redirects (Location https://login.example.com/sso); Roster does not follow redirects, so credentials never go anywhere but the configured baseUrl`,
    );
    expect(error.details).toMatchObject({ status: 302, location: 'https://login.example.com/sso' });
    expect(error.fix).toMatch(/baseUrl/);
    expect(JSON.stringify({ message: error.message, details: error.details, fix: error.fix })).not.toContain(
      TOKEN,
    );
    // Not retried and not followed: the only request the server saw is the first one.
    expect(server.received).toHaveLength(1);
  });

  it('a 303 after a POST is ambiguous: the write may have been carried out', async () => {
    const { client } = await harness(inOrder({ status: 303, headers: { location: '/api/v1/members/m1' } }));
    const error = await failure(
      client.request({ method: 'POST', path: '/members', endpoint: 'POST /members', body: { a: 1 } }),
    );
    expect(error.details).toMatchObject({ status: 303, ambiguous: true });
  });

  it('an answer bigger than maxResponseBytes is an error, whether or not it declares its length', async () => {
    const big = { members: Array.from({ length: 200 }, (_, i) => ({ id: `m${i}`, pad: 'x'.repeat(100) })) };
    const { client, server } = await harness(
      (request) =>
        request.url.endsWith('/chunked')
          ? { status: 200, headers: { 'transfer-encoding': 'chunked' }, body: big }
          : { status: 200, body: big },
      { maxResponseBytes: 4096 },
    );
    for (const path of ['/declared', '/chunked']) {
      const error = await failure(client.request({ method: 'GET', path, endpoint: `GET ${path}` }));
      expect(error.code).toBe('unavailable');
      expect(error.details['failure']).toBe('too_large');
      expect(error.message).toContain('over 4096 bytes');
      expect(error.fix).toContain('maxResponseBytes');
    }
    // A body too large is the same body next time: not retried.
    expect(server.received).toHaveLength(2);
    const small = await harness(inOrder({ status: 200, body: { members: [] } }), { maxResponseBytes: 4096 });
    expect((await small.client.request({ method: 'GET', path: '/m', endpoint: 'GET /m' })).body).toEqual({
      members: [],
    });
  });

  it('the same 500 answered identically is believed after identicalFailures; a changing one is retried', async () => {
    const same = await harness(inOrder({ status: 500, body: { detail: 'filter crashed' } }), {
      maxRetries: 5,
    });
    const get = { method: 'GET' as const, path: '/Users', endpoint: 'GET /Users', identicalFailures: 2 };
    const error = await failure(same.client.request(get));
    expect(error.details).toMatchObject({ status: 500, attempts: 2, repeated: 2 });
    expect(same.server.received).toHaveLength(2);
    await same.server.close();
    // By default three identical answers; bodies that differ (a request id, a different fault) are retried.
    let n = 0;
    const changing = await harness(() => (++n < 5 ? { status: 500, body: { detail: `fault ${n}` } } : ok));
    await changing.client.request({ method: 'GET', path: '/Users', endpoint: 'GET /Users' });
    expect(changing.server.received).toHaveLength(5);
    await changing.server.close();
    const byDefault = await harness(inOrder({ status: 500, body: { detail: 'same' } }));
    expect(
      (await failure(byDefault.client.request({ ...get, identicalFailures: undefined }))).details,
    ).toMatchObject({
      attempts: 3,
    });
  });

  it('a hung request times out per attempt and is retried when idempotent', async () => {
    const { client, server } = await harness(inOrder('hang'), { timeoutMs: 100, maxRetries: 1 });
    const error = await failure(
      client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' }),
    );
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(
      `process-street: no answer in time after 100ms from GET ${server.origin}/api/v1/members`,
    );
    expect(server.received).toHaveLength(2);
    expect(client.stats().timeouts).toBe(2);
  });
});

describe('stats', () => {
  it('counts attempts, retries, 429s, errors and bytes per endpoint', async () => {
    const seen = new Map<string, number>();
    const { client } = await harness((request) => {
      const n = seen.get(request.url) ?? 0;
      seen.set(request.url, n + 1);
      if (request.url.startsWith('/api/v1/groups')) return { status: 404 };
      return n === 0 ? { status: 429 } : ok;
    });
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    await client.request({ method: 'GET', path: '/members', endpoint: 'GET /members' });
    await failure(client.request({ method: 'GET', path: '/groups/1', endpoint: 'GET /groups/{id}' }));
    const stats = client.stats();
    expect(stats.byEndpoint['GET /members']).toMatchObject({
      requests: 3,
      retries: 1,
      rateLimited: 1,
      timeouts: 0,
      errors: { rate_limited: 1 },
    });
    expect(stats.byEndpoint['GET /members']!.bytes).toBe(2 * JSON.stringify(ok.body).length);
    expect(stats.byEndpoint['GET /groups/{id}']).toMatchObject({
      requests: 1,
      retries: 0,
      errors: { not_found: 1 },
    });
    expect(stats).toMatchObject({
      requests: 4,
      retries: 1,
      rateLimited: 1,
      errors: { rate_limited: 1, not_found: 1 },
    });
  });
});

describe('closing', () => {
  it('a client can be closed twice', async () => {
    const client = createHttpClient({ appId: 'x', baseUrl: 'http://127.0.0.1:9', auth: { type: 'none' } });
    await client.close();
    await expect(client.close()).resolves.not.toThrow();
  });
});

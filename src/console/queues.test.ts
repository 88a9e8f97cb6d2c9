import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisPrefix, requireClusterServices, until } from '../cluster/cluster.testkit.js';
import { CONTROL_QUEUE, connect } from '../cluster/queue.js';
import { startTestServer, type TestServer, testConfig } from '../server/testkit.js';
import { openStore } from '../store/open.js';
import { freshDatabase } from '../store/postgres.testkit.js';
import type { Store } from '../store/store.js';

const services = await requireClusterServices();

/** Signs a token in and keeps the session cookie; returns a GET, a form POST and the session's CSRF token. */
async function signIn(t: TestServer, token: string) {
  let cookies = '';
  const keep = (r: Response) => {
    const set = r.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .filter((c) => c && !c.endsWith('='));
    if (set.length > 0) cookies = [cookies, ...set].filter(Boolean).join('; ');
    return r;
  };
  const get = async (path: string) =>
    keep(await fetch(`${t.server.url}${path}`, { headers: { cookie: cookies }, redirect: 'manual' }));
  const post = async (path: string, form: Record<string, string>) =>
    keep(
      await fetch(`${t.server.url}${path}`, {
        method: 'POST',
        headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
        redirect: 'manual',
      }),
    );
  const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const login = csrfOf(await (await get('/console/login')).text());
  expect((await post('/console/login', { _csrf: login, token, next: '/console' })).status).toBe(303);
  return { get, post, csrfOf };
}

describe('the console without queues', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dir: mkdtempSync(join(tmpdir(), 'roster-console-q-')) });
  });
  afterAll(async () => t?.server.close());

  it('an embedded server has no Queues page and no Queues link', async () => {
    const browser = await signIn(t, t.tokens.operate);
    expect(await (await browser.get('/console')).text()).not.toContain('/console/queues');
    expect((await browser.get('/console/queues')).status).toBe(404);
  });
});

describe.skipIf(!services.available)(
  services.available ? 'the console’s queues' : `the console’s queues (skipped: ${services.reason})`,
  () => {
    const prefix = redisPrefix();
    let t: TestServer;
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let store: Store;
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'roster-console-q-'));
      database = await freshDatabase('roster_console');
      const config = testConfig(dir, { queue: REDIS_URL, store: database.url });
      store = await openStore(config.store);
      t = await startTestServer({ dir, config, store, env: { ROSTER_QUEUE_PREFIX: prefix.prefix } });
    }, 60_000);
    afterAll(async () => {
      await t?.server.close();
      await store?.close();
      await prefix.clear();
      await database?.drop();
    });

    it('shows depth and age per queue and the dead letters; an operator retries one', async () => {
      const queues = t.server.context.cluster;
      if (!queues) throw new Error('the server is not in cluster mode');
      // A control job no worker can run, out of attempts at once: a dead letter.
      await queues.control.add('finalize', { planId: 'p-1', run: 'r', actor: 'test' }, { jobId: 'doomed' });
      const connection = connect({ redisUrl: REDIS_URL });
      const worker = new Worker(
        CONTROL_QUEUE,
        async () => {
          throw new Error('the plan is gone');
        },
        { connection, prefix: prefix.prefix },
      );
      await until('the dead letter', async () =>
        (await queues.deadLetters()).length === 1 ? true : undefined,
      );
      await worker.close();
      connection.disconnect();
      await queues.control.add('apply', { planId: 'p-2', actor: 'test', overrideSafety: false });

      const browser = await signIn(t, t.tokens.operate);
      const page = await (await browser.get('/console/queues')).text();
      expect(page).toContain('href="/console/queues"');
      expect(page).toContain('roster-control');
      expect(page).toMatch(/roster-control<\/td><td>—<\/td><td>1<\/td><td>\d+\.\d s<\/td>/);
      expect(page).toContain('the plan is gone');
      expect(page).toContain('name="id" value="doomed"');

      const retried = await browser.post('/console/queues/retry', {
        _csrf: browser.csrfOf(page),
        queue: 'roster-control',
        id: 'doomed',
      });
      expect(retried.status).toBe(303);
      expect(retried.headers.get('location')).toBe('/console/queues');
      expect(await queues.control.getJobState('doomed')).toBe('waiting');
      expect(await queues.deadLetters()).toEqual([]);

      // A reader sees the queues but gets no retry button.
      const reader = await signIn(t, t.tokens.read);
      const seen = await (await reader.get('/console/queues')).text();
      expect(seen).toContain('roster-control');
      expect(seen).not.toContain('/console/queues/retry');
    }, 60_000);
  },
);

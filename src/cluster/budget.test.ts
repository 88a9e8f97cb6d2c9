import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AppConfig } from '../config/schema.js';
import type { RequestLimiter } from '../connectors/http/index.js';
import { connectorFor } from '../connectors/registry.js';
import type { Connector } from '../connectors/sdk/types.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { SharedBudget } from './budget.js';
import { REDIS_URL, redisPrefix, requireClusterServices } from './cluster.testkit.js';
import { SharedPacer } from './pacer.js';

const services = await requireClusterServices();
const APP = 'targetprocess';
/** Requests per run, split among the workers; each worker keeps up to 8 of its own in flight. */
const REQUESTS = 240;
const PER_WORKER_CONCURRENCY = 8;

let fleet: Fleet;
let app: AppConfig;
let redis: Redis;
const prefixes: ReturnType<typeof redisPrefix>[] = [];

beforeAll(async () => {
  if (!services.available) return;
  fleet = await startFleet({ apps: [APP], seed: 3, people: 120 });
  app = (
    parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite::memory:' })) as { apps: AppConfig[] }
  ).apps[0] as AppConfig;
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
}, 60_000);

afterAll(async () => {
  for (const p of prefixes) await p.clear();
  redis?.disconnect();
  await fleet?.close();
});

/**
 * `workers` clients (as many worker processes would hold), sharing one Redis budget and pace or each with its own
 * in-process limiter and pacer, read REQUESTS accounts between them against an app with a hidden limit. Returns the
 * 429s the app answered and how long the reads took.
 */
async function run(
  workers: number,
  shared: boolean,
): Promise<{ rateLimited: number; requests: number; seconds: number }> {
  const sandbox = fleet.get(APP);
  // A fresh, full hidden bucket for every run: 5 requests at once, 25 a second.
  sandbox.setFaults('clean', { rateLimit: { capacity: 5, refillPerSecond: 25 } });
  sandbox.clearRequests();
  const prefix = redisPrefix();
  prefixes.push(prefix);
  const connectors: Connector[] = Array.from({ length: workers }, () =>
    connectorFor(app, {
      http: {
        maxRetries: 30,
        backoff: { baseMs: 20, capMs: 200 },
        ...(shared
          ? {
              limiterFor: (appId: string) => new SharedBudget(redis, appId, { prefix: prefix.prefix }),
              pacerFor: (appId: string) => new SharedPacer(redis, appId, { prefix: prefix.prefix }),
            }
          : {}),
      },
    }),
  );
  try {
    const ids = (await connectors[0]!.accounts.list!({ pageToken: null })).items.map((a) => a.id);
    sandbox.clearRequests();
    sandbox.setFaults('clean', { rateLimit: { capacity: 5, refillPerSecond: 25 } });
    const started = performance.now();
    await Promise.all(
      connectors.map(async (connector, w) => {
        const mine = Array.from(
          { length: REQUESTS / workers },
          (_, i) => ids[(w * 7919 + i) % ids.length] as string,
        );
        let next = 0;
        await Promise.all(
          Array.from({ length: PER_WORKER_CONCURRENCY }, async () => {
            while (next < mine.length) {
              const id = mine[next++] as string;
              await connector.accounts.get!({ id });
            }
          }),
        );
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const log = sandbox.requests();
    return { rateLimited: log.filter((r) => r.status === 429).length, requests: log.length, seconds };
  } finally {
    await Promise.all(connectors.map((c) => c.close()));
  }
}

describe.skipIf(!services.available)(
  services.available ? 'shared rate budget' : `shared rate budget (skipped: ${services.reason})`,
  () => {
    it('three workers sharing the Redis budget and pace meet as many 429s as one worker, up to the spread of the start, and finish no slower; three apart meet far more', async () => {
      const one = await run(1, true);
      const three = await run(3, true);
      const independent = await run(3, false);
      // Every request was answered in the end; the 429s are the retries it took.
      expect(one.requests - one.rateLimited).toBe(REQUESTS);
      expect(three.requests - three.rateLimited).toBe(REQUESTS);
      expect(independent.requests - independent.rateLimited).toBe(REQUESTS);
      process.stderr.write(`429s: ${JSON.stringify({ one, three, independent })}\n`);
      // One pace in Redis: three workers are one sender to the app. What still varies from run to run, for one
      // worker as for three, is the first congestion, before any pace is known: how many requests are in flight
      // when the app's burst runs out, and how far the first guess (made from that burst) overshoots; the 429s
      // after the first second are the same handful for both. Seen over 23 runs each at load average 11-15: one
      // worker 5-15 (mean 10.3), three 8-17 (mean 11.7; the shared window lets a few more be in flight at that
      // first congestion), three minus one from -4 to +9. START_SPREAD is that spread, not a cost per worker:
      // with a pace per process, three sharing the window met 19-27 (and took 35 s, which the timing claim below
      // catches on its own), three apart 33-86.
      const START_SPREAD = 9;
      expect(three.rateLimited).toBeLessThanOrEqual(one.rateLimited + START_SPREAD);
      expect(independent.rateLimited).toBeGreaterThan(three.rateLimited + START_SPREAD);
      // Under the hidden limit both are bound by the app's rate (235 requests past the burst at 25 a second: 9.4 s
      // at best; seen 9.4-10.5 s for both, three ÷ one 0.93-1.04). A quarter more allows a loaded machine's hiccup;
      // with a pace per process (each learning a third of the rate) three took 35 s sharing the window, 23-30 apart.
      expect(three.seconds).toBeLessThanOrEqual(one.seconds * 1.25);
    }, 240_000);

    it('a window that turns requests away grows by one per success until the app first pushes back, then by one per window', async () => {
      const prefix = redisPrefix();
      prefixes.push(prefix);
      const budget = new SharedBudget(redis, 'app', { prefix: prefix.prefix, pollMs: 5 });
      const settle = () => new Promise((r) => setTimeout(r, 30));
      // Four held: a fifth is turned away (the window, not the app, holds it back), then each success adds one.
      const held = await Promise.all([1, 2, 3, 4].map(() => budget.acquire()));
      const fifth = budget.acquire();
      await settle();
      for (let i = 0; i < 3; i++) budget.success();
      await settle();
      expect((await budget.state()).limit).toBe(7);
      // A push-back halves it (7 → 3) and ends the slow start: now +1 only after 3 successes in a row.
      budget.overload(held[0]!);
      for (const slot of [...held, await fifth]) slot.release();
      await settle();
      expect((await budget.state()).limit).toBe(3);
      const more = await Promise.all([1, 2, 3].map(() => budget.acquire()));
      const turned = budget.acquire();
      await settle();
      budget.success();
      budget.success();
      await settle();
      expect((await budget.state()).limit).toBe(3);
      budget.success();
      await settle();
      expect((await budget.state()).limit).toBe(4);
      for (const slot of [...more, await turned]) slot.release();
    }, 30_000);

    it('a Retry-After delays only the request it answered: the other workers go on, paced, without a shared pause', async () => {
      const prefix = redisPrefix();
      prefixes.push(prefix);
      const a = new SharedBudget(redis, 'app', { prefix: prefix.prefix });
      const b = new SharedBudget(redis, 'app', { prefix: prefix.prefix });
      const slot = await a.acquire();
      // A 429 with Retry-After: 10 s on a's request. In one process the limiter halves the window and nothing more;
      // a pause for everyone ended in every worker bursting together when it lifted (three workers ran at 0.8x one).
      (a as RequestLimiter).overload(slot, 10_000);
      slot.release();
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const next = await b.acquire();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await b.state()).limit).toBe(2);
      next.release();
    }, 30_000);

    it('the window lives in Redis: a 429 seen by one worker halves it for all, and slots of a dead worker expire', async () => {
      const prefix = redisPrefix();
      prefixes.push(prefix);
      const a = new SharedBudget(redis, 'app', { prefix: prefix.prefix, slotLeaseMs: 200 });
      const b = new SharedBudget(redis, 'app', { prefix: prefix.prefix, slotLeaseMs: 200 });
      const held = await Promise.all([a.acquire(), a.acquire(), b.acquire(), b.acquire()]);
      expect(await a.state()).toEqual({ limit: 4, inFlight: 4 });
      // The window is full: b waits until a slot is released (or its lease runs out).
      let granted = false;
      const waiting = b.acquire().then((slot) => {
        granted = true;
        return slot;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(granted).toBe(false);
      held[0]!.release();
      (await waiting).release();
      // Two 429s from slots granted in the same epoch halve the window once, for every worker.
      a.overload(held[1]!);
      b.overload(held[2]!);
      await new Promise((r) => setTimeout(r, 50));
      expect((await b.state()).limit).toBe(2);
      // Slots never released (their worker was killed) stop counting once their lease runs out.
      await new Promise((r) => setTimeout(r, 250));
      const slot = await b.acquire();
      expect((await b.state()).inFlight).toBe(1);
      slot.release();
    }, 30_000);
  },
);

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaceTicket } from '../connectors/http/index.js';
import { RatePacer } from '../connectors/http/pacer.js';
import { demoPolicy } from '../sandbox/demo-policy.js';
import {
  clusterWorkspace,
  REDIS_URL,
  redisPrefix,
  requireClusterServices,
  until,
} from './cluster.testkit.js';
import { paceKey, SharedPacer } from './pacer.js';

const services = await requireClusterServices();

let redis: Redis;
const prefixes: ReturnType<typeof redisPrefix>[] = [];

beforeAll(() => {
  if (services.available) redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const p of prefixes) await p.clear();
  redis?.disconnect();
});

function freshPrefix(): string {
  const p = redisPrefix();
  prefixes.push(p);
  return p.prefix;
}

/** A small seeded generator (mulberry32): the same table of steps on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!services.available)(
  services.available ? 'shared pacer' : `shared pacer (skipped: ${services.reason})`,
  () => {
    it('decides as RatePacer does, step for step: the Lua and the TypeScript are one set of rules', async () => {
      // Several senders against an app with a hidden bucket, answered out of order: every rule is met (the first
      // cut, 429s too early to measure, measured rates, 429s to tickets from before a cut, stale tickets).
      const seen = { cuts: 0, ignored: 0, stale: 0, waits: 0 };
      // Steps come up to `stepMs` apart: offered faster than the app's rate, so it keeps answering 429.
      for (const [seed, limit, stepMs] of [
        [1, { rate: 20, burst: 5 }, 40],
        [2, { rate: 3, burst: 8 }, 200],
        [3, { rate: 60, burst: 15 }, 12],
      ] as const) {
        const random = rng(seed);
        let now = 1_000_000.25;
        const local = new RatePacer({}, () => now);
        const shared = new SharedPacer(redis, 'app', { prefix: freshPrefix(), now: () => now });
        let tokens: number = limit.burst;
        let refilledAt = now;
        const outstanding: { local: PaceTicket; shared: PaceTicket }[] = [];
        for (let step = 0; step < 500; step++) {
          const roll = random();
          if (outstanding.length < 8 && (roll < 0.45 || outstanding.length === 0)) {
            const ticket = { local: local.reserve(), shared: await shared.reserve() };
            expect(ticket.shared).toEqual(ticket.local);
            if (ticket.local.waitMs > 0) seen.waits += 1;
            outstanding.push(ticket);
          } else if (roll < 0.55) {
            const ticket = outstanding[Math.floor(random() * outstanding.length)]!;
            const stale = local.stale(ticket.local);
            expect(await shared.stale(ticket.shared)).toBe(stale);
            if (stale) seen.stale += 1;
          } else {
            const [ticket] = outstanding.splice(Math.floor(random() * outstanding.length), 1);
            tokens = Math.min(limit.burst, tokens + ((now - refilledAt) / 1000) * limit.rate);
            refilledAt = now;
            if (tokens >= 1) {
              tokens -= 1;
              local.accepted();
              shared.accepted();
            } else {
              const changed = local.rejected(ticket!.local);
              expect(await shared.rejected(ticket!.shared)).toBe(changed);
              if (changed === null) seen.ignored += 1;
              else seen.cuts += 1;
            }
          }
          expect(await shared.state()).toEqual(local.snapshot());
          expect(shared.requestsPerSecond).toBe(local.requestsPerSecond);
          now += random() * stepMs;
        }
        expect(local.snapshot().measured).not.toBeNull();
      }
      // The table met every rule, so agreeing on it means something.
      expect(seen.cuts).toBeGreaterThan(3);
      expect(seen.ignored).toBeGreaterThan(0);
      expect(seen.stale).toBeGreaterThan(0);
      expect(seen.waits).toBeGreaterThan(0);
    }, 60_000);

    it('two workers on one app keep one pace: a cut seen by one is the pace of both, and they share one schedule', async () => {
      let now = 5_000;
      const prefix = freshPrefix();
      const a = new SharedPacer(redis, 'app', { prefix, now: () => now });
      const b = new SharedPacer(redis, 'app', { prefix, now: () => now });
      for (let i = 0; i < 10; i++) (i % 2 === 0 ? a : b).accepted();
      now = 6_000;
      const beforeCut = await b.reserve();
      // a meets the first 429: half of what both were accepted (10 in 1 s) is the pace b sends at too.
      expect(await a.rejected(await a.reserve())).toBe(5);
      expect(await b.stale(beforeCut)).toBe(true);
      const next = await b.reserve();
      expect(next.waitMs).toBe(200);
      expect(b.requestsPerSecond).toBe(5);
      // A reservation by one delays the other: the send times alternate on one schedule, 200 ms apart.
      const waits = [a, b, a, b].map((p) => p.reserve());
      expect((await Promise.all(waits)).map((t) => t.waitMs)).toEqual([400, 600, 800, 1000]);
    });

    it('uses Redis time, holds nothing a killed worker could leave behind, and forgets an app left idle', async () => {
      const prefix = freshPrefix();
      const pacing = { decrease: 1e-9, minRate: 10 };
      const doomed = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const a = new SharedPacer(doomed, 'app', { prefix, pacing, idleMs: 1000 });
      const b = new SharedPacer(redis, 'app', { prefix, pacing, idleMs: 1000 });
      a.accepted();
      a.accepted();
      // The cut lands on the floor (10 a second): one send every 100 ms.
      expect(await a.rejected(await a.reserve())).toBe(10);
      // a reserves five send times, then its process dies before using them.
      for (let i = 0; i < 5; i++) await a.reserve();
      doomed.disconnect();
      // b waits only behind those five (and the one the cut set), not for a lease or a lock to run out.
      const first = await b.reserve();
      expect(first.waitMs).toBeGreaterThan(0);
      expect(first.waitMs).toBeLessThanOrEqual(600);
      const second = await b.reserve();
      expect(second.waitMs - first.waitMs).toBeGreaterThan(50);
      expect(second.waitMs - first.waitMs).toBeLessThanOrEqual(100);
      // Left idle, the app's pace is dropped: the cluster learns it afresh, as a fresh process would.
      const pttl = await redis.pttl(paceKey(prefix, 'app'));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await redis.exists(paceKey(prefix, 'app'))).toBe(0);
      expect((await b.reserve()).waitMs).toBe(0);
      expect(b.requestsPerSecond).toBeNull();
    });
    it('roster workers pace an app on the shared pace: what their 429s taught is in Redis, under the queue prefix', async () => {
      const ws = await clusterWorkspace({
        apps: ['targetprocess'],
        people: 30,
        seed: 5,
        policy: demoPolicy(['targetprocess']),
      });
      try {
        // Two at once, then one every two seconds: the sync's third request meets a 429.
        ws.fleet
          .get('targetprocess')
          .setFaults('clean', { rateLimit: { capacity: 2, refillPerSecond: 0.5 } });
        await ws.worker(1);
        await ws.worker(1);
        await ws.queues.enqueueSync({ appId: 'targetprocess', full: true, actor: 'test' });
        const key = paceKey(ws.env['ROSTER_QUEUE_PREFIX'] as string, 'targetprocess');
        const rate = await until(
          'a pace learnt in Redis',
          async () => {
            const found = await redis.hget(key, 'rate');
            return found === null ? undefined : Number(found);
          },
          60_000,
        );
        expect(rate).toBeGreaterThan(0);
      } finally {
        await ws.close();
      }
    }, 120_000);
  },
);

/**
 * @module Benchmark: Roster's HTTP client against a sandbox behind a hidden token bucket (20 req/s, bursts 5 and 20;
 * Process Street sends Retry-After on about half its 429s, Targetprocess never does), beside a naive client
 * (fixed concurrency 4, exponential backoff) in the same run. Goodput is the accepted requests beyond the burst
 * per second, as a share of the hidden rate; the 429 share is of every request the sandbox answered. Each case
 * runs BENCH_RUNS times (30 s of requests each by default: the start-up, where the rate is still being learnt,
 * is then the share of a sync it would be) and the summary gives the worst run of each.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import { createHttpClient, type HttpClient } from '../src/connectors/http/index.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/connectors/http/retry.js';
import type { SeedAppType } from '../src/core/types.js';
import { type SandboxHandle, startSandbox } from '../src/sandbox/kit/server.js';
import { SANDBOXES } from '../src/sandbox/registry.js';

const print = (line: string) => process.stdout.write(`${line}\n`);

const RATE = Number(process.env['BENCH_RATE'] ?? 20);
const BURSTS = (process.env['BENCH_BURSTS'] ?? '5,20').split(',').map(Number);
/** Requests each client must get answered: about this many seconds at the hidden rate. */
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const GOAL = { goodput: 0.9, limited: 0.05 };
/** Callers sharing one client: more than it may send at once, as in a sync of several lists or an apply. */
const CALLERS = 8;
const NAIVE_CONCURRENCY = 4;

/** A cheap documented read in each app: the first page of its users. */
const READS: Partial<Record<SeedAppType, { path: string; query: Record<string, string> }>> = {
  'process-street': { path: '/members', query: {} },
  targetprocess: { path: '/Users', query: { format: 'json', take: '1' } },
};

interface Figures {
  seconds: number;
  /** CPU of the whole process (the client and the sandbox answering it), in seconds. */
  cpu: number;
  ok: number;
  limited: number;
  failed: number;
}

/** Wall and CPU seconds of one client's run. */
async function timed(run: () => Promise<number>): Promise<{ seconds: number; cpu: number; failed: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const failed = await run();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6, failed };
}

async function roster(handle: SandboxHandle, total: number): Promise<Figures> {
  const read = READS[handle.type]!;
  const client: HttpClient = createHttpClient({
    appId: handle.type,
    baseUrl: handle.baseUrl,
    auth: { type: 'bearer', token: handle.credentials.token },
  });
  let left = total;
  let failed = 0;
  const times = await timed(async () => {
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (left > 0) {
          left -= 1;
          try {
            await client.request({
              method: 'GET',
              path: read.path,
              query: read.query,
              endpoint: 'GET users',
            });
          } catch {
            failed += 1;
          }
        }
      }),
    );
    return failed;
  });
  await client.close();
  return { ...times, ...answered(handle) };
}

/** What a client written without rate knowledge does: 4 at a time, full-jitter exponential backoff on 429. */
async function naive(handle: SandboxHandle, total: number): Promise<Figures> {
  const read = READS[handle.type]!;
  const url = `${handle.baseUrl}${read.path}?${new URLSearchParams(read.query)}`;
  const headers = { authorization: `Bearer ${handle.credentials.token}`, accept: 'application/json' };
  let left = total;
  let failed = 0;
  const times = await timed(async () => {
    await Promise.all(
      Array.from({ length: NAIVE_CONCURRENCY }, async () => {
        while (left > 0) {
          left -= 1;
          for (let attempt = 0; ; attempt++) {
            const res = await request(url, { headers });
            await res.body.dump();
            if (res.statusCode !== 429) break;
            if (attempt === 5) {
              failed += 1;
              break;
            }
            await delay(backoffDelay(attempt, DEFAULT_BACKOFF, Math.random));
          }
        }
      }),
    );
    return failed;
  });
  return { ...times, ...answered(handle) };
}

function answered(handle: SandboxHandle): { ok: number; limited: number } {
  const log = handle.requests();
  const limited = log.filter((r) => r.status === 429).length;
  return { ok: log.length - limited, limited };
}

/** Goodput beyond the burst as a share of the hidden rate, and the share of requests answered 429. */
function shares(burst: number, f: Figures): { goodput: number; limited: number } {
  return { goodput: (f.ok - burst) / f.seconds / RATE, limited: f.limited / (f.ok + f.limited) };
}

const pct = (share: number, digits: number) => `${(100 * share).toFixed(digits)} %`;
const meets = (s: { goodput: number; limited: number }) =>
  s.goodput >= GOAL.goodput && s.limited <= GOAL.limited ? 'yes' : 'no';

function row(name: string, burst: number, f: Figures): string {
  const s = shares(burst, f);
  return (
    `| ${name} | ${f.ok} | ${f.limited} | ${f.failed} | ${f.seconds.toFixed(2)} s | ${f.cpu.toFixed(2)} s | ` +
    `${(s.goodput * RATE).toFixed(1)} req/s | ${pct(s.goodput, 0)} | ${pct(s.limited, 1)} | ${meets(s)} |`
  );
}

async function main(): Promise<void> {
  const total = RATE * SECONDS;
  print(
    `hidden token bucket ${RATE} req/s; ${total} requests per client, ${RUNS} run(s); ` +
      `goal: ≥ ${pct(GOAL.goodput, 0)} goodput, ≤ ${pct(GOAL.limited, 0)} 429s`,
  );
  print(
    '| client | accepted | 429s | gave up | wall | CPU | goodput beyond the burst | of the limit | 429 share | goal |',
  );
  print('|---|---|---|---|---|---|---|---|---|---|');
  /** Each case's runs, for the summary. */
  const cases = new Map<string, { goodput: number; limited: number }[]>();
  for (let run = 0; run < RUNS; run++) await once(total, cases);
  print('');
  print(`worst of ${RUNS} run(s) per case:`);
  print('| client | lowest goodput | highest 429 share | goal met in every run |');
  print('|---|---|---|---|');
  for (const [name, runs] of cases) {
    const worst = {
      goodput: Math.min(...runs.map((r) => r.goodput)),
      limited: Math.max(...runs.map((r) => r.limited)),
    };
    print(`| ${name} | ${pct(worst.goodput, 0)} | ${pct(worst.limited, 1)} | ${meets(worst)} |`);
  }
}

async function once(
  total: number,
  cases: Map<string, { goodput: number; limited: number }[]>,
): Promise<void> {
  for (const type of ['process-street', 'targetprocess'] as const) {
    for (const burst of BURSTS) {
      const handle = await startSandbox(SANDBOXES[type], {
        profile: 'clean',
        faults: { rateLimit: { capacity: burst, refillPerSecond: RATE } },
      });
      const label = `${type === 'process-street' ? 'Retry-After on some 429s' : 'no Retry-After'}, burst ${burst}`;
      try {
        for (const [name, run] of [
          ['naive', naive],
          ['roster', roster],
        ] as const) {
          // A fresh bucket for each client: full, as after a quiet spell.
          handle.setFaults('clean', { rateLimit: { capacity: burst, refillPerSecond: RATE } });
          handle.clearRequests();
          const figures = await run(handle, total);
          const key = `${name}: ${label}`;
          print(row(key, burst, figures));
          cases.set(key, [...(cases.get(key) ?? []), shares(burst, figures)]);
        }
      } finally {
        await handle.close();
      }
    }
  }
}

await main();

/**
 * @module Benchmark: Roster's HTTP client against a sandbox behind a hidden token bucket (20 req/s, bursts 5 and 20;
 * Process Street sends Retry-After on about half its 429s, Targetprocess never does), beside a naive client
 * (fixed concurrency 4, exponential backoff) in the same run. Goodput is the accepted requests beyond the burst
 * per second, as a share of the hidden rate; the 429 share is of every request the sandbox answered.
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
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
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
  ok: number;
  limited: number;
  failed: number;
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
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (left > 0) {
        left -= 1;
        try {
          await client.request({ method: 'GET', path: read.path, query: read.query, endpoint: 'GET users' });
        } catch {
          failed += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  return { seconds, ...answered(handle), failed };
}

/** What a client written without rate knowledge does: 4 at a time, full-jitter exponential backoff on 429. */
async function naive(handle: SandboxHandle, total: number): Promise<Figures> {
  const read = READS[handle.type]!;
  const url = `${handle.baseUrl}${read.path}?${new URLSearchParams(read.query)}`;
  const headers = { authorization: `Bearer ${handle.credentials.token}`, accept: 'application/json' };
  let left = total;
  let failed = 0;
  const started = performance.now();
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
  return { seconds: (performance.now() - started) / 1000, ...answered(handle), failed };
}

function answered(handle: SandboxHandle): { ok: number; limited: number } {
  const log = handle.requests();
  const limited = log.filter((r) => r.status === 429).length;
  return { ok: log.length - limited, limited };
}

function row(name: string, burst: number, f: Figures): string {
  const goodput = (f.ok - burst) / f.seconds;
  const share = f.limited / (f.ok + f.limited);
  return (
    `| ${name} | ${f.ok} | ${f.limited} | ${f.failed} | ${f.seconds.toFixed(2)} s | ` +
    `${goodput.toFixed(1)} req/s | ${((100 * goodput) / RATE).toFixed(0)} % | ${(100 * share).toFixed(1)} % |`
  );
}

async function main(): Promise<void> {
  const total = RATE * SECONDS;
  print(`hidden token bucket ${RATE} req/s; ${total} requests per client; goal: ≥ 90 % goodput, ≤ 5 % 429s`);
  print(
    '| client | accepted | 429s | gave up | wall | goodput beyond the burst | of the limit | 429 share |',
  );
  print('|---|---|---|---|---|---|---|---|');
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
          print(row(`${name}: ${label}`, burst, await run(handle, total)));
        }
      } finally {
        await handle.close();
      }
    }
  }
}

await main();

/**
 * @module Benchmark: the HTTP API listing findings and accounts over a SQLite store of 100k accounts (5 apps × 20k)
 * and 100k people. Prints requests/s and latency p50/p99 per endpoint (autocannon); the ratio it is judged by is
 * requests/s of the first page of each list.
 */

import autocannon from 'autocannon';
import { PEOPLE, seededServer } from './seed.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);

async function main(): Promise<void> {
  const { server, token, accounts, apps, seedMs, close } = await seededServer('roster-bench-api-');
  let at = performance.now();
  const lines = [
    `people ${PEOPLE}, accounts ${accounts} (${apps} apps), seed ${(seedMs / 1000).toFixed(1)} s`,
  ];
  try {
    for (const path of [
      '/findings?limit=100',
      '/accounts?limit=100',
      '/accounts?limit=100&appId=targetprocess&situation=linked',
    ]) {
      at = performance.now();
      const warm = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const first = performance.now() - at;
      if (!warm.ok) throw new Error(`${path}: HTTP ${warm.status} ${await warm.text()}`);
      const result = await autocannon({
        url: `${server.url}${path}`,
        headers: { authorization: `Bearer ${token}` },
        connections: CONNECTIONS,
        duration: SECONDS,
      });
      lines.push(
        `GET ${path}: first ${first.toFixed(0)} ms; ${result.requests.average.toFixed(1)} req/s, ` +
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
    }
  } finally {
    await close();
  }
  lines.push('ratio: requests/s of each listing at this size (see the lines above)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();

/**
 * @module Benchmark: the HTTP API listing findings and accounts over a SQLite store of 100k accounts (5 apps × 20k)
 * and 100k people. Prints requests/s and latency p50/p99 per endpoint (autocannon); the ratio it is judged by is
 * requests/s of the first page of each list.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { stringify } from 'yaml';
import { issueToken } from '../src/app/tokens.js';
import { parseConfig } from '../src/config/load.js';
import type { Account, Person } from '../src/core/types.js';
import { SEED_APP_TYPES } from '../src/core/types.js';
import { startServer } from '../src/server/serve.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { tokenStore } from '../src/store/tokens.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100_000);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 100_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);

function people(): Person[] {
  return Array.from({ length: PEOPLE }, (_, i) => ({
    employeeId: `E${i}`,
    email: `person${i}@acme.com`,
    aliases: [],
    firstName: `First${i % 997}`,
    lastName: `Last${i % 1009}`,
    status: i % 9 === 0 ? 'leaver' : 'active',
    department: `Dept${i % 12}`,
    title: 'Engineer',
    managerEmail: null,
    startDate: null,
    endDate: null,
    attributes: {},
  }));
}

function accounts(appId: string, count: number, offset: number): Account[] {
  return Array.from({ length: count }, (_, n) => {
    const i = (n + offset) % PEOPLE;
    return {
      appId,
      id: String(n + 1),
      email: n % 10 === 9 ? `svc${n}@vendor.example` : `person${i}@acme.com`,
      login: null,
      externalId: null,
      firstName: `First${i % 997}`,
      lastName: `Last${i % 1009}`,
      displayName: null,
      status: 'active',
      isAdmin: n % 500 === 0,
      lastLoginAt: n % 7 === 0 ? null : '2026-10-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: null,
      attributes: {},
    };
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-api-'));
  // Apps point nowhere: nothing here calls them; the server only reads their manifests.
  const apps = SEED_APP_TYPES.map((type) => ({
    id: type,
    type,
    baseUrl: 'http://127.0.0.1:9',
    auth: type === 'thought-industries' ? { type: 'api-key', key: 'k' } : { type: 'bearer', token: 't' },
    ...(type === 'customer-directory' ? { customerId: '64b7f0c2a1e4d5f6a7b8c9d0', integration: 'okta' } : {}),
    ...(type === 'stackspot-scim' ? { tenantId: 't' } : {}),
  }));
  const text = stringify({
    store: `sqlite:${join(dir, 'bench.db')}`,
    source: { type: 'csv', path: 'hr.csv' },
    apps,
  });
  const config = parseConfig(text, { file: join(dir, 'roster.yaml'), env: {} });
  const store = await openSqliteStore(config.store);
  let at = performance.now();
  await store.replacePeople({ sourcePath: 'bench.csv', hash: 'bench', people: people() });
  const perApp = Math.ceil(ACCOUNTS / apps.length);
  for (const [index, app] of apps.entries()) {
    await store.upsertApp({ id: app.id, type: app.type, baseUrl: app.baseUrl });
    const run = await store.startSyncRun({ appId: app.id, mode: 'full' });
    await store.replaceSnapshot({
      appId: app.id,
      runId: run.id,
      accounts: accounts(app.id, perApp, index * 7919),
      entitlements: [],
      grants: [],
    });
    await store.finishSyncRun({ id: run.id, status: 'succeeded' });
  }
  const seeded = performance.now() - at;
  const { token } = await issueToken(
    { store, tokens: tokenStore(store) },
    { name: 'bench', scope: 'read', createdBy: 'bench' },
  );
  const server = await startServer({
    config,
    configPath: join(dir, 'roster.yaml'),
    store,
    port: 0,
    rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
  });
  const lines = [
    `people ${PEOPLE}, accounts ${perApp * apps.length} (${apps.length} apps), seed ${(seeded / 1000).toFixed(1)} s`,
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
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  lines.push('ratio: requests/s of each listing at this size (see the lines above)');
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();

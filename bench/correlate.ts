/**
 * @module Benchmark: refreshGraph over 100k people and 5 apps × 100k accounts in a SQLite store.
 * Prints wall time per phase, the peak RSS sampled while it runs, and the ratio it is judged by: accounts/second.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account, Person } from '../src/core/types.js';
import { SEED_APP_TYPES } from '../src/core/types.js';
import { refreshGraph } from '../src/identity/graph.js';
import { openStore } from '../src/store/open.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100_000);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 100_000);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);

function people(): Person[] {
  return Array.from({ length: PEOPLE }, (_, i) => ({
    employeeId: `E${i}`,
    email: `person${i}@acme.com`,
    aliases: i % 20 === 0 ? [`p${i}@acme.com`] : [],
    firstName: `First${i % 997}`,
    lastName: `Last${i % 1009}`,
    status: i % 9 === 0 ? 'leaver' : 'active',
    department: `Dept${i % 12}`,
    title: 'Engineer',
    managerEmail: null,
    startDate: null,
    endDate: null,
    attributes: { idp_id: `idp-${i}` },
  }));
}

/** One app's accounts: a mix of external-id, email (exact and aliased), login, name-only and orphan accounts. */
function accounts(appId: string, offset: number): Account[] {
  return Array.from({ length: ACCOUNTS }, (_, n) => {
    const i = (n + offset) % PEOPLE;
    const kind = n % 10;
    return {
      appId,
      id: String(n + 1),
      email:
        kind === 9 ? `svc${n}@vendor.example` : kind === 1 ? `Person${i}@acme.io` : `person${i}@acme.com`,
      login: kind === 2 ? `person${i}` : null,
      externalId: kind === 0 ? `idp-${i}` : null,
      firstName: `First${i % 997}`,
      lastName: `Last${i % 1009}`,
      displayName: null,
      status: n % 50 === 0 ? 'invited' : 'active',
      isAdmin: n % 500 === 0,
      lastLoginAt: n % 7 === 0 ? null : '2026-10-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: null,
      attributes: { department: `Dept${i % 12}` },
    };
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
  const apps = SEED_APP_TYPES.map((type) => ({ id: type, type, baseUrl: 'http://localhost' }));
  let at = performance.now();
  await store.replacePeople({ sourcePath: 'bench.csv', hash: 'bench', people: people() });
  for (const [index, app] of apps.entries()) {
    await store.upsertApp({ id: app.id, type: app.type, baseUrl: app.baseUrl });
    await store.replaceSnapshot({
      appId: app.id,
      runId: null,
      accounts: accounts(app.id, index * 7919),
      entitlements: [],
      grants: [],
    });
  }
  const seeded = performance.now() - at;
  at = performance.now();
  const graphConfig = {
    apps,
    domains: { aliases: [['acme.com', 'acme.io']] as [string, string][] },
    identity: { externalIdAttribute: 'idp_id', dormantDays: 90, inviteDays: 14, nameSuggestions: true },
  };
  const result = await refreshGraph({ store, config: graphConfig, now: '2026-11-01T00:00:00.000Z' });
  const total = performance.now() - at;
  // The steady state: the same graph again, as every command after a sync without changes sees it.
  at = performance.now();
  const again = await refreshGraph({ store, config: graphConfig, now: '2026-11-01T00:00:00.000Z' });
  const second = performance.now() - at;
  clearInterval(sampler);
  // The sampler cannot run while synchronous work holds the event loop; the kernel's high-water mark can.
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const accountCount = result.links.length;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `people ${PEOPLE}, apps ${apps.length}, accounts ${accountCount}, findings ${result.findings.length}`,
    `seed store (not timed in the ratio): ${s(seeded)}`,
    `load from store:  ${s(result.timings.load)}`,
    `correlate:        ${s(result.timings.correlate)}`,
    `write links:      ${s(result.timings.writeLinks)}`,
    `findings:         ${s(result.timings.findings)}`,
    `refreshGraph:     ${s(total)}`,
    `peak RSS:         ${(peak / 1024 / 1024).toFixed(0)} MiB`,
    `second pass:      ${s(second)} (nothing changed: write links ${s(again.timings.writeLinks)})`,
    `ratio: ${Math.round(accountCount / (total / 1000))} accounts/second (refreshGraph end to end)`,
    `       ${Math.round(accountCount / (second / 1000))} accounts/second (second pass, nothing changed)`,
    `       ${Math.round(accountCount / (result.timings.correlate / 1000))} accounts/second (correlate alone)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();

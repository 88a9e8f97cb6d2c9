/**
 * @module Benchmark: the identity graph at 50k, 250k and 1M accounts (people × 5 apps, 5 accounts a person). Each
 * size is seeded by one process and measured by another, so the peak RSS printed is the graph's own. Prints per
 * size: the first pass (refreshGraph: links and findings), the second with nothing changed (updateLinks, what
 * `plan` runs after a sync; updateGraph, links and findings; and refreshGraph, which reads the stored findings
 * back), one account changed (the findings of the accounts it touches recomputed) and then another (the people
 * index the first kept is used again), digests of the findings and
 * links (compare them between builds), and µs/account against the smallest size: linear growth is a
 * flat ratio. At each size the first pass is also run once with every write on the graph's own thread (the store
 * as it was before the write thread, `writeThreadFrom: Infinity`) on a copy of the same seeded file, in a process
 * of its own: its figures, the ratio, and a check that both passes stored the same links and findings.
 *
 * Store: SQLite files in a temporary folder, or Postgres with `BENCH_STORE=postgres` (a fresh database per size,
 * dropped after; no write thread there, so no baseline run). The digests are the same on either store.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Account, Person } from '../src/core/types.js';
import { SEED_APP_TYPES } from '../src/core/types.js';
import type { Finding } from '../src/identity/findings.js';
import { refreshGraph, updateGraph, updateLinks } from '../src/identity/graph.js';
import { openStore } from '../src/store/open.js';
import { freshDatabase } from '../src/store/postgres.testkit.js';
import type { Store } from '../src/store/store.js';
import { profiled } from './profile.js';

const SIZES = (process.env['BENCH_SIZES'] ?? '50000,250000,1000000').split(',').map(Number);
const POSTGRES = process.env['BENCH_STORE']?.startsWith('postgres') ?? false;

/** BENCH_FILE names a SQLite file or, on Postgres, the database's URL. */
const storeUrl = (file: string) => (/^postgres(ql)?:\/\//.test(file) ? file : `sqlite:${file}`);
const APPS = SEED_APP_TYPES.length;

function people(count: number): Person[] {
  return Array.from({ length: count }, (_, i) => ({
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
function accounts(appId: string, count: number, peopleCount: number, offset: number): Account[] {
  return Array.from({ length: count }, (_, n) => {
    const i = (n + offset) % peopleCount;
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

interface Figures {
  accounts: number;
  findings: number;
  first: { wall: number; cpu: number; load: number; correlate: number; writeLinks: number; findings: number };
  noChange: { wall: number; cpu: number };
  graphAgain: { wall: number; cpu: number };
  refreshAgain: { wall: number; cpu: number; upToDate: boolean };
  oneApp: { wall: number; cpu: number; recomputed: number; written: number };
  oneAppFindings: { wall: number; cpu: number; recomputed: number };
  oneAppRead: { wall: number; cpu: number };
  oneAppAgain: { wall: number; cpu: number; written: number };
  peakMiB: number;
  seedPeakMiB: number;
  /** Digests of the findings and links after the first pass and after the one-app pass: equal across builds. */
  digests: { first: string; oneApp: string; links: string; oneAppLinks: string };
}

/** A short digest of findings in id order (the order they are returned in is not part of the comparison). */
function findingsDigest(found: readonly Finding[]): string {
  const hash = createHash('sha256');
  const sorted = [...found].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const f of sorted) {
    hash.update(JSON.stringify([f.id, f.severity, f.employeeId, f.title, f.evidence]));
    hash.update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}

/** A short digest of every stored link, app by app in account order (the time written is left out). */
async function linksDigest(store: Store): Promise<string> {
  const hash = createHash('sha256');
  for (const app of apps) {
    for (const l of await store.listLinks({ appId: app.id })) {
      hash.update(
        JSON.stringify([
          l.appId,
          l.accountId,
          l.employeeId,
          l.situation,
          l.method,
          l.confidence,
          l.candidates,
        ]),
      );
      hash.update('\n');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const at = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, wall: performance.now() - at, cpu: (used.user + used.system) / 1000 };
}

const apps = SEED_APP_TYPES.map((type) => ({ id: type, type, baseUrl: 'http://localhost' }));

/** Writes the people and every app's snapshot into a new store at `file` (in a process of its own). */
async function seed(total: number, file: string): Promise<number> {
  const perApp = Math.round(total / APPS);
  const peopleCount = perApp;
  const store = await openStore(storeUrl(file));
  await store.replacePeople({ sourcePath: 'bench.csv', hash: 'bench', people: people(peopleCount) });
  for (const [index, app] of apps.entries()) {
    await store.upsertApp({ id: app.id, type: app.type, baseUrl: app.baseUrl });
    await store.replaceSnapshot({
      appId: app.id,
      runId: null,
      accounts: accounts(app.id, perApp, peopleCount, index * 7919),
      entitlements: [],
      grants: [],
    });
  }
  await store.close();
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const config = {
  apps,
  domains: { aliases: [['acme.com', 'acme.io']] as [string, string][] },
  identity: { externalIdAttribute: 'idp_id', dormantDays: 90, inviteDays: 14, nameSuggestions: true },
};
const now = '2026-11-01T00:00:00.000Z';

/** The first pass alone with every write on this thread (no write thread): the baseline. */
interface Baseline {
  wall: number;
  cpu: number;
  peakMiB: number;
  digests: { first: string; links: string };
}

async function baseline(file: string): Promise<Baseline> {
  const store = await openStore(`sqlite:${file}`, { writeThreadFrom: Number.POSITIVE_INFINITY });
  const rssBefore = process.resourceUsage().maxRSS;
  const first = await timed(() => refreshGraph({ store, config, now }));
  const peakMiB = Math.max(rssBefore, process.resourceUsage().maxRSS) / 1024;
  const digests = { first: findingsDigest(first.value.findings), links: await linksDigest(store) };
  await store.close();
  return { wall: first.wall, cpu: first.cpu, peakMiB: Math.round(peakMiB), digests };
}

async function one(total: number, file: string, seedPeakMiB: number): Promise<Figures> {
  const perApp = Math.round(total / APPS);
  const peopleCount = perApp;
  const store = await openStore(storeUrl(file));
  const rssBefore = process.resourceUsage().maxRSS;
  const first = await timed(() =>
    profiled(process.env['BENCH_PROFILE'], () => refreshGraph({ store, config, now })),
  );
  const peakMiB = Math.max(rssBefore, process.resourceUsage().maxRSS) / 1024;
  const firstDigest = findingsDigest(first.value.findings);
  const firstLinks = await linksDigest(store);
  const noChange = await timed(() => updateLinks({ store, config }));
  if (!noChange.value.upToDate) throw new Error('the second pass recomputed with nothing changed');
  const graphAgain = await timed(() => updateGraph({ store, config, now }));
  if (!graphAgain.value.upToDate) throw new Error('the second pass recomputed findings with nothing changed');
  const refreshAgain = await timed(() => refreshGraph({ store, config, now }));
  if (findingsDigest(refreshAgain.value.findings) !== firstDigest) {
    throw new Error('the unchanged pass returned other findings than the first');
  }
  // One app re-synced with one account's address changed: only that app is correlated again.
  const appId = apps[0]?.id ?? '';
  const changed = accounts(appId, perApp, peopleCount, 0);
  const resync = (at: number, email: string) => {
    if (changed[at]) changed[at] = { ...changed[at], email };
    return store.replaceSnapshot({ appId, runId: null, accounts: changed, entitlements: [], grants: [] });
  };
  await resync(3, 'someone-new@acme.com');
  const oneApp = await timed(() => updateLinks({ store, config }));
  const oneAppFindings = await timed(() => updateGraph({ store, config, now }));
  const oneAppRead = await timed(() => refreshGraph({ store, config, now }));
  const oneAppLinks = await linksDigest(store);
  // The next re-sync of that app, as a service's syncs come one after another (another account changed).
  await resync(4, 'someone-else@acme.com');
  const oneAppAgain = await timed(() => updateLinks({ store, config }));
  await store.close();
  const t = first.value.timings;
  return {
    accounts: first.value.recomputed,
    findings: first.value.findings.length,
    first: {
      wall: first.wall,
      cpu: first.cpu,
      load: t.load,
      correlate: t.correlate,
      writeLinks: t.writeLinks,
      findings: t.findings,
    },
    noChange: { wall: noChange.wall, cpu: noChange.cpu },
    graphAgain: { wall: graphAgain.wall, cpu: graphAgain.cpu },
    refreshAgain: { wall: refreshAgain.wall, cpu: refreshAgain.cpu, upToDate: refreshAgain.value.upToDate },
    oneApp: {
      wall: oneApp.wall,
      cpu: oneApp.cpu,
      recomputed: oneApp.value.recomputed.length,
      written: oneApp.value.written,
    },
    oneAppFindings: {
      wall: oneAppFindings.wall,
      cpu: oneAppFindings.cpu,
      recomputed: oneAppFindings.value.recomputed,
    },
    oneAppRead: { wall: oneAppRead.wall, cpu: oneAppRead.cpu },
    oneAppAgain: { wall: oneAppAgain.wall, cpu: oneAppAgain.cpu, written: oneAppAgain.value.written },
    peakMiB: Math.round(peakMiB),
    seedPeakMiB,
    digests: {
      first: firstDigest,
      oneApp: findingsDigest(oneAppRead.value.findings),
      links: firstLinks,
      oneAppLinks,
    },
  };
}

async function main(): Promise<void> {
  const file = process.env['BENCH_FILE'];
  if (process.env['BENCH_SEED'] !== undefined && file !== undefined) {
    process.stdout.write(`${await seed(Number(process.env['BENCH_SEED']), file)}\n`);
    return;
  }
  if (process.env['BENCH_BASELINE'] !== undefined && file !== undefined) {
    process.stdout.write(`${JSON.stringify(await baseline(file))}\n`);
    return;
  }
  const only = process.env['BENCH_ONE'];
  if (only !== undefined && file !== undefined) {
    const seedPeak = Number(process.env['BENCH_SEED_PEAK'] ?? 0);
    process.stdout.write(`${JSON.stringify(await one(Number(only), file, seedPeak))}\n`);
    return;
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rows: Figures[] = [];
  const child = (env: Record<string, string>) => {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (run.status !== 0) throw new Error(`${JSON.stringify(env)} failed: ${run.stderr}`);
    return run.stdout.trim().split('\n').pop() ?? '';
  };
  process.stdout.write(
    POSTGRES
      ? "store: Postgres (CPU and peak RSS are Roster's process alone, not the database server's)\n"
      : 'store: SQLite\n',
  );
  for (const size of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
    const database = POSTGRES ? await freshDatabase('roster_bench_correlate') : null;
    const file = database?.url ?? join(dir, 'bench.db');
    let figures: Figures;
    let base: Baseline | null = null;
    try {
      const seedPeak = child({ BENCH_SEED: String(size), BENCH_FILE: file });
      if (database === null) {
        const copy = join(dir, 'baseline.db');
        copyFileSync(file, copy);
        base = JSON.parse(child({ BENCH_BASELINE: '1', BENCH_FILE: copy })) as Baseline;
        rmSync(copy);
      }
      figures = JSON.parse(
        child({ BENCH_ONE: String(size), BENCH_FILE: file, BENCH_SEED_PEAK: seedPeak }),
      ) as Figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await database?.drop();
    }
    rows.push(figures);
    const f = figures.first;
    if (
      base &&
      (base.digests.first !== figures.digests.first || base.digests.links !== figures.digests.links)
    ) {
      throw new Error(`the write thread stored other findings or links than the baseline at ${size}`);
    }
    process.stdout.write(
      [
        `accounts ${figures.accounts} (${figures.accounts / APPS} people × ${APPS} apps), findings ${figures.findings}`,
        `  first pass (refreshGraph):     ${s(f.wall)} wall, ${s(f.cpu)} CPU, peak RSS ${figures.peakMiB} MiB (seeding: ${figures.seedPeakMiB} MiB)`,
        `    load ${s(f.load)}, correlate ${s(f.correlate)}, write links ${s(f.writeLinks)}, findings ${s(f.findings)}` +
          (base ? " (on the graph's thread; the writes themselves run on the write thread)" : ''),
        ...(base
          ? [
              `  baseline, every write on the graph's thread: ${s(base.wall)} wall, ${s(base.cpu)} CPU, peak RSS ${base.peakMiB} MiB` +
                ` — wall with the write thread ÷ baseline: ${(f.wall / base.wall).toFixed(2)}, same findings and links`,
            ]
          : []),
        `  nothing changed (updateLinks): ${s(figures.noChange.wall)} wall, ${s(figures.noChange.cpu)} CPU`,
        `  nothing changed (updateGraph: links and findings):  ${s(figures.graphAgain.wall)} wall, ${s(figures.graphAgain.cpu)} CPU`,
        `  nothing changed (refreshGraph, stored findings read back): ${s(figures.refreshAgain.wall)} wall, ${s(figures.refreshAgain.cpu)} CPU`,
        `  one app re-synced (updateLinks): ${s(figures.oneApp.wall)} wall, ${s(figures.oneApp.cpu)} CPU, ` +
          `${figures.oneApp.recomputed} app recomputed, ${figures.oneApp.written} link written`,
        `  then its findings (updateGraph): ${s(figures.oneAppFindings.wall)} wall, ${s(figures.oneAppFindings.cpu)} CPU, ` +
          `${figures.oneAppFindings.recomputed} accounts looked at again; all read back (refreshGraph): ` +
          `${s(figures.oneAppRead.wall)} wall, ${s(figures.oneAppRead.cpu)} CPU`,
        `  the next re-sync of that app (updateLinks): ${s(figures.oneAppAgain.wall)} wall, ${s(figures.oneAppAgain.cpu)} CPU, ` +
          `${figures.oneAppAgain.written} link written`,
        `  digests: findings ${figures.digests.first} → ${figures.digests.oneApp}, links ${figures.digests.links} → ${figures.digests.oneAppLinks}`,
        '',
      ].join('\n'),
    );
  }
  const base = rows[0];
  if (base === undefined) return;
  const perAccount = (r: Figures) => (r.first.cpu * 1000) / r.accounts;
  process.stdout.write('growth (first pass CPU µs/account, ratio to the smallest size; flat is linear):\n');
  for (const r of rows) {
    process.stdout.write(
      `  ${String(r.accounts).padStart(8)}: ${perAccount(r).toFixed(1)} µs/account, ×${(perAccount(r) / perAccount(base)).toFixed(2)}\n`,
    );
  }
}

await main();

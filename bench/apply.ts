/**
 * @module Benchmark: `apply` of ~1,000 account creates on one sandbox app (StackSpot SCIM) at concurrency 4, beside
 * a raw loop sending the same creates (POST, then GET of what was created, as Roster reads back) at the same
 * concurrency on a fresh copy of the app. Both in one run; the ratio is Roster's throughput over the raw loop's,
 * the median of BENCH_ROUNDS rounds (default 3) after BENCH_WARMUP_ROUNDS unmeasured ones (default 2).
 * Store: SQLite in a temporary folder, or Postgres with `BENCH_STORE=postgres://…` (a fresh database is created
 * and dropped). CPU is this process's (Roster and the sandbox it calls alike, as for the raw loop).
 * `BENCH_SQL=1` also counts the SQL statements, prepares (SQLite) and transactions apply ran per op.
 * `BENCH_PROFILE=file.cpuprofile` writes a CPU profile of the last round's apply alone (open it in Chrome's DevTools,
 * or read it with `npm run bench:profile-report`);
 * `BENCH_PROFILE_RAW=file.cpuprofile` one of the raw loop, to set beside it.
 * `BENCH_APP_DELAY_MS=N` puts the app N ms away, each way, for Roster and the raw loop alike (a proxy in a process of
 * its own holds every chunk that long, so a request's round trip costs at least 2N ms): with the sandbox on
 * loopback, in this process, an op costs the raw loop a fraction of a millisecond, and the ratio is one of CPU
 * alone; a SaaS app answers in tens of milliseconds.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { applyPlan, openRoster, planChanges, syncApps } from '../src/app/index.js';
import { loadConfig } from '../src/config/load.js';
import { generateCompany, hrToCsv } from '../src/sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../src/sandbox/fleet.js';
import { freshDatabase } from '../src/store/postgres.testkit.js';
import { startDelayProxy } from './delay-proxy.js';
import { profiled } from './profile.js';
import {
  describeCounts,
  installSqlCounter,
  type SqlCounts,
  startCounting,
  stopCounting,
} from './sql-count.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 1750);
/**
 * Unmeasured rounds run first, as the measured ones (Roster, then the raw loop, each on apps of their own), so that
 * neither side is measured while its code is still being compiled. Without them the raw loop, run second, met an
 * app and undici that Roster's run had warmed up; and Roster's CPU per op keeps falling over its first rounds in a
 * process (3.0–4.4 ms in the first, 1.2–2.0 ms from the fourth on, where the raw loop took 0.7–0.9 ms; a full GC
 * forced between rounds undoes the fall, GC pauses do not explain it). 0 rounds skips them.
 */
const WARMUP_ROUNDS = Number(process.env['BENCH_WARMUP_ROUNDS'] ?? 2);
/** People in each unmeasured round (default: as many as in a measured one). */
const WARMUP_PEOPLE = Number(process.env['BENCH_WARMUP_PEOPLE'] ?? PEOPLE);
/**
 * Measured rounds; the ratio printed is the median of the rounds'. On a shared machine one round's ratio ranged
 * from 32 to 67 % within a run of 12 (median 50 %). Only the last round is profiled and counted.
 */
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const CONCURRENCY = 4;
const APP = 'stackspot-scim';
const SEED = 7;
const POSTGRES = process.env['BENCH_STORE']?.startsWith('postgres') ?? false;
const COUNT_SQL = process.env['BENCH_SQL'] === '1';
const PROFILE = process.env['BENCH_PROFILE'];
const PROFILE_RAW = process.env['BENCH_PROFILE_RAW'];
const APP_DELAY_MS = Number(process.env['BENCH_APP_DELAY_MS'] ?? 0);
if (!Number.isFinite(APP_DELAY_MS) || APP_DELAY_MS < 0)
  throw new Error(`BENCH_APP_DELAY_MS: milliseconds, 0 or more, not "${process.env['BENCH_APP_DELAY_MS']}"`);

/** The headers of Roster's writes the raw loop sends too (the log's own transport headers are left out). */
const REPLAYED = new Set(['content-type', 'accept', 'x-tenant-id']);

const print = (line: string) => process.stdout.write(`${line}\n`);

const policy = {
  rules: [{ name: 'everyone', when: { status: 'active' }, apps: { [APP]: {} } }],
  managed: { [APP]: ['account'] },
  safety: {
    maxDeactivations: { count: null, share: null },
    approval: { delete: false, privileged: false, opsPerApp: 100_000 },
  },
};

/** A fresh app of `people`, and where its clients reach it: the sandbox, or a delaying proxy in front of it. */
async function fleet(people: number): Promise<{ f: Fleet; baseUrl: string; close: () => Promise<void> }> {
  const f = await startFleet({ apps: [APP], seed: SEED, company: generateCompany({ seed: SEED, people }) });
  const direct = f.sandboxes[0]!.baseUrl;
  if (APP_DELAY_MS <= 0) return { f, baseUrl: direct, close: () => f.close() };
  const { hostname, port, origin } = new URL(direct);
  const proxy = await startDelayProxy({ host: hostname, port: Number(port) }, APP_DELAY_MS);
  return {
    f,
    baseUrl: direct.replace(origin, `http://127.0.0.1:${proxy.port}`),
    close: async () => {
      proxy.close();
      await f.close();
    },
  };
}

/** Roster: sync, plan, then apply (timed) the creates. Profiled and counted only when `observed`. */
async function roster(
  f: Fleet,
  baseUrl: string,
  observed: boolean,
): Promise<{
  ops: number;
  seconds: number;
  cpu: number;
  requests: number;
  writes: Write[];
  counted: SqlCounts | null;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-apply-'));
  const database = POSTGRES ? await freshDatabase('roster_bench_apply') : null;
  try {
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(f.company.hr));
    const store = database?.url ?? 'sqlite:./roster.db';
    const doc = parse(fleetConfigYaml(f, { sourcePath: 'hr.csv', store })) as { apps: { baseUrl: string }[] };
    for (const app of doc.apps) app.baseUrl = baseUrl;
    writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
    const r = await openRoster(await loadConfig(join(dir, 'roster.yaml')), { actor: 'bench' });
    try {
      await syncApps(r, {});
      const planned = await planChanges(r, {});
      // The policy also deactivates the sample company's leavers: a few ops of the same shape (a write, a read).
      const creates = planned.body.ops.filter((o) => o.kind === 'create').length;
      const ops = planned.body.ops.length;
      if (creates < ops * 0.9) throw new Error(`the plan is not mostly creates: ${creates} of ${ops}`);
      const sandbox = f.sandboxes[0]!;
      sandbox.clearRequests();
      const counting = COUNT_SQL && observed;
      if (counting) startCounting();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await profiled(observed ? PROFILE : undefined, () =>
        applyPlan(r, { plan: planned.plan.id, yes: true, concurrency: CONCURRENCY }),
      );
      const seconds = (performance.now() - started) / 1000;
      const used = cpuSeconds(process.cpuUsage(cpu));
      const counted = counting ? stopCounting() : null;
      const done = result.ops.filter((o) => o.state === 'succeeded').length;
      if (done !== ops) throw new Error(`apply left ${ops - done} of ${ops} ops undone: ${result.status}`);
      const log = sandbox.requests();
      const writes = log
        .filter((e) => e.method === 'POST' && e.status === 201)
        .map((e) => ({
          url: e.url,
          headers: {
            ...Object.fromEntries(Object.entries(e.headers).filter(([name]) => REPLAYED.has(name))),
            authorization: `Bearer ${sandbox.credentials.token}`,
          },
          body: JSON.stringify(e.body),
        }));
      return { ops, seconds, cpu: used, requests: log.length, writes, counted };
    } finally {
      await r.close();
    }
  } finally {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** One write Roster sent: replayed as is by the raw loop. */
interface Write {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The raw loop: the creates Roster sent, replayed on a fresh app, each a POST then a GET of what it made. */
async function raw(
  f: Fleet,
  baseUrl: string,
  writes: readonly Write[],
  observed: boolean,
): Promise<{ ops: number; seconds: number; cpu: number; requests: number }> {
  const sandbox = f.sandboxes[0]!;
  const origin = new URL(baseUrl).origin;
  let next = 0;
  sandbox.clearRequests();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await profiled(observed ? PROFILE_RAW : undefined, () =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < writes.length; i = next++) {
          const w = writes[i]!;
          const created = await request(`${origin}${w.url}`, {
            method: 'POST',
            headers: w.headers,
            body: w.body,
          });
          const made = (await created.body.json()) as { id?: string };
          if (created.statusCode !== 201 || !made.id) throw new Error(`raw create: ${created.statusCode}`);
          const read = await request(`${origin}${w.url}/${made.id}`, { headers: w.headers });
          await read.body.json();
          if (read.statusCode !== 200) throw new Error(`raw read-back: ${read.statusCode}`);
        }
      }),
    ),
  );
  return {
    ops: writes.length,
    seconds: (performance.now() - started) / 1000,
    cpu: cpuSeconds(process.cpuUsage(cpu)),
    requests: sandbox.requests().length,
  };
}

/**
 * One round: Roster on a fresh app of `people`, then the raw loop replaying its creates on another. The unmeasured
 * ones (see WARMUP_ROUNDS) are the same rounds, their figures thrown away.
 */
async function round(people: number, observed: boolean) {
  const a = await fleet(people);
  let ours: Awaited<ReturnType<typeof roster>>;
  try {
    ours = await roster(a.f, a.baseUrl, observed);
  } finally {
    await a.close();
  }
  const b = await fleet(people);
  try {
    return { ours, theirs: await raw(b.f, b.baseUrl, ours.writes, observed) };
  } finally {
    await b.close();
  }
}

async function main(): Promise<void> {
  if (COUNT_SQL) installSqlCounter();
  for (let i = 0; i < WARMUP_ROUNDS; i++) await round(WARMUP_PEOPLE, false);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(PEOPLE, i === ROUNDS - 1));
  const rate = (x: { ops: number; seconds: number }) => x.ops / x.seconds;
  const perOp = (x: { ops: number; cpu: number }) => x.cpu / x.ops;
  const storeName = POSTGRES ? 'Postgres' : 'SQLite';
  const first = rounds[0]!.ours;
  const last = rounds[rounds.length - 1]!.ours;
  print(
    `apply: ${first.ops} ops (≥ 90 % creates) on ${APP}, concurrency ${CONCURRENCY}, ${storeName} store` +
      (APP_DELAY_MS > 0
        ? `, the app ${APP_DELAY_MS} ms away each way (a delaying proxy)`
        : ', the app on loopback'),
  );
  if (WARMUP_ROUNDS > 0)
    print(
      `(after ${WARMUP_ROUNDS} unmeasured round(s) of each at ${WARMUP_PEOPLE} people, on apps of their own)`,
    );
  print('| round | what | ops | requests | wall | ops/s | CPU | CPU per op |');
  print('|---|---|---|---|---|---|---|---|');
  const row = (n: number, what: string, x: { ops: number; seconds: number; cpu: number; requests: number }) =>
    print(
      `| ${n} | ${what} | ${x.ops} | ${x.requests} | ${x.seconds.toFixed(2)} s | ${rate(x).toFixed(0)} | ${x.cpu.toFixed(2)} s | ${(1000 * perOp(x)).toFixed(2)} ms |`,
    );
  rounds.forEach(({ ours, theirs }, i) => {
    row(i + 1, 'roster apply', ours);
    row(i + 1, 'raw POST + GET loop', theirs);
  });
  const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const throughput = rounds.map(({ ours, theirs }) => (100 * rate(ours)) / rate(theirs));
  const cpu = rounds.map(({ ours, theirs }) => perOp(ours) / perOp(theirs));
  const each = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');
  print(
    `roster's throughput: ${median(throughput).toFixed(0)} % of the raw loop's, median of ${ROUNDS} round(s) (${each(throughput, 0)}; goal ≥ 80 %); CPU per op ${median(cpu).toFixed(2)}× the raw loop's (${each(cpu, 2)})`,
  );
  if (last.counted) for (const line of describeCounts(last.counted, last.ops, 'op')) print(line);
}

await main();

/**
 * @module Benchmark: cluster mode applying one plan (account creates and deactivations across four sandboxes) with
 * 1, 2 and 3 `roster worker` processes on Postgres and Redis, first against apps without a rate limit, then with a
 * hidden one. Prints ops/s per worker count, the ratio to one worker (what it is judged by), the workers' CPU
 * seconds, and the share of requests the apps answered 429.
 *
 * BENCH_LATENCY_MS="30,80" (the default) makes every sandbox answer after a seeded 30–80 ms, as real SaaS APIs do
 * (the sandboxes' `slow` fault at probability 1); "0" measures the bare sandboxes, where the worker's own CPU is
 * what is measured, not the work a cluster exists to spread. BENCH_HIDDEN_LIMIT="4,5" sets the hidden limit (at
 * once, per second) to one the apply is bound by, so the 429s the shared pace saves show.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { openRoster } from '../src/app/context.js';
import { planChanges } from '../src/app/plan.js';
import { syncApps } from '../src/app/sync.js';
import { everyoneEverywhere, REDIS_URL, redisPrefix } from '../src/cluster/cluster.testkit.js';
import { ClusterQueues, clusterSettings } from '../src/cluster/queue.js';
import { loadConfig } from '../src/config/load.js';
import type { SeedAppType } from '../src/core/types.js';
import { hrToCsv } from '../src/sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../src/sandbox/fleet.js';
import type { FaultSettings } from '../src/sandbox/kit/faults.js';
import { freshDatabase } from '../src/store/postgres.testkit.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 240);
const CONCURRENCY = Number(process.env['BENCH_WORKER_CONCURRENCY'] ?? 4);
const APPS: SeedAppType[] = ['targetprocess', 'thought-industries', 'customer-directory', 'stackspot-scim'];
const LATENCY = (process.env['BENCH_LATENCY_MS'] ?? '30,80').split(',').map(Number) as [number, number?];
const WORKER_COUNTS = (process.env['BENCH_WORKERS'] ?? '1,2,3').split(',').map(Number);
const LIMITS = (process.env['BENCH_LIMITS'] ?? 'none,hidden').split(',');
/** The hidden limit, "capacity,refill per second" (default 10 at once, 40 a second: a limit the apply may not reach). */
const [HIDDEN_CAPACITY, HIDDEN_REFILL] = (process.env['BENCH_HIDDEN_LIMIT'] ?? '10,40')
  .split(',')
  .map(Number) as [number, number];
const latency: Partial<FaultSettings> =
  LATENCY[0] > 0 ? { slow: 1, slowMs: [LATENCY[0], LATENCY[1] ?? LATENCY[0]] } : {};
const MAIN = pathToFileURL(resolve(import.meta.dirname, '../src/cli/main.js')).href;

const policy = everyoneEverywhere(APPS);

interface Row {
  limit: string;
  workers: number;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  requests: number;
  rateLimited: number;
  /** CPU seconds (user + system) the worker processes spent, together. */
  workerCpu: number;
}

/** CPU seconds a live process has used so far (Linux: utime + stime from /proc, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** `roster worker` from this benchmark's own build (dist-bench), as a separate process. */
function worker(dir: string, env: NodeJS.ProcessEnv): ChildProcess {
  const code = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv);`;
  return spawn(
    'node',
    [
      '--input-type=module',
      '-e',
      code,
      'roster',
      '-c',
      'roster.yaml',
      'worker',
      '--concurrency',
      String(CONCURRENCY),
    ],
    { cwd: dir, stdio: 'ignore', env: { ...process.env, ...env } },
  );
}

async function once(workers: number, limited: boolean): Promise<Row> {
  const database = await freshDatabase('roster_bench');
  const prefix = redisPrefix();
  const fleet = await startFleet({ apps: APPS, seed: 21, people: PEOPLE });
  const children: ChildProcess[] = [];
  try {
    const dir = mkdtempSync(join(tmpdir(), 'roster-bench-cluster-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: database.url }));
    writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, queue: REDIS_URL, policy }));
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    const roster = await openRoster(config, { now: () => new Date(fleet.company.asOf) });
    let planId: string;
    let ops: number;
    try {
      await syncApps(roster, { full: true });
      const planned = await planChanges(roster, {});
      planId = planned.plan.id;
      ops = planned.ops.length;
    } finally {
      await roster.close();
    }
    for (const sb of fleet.sandboxes) {
      sb.setFaults('clean', {
        ...latency,
        ...(limited ? { rateLimit: { capacity: HIDDEN_CAPACITY, refillPerSecond: HIDDEN_REFILL } } : {}),
      });
      sb.clearRequests();
    }
    const env = { ROSTER_QUEUE_PREFIX: prefix.prefix, ROSTER_LOG_LEVEL: 'silent' };
    for (let i = 0; i < workers; i++) children.push(worker(dir, env));
    const settings = clusterSettings(config, { ...process.env, ...env });
    const queues = new ClusterQueues(settings!, APPS);
    const watcher = await openRoster(config);
    const started = performance.now();
    try {
      await queues.enqueueApply({ planId, actor: 'bench', overrideSafety: false });
      for (;;) {
        const status = (await watcher.store.getPlan({ id: planId }))?.status;
        if (status !== 'draft' && status !== 'applying') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await queues.close();
      await watcher.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const workerCpu = children.reduce((sum, c) => sum + cpuSeconds(c.pid), 0);
    const log = fleet.sandboxes.flatMap((sb) => sb.requests());
    return {
      limit: limited ? `hidden ${HIDDEN_CAPACITY} / ${HIDDEN_REFILL} per s` : 'none',
      workers,
      ops,
      seconds,
      opsPerSecond: ops / seconds,
      requests: log.length,
      rateLimited: log.filter((r) => r.status === 429).length,
      workerCpu,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await fleet.close();
    await prefix.clear();
    await database.drop();
  }
}

const rows: Row[] = [];
for (const limit of LIMITS) {
  for (const workers of WORKER_COUNTS) rows.push(await once(workers, limit === 'hidden'));
}
const pad = (value: string, width: number) => value.padStart(width);
process.stdout.write(
  `cluster apply: ${PEOPLE} people, ${APPS.length} sandboxes, worker concurrency ${CONCURRENCY} per queue, ` +
    `app latency ${LATENCY[0] > 0 ? `${LATENCY.join('–')} ms` : 'none'}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n\n`,
);
process.stdout.write(
  `${pad('rate limit', 22)} ${pad('workers', 7)} ${pad('ops', 6)} ${pad('seconds', 8)} ${pad('ops/s', 7)} ${pad('vs 1', 6)} ${pad('429 share', 9)} ${pad('worker CPU s', 12)} ${pad('CPU ms/op', 9)}\n`,
);
for (const row of rows) {
  const base = rows.find((r) => r.limit === row.limit && r.workers === 1) as Row;
  process.stdout.write(
    `${pad(row.limit, 22)} ${pad(String(row.workers), 7)} ${pad(String(row.ops), 6)} ${pad(row.seconds.toFixed(1), 8)} ${pad(row.opsPerSecond.toFixed(1), 7)} ${pad(`${(row.opsPerSecond / base.opsPerSecond).toFixed(2)}x`, 6)} ${pad(`${((100 * row.rateLimited) / Math.max(1, row.requests)).toFixed(1)}%`, 9)} ${pad(row.workerCpu.toFixed(1), 12)} ${pad(((1000 * row.workerCpu) / row.ops).toFixed(1), 9)}\n`,
  );
}

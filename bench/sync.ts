/**
 * @module Benchmark: Roster's full sync of the five sandboxes against a raw keep-alive client that fetches the same
 * pages (replayed from the sandboxes' request logs) and only parses them. Sandboxes run in their own process and
 * every measured run in a fresh child, so each figure is one client's wall time, CPU and peak RSS alone.
 * ROSTER_BENCH_PROFILE=dir writes, for each Roster child, a CPU profile of its measured sync alone (not the loading
 * of its modules or its set-up): `roster-<pid>.cpuprofile`, read with `npm run bench:profile-report`. The profiler
 * slows the run, so its figures are not comparable.
 * ROSTER_BENCH_ALLOC=dir writes, for each Roster child, a sampled heap profile of every allocation its sync made
 * (collected ones included): where the collector's work comes from, which a CPU profile shows only as "(garbage
 * collector)". It slows the run, so its figures are not comparable.
 *
 *   npm run bench:sync [-- --people 2000,20000 --reps 3 --raw-reps 3 --store sqlite|postgres]
 */

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { profiled } from './profile.js';

const SELF = fileURLToPath(import.meta.url);
const PG_ADMIN = process.env['ROSTER_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Figures {
  wallMs: number;
  cpuMs: number;
  /** The kernel's part of cpuMs: on loopback it includes the TCP work of both ends of each request. */
  sysMs: number;
  rssMiB: number;
  requests: number;
  detail?: Record<string, number>;
}

interface Replay {
  origin: string;
  requests: { method: string; url: string; headers: Record<string, string> }[];
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

function measure<T>(work: () => Promise<T>): Promise<{ figures: Omit<Figures, 'requests'>; value: T }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  return work().then((value) => {
    const used = process.cpuUsage(cpu);
    return {
      value,
      figures: {
        wallMs: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
        sysMs: used.system / 1000,
        rssMiB: (process.resourceUsage().maxRSS * 1024) / 1024 / 1024,
      },
    };
  });
}

/** Child: the fleet, its HR export and roster.yaml; answers with where they are and waits to be killed. */
async function fleetRole(): Promise<void> {
  const { hrToCsv } = await import('../src/sandbox/company.js');
  const { fleetConfigYaml, startFleet } = await import('../src/sandbox/fleet.js');
  const people = Number(arg('people', '2000'));
  const dir = arg('dir', '');
  const fleet = await startFleet({ people, seed: 42 });
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  writeFileSync(
    join(dir, 'roster.yaml'),
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: arg('store', 'sqlite:./roster.db') }),
    { mode: 0o600 },
  );
  process.send?.({ origins: fleet.sandboxes.map((s) => s.origin) });
}

/**
 * Starts sampling allocations (those the collector reclaimed too) when `dir` is set; the function it answers stops
 * and writes the profile there, to open in DevTools' Memory tab.
 */
async function sampleAllocations(dir: string | undefined): Promise<() => Promise<void>> {
  if (!dir) return async () => undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/** Child: one `roster sync --full` (HR import and every app), through the same use cases the CLI calls. */
async function rosterRole(): Promise<void> {
  // Loaded here, not at the top: the raw client's peak RSS must not carry Roster's modules.
  const { openRoster } = await import('../src/app/context.js');
  const { importPeople } = await import('../src/app/people.js');
  const { loadConfig } = await import('../src/config/index.js');
  const { syncApps } = await import('../src/sync/sync.js');
  const config = await loadConfig(arg('config', ''));
  const roster = await openRoster(config);
  const stopSampling = await sampleAllocations(process.env['ROSTER_BENCH_ALLOC']);
  const profile = process.env['ROSTER_BENCH_PROFILE'];
  const file = profile ? join(profile, `roster-${process.pid}.cpuprofile`) : undefined;
  const { figures, value } = await measure(() =>
    profiled(file, async () => {
      const imported = await importPeople(roster);
      const apps = await syncApps({
        store: roster.store,
        connectors: config.apps.map((app) => roster.connector(app.id)),
        full: true,
      });
      return { imported, apps };
    }),
  );
  await stopSampling();
  await roster.close();
  const failed = value.apps.filter((a) => a.status !== 'succeeded');
  if (failed.length > 0) throw new Error(`sync failed: ${JSON.stringify(failed.map((a) => a.error))}`);
  const sum = (key: 'accounts' | 'entitlements' | 'grants') =>
    value.apps.reduce((n, a) => n + a.counts[key], 0);
  const result: Figures = {
    ...figures,
    requests: value.apps.reduce((n, a) => n + a.requests.total, 0),
    detail: {
      people: value.imported.counts.people,
      accounts: sum('accounts'),
      entitlements: sum('entitlements'),
      grants: sum('grants'),
      ...Object.fromEntries(value.apps.map((a) => [`ms:${a.type}`, a.durationMs])),
      ...Object.fromEntries(value.apps.map((a) => [`requests:${a.type}`, a.requests.total])),
    },
  };
  process.send?.(result);
}

/** Child: the same GETs, app by app in parallel and page by page within an app, parsed and thrown away. */
async function rawRole(): Promise<void> {
  const replays = JSON.parse(readFileSync(arg('replay', ''), 'utf8')) as Replay[];
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  let requests = 0;
  const detail: Record<string, number> = {};
  const { figures } = await measure(() =>
    Promise.all(
      replays.map(async (replay) => {
        const started = performance.now();
        for (const r of replay.requests) {
          const answer = await request(replay.origin + r.url, {
            method: 'GET',
            headers: r.headers,
            dispatcher: agent,
          });
          const text = await answer.body.text();
          if (answer.statusCode !== 200) throw new Error(`${r.url}: ${answer.statusCode}`);
          if (String(answer.headers['content-type'] ?? '').includes('json')) JSON.parse(text);
          requests += 1;
        }
        detail[`ms:${replay.origin}`] = performance.now() - started;
        detail[`requests:${replay.origin}`] = replay.requests.length;
      }),
    ),
  );
  await agent.close();
  process.send?.({ ...figures, requests, detail } satisfies Figures);
}

function child<T>(role: string, args: string[]): Promise<{ process: ChildProcess; message: T }> {
  const proc = fork(SELF, ['--role', role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (message) => resolve({ process: proc, message: message as T }));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code} before answering`)));
  });
}

async function runChild(role: string, args: string[]): Promise<Figures> {
  const { process: proc, message } = await child<Figures>(role, args);
  await new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve(null)));
  return message;
}

const SKIPPED_HEADERS = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

async function requestLog(origins: string[], clear: boolean): Promise<Replay[]> {
  const out: Replay[] = [];
  for (const origin of origins) {
    if (clear) {
      await (await fetch(`${origin}/__admin/requests`, { method: 'DELETE' })).text();
      continue;
    }
    const log = (await (await fetch(`${origin}/__admin/requests`)).json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      status: number | null;
    }[];
    out.push({
      origin,
      requests: log
        .filter((e) => e.method === 'GET' && e.status === 200)
        .map((e) => ({
          method: e.method,
          url: e.url,
          headers: Object.fromEntries(Object.entries(e.headers).filter(([k]) => !SKIPPED_HEADERS.has(k))),
        })),
    });
  }
  return out;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const BENCH_DB = `roster_bench_${process.pid}`;

/** Drops the bench's Postgres database and, unless only dropping, creates it empty again. */
async function resetPostgres(create: boolean): Promise<string> {
  const pg = await import('pg');
  const admin = new pg.default.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${BENCH_DB}`);
  if (create) await admin.query(`create database ${BENCH_DB}`);
  await admin.end();
  return PG_ADMIN.replace(/\/[^/]*$/, `/${BENCH_DB}`);
}

async function size(people: number, reps: number, rawReps: number, storeKind: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-sync-'));
  const store = storeKind === 'postgres' ? await resetPostgres(true) : 'sqlite:./roster.db';
  const fleet = await child<{ origins: string[] }>('fleet', [
    '--people',
    String(people),
    '--dir',
    dir,
    '--store',
    store,
  ]);
  try {
    const config = ['--config', join(dir, 'roster.yaml')];
    // The first sync fills an empty store; the measured ones replace a snapshot, as every later sync does.
    const first = await runChild('roster', config);
    await requestLog(fleet.message.origins, true);
    const roster: Figures[] = [await runChild('roster', config)];
    const replays = await requestLog(fleet.message.origins, false);
    const replayFile = join(dir, 'replay.json');
    writeFileSync(replayFile, JSON.stringify(replays), { mode: 0o600 });
    // The raw client's CPU swings from run to run on a shared machine (cpuUsage counts V8's GC and compiler
    // threads and loopback TCP work, all of which contention inflates unevenly): each Roster run is paired
    // with the median of the raw runs right after it, and the ratio is the median of those pairs' ratios, so a
    // burst of load on one side does not decide the figure.
    const raw: Figures[] = [];
    const pairs: { roster: Figures; raw: Figures[] }[] = [];
    for (let i = 0; i < reps; i++) {
      if (i > 0) roster.push(await runChild('roster', config));
      const batch: Figures[] = [];
      for (let j = 0; j < rawReps; j++) batch.push(await runChild('raw', ['--replay', replayFile]));
      raw.push(...batch);
      pairs.push({ roster: roster[i]!, raw: batch });
    }
    type Key = 'wallMs' | 'cpuMs' | 'sysMs' | 'rssMiB';
    const pick = (runs: Figures[], key: Key) => median(runs.map((r) => r[key]));
    const pairRatio = (key: Key) => median(pairs.map((p) => p.roster[key] / pick(p.raw, key)));
    const spread = (runs: Figures[], key: Key, scale: number) =>
      `${(Math.min(...runs.map((r) => r[key])) / scale).toFixed(2)}–${(Math.max(...runs.map((r) => r[key])) / scale).toFixed(2)}`;
    const d = roster[0]!.detail ?? {};
    if (process.env['ROSTER_BENCH_DETAIL']) {
      process.stderr.write(`${JSON.stringify({ roster: d, raw: raw[0]!.detail })}\n`);
    }
    const row = (what: string, key: Key, unit: string, scale: number) => {
      const digits = unit === 'MiB' ? 0 : 2;
      const [r, b] = [pick(roster, key) / scale, pick(raw, key) / scale];
      return `  ${what.padEnd(9)} ${r.toFixed(digits).padStart(8)} ${unit.padEnd(3)}  raw ${b
        .toFixed(digits)
        .padStart(
          7,
        )} ${unit.padEnd(3)}  ratio ${pairRatio(key).toFixed(2)}×  (roster ${spread(roster, key, scale)}, raw ${spread(raw, key, scale)})`;
    };
    const s = 1000;
    return [
      `${people} people (${storeKind}): ${d['people']} people, ${d['accounts']} accounts, ${d['entitlements']} entitlements, ${d['grants']} grants; requests roster ${roster[0]!.requests} / raw ${raw[0]!.requests}; medians of ${reps} Roster runs and ${raw.length} raw runs, ratio the median of ${reps} paired ratios`,
      `  first sync into an empty store: ${(first.wallMs / s).toFixed(2)} s wall, ${(first.cpuMs / s).toFixed(2)} s CPU`,
      row('wall', 'wallMs', 's', s),
      row('CPU', 'cpuMs', 's', s),
      row(' system', 'sysMs', 's', s),
      row('peak RSS', 'rssMiB', 'MiB', 1),
    ];
  } finally {
    fleet.process.kill();
    rmSync(dir, { recursive: true, force: true });
    if (storeKind === 'postgres') await resetPostgres(false);
  }
}

async function main(): Promise<void> {
  const role = arg('role', 'main');
  if (role === 'fleet') return fleetRole();
  if (role === 'roster') return rosterRole();
  if (role === 'raw') return rawRole();
  const sizes = arg('people', '2000,20000').split(',').map(Number);
  const reps = Number(arg('reps', '3'));
  const rawReps = Number(arg('raw-reps', '3'));
  const storeKind = arg('store', 'sqlite');
  process.stdout.write(
    'sync --full of 5 sandboxes: Roster (HR import + every app into the store) vs a raw keep-alive client\n',
  );
  for (const people of sizes)
    process.stdout.write(`${(await size(people, reps, rawReps, storeKind)).join('\n')}\n`);
}

await main();

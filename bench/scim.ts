/**
 * @module Benchmark: Roster's SCIM facade (over the Thought Industries sandbox) against two SCIMMY peers under
 * the same load (GET by id, filter eq, list count=50, PATCH, POST): SCIMMY in memory (scimmy-routers on express,
 * its handlers writing to a Map), and SCIMMY as a gateway to the same Thought Industries sandbox through Roster's
 * connector (scimmy-gateway.ts: every request an app call, writes read back). Prints req/s, p99 and the server's
 * CPU per request side by side, and the facade/peer ratio of req/s against each (req/s counts 2xx answers only).
 * Each server runs in a child process of its own; the load generator and the sandbox run in this one, as an IdP
 * and a SaaS app are elsewhere than the server between them. `BENCH_SQL=1` also prints the SQL statements and
 * transactions each Roster load ran per request, costliest texts first. `BENCH_STORE=postgres://…` gives Roster a
 * fresh Postgres database (the cluster's store) instead of SQLite; `BENCH_PG_DELAY_MS` puts it that far away.
 */

import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { syncApps, withRoster } from '../src/app/index.js';
import { issueToken } from '../src/app/tokens.js';
import { loadConfig } from '../src/config/load.js';
import { connectorFor, definitionOf } from '../src/connectors/registry.js';
import { startScimmyServer } from '../src/connectors/scim/testkit.js';
import { hrToCsv } from '../src/sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../src/sandbox/fleet.js';
import { userMapping } from '../src/server/scim/mapping.js';
import { startServer } from '../src/server/serve.js';
import { openStore } from '../src/store/open.js';
import { freshDatabase } from '../src/store/postgres.testkit.js';
import type { Store } from '../src/store/store.js';
import { tokenStore } from '../src/store/tokens.js';
import { startDelayProxy } from './delay-proxy.js';
import { startScimmyGateway } from './scimmy-gateway.js';
import { describeCounts, installSqlCounter, startCounting, stopCounting } from './sql-count.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
/** Seconds of each load run first, unmeasured, so no server is measured while its code is still being compiled. */
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 1);
/** Only these loads (a comma list of their first word, e.g. PATCH,POST), for a quick look. */
const ONLY = process.env['BENCH_ONLY']?.split(',');
/** Only these servers (a comma list of SCIMMY, SCIMMY>TI, Roster), e.g. Roster alone under --cpu-prof. */
const TARGETS = process.env['BENCH_TARGETS']?.split(',');
const measured = (name: string) => !TARGETS || TARGETS.includes(name);
/** A directory: each Roster load's CPU profile (that load alone, not the set-up) is written there. */
const PROFILE = process.env['BENCH_PROFILE'];
const COUNT_SQL = process.env['BENCH_SQL'] === '1';
/** Set in the child process that measures one server (its name). */
const CHILD = 'BENCH_SCIM_CHILD';
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
/** `BENCH_STORE=postgres://…`: Roster's store is a fresh database there (the cluster's store), not SQLite. */
const POSTGRES = process.env['BENCH_STORE']?.startsWith('postgres') ?? false;
/**
 * Earlier IdP writes Roster's store already holds before the loads (default 0): each a facade plan of one op, run
 * and finished, with its three audit events, as the facade leaves them. A service's store only grows, and what an
 * index costs a write can grow with it.
 */
const HISTORY = Number(process.env['BENCH_HISTORY'] ?? 0);
/**
 * With BENCH_STORE=postgres://…: milliseconds each way between Roster and Postgres (a proxy in a process of its
 * own holds every chunk that long), as when the database is across a network: a round trip costs twice it.
 */
const PG_DELAY_MS = Number(process.env['BENCH_PG_DELAY_MS'] ?? 0);
/** How many users the PATCH load takes in turn. */
const PATCHED = 50;
const APP = 'thought-industries';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const print = (line: string) => process.stdout.write(`${line}\n`);

interface Target {
  name: string;
  base: string;
  token: string;
  /** A user to read, and a userName to filter on. */
  id: string;
  userName: string;
  /**
   * Users the PATCH load takes in turn: one user patched by every connection at once would measure how each
   * server orders writes to one resource (an IdP sends them one after another), not how fast it writes.
   */
  patchIds: string[];
}

interface Row {
  load: string;
  rps: number;
  p99: number;
  non2xx: number;
  /** CPU (user + system) of the server's own process per request answered (not the load generator's or the app's). */
  cpuMsPerRequest: number;
}

/** Runs every load against a server, asking its process for the CPU it spent on each. */
async function run(target: Target, server: (a: Ask) => Promise<Answer>): Promise<Row[]> {
  const headers = {
    authorization: `Bearer ${target.token}`,
    'content-type': 'application/scim+json',
  };
  let n = 0;
  const loads: { load: string; opts: Partial<autocannon.Options> }[] = [
    { load: 'GET /Users/{id}', opts: { url: `${target.base}/Users/${encodeURIComponent(target.id)}` } },
    {
      load: 'GET filter userName eq',
      opts: {
        url: `${target.base}/Users?filter=${encodeURIComponent(`userName eq "${target.userName}"`)}`,
      },
    },
    { load: 'GET /Users?count=50', opts: { url: `${target.base}/Users?startIndex=1&count=50` } },
    {
      load: 'PATCH name.givenName',
      opts: {
        url: `${target.base}/Users/${encodeURIComponent(target.id)}`,
        requests: [
          {
            method: 'PATCH',
            path: new URL(`${target.base}/Users/${encodeURIComponent(target.id)}`).pathname,
            setupRequest: (req) => ({
              ...req,
              path: new URL(
                `${target.base}/Users/${encodeURIComponent(target.patchIds[n % target.patchIds.length] ?? target.id)}`,
              ).pathname,
              body: JSON.stringify({
                schemas: [PATCH],
                Operations: [{ op: 'replace', path: 'name.givenName', value: `Bench${++n % 1000}` }],
              }),
            }),
          },
        ],
      },
    },
    {
      load: 'POST /Users',
      opts: {
        url: `${target.base}/Users`,
        requests: [
          {
            method: 'POST',
            path: new URL(`${target.base}/Users`).pathname,
            setupRequest: (req) => {
              const i = ++n;
              return {
                ...req,
                body: JSON.stringify({
                  schemas: [USER],
                  userName: `bench.${target.name.toLowerCase()}${i}@acme.example`,
                  name: { givenName: 'Bench', familyName: `User${i}` },
                  emails: [{ value: `bench.${target.name.toLowerCase()}${i}@acme.example`, primary: true }],
                  active: true,
                }),
              };
            },
          },
        ],
      },
    },
  ];
  const rows: Row[] = [];
  for (const { load, opts } of loads.filter((l) => !ONLY || ONLY.some((o) => l.load.startsWith(o)))) {
    const loadFor = (duration: number) =>
      autocannon({
        connections: CONNECTIONS,
        duration,
        // A request is given a minute (autocannon's default is 10 s): a slow answer counts, slowly, not as an error.
        timeout: 60,
        headers,
        ...opts,
      } as autocannon.Options);
    if (WARMUP > 0) await loadFor(WARMUP);
    await server({ kind: 'begin', load });
    const harnessCpu = process.cpuUsage();
    const harnessStarted = performance.now();
    const result = await loadFor(SECONDS);
    const harnessUsed = process.cpuUsage(harnessCpu);
    // This process (the load generator, and the sandbox a server calls): past a core, it caps every server alike.
    const harness = (harnessUsed.user + harnessUsed.system) / 1000 / (performance.now() - harnessStarted);
    const answered = Math.max(1, result.requests.total);
    const ended = await server({ kind: 'end', load, answered });
    if (ended.kind !== 'ended') throw new Error(`${target.name}: no CPU figure for ${load}`);
    const cpuMsPerRequest = ended.cpuMs / answered;
    // Only what was served counts: a server answering errors fast is not fast.
    const rps = (result.requests.average * result['2xx']) / answered;
    rows.push({ load, rps, p99: result.latency.p99, non2xx: result.non2xx, cpuMsPerRequest });
    print(
      `${target.name.padEnd(8)} ${load.padEnd(24)} ${rps.toFixed(1).padStart(9)} req/s  ` +
        `p99 ${String(result.latency.p99).padStart(5)} ms  cpu ${cpuMsPerRequest.toFixed(2).padStart(7)} ms/req  ` +
        `non-2xx ${result.non2xx}  errors ${result.errors}  load+sandbox process ${(harness * 100).toFixed(0)} % of a core`,
    );
    for (const line of ended.sql) print(`         ${line}`);
  }
  return rows;
}

/** What the load process hands a server process: the sandbox it serves (its roster.yaml and HR export). */
interface SandboxRef {
  yaml: string;
  hr: string;
}

/** A server under test, started in this (its own) process. */
interface Served {
  target: Target;
  close: () => Promise<void>;
}

/** Roster's facade over the sandbox the load process runs. */
async function roster(sandbox: SandboxRef): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-scim-'));
  writeFileSync(join(dir, 'hr.csv'), sandbox.hr);
  const database = POSTGRES ? await freshDatabase('roster_bench_scim') : null;
  const proxy = database && PG_DELAY_MS > 0 ? await delayedUrl(database.url, PG_DELAY_MS) : null;
  const storeUrl = proxy?.url ?? database?.url;
  const yaml = storeUrl
    ? sandbox.yaml.replace(/^store: .*$/m, `store: ${JSON.stringify(storeUrl)}`)
    : sandbox.yaml;
  writeFileSync(join(dir, 'roster.yaml'), `${yaml}scim:\n  hold: { max: 1000000 }\n`);
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const store = await openStore(config.store);
  const { token } = await issueToken(
    { store, tokens: tokenStore(store) },
    { name: 'bench-idp', scope: `scim:${APP}`, createdBy: 'bench' },
  );
  const server = await startServer({
    configPath: join(dir, 'roster.yaml'),
    port: 0,
    config,
    store,
    rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
    logger: false,
  });
  await withRoster(config, { actor: 'bench', store }, (r) => syncApps(r, {}));
  await seedHistory(store, HISTORY);
  const base = `${server.url}/scim/v2/${APP}`;
  const list = (await (
    await fetch(`${base}/Users?count=${PATCHED}&filter=${encodeURIComponent('active eq true')}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { totalResults: number; Resources: { id: string; userName: string }[] };
  const first = list.Resources[0];
  if (!first) throw new Error('the facade serves no user: did the sync run?');
  return {
    target: {
      name: 'Roster',
      base,
      token,
      id: first.id,
      userName: first.userName,
      patchIds: list.Resources.map((u) => u.id),
    },
    close: async () => {
      await server.close();
      await store.close();
      proxy?.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The database's URL through a proxy that delays each way by `delayMs` (see PG_DELAY_MS). */
async function delayedUrl(url: string, delayMs: number): Promise<{ url: string; close: () => void }> {
  const parsed = new URL(url);
  const proxy = await startDelayProxy({ host: parsed.hostname, port: Number(parsed.port || 5432) }, delayMs);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return { url: parsed.toString(), close: proxy.close };
}

/** `count` earlier facade writes, written through the store as the facade writes them (see HISTORY). */
async function seedHistory(store: Store, count: number): Promise<void> {
  const BATCH = 1000;
  for (let from = 0; from < count; from += BATCH) {
    await store.transaction(async (tx) => {
      for (let i = from; i < Math.min(count, from + BATCH); i++) {
        const op = {
          appId: APP,
          kind: 'create' as const,
          target: {
            account: null,
            email: `earlier${i}@acme.example`,
            firstName: 'Earlier',
            lastName: `User${i}`,
          },
        };
        const { plan } = await tx.createPlan({
          stateHash: `scim:history-${i}`,
          summary: { total: 1, byApp: { [APP]: { create: 1 } }, source: 'scim', removals: 0 },
          body: { source: 'scim', requestedBy: 'bench', ops: [op] },
          ops: [op],
        });
        const audit = (kind: string, subject: string, data: Record<string, unknown>) =>
          tx.appendAudit({ actor: 'bench-idp', kind, appId: APP, subject, data });
        await tx.beginOp({ planId: plan.id, seq: 1 });
        await audit('op.intent', plan.id, { seq: 1 });
        await tx.finishOp({ planId: plan.id, seq: 1, status: 'succeeded', outcome: { accountId: `h${i}` } });
        await audit('op.succeeded', plan.id, { seq: 1 });
        await tx.setPlanStatus({ id: plan.id, status: 'applied' });
        await audit('scim.request', `h${i}`, {});
      }
    });
  }
}

/** SCIMMY as a gateway over the sandbox the load process runs (the same people, the same seed as Roster's). */
async function gateway(sandbox: SandboxRef): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-gateway-'));
  writeFileSync(join(dir, 'roster.yaml'), sandbox.yaml);
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const app = config.apps[0];
  if (!app) throw new Error('the fleet config names no app');
  const connector = connectorFor(app);
  const mapping = userMapping(definitionOf(app.type)?.traits ?? { attributeMap: {} });
  const peer = await startScimmyGateway({ connector, mapping });
  const active = (await connector.accounts.list!({ pageToken: null })).items.filter(
    (a) => a.status === 'active',
  );
  const first = active[0];
  if (!first?.email) throw new Error('the sandbox holds no active account');
  return {
    target: {
      name: 'SCIMMY>TI',
      base: peer.baseUrl,
      token: peer.token,
      id: first.id,
      userName: first.email,
      patchIds: active.slice(0, PATCHED).map((a) => a.id),
    },
    close: async () => {
      await peer.close();
      await connector.close?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SCIMMY serving users from memory: no app behind it. */
async function memory(): Promise<Served> {
  const peer = await startScimmyServer({ users: USERS, groups: 5 });
  const users = [...peer.store.users.values()] as { id: string; userName: string }[];
  const some = users[0] as { id: string; userName: string };
  return {
    target: {
      name: 'SCIMMY',
      base: peer.baseUrl,
      token: peer.token,
      id: some.id,
      userName: some.userName,
      patchIds: users.slice(0, PATCHED).map((u) => u.id),
    },
    close: () => peer.close(),
  };
}

const ratio = (ours: Row, theirs: Row | undefined) =>
  theirs && theirs.rps > 0 ? `${(ours.rps / theirs.rps).toFixed(2)}x` : 'n/a';

/** What the load process asks of a server process, and what it answers. */
type Ask =
  | { kind: 'start'; sandbox: SandboxRef | null }
  | { kind: 'begin'; load: string }
  | { kind: 'end'; load: string; answered: number }
  | { kind: 'stop' };
type Answer =
  | { kind: 'started'; target: Target }
  | { kind: 'begun' }
  | { kind: 'ended'; cpuMs: number; sql: string[] }
  | { kind: 'stopped' }
  | { kind: 'failed'; error: string };

/**
 * The server process: starts one server, and between each load's `begin` and `end` measures its own CPU (and,
 * when asked, its SQL and a CPU profile). The load generator and the sandbox are not in it.
 */
function serve(name: string): void {
  let served: Served | null = null;
  let cpu = process.cpuUsage();
  let profiling: Session | null = null;
  const answer = (a: Answer) => process.send?.(a);
  process.on('message', (ask: Ask) => {
    void (async () => {
      switch (ask.kind) {
        case 'start':
          served =
            name === 'Roster'
              ? await roster(ask.sandbox!)
              : name === 'SCIMMY>TI'
                ? await gateway(ask.sandbox!)
                : await memory();
          return answer({ kind: 'started', target: served.target });
        case 'begin':
          if (PROFILE && name === 'Roster') {
            profiling = new Session();
            profiling.connect();
            await profiling.post('Profiler.enable');
            await profiling.post('Profiler.start');
          }
          if (COUNT_SQL && name === 'Roster') startCounting();
          cpu = process.cpuUsage();
          return answer({ kind: 'begun' });
        case 'end': {
          const used = process.cpuUsage(cpu);
          const top = Number(process.env['BENCH_SQL_TOP'] ?? 12);
          const sql =
            COUNT_SQL && name === 'Roster'
              ? describeCounts(stopCounting(), ask.answered, 'request', top)
              : [];
          if (profiling && PROFILE) {
            const { profile } = await profiling.post('Profiler.stop');
            mkdirSync(PROFILE, { recursive: true });
            writeFileSync(join(PROFILE, `${ask.load.split(' ')[0]}.cpuprofile`), JSON.stringify(profile));
            profiling.disconnect();
            profiling = null;
          }
          return answer({ kind: 'ended', cpuMs: (used.user + used.system) / 1000, sql });
        }
        case 'stop':
          await served?.close();
          answer({ kind: 'stopped' });
          return process.disconnect();
      }
    })().catch((error: unknown) =>
      answer({ kind: 'failed', error: String(error instanceof Error ? error.stack : error) }),
    );
  });
}

/** A server process, asked one thing at a time. */
function serverProcess(name: string): { ask: (a: Ask) => Promise<Answer>; exited: Promise<void> } {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD]: name },
    execArgv: process.execArgv,
  });
  let waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;
  child.on('message', (a: Answer) => {
    const w = waiting;
    waiting = null;
    if (a.kind === 'failed') w?.reject(new Error(`the ${name} server failed: ${a.error}`));
    else w?.resolve(a);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      waiting?.reject(new Error(`the ${name} server exited with ${code}`));
      code === 0 ? resolve() : reject(new Error(`the ${name} server exited with ${code}`));
    });
  });
  const ask = (a: Ask) =>
    new Promise<Answer>((resolve, reject) => {
      waiting = { resolve, reject };
      child.send(a);
    });
  return { ask, exited };
}

/**
 * Measures one server: the server in a process of its own, the load generator (and the app's sandbox, for the
 * two that call one) here. A server sharing its process with the load generator and the sandbox was charged
 * their CPU, which an app reached over the network never costs it, and Roster and the gateway were charged the
 * sandbox's work where SCIMMY in memory was not.
 */
async function measure(name: string): Promise<Row[]> {
  const fleet = name === 'SCIMMY' ? null : await startFleet({ people: USERS, seed: 7, apps: [APP] });
  const server = serverProcess(name);
  try {
    const sandbox = fleet
      ? {
          yaml: fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
          hr: hrToCsv(fleet.company.hr),
        }
      : null;
    const started = await server.ask({ kind: 'start', sandbox });
    if (started.kind !== 'started') throw new Error(`the ${name} server did not start`);
    const rows = await run(started.target, server.ask);
    await server.ask({ kind: 'stop' });
    await server.exited;
    return rows;
  } finally {
    await fleet?.close();
  }
}

async function main(): Promise<void> {
  const only = process.env[CHILD];
  if (only !== undefined) {
    if (COUNT_SQL) installSqlCounter();
    serve(only);
    return;
  }
  print(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const scimmyRows = measured('SCIMMY') ? await measure('SCIMMY') : [];
  const gatewayRows = measured('SCIMMY>TI') ? await measure('SCIMMY>TI') : [];
  const rosterRows = measured('Roster') ? await measure('Roster') : [];
  print(
    `\n${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s per load (after ${WARMUP} s unmeasured); Roster's store: ${POSTGRES ? `Postgres${PG_DELAY_MS > 0 ? ` (${PG_DELAY_MS} ms away each way)` : ''}` : 'SQLite'}${HISTORY > 0 ? `, holding ${HISTORY} earlier IdP writes` : ''}`,
  );
  print(
    'SCIMMY: in memory (its handlers write a Map). SCIMMY>TI: a gateway to the same Thought Industries sandbox',
  );
  print(
    "through Roster's connector (no store: each request calls the app; writes read back), as Roster does.",
  );
  print(
    'Each server runs in a process of its own; the load generator and the sandbox run in another.\n' +
      "cpu: the server process's CPU per answered request (for Roster, its store too)\n",
  );
  print(
    'load                     |  Roster req/s  p99 ms cpu ms | SCIMMY req/s  p99 ms cpu ms  ratio | SCIMMY>TI req/s  p99 ms cpu ms  ratio',
  );
  const cell = (r: Row | undefined, width: number) =>
    r
      ? `${r.rps.toFixed(1).padStart(width)} ${String(r.p99).padStart(7)} ${r.cpuMsPerRequest.toFixed(2).padStart(6)}`
      : 'n/a'.padStart(width + 15);
  for (const [i, r] of rosterRows.entries()) {
    const s = scimmyRows[i];
    const g = gatewayRows[i];
    const failures = [r, s, g].some((x) => (x?.non2xx ?? 0) > 0)
      ? `  (non-2xx: Roster ${r.non2xx}, SCIMMY ${s?.non2xx ?? 0}, SCIMMY>TI ${g?.non2xx ?? 0})`
      : '';
    print(
      `${r.load.padEnd(24)} | ${cell(r, 13)} | ${cell(s, 12)} ${ratio(r, s).padStart(6)} | ${cell(g, 15)} ${ratio(r, g).padStart(6)}${failures}`,
    );
  }
  print(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});

/**
 * @module Benchmark: Roster's SCIM facade (over the Thought Industries sandbox) against two SCIMMY peers under
 * the same load (GET by id, filter eq, list count=50, PATCH, POST): SCIMMY in memory (scimmy-routers on express,
 * its handlers writing to a Map), and SCIMMY as a gateway to the same Thought Industries sandbox through Roster's
 * connector (scimmy-gateway.ts: every request an app call, writes read back). Prints req/s, p99 and CPU per
 * request side by side, and the facade/peer ratio of req/s against each (req/s counts 2xx answers only; each
 * server is measured in a child process of its own). `BENCH_SQL=1` also prints the SQL
 * statements and transactions each Roster load ran per request, costliest texts first.
 */

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { openSqliteStore } from '../src/store/sqlite.js';
import { tokenStore } from '../src/store/tokens.js';
import { startScimmyGateway } from './scimmy-gateway.js';
import { describeCounts, installSqlCounter, startCounting, stopCounting } from './sql-count.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
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
  /** CPU (user + system) of this whole process per request answered: server, peer, sandbox and load generator. */
  cpuMsPerRequest: number;
}

async function run(target: Target): Promise<Row[]> {
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
    const profiling = PROFILE && target.name === 'Roster' ? new Session() : null;
    if (profiling) {
      profiling.connect();
      await profiling.post('Profiler.enable');
      await profiling.post('Profiler.start');
    }
    const counted = COUNT_SQL && target.name === 'Roster';
    if (counted) startCounting();
    const cpu = process.cpuUsage();
    const result = await autocannon({
      connections: CONNECTIONS,
      duration: SECONDS,
      // A request is given a minute (autocannon's default is 10 s): a slow answer counts, slowly, not as an error.
      timeout: 60,
      headers,
      ...opts,
    } as autocannon.Options);
    const used = process.cpuUsage(cpu);
    const sql = counted ? stopCounting() : null;
    if (profiling && PROFILE) {
      const { profile } = await profiling.post('Profiler.stop');
      writeFileSync(join(PROFILE, `${load.split(' ')[0]}.cpuprofile`), JSON.stringify(profile));
      profiling.disconnect();
    }
    const answered = Math.max(1, result.requests.total);
    const cpuMsPerRequest = (used.user + used.system) / 1000 / answered;
    // Only what was served counts: a server answering errors fast is not fast.
    const rps = (result.requests.average * result['2xx']) / answered;
    rows.push({ load, rps, p99: result.latency.p99, non2xx: result.non2xx, cpuMsPerRequest });
    print(
      `${target.name.padEnd(8)} ${load.padEnd(24)} ${rps.toFixed(1).padStart(9)} req/s  ` +
        `p99 ${String(result.latency.p99).padStart(5)} ms  cpu ${cpuMsPerRequest.toFixed(2).padStart(7)} ms/req  ` +
        `non-2xx ${result.non2xx}  errors ${result.errors}`,
    );
    if (sql) {
      const top = Number(process.env['BENCH_SQL_TOP'] ?? 12);
      for (const line of describeCounts(sql, answered, 'request', top)) print(`         ${line}`);
    }
  }
  return rows;
}

async function roster(): Promise<{ target: Target; close: () => Promise<void> }> {
  const fleet = await startFleet({ people: USERS, seed: 7, apps: [APP] });
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-scim-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const yaml = `${fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' })}scim:\n  hold: { max: 1000000 }\n`;
  writeFileSync(join(dir, 'roster.yaml'), yaml);
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const store = await openSqliteStore(config.store);
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
  const base = `${server.url}/scim/v2/${APP}`;
  const list = (await (
    await fetch(`${base}/Users?count=${PATCHED}&filter=${encodeURIComponent('active eq true')}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { totalResults: number; Resources: { id: string; userName: string }[] };
  const first = list.Resources[0];
  if (!first) throw new Error('the facade serves no user: did the sync run?');
  print(`roster facade: ${list.totalResults} active users in the snapshot`);
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
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SCIMMY as a gateway over a Thought Industries sandbox like Roster's (same people, same seed). */
async function gateway(): Promise<{ target: Target; close: () => Promise<void> }> {
  const fleet = await startFleet({ people: USERS, seed: 7, apps: [APP] });
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-gateway-'));
  writeFileSync(
    join(dir, 'roster.yaml'),
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
  );
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
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ratio = (ours: Row, theirs: Row | undefined) =>
  theirs && theirs.rps > 0 ? `${(ours.rps / theirs.rps).toFixed(2)}x` : 'n/a';

/** Starts one server, runs every load against it, and closes it. */
async function measure(name: string): Promise<Row[]> {
  if (name === 'SCIMMY') {
    const peer = await startScimmyServer({ users: USERS, groups: 5 });
    const users = [...peer.store.users.values()] as { id: string; userName: string }[];
    const some = users[0] as { id: string; userName: string };
    try {
      return await run({
        name,
        base: peer.baseUrl,
        token: peer.token,
        id: some.id,
        userName: some.userName,
        patchIds: users.slice(0, PATCHED).map((u) => u.id),
      });
    } finally {
      await peer.close();
    }
  }
  const server = name === 'Roster' ? await roster() : await gateway();
  try {
    return await run(server.target);
  } finally {
    await server.close();
  }
}

/**
 * Measures one server in a process of its own, one after another: in one process each server ran after the
 * others' loads, and what they left behind (a grown heap, code the JIT had tuned to their shapes) slowed the
 * next one — Roster, measured after the gateway, served half the requests it served alone.
 */
function apart(name: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [CHILD]: name },
      execArgv: process.execArgv,
    });
    let rows: Row[] = [];
    child.on('message', (message) => {
      rows = message as Row[];
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(rows) : reject(new Error(`the ${name} measurement exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const only = process.env[CHILD];
  if (only !== undefined) {
    if (COUNT_SQL) installSqlCounter();
    process.send?.(await measure(only));
    return;
  }
  print(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const scimmyRows = measured('SCIMMY') ? await apart('SCIMMY') : [];
  const gatewayRows = measured('SCIMMY>TI') ? await apart('SCIMMY>TI') : [];
  const rosterRows = measured('Roster') ? await apart('Roster') : [];
  print(`\n${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s per load`);
  print(
    'SCIMMY: in memory (its handlers write a Map). SCIMMY>TI: a gateway to the same Thought Industries sandbox',
  );
  print(
    "through Roster's connector (no store: each request calls the app; writes read back), as Roster does.",
  );
  print("cpu: this process's CPU per answered request (server + peer + sandbox + load generator)\n");
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

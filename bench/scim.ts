/**
 * @module Benchmark: Roster's SCIM facade (over the Thought Industries sandbox) against SCIMMY (scimmy-routers on
 * express, in memory) under the same load: GET by id, filter eq, list count=50, PATCH, POST. Prints req/s and
 * p99 side by side, and the facade/peer ratio of req/s.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { syncApps, withRoster } from '../src/app/index.js';
import { issueToken } from '../src/app/tokens.js';
import { loadConfig } from '../src/config/load.js';
import { startScimmyServer } from '../src/connectors/scim/testkit.js';
import { hrToCsv } from '../src/sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../src/sandbox/fleet.js';
import { startServer } from '../src/server/serve.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { tokenStore } from '../src/store/tokens.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
/** Only these loads (a comma list of their first word, e.g. PATCH,POST), for a quick look. */
const ONLY = process.env['BENCH_ONLY']?.split(',');
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
const APP = 'thought-industries';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const print = (line: string) => process.stdout.write(`${line}\n`);

interface Target {
  name: string;
  base: string;
  token: string;
  /** A user to read and patch, and a userName to filter on. */
  id: string;
  userName: string;
}

interface Row {
  load: string;
  rps: number;
  p99: number;
  non2xx: number;
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
    const result = await autocannon({
      connections: CONNECTIONS,
      duration: SECONDS,
      headers,
      ...opts,
    } as autocannon.Options);
    rows.push({ load, rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx });
    print(
      `${target.name.padEnd(8)} ${load.padEnd(24)} ${result.requests.average.toFixed(1).padStart(9)} req/s  ` +
        `p99 ${String(result.latency.p99).padStart(5)} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
    );
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
    await fetch(`${base}/Users?count=1&filter=${encodeURIComponent('active eq true')}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json()) as { totalResults: number; Resources: { id: string; userName: string }[] };
  const first = list.Resources[0];
  if (!first) throw new Error('the facade serves no user: did the sync run?');
  print(`roster facade: ${list.totalResults} active users in the snapshot`);
  return {
    target: { name: 'Roster', base, token, id: first.id, userName: first.userName },
    close: async () => {
      await server.close();
      await store.close();
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const peer = await startScimmyServer({ users: USERS, groups: 5 });
  const some = [...peer.store.users.values()][0] as { id: string; userName: string };
  const scimmyRows = await run({
    name: 'SCIMMY',
    base: peer.baseUrl,
    token: peer.token,
    id: some.id,
    userName: some.userName,
  });
  await peer.close();
  const facade = await roster();
  const rosterRows = await run(facade.target);
  await facade.close();
  print(`\n${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s per load`);
  print('load                      Roster req/s  p99 ms | SCIMMY req/s  p99 ms | ratio');
  for (const [i, r] of rosterRows.entries()) {
    const s = scimmyRows[i] as Row;
    print(
      `${r.load.padEnd(24)} ${r.rps.toFixed(1).padStart(12)} ${String(r.p99).padStart(7)} | ` +
        `${s.rps.toFixed(1).padStart(12)} ${String(s.p99).padStart(7)} | ${s.rps > 0 ? `${(r.rps / s.rps).toFixed(2)}x` : 'n/a (peer completed none)'}` +
        (r.non2xx + s.non2xx > 0 ? `  (non-2xx: Roster ${r.non2xx}, SCIMMY ${s.non2xx})` : ''),
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});

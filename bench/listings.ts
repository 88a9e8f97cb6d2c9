/**
 * @module Benchmark: the reads a service serves at fleet size, each beside the whole read it replaced, in one
 * process on one seeded store (BENCH_PEOPLE people × 5 apps; default 40,000, so 200k accounts; 200000 for 1M):
 *  - findings with their addresses (`listFindings`, the API, console and MCP) against the stored findings with every
 *    account and person read whole;
 *  - every account with its owner (`listAccounts`: `roster accounts`, the API's other sorts) against each app's
 *    accounts read whole with their links, every person read again per app, sorted by `localeCompare`;
 *  - an IdP importing one app's users, 100 a page by startIndex (`sliceAccounts`, the SCIM facade's listing)
 *    against a count and an OFFSET per page (a page in BENCH_WALK_SAMPLE of the walk, spread evenly, scaled to all);
 *  - `externalId eq` lookups (`findAccounts`, Entra ID matching by externalId) against a scan of the app.
 * Each row prints wall and CPU, and the ratio of the baseline's wall to Roster's.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { openRoster } from '../src/app/context.js';
import { listAccounts, listFindings, refreshGraph, updateGraph } from '../src/app/graph.js';
import { parseConfig } from '../src/config/load.js';
import { accountView } from '../src/identity/graph.js';
import { benchAccounts, benchPeople } from './seed.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 40_000);
/** The baseline walk reads one page in this many (its pages cost more the further they are). */
const WALK_SAMPLE = Number(process.env['BENCH_WALK_SAMPLE'] ?? 40);
const PAGE = 100;
const LOOKUPS = 1000;
const BASELINE_LOOKUPS = 20;
const APP = 'targetprocess';
const BASE = 'http://127.0.0.1:1';

const print = (line: string) => process.stdout.write(`${line}\n`);

interface Timed<T> {
  value: T;
  wall: number;
  cpu: number;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<Timed<T>> {
  const cpu = process.cpuUsage();
  const at = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, wall: performance.now() - at, cpu: (used.user + used.system) / 1000 };
}

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(n < 10 ? 2 : 0)} ms`);

function row(
  what: string,
  roster: Pick<Timed<unknown>, 'wall' | 'cpu'>,
  base: Pick<Timed<unknown>, 'wall' | 'cpu'>,
) {
  print(
    `| ${what} | ${ms(roster.wall)} | ${ms(roster.cpu)} | ${ms(base.wall)} | ${ms(base.cpu)} | ${(base.wall / roster.wall).toFixed(1)}× |`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-listings-'));
  const file = join(dir, 'roster.db');
  // The five seed apps, with the settings each connector needs to be built (nothing is called: no sync runs).
  const auth = 'auth: { type: bearer, token: x }';
  const config = parseConfig(
    [
      `store: sqlite:${file}`,
      'source: { type: csv, path: hr.csv }',
      'domains: { primary: acme.com }',
      'apps:',
      `  - { id: targetprocess, type: targetprocess, baseUrl: ${BASE}, ${auth} }`,
      `  - { id: process-street, type: process-street, baseUrl: ${BASE}, ${auth} }`,
      `  - { id: thought-industries, type: thought-industries, baseUrl: ${BASE}, auth: { type: api-key, key: x, header: X-API-Key } }`,
      `  - { id: customer-directory, type: customer-directory, baseUrl: ${BASE}, ${auth}, customerId: 64b7f0c2a1e4d5f6a7b8c9d0, integration: okta }`,
      `  - { id: stackspot-scim, type: stackspot-scim, baseUrl: ${BASE}, ${auth}, tenantId: t }`,
    ].join('\n'),
    { file: 'roster.yaml', env: {} },
  );
  const roster = await openRoster(config, { now: () => new Date('2026-11-01T00:00:00.000Z') });
  try {
    const seeded = await timed(async () => {
      await roster.store.replacePeople({
        sourcePath: 'hr.csv',
        hash: 'bench',
        people: benchPeople(PEOPLE, true),
      });
      for (const [index, app] of config.apps.entries()) {
        await roster.store.upsertApp({ id: app.id, type: app.type, baseUrl: app.baseUrl });
        await roster.store.replaceSnapshot({
          appId: app.id,
          runId: null,
          accounts: benchAccounts(app.id, PEOPLE, PEOPLE, index * 7919, true),
          entitlements: [],
          grants: [],
        });
      }
      return updateGraph(roster);
    });
    print(
      `${PEOPLE * config.apps.length} accounts (${PEOPLE} people × ${config.apps.length} apps), ` +
        `${Object.values(seeded.value.summary.findings).reduce((a, b) => a + b, 0)} findings; seeded and graphed in ${ms(seeded.wall)}`,
    );
    print('');
    print('| read | Roster wall | CPU | baseline wall | CPU | baseline / Roster |');
    print('|---|---|---|---|---|---|');

    const findings = await timed(() => listFindings(roster));
    const findingsBase = await timed(async () => {
      const graph = await refreshGraph(roster);
      const emails = new Map<string, string | null>();
      for (const app of config.apps) {
        for (const a of await roster.store.listAccounts({ appId: app.id }))
          emails.set(`${a.appId}\u0000${a.id}`, a.email ?? a.login);
      }
      const personEmails = new Map((await roster.store.listPeople()).map((p) => [p.employeeId, p.email]));
      return graph.findings.map((f) => ({
        ...f,
        accountEmail: emails.get(`${f.appId}\u0000${f.accountId}`) ?? null,
        personEmail: f.employeeId === null ? null : (personEmails.get(f.employeeId) ?? null),
      }));
    });
    if (findingsBase.value.length !== findings.value.findings.length) throw new Error('the findings differ');
    row(`findings with addresses (${findings.value.findings.length})`, findings, findingsBase);

    const listed = await timed(() => listAccounts(roster));
    const listedBase = await timed(async () => {
      const out = [];
      for (const app of config.apps) {
        const [all, links, everyone] = await Promise.all([
          roster.store.listAccounts({ appId: app.id }),
          roster.store.listLinks({ appId: app.id }),
          roster.store.listPeople(),
        ]);
        const byAccount = new Map(links.map((l) => [l.accountId, l]));
        const byId = new Map(everyone.map((p) => [p.employeeId, p]));
        const views = all
          .map((a) => {
            const link = byAccount.get(a.id);
            const person =
              link?.situation === 'linked' && link.employeeId ? byId.get(link.employeeId) : undefined;
            return accountView(a, link, person);
          })
          .sort((a, b) => a.account.id.localeCompare(b.account.id, undefined, { numeric: true }));
        for (const view of views) out.push(view);
      }
      return out;
    });
    if (listedBase.value.length !== listed.value.length) throw new Error('the account listings differ');
    row(`every account with its owner (${listed.value.length})`, listed, listedBase);

    const walk = await timed(async () => {
      let pages = 0;
      for (let offset = 0; ; pages++) {
        const page = await roster.store.sliceAccounts({
          appId: APP,
          offset,
          limit: PAGE,
          excludeStatus: 'deleted',
        });
        offset += page.items.length;
        if (page.items.length === 0 || offset >= page.total) return pages + 1;
      }
    });
    const sqlite = new Sqlite(file, { readonly: true });
    const count = sqlite.prepare(
      "select count(*) as n from accounts where app_id = ? and status != 'deleted'",
    );
    const slice = sqlite.prepare(
      "select * from accounts where app_id = ? and status != 'deleted' order by id limit ? offset ?",
    );
    const walkBase = await timed(() => {
      let read = 0;
      for (let page = 0; page < walk.value; page += WALK_SAMPLE, read++) {
        count.get(APP);
        slice.all(APP, PAGE, page * PAGE);
      }
      return read;
    });
    sqlite.close();
    const scaled = walk.value / walkBase.value;
    row(
      `a SCIM import of ${PEOPLE} users, ${walk.value} pages of ${PAGE} (baseline: ${walkBase.value} pages, ×${scaled.toFixed(0)})`,
      walk,
      { wall: walkBase.wall * scaled, cpu: walkBase.cpu * scaled },
    );

    const lookups = await timed(async () => {
      let found = 0;
      for (let i = 0; i < LOOKUPS; i++) {
        const value = `idp-${(i * 7919) % PEOPLE}`;
        found += (await roster.store.findAccounts({ appId: APP, field: 'externalId', op: 'eq', value }))
          .length;
      }
      return found;
    });
    const lookupsBase = await timed(async () => {
      for (let i = 0; i < BASELINE_LOOKUPS; i++) {
        const value = `idp-${(i * 7919) % PEOPLE}`;
        (await roster.store.listGraphAccounts({ appId: APP })).filter((a) => a.externalId === value);
      }
    });
    const per = (t: Timed<unknown>, n: number) => ({ wall: t.wall / n, cpu: t.cpu / n });
    row(
      `one externalId eq lookup (${LOOKUPS}; baseline ${BASELINE_LOOKUPS})`,
      per(lookups, LOOKUPS),
      per(lookupsBase, BASELINE_LOOKUPS),
    );
  } finally {
    await roster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

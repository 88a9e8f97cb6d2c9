/**
 * @module Benchmark: `roster sync && roster plan` at 20k people (5 sandbox apps, birthright for everyone): how long
 * plan takes after the sync (its graph check included), its peak RSS, and what a saved plan costs the store
 * against the plan's own JSON size. The baseline in the same run is the full graph refresh plan used to do.
 * Store: SQLite in a temporary folder, or Postgres with `BENCH_STORE=postgres` (a fresh database, dropped after).
 */

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openRoster } from '../src/app/context.js';
import { refreshGraph, updateLinks } from '../src/app/graph.js';
import { planChanges, showPlan } from '../src/app/plan.js';
import { syncApps } from '../src/app/sync.js';
import { loadConfig } from '../src/config/load.js';
import { SEED_APP_TYPES } from '../src/core/types.js';
import { startFleet } from '../src/sandbox/fleet.js';
import { fleetWorkspace } from '../src/sandbox/testkit.js';
import { freshDatabase } from '../src/store/postgres.testkit.js';
import { profiled } from './profile.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 20_000);
/** `BENCH_PROFILE=file.cpuprofile` writes a CPU profile of the plan alone. */
const PROFILE = process.env['BENCH_PROFILE'];
const POSTGRES = process.env['BENCH_STORE']?.startsWith('postgres') ?? false;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const at = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, wall: performance.now() - at, cpu: (used.user + used.system) / 1000 };
}

/**
 * The bytes of the pages the database uses, once the write-ahead log is moved into it: the file size alone counts
 * a plan's pages twice (log and file) or not at all (pages a sync freed and the plan reused).
 */
function sqliteUsedBytes(dir: string): number {
  const db = new Database(join(dir, 'roster.db'));
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = Number(db.pragma('page_count', { simple: true }));
    const free = Number(db.pragma('freelist_count', { simple: true }));
    return (pages - free) * Number(db.pragma('page_size', { simple: true }));
  } finally {
    db.close();
  }
}

/** The database and its write-ahead log: what a plan adds to the disk. */
function sqliteBytes(dir: string): number {
  let bytes = 0;
  for (const name of ['roster.db', 'roster.db-wal']) {
    try {
      bytes += statSync(join(dir, name)).size;
    } catch {
      // No WAL yet.
    }
  }
  return bytes;
}

/**
 * A digest of the saved plan's ops as a reader gets them back (kind, app, target, dependencies, approval, in seq
 * order): a change that makes planning faster must leave it as it was on the same data.
 */
async function opsDigest(roster: Awaited<ReturnType<typeof openRoster>>, planId: string): Promise<string> {
  const { body, ops } = await showPlan(roster, planId);
  const hash = createHash('sha256');
  for (const op of body.ops) hash.update(`${JSON.stringify(op)}\n`);
  for (const op of ops) {
    hash.update(
      `${op.seq}|${op.appId}|${op.kind}|${JSON.stringify(op.target)}|${op.dependsOn}|${op.requiresApproval}\n`,
    );
  }
  return hash.digest('hex').slice(0, 16);
}

async function main(): Promise<void> {
  const fleet = await startFleet({ seed: 17, people: PEOPLE });
  const policy = {
    rules: SEED_APP_TYPES.map((app) => ({
      name: `${app} for everyone`,
      when: { status: 'active' },
      apps: { [app]: {} },
    })),
    managed: Object.fromEntries(SEED_APP_TYPES.map((app) => [app, ['account']])),
    safety: { maxDeactivations: { count: 1_000_000, share: 1 } },
  };
  const database = POSTGRES ? await freshDatabase('roster_bench_plan') : null;
  const { dir, file } = fleetWorkspace(fleet, {
    policy,
    edit: (yaml) => (database ? yaml.replace('sqlite:./roster.db', database.url) : yaml),
  });
  const roster = await openRoster(await loadConfig(file, { env: {} }), { actor: 'bench' });
  // Postgres has no file to weigh: its own size of the database, tables and indexes (its WAL is not the plan's).
  const postgresBytes = async () => {
    const client = new pg.Client({ connectionString: database?.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ bytes: string }>(
        'select pg_database_size(current_database()) as bytes',
      );
      return Number(rows[0]?.bytes);
    } finally {
      await client.end();
    }
  };
  const usedBytes = async () => (database ? postgresBytes() : sqliteUsedBytes(dir));
  const storeBytes = async () => (database ? postgresBytes() : sqliteBytes(dir));
  try {
    const sync = await timed(() => syncApps(roster));
    const check = await timed(() => updateLinks(roster));
    const usedBefore = await usedBytes();
    const before = await storeBytes();
    const rssBefore = process.resourceUsage().maxRSS;
    const plan = await timed(() => profiled(PROFILE, () => planChanges(roster)));
    const peakMiB = Math.max(rssBefore, process.resourceUsage().maxRSS) / 1024;
    const grown = (await storeBytes()) - before;
    const kept = (await usedBytes()) - usedBefore;
    const json = JSON.stringify(plan.value.body).length + JSON.stringify(plan.value.summary).length;
    const digest = await opsDigest(roster, plan.value.plan.id);
    const baseline = await timed(() => refreshGraph(roster));
    // What a webhook's re-sync of one account plans: that account's owner, on that one app.
    const someone = fleet.company.hr.find((p) => p.status === 'active') as { employee_id: string };
    const onePerson = await timed(() =>
      planChanges(roster, { apps: [SEED_APP_TYPES[0]], person: someone.employee_id }),
    );
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    process.stdout.write(
      [
        `people ${PEOPLE}, ops ${plan.value.ops.length}, apps ${SEED_APP_TYPES.length}, ${database ? 'Postgres' : 'SQLite'} store`,
        `sync (not in the ratio):       ${s(sync.wall)} wall, ${s(sync.cpu)} CPU`,
        `graph check after the sync:    ${s(check.wall)} wall (up to date: ${check.value.upToDate})`,
        `plan:                          ${s(plan.wall)} wall, ${s(plan.cpu)} CPU, peak RSS ${peakMiB.toFixed(0)} MiB`,
        `plan for one person, one app: ${s(onePerson.wall)} wall, ${s(onePerson.cpu)} CPU, ${onePerson.value.summary.total} ops (what a webhook's re-sync plans)`,
        `baseline, full graph refresh:  ${s(baseline.wall)} wall, ${s(baseline.cpu)} CPU (plan ran one before it planned)`,
        `store growth per plan:         ${mb(grown)} for ${mb(json)} of plan JSON: ×${(grown / json).toFixed(2)} (file and WAL as left; Postgres: its database size)`,
        `store kept per plan:           ${mb(kept)} for ${mb(json)} of plan JSON: ×${(kept / json).toFixed(2)} (pages in use, after a checkpoint; Postgres: the same)`,
        `ops as read back:              sha256 ${digest} (the same data gives the same ops: compare across changes)`,
        `apps the plan left out:        ${(plan.value.body.skipped ?? []).map((a) => `${a.appId} (${a.reason})`).join('; ') || 'none'}`,
        `ratio: plan now / plan with the full refresh it ran before = ${(plan.wall / (plan.wall + baseline.wall)).toFixed(2)} (wall), ${(plan.cpu / (plan.cpu + baseline.cpu)).toFixed(2)} (CPU)`,
      ].join('\n') + '\n',
    );
  } finally {
    await roster.close();
    await fleet.close();
    await database?.drop();
  }
}

await main();

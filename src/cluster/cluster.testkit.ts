/**
 * @module Test support for cluster mode: whether Postgres and Redis are up, a Redis key prefix of the test's own,
 * `roster` processes (serve, workers) spawned from the built CLI, and a whole installation with in-process workers.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { openRoster, type Roster } from '../app/context.js';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import type { SeedAppType } from '../core/types.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { freshDatabase, requirePostgres } from '../store/postgres.testkit.js';
import { requireService, type ServiceCheck } from '../store/services.js';
import { ClusterQueues, type ClusterSettings, clusterSettings } from './queue.js';
import { type RunningWorker, startWorker } from './worker.js';

export const REDIS_URL = process.env['ROSTER_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * A policy that wants an account in every one of `apps` for everyone active, with limits wide enough for a test's
 * plan to run unapproved: on the sample company, where most people are in few apps, it is mostly creates.
 */
export function everyoneEverywhere(apps: readonly SeedAppType[]) {
  return {
    rules: [
      {
        name: 'everyone everywhere',
        when: { status: 'active' },
        apps: Object.fromEntries(apps.map((a) => [a, {}])),
      },
    ],
    managed: Object.fromEntries(apps.map((app) => [app, ['account']])),
    safety: {
      maxDeactivations: { count: 1000, share: 1 },
      approval: { delete: false, privileged: false, opsPerApp: 10_000 },
    },
  };
}

/** Both services, checked once: skipped with the reason (or failed under ROSTER_REQUIRE_SERVICES=1). */
export async function requireClusterServices(): Promise<ServiceCheck> {
  const postgres = await requirePostgres();
  if (!postgres.available) return postgres;
  return requireService('Redis', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  });
}

/** A key prefix no other test uses, and a way to delete every key under it afterwards. */
export function redisPrefix(): { prefix: string; clear: () => Promise<void> } {
  const prefix = `roster-test-${randomUUID().slice(0, 8)}`;
  return {
    prefix,
    async clear() {
      const redis = new Redis(REDIS_URL);
      try {
        const keys = await redis.keys(`${prefix}:*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      } finally {
        redis.disconnect();
      }
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

/** `roster <args>` as a child process in `dir`, its output appended to `<dir>/<log>.log`. */
export function spawnRoster(
  dir: string,
  args: readonly string[],
  log: string,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const out = openSync(join(dir, `${log}.log`), 'a');
  return spawn(process.execPath, [join(ROOT, 'bin/roster.js'), '-c', 'roster.yaml', ...args], {
    cwd: dir,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
}

/** Resolves once the child has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

/** Polls `url` until it answers 200 (or throws after `tries`). */
export async function waitReady(url: string, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const answer = await fetch(url).catch(() => null);
    if (answer?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered 200`);
}

/** A cluster installation for in-process tests: sandboxes, a Postgres database and a Redis prefix of its own. */
export interface ClusterWorkspace {
  fleet: Fleet;
  dir: string;
  config: RosterConfig;
  /** The environment its workers and queues read (the Redis prefix, the wait timings given). */
  env: NodeJS.ProcessEnv;
  queues: ClusterQueues;
  /** A Roster on the workspace's store, its clock the sample company's. */
  withRoster<T>(work: (roster: Roster) => Promise<T>): Promise<T>;
  /** A `roster worker` in this process (closed with the workspace unless closed before). */
  worker(concurrency?: number): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function clusterWorkspace(options: {
  apps: SeedAppType[];
  people: number;
  seed: number;
  policy: Record<string, unknown>;
  /** More roster.yaml keys (schedule:, server:). */
  extra?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}): Promise<ClusterWorkspace> {
  const database = await freshDatabase('roster_cluster');
  const redis = redisPrefix();
  const fleet = await startFleet({ apps: options.apps, seed: options.seed, people: options.people });
  const dir = mkdtempSync(join(tmpdir(), 'roster-cluster-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: database.url }));
  writeFileSync(
    join(dir, 'roster.yaml'),
    stringify({ ...doc, queue: REDIS_URL, policy: options.policy, ...options.extra }),
  );
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const env = { ...process.env, ...options.env, ROSTER_QUEUE_PREFIX: redis.prefix };
  const queues = new ClusterQueues(
    clusterSettings(config, env) as ClusterSettings,
    config.apps.map((a) => a.id),
  );
  const workers = new Set<RunningWorker>();
  return {
    fleet,
    dir,
    config,
    env,
    queues,
    async withRoster(work) {
      const roster = await openRoster(config, { now: () => new Date(fleet.company.asOf) });
      try {
        return await work(roster);
      } finally {
        await roster.close();
      }
    },
    async worker(concurrency = 2) {
      const running = await startWorker({ config, concurrency, env });
      workers.add(running);
      return running;
    },
    async close() {
      await Promise.all([...workers].map((w) => w.close()));
      await queues.close();
      await fleet.close();
      await redis.clear();
      await database.drop();
    },
  };
}

/** Polls `check` until it answers something other than undefined (or throws naming `what`). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * @module Test support for cluster mode: whether Postgres and Redis are up, a Redis key prefix of the test's own,
 * and `roster` processes (serve, workers) spawned from the built CLI.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { requirePostgres } from '../store/postgres.testkit.js';
import { requireService, type ServiceCheck } from '../store/services.js';

export const REDIS_URL = process.env['ROSTER_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const ROOT = resolve(import.meta.dirname, '../..');

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

/** Compiles the CLI the spawned processes run (bin/roster.js runs dist/). */
export function buildCli(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
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

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openRoster, type Roster } from '../app/context.js';
import { planChanges } from '../app/plan.js';
import { syncApps } from '../app/sync.js';
import { roster as cli, jsonData } from '../cli/testkit.js';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import type { SeedAppType } from '../core/types.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { createRng } from '../sandbox/kit/rng.js';
import { freshDatabase } from '../store/postgres.testkit.js';
import {
  everyoneEverywhere,
  exited,
  freePort,
  REDIS_URL,
  redisPrefix,
  requireClusterServices,
  spawnRoster,
  waitReady,
} from './cluster.testkit.js';

const services = await requireClusterServices();

/** Apps whose every op is an account op verified by one read (no invitations to wait on, no grant listings). */
const APPS: SeedAppType[] = ['targetprocess', 'thought-industries', 'customer-directory', 'stackspot-scim'];
const WORKERS = 3;

/** An account in every app for everyone active: the sample company has most people in few apps, so it creates. */
const policy = everyoneEverywhere(APPS);

let fleet: Fleet;
let dir: string;
let config: RosterConfig;
let database: { url: string; drop: () => Promise<void> };
let redis: ReturnType<typeof redisPrefix>;
const children = new Set<ChildProcess>();

async function withRoster<T>(work: (roster: Roster) => Promise<T>): Promise<T> {
  const roster = await openRoster(config, { now: () => new Date(fleet.company.asOf) });
  try {
    return await work(roster);
  } finally {
    await roster.close();
  }
}

/** Live accounts by app and lower-cased email, counted: apply must never make a second one for anybody. */
async function accountsByEmail(): Promise<Map<string, number>> {
  return withRoster(async (roster) => {
    const counts = new Map<string, number>();
    for (const app of config.apps) {
      const list = roster.connector(app.id).accounts.list;
      if (!list) continue;
      let pageToken: string | null = null;
      do {
        const page = await list({ pageToken });
        for (const a of page.items) {
          if (a.status === 'deleted' || !a.email) continue;
          const key = `${app.id}:${a.email.toLowerCase()}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== null);
    }
    return counts;
  });
}

beforeAll(async () => {
  if (!services.available) return;
  database = await freshDatabase('roster_cluster');
  redis = redisPrefix();
  fleet = await startFleet({ apps: APPS, seed: 11, people: Number(process.env['CHAOS_PEOPLE'] ?? 480) });
  dir = mkdtempSync(join(tmpdir(), 'roster-cluster-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: database.url }));
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, queue: REDIS_URL, policy }));
  config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
}, 300_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([...children].map(exited));
  await fleet?.close();
  await redis?.clear();
  await database?.drop();
});

describe.skipIf(!services.available)(
  services.available ? 'cluster mode' : `cluster mode (skipped: ${services.reason})`,
  () => {
    it('serve + three workers apply 1,000+ ops under faults while workers are SIGKILLed: each op once, apps as planned, audit whole', async () => {
      const planned = await withRoster(async (roster) => {
        const synced = await syncApps(roster, { full: true });
        for (const r of synced.apps) expect(r.status, r.appId).toBe('succeeded');
        return planChanges(roster, {});
      });
      expect(planned.body.blocked).toBeNull();
      expect(planned.body.errors).toEqual([]);
      expect(planned.ops.length).toBeGreaterThanOrEqual(1000);
      expect(planned.ops.every((o) => o.kind !== 'wait' && !o.requiresApproval)).toBe(true);
      const before = await accountsByEmail();

      const made = await cli(
        '-c',
        join(dir, 'roster.yaml'),
        'tokens',
        'create',
        '--name',
        'ci',
        '--scope',
        'operate',
        '--json',
      );
      expect(made.code, made.stderr).toBe(0);
      const { token } = jsonData<{ token: string }>(made.stdout);

      // Faults from here on: 5xx, lost answers, resets, hangs, a hidden rate limit per app.
      for (const sb of fleet.sandboxes) {
        sb.clearRequests();
        sb.setFaults('flaky');
      }
      const env = {
        ROSTER_QUEUE_PREFIX: redis.prefix,
        ROSTER_WORKER_LOCK_MS: '8000',
        ROSTER_WORKER_STALLED_MS: '3000',
        ROSTER_OP_BACKOFF_MS: '500',
        ROSTER_LOG_LEVEL: 'warn',
      };
      const port = await freePort();
      const serve = spawnRoster(dir, ['serve', '--port', String(port)], 'serve', env);
      children.add(serve);
      const api = `http://127.0.0.1:${port}`;
      await waitReady(`${api}/readyz`);

      const workers: ChildProcess[] = [];
      const starts: number[] = [];
      const readyAt: (number | null)[] = [];
      const startWorker = (i: number) => {
        const child = spawnRoster(dir, ['worker', '--concurrency', '6'], `worker-${i}`, {
          ...env,
          ROSTER_LOG_LEVEL: 'info',
        });
        children.add(child);
        workers[i] = child;
        starts[i] = (starts[i] ?? 0) + 1;
        readyAt[i] = null;
      };
      /** When worker i logged that it started taking jobs (its log holds one such line per start). */
      const ready = (i: number): number | null => {
        if (readyAt[i] === null) {
          const text = readFileSync(join(dir, `worker-${i}.log`), 'utf8');
          if (text.split('"worker started"').length - 1 >= (starts[i] as number)) readyAt[i] = Date.now();
        }
        return readyAt[i] ?? null;
      };
      for (let i = 0; i < WORKERS; i++) startWorker(i);

      const started = await fetch(`${api}/plans/${planned.plan.id}/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(started.status, await started.clone().text()).toBe(202);

      // Chaos, once ops are being applied: every 4-7 s a worker at random (one taking jobs for 4 s or more) is
      // SIGKILLed and a fresh one takes its place.
      const rng = createRng(7);
      let kills = 0;
      let status = 'applying';
      const watcher = await openRoster(config);
      const deadline = Date.now() + 720_000;
      let nextKill = Number.POSITIVE_INFINITY;
      try {
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          status = (await watcher.store.getPlan({ id: planned.plan.id }))?.status ?? '';
          if (!['draft', 'approved', 'applying'].includes(status)) break;
          if (nextKill === Number.POSITIVE_INFINITY) {
            const done = await watcher.store.listOps({ planId: planned.plan.id, status: 'succeeded' });
            if (done.length > 0) nextKill = Date.now() + 1000;
          }
          const i = Math.floor(rng.next() * WORKERS);
          const up = ready(i);
          if (Date.now() >= nextKill && up !== null && Date.now() - up >= 4000) {
            const victim = workers[i] as ChildProcess;
            victim.kill('SIGKILL');
            await exited(victim);
            children.delete(victim);
            kills++;
            startWorker(i);
            nextKill = Date.now() + 4000 + Math.floor(rng.next() * 3000);
          }
        }
      } finally {
        await watcher.close();
      }
      expect(kills).toBeGreaterThanOrEqual(3);
      // Done when nothing is left but manual tasks (what the apps' APIs cannot do), which stay open for a person.
      expect(['applied', 'tasks_open']).toContain(status);

      await withRoster(async (roster) => {
        const ops = await roster.store.listOps({ planId: planned.plan.id });
        expect(
          ops
            .filter((o) => o.status !== (o.kind === 'task' ? 'task_open' : 'succeeded'))
            .map((o) => `${o.seq} ${o.status} ${o.error}`),
        ).toEqual([]);
        const succeeded = new Map<number, number>();
        for (let after = 0; ; ) {
          const page = await roster.store.listAudit({ afterSeq: after, limit: 1000 });
          if (page.length === 0) break;
          for (const e of page) {
            if (e.kind === 'op.succeeded' && e.data.planId === planned.plan.id) {
              const seq = Number(e.data.seq);
              succeeded.set(seq, (succeeded.get(seq) ?? 0) + 1);
            }
          }
          after = page[page.length - 1]!.seq;
        }
        expect(succeeded.size).toBe(ops.filter((o) => o.kind !== 'task').length);
        expect([...succeeded.values()].every((n) => n === 1)).toBe(true);
        expect((await roster.store.verifyAudit()).ok).toBe(true);
      });

      // The faults were real, and no one got a second account: every create the plan made happened once.
      expect(fleet.sandboxes.some((sb) => sb.requests().some((r) => r.fault !== null))).toBe(true);
      for (const sb of fleet.sandboxes) sb.setFaults('clean');
      const after = await accountsByEmail();
      const doubled = [...after].filter(([key, n]) => n > 1 && n !== before.get(key)).map(([key]) => key);
      expect(doubled).toEqual([]);
      const creates = planned.body.ops.filter((o) => o.kind === 'create');
      for (const op of creates) {
        const key = `${op.appId}:${op.person?.email.toLowerCase()}`;
        expect(after.get(key), key).toBe(1);
      }

      // The apps hold what the policy wants: a fresh sync and plan find nothing left to do.
      const again = await withRoster(async (roster) => {
        await syncApps(roster, { full: true });
        return planChanges(roster, {});
      });
      expect(again.ops.filter((o) => o.kind !== 'task')).toEqual([]);

      const queues = (await (
        await fetch(`${api}/queues`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { mode: string; items: { waiting: number; active: number }[] };
      expect(queues.mode).toBe('cluster');

      for (const child of [serve, ...workers]) child.kill('SIGTERM');
      const codes = await Promise.all([serve, ...workers].map(exited));
      expect(codes).toEqual(codes.map(() => 0));
    }, 900_000);
  },
);

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { connectorFor } from '../connectors/registry.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { openSqliteStore } from '../store/sqlite.js';
import { nextRun, type ScheduledJob } from './scheduler.js';
import { startTestServer, type TestServer } from './testkit.js';

async function until<T>(what: string, check: () => Promise<T | undefined>, attempts = 600): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const jobsOf = async (t: TestServer) =>
  ((await t.call('GET', '/schedule', { token: t.tokens.read })).body as { items: ScheduledJob[] }).items;

describe('the scheduler', () => {
  let fleet: Fleet | undefined;
  afterAll(async () => fleet?.close());

  it('backs a failing app off at growing intervals and quarantines it, without holding the healthy app; the state survives a restart', async () => {
    fleet = await startFleet({ people: 30, seed: 5, apps: ['targetprocess', 'customer-directory'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-schedule-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' })) as {
      apps: { id: string; auth: { token: string } }[];
      [key: string]: unknown;
    };
    const broken = doc.apps.find((a) => a.id === 'targetprocess');
    if (broken) broken.auth.token = 'not-the-token';
    doc.schedule = {
      apps: { '*': { every: '1h' } },
      backoff: { initial: '20ms', max: '80ms', quarantineAfter: 3 },
      afterSync: { plan: false },
    };
    writeFileSync(join(dir, 'roster.yaml'), stringify(doc));
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    const t = await startTestServer({ dir, config });

    const failing = await until('three failures in a row', async () => {
      const job = (await jobsOf(t)).find((j) => j.id === 'sync:targetprocess');
      return job && job.consecutiveFailures >= 3 ? job : undefined;
    });
    expect(failing.quarantined).toBe(true);
    expect(failing.lastError).toMatch(/token|credential|401|unauth/i);
    const healthy = (await jobsOf(t)).find((j) => j.id === 'sync:customer-directory');
    expect(healthy).toMatchObject({
      lastStatus: 'succeeded',
      runs: 1,
      consecutiveFailures: 0,
      quarantined: false,
    });
    // The healthy app waits its full interval; the failing one retries after 20, 40, 80, 80… ms.
    expect(Date.parse(healthy?.nextRunAt ?? '') - Date.parse(healthy?.updatedAt ?? '')).toBe(3_600_000);
    const backoff = Math.min(80, 20 * 2 ** (failing.consecutiveFailures - 1));
    expect(Date.parse(failing.nextRunAt ?? '') - Date.parse(failing.updatedAt)).toBe(backoff);
    const apps = (await t.call('GET', '/apps', { token: t.tokens.read })).body as {
      items: { id: string; health: string }[];
    };
    expect(Object.fromEntries(apps.items.map((a) => [a.id, a.health]))).toEqual({
      targetprocess: 'quarantined',
      'customer-directory': 'ok',
    });

    // A restart reads the stored state: the healthy app is not synced again before its time.
    const tokens = t.tokens;
    await t.close();
    const store = await openSqliteStore(config.store);
    const again = await startTestServer({ dir, config, store, tokens });
    try {
      const after = await jobsOf(again);
      const cd = after.find((j) => j.id === 'sync:customer-directory');
      expect(cd).toMatchObject({ runs: 1, nextRunAt: healthy?.nextRunAt, lastStatus: 'succeeded' });
      const tp = after.find((j) => j.id === 'sync:targetprocess');
      expect(tp?.quarantinedAt).toBe(failing.quarantinedAt);
      expect(tp?.failures).toBeGreaterThanOrEqual(failing.failures);
    } finally {
      await again.close();
      await store.close();
    }
  }, 60_000);

  it('coalesces a sync triggered while one of the same app is running', async () => {
    fleet ??= await startFleet({ people: 30, seed: 5, apps: ['targetprocess', 'customer-directory'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-coalesce-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    writeFileSync(
      join(dir, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    const t = await startTestServer({ dir, config });
    try {
      fleet.get('customer-directory').setFaults('clean', { slow: 1, slowMs: [40, 50] });
      const body = { apps: ['customer-directory'] };
      const first = await t.call('POST', '/syncs', { token: t.tokens.operate, body });
      const second = await t.call('POST', '/syncs', { token: t.tokens.operate, body });
      expect(first.body).toEqual({ items: [{ appId: 'customer-directory', started: true }] });
      expect(second.body).toEqual({ items: [{ appId: 'customer-directory', started: false }] });
      await until('the sync', async () => (t.server.context.jobs.list().length === 0 ? true : undefined));
      const runs = (await t.call('GET', '/syncs?appId=customer-directory', { token: t.tokens.read }))
        .body as {
        total: number;
      };
      expect(runs.total).toBe(1);
    } finally {
      fleet.get('customer-directory').setFaults('clean');
      await t.close();
    }
  }, 60_000);

  it('with autoApply, applies the ops that need no approval after a scheduled sync and leaves the rest waiting', async () => {
    const own = await startFleet({ people: 150, seed: 3, apps: ['targetprocess', 'process-street'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-autoapply-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(own.company.hr));
    const doc = parse(fleetConfigYaml(own, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' })) as Record<
      string,
      unknown
    >;
    doc.schedule = {
      apps: { '*': { every: '1h' } },
      people: { every: '1h' },
      afterSync: { autoApply: true },
    };
    writeFileSync(join(dir, 'roster.yaml'), stringify(doc));
    const t = await startTestServer({ dir, config: await loadConfig(join(dir, 'roster.yaml'), { env: {} }) });
    try {
      await until('the first scheduled runs', async () => {
        const jobs = await jobsOf(t);
        return jobs.length === 3 && jobs.every((j) => j.lastStatus === 'succeeded' && !j.running)
          ? true
          : undefined;
      });
      const plans = (await t.call('GET', '/plans?limit=10', { token: t.tokens.read })).body as {
        items: { id: string }[];
      };
      const details = await Promise.all(
        plans.items.map(
          async (p) =>
            (await t.call('GET', `/plans/${p.id}`, { token: t.tokens.read })).body as {
              body: { requestedBy?: string; apps: string[] };
              ops: {
                kind: string;
                status: string;
                requiresApproval: boolean;
                approvedBy: string | null;
                target: { account?: { id: string } | null };
              }[];
            },
        ),
      );
      const ops = details.filter((d) => d.body.requestedBy === 'scheduler').flatMap((d) => d.ops);
      // Targetprocess deactivations need nobody; Process Street removes access by deleting, which needs approval.
      const free = ops.filter((o) => !o.requiresApproval);
      const gated = ops.filter((o) => o.requiresApproval);
      expect(free.length).toBeGreaterThan(0);
      expect(free.map((o) => o.status)).toEqual(free.map(() => 'succeeded'));
      expect(gated.length).toBeGreaterThan(0);
      // Nobody approved anything: whatever needs a person is still waiting.
      for (const o of gated) expect(o).toMatchObject({ status: 'pending', approvedBy: null });
      // What the app holds now, read through its own API.
      const deactivated = free.filter((o) => o.kind === 'deactivate').map((o) => o.target.account?.id ?? '');
      expect(deactivated.length).toBeGreaterThan(0);
      const connector = connectorFor(t.config.apps.find((a) => a.id === 'targetprocess')!);
      try {
        for (const id of deactivated)
          expect((await connector.accounts.get?.({ id }))?.status).toBe('inactive');
      } finally {
        await connector.close();
      }
    } finally {
      await t.close();
      await own.close();
    }
  }, 60_000);

  it('computes the next run from a cron pattern or an interval', () => {
    const from = new Date('2026-03-01T10:07:00Z');
    expect(nextRun({ cron: '*/15 * * * *' }, from).toISOString()).toBe('2026-03-01T10:15:00.000Z');
    expect(nextRun({ every: 90_000 }, from).toISOString()).toBe('2026-03-01T10:08:30.000Z');
  });
});

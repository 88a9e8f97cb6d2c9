import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { stopOnSignals } from './serve.js';
import { startTestServer } from './testkit.js';

async function until<T>(what: string, check: () => Promise<T | undefined>, attempts = 600): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('SIGTERM', () => {
  let fleet: Fleet | undefined;
  afterAll(async () => fleet?.close());

  it('mid-apply: stops taking requests, lets the apply finish every op it started, then closes', async () => {
    fleet = await startFleet({ people: 60, seed: 11, apps: ['targetprocess'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-sigterm-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    const doc = parse(
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    ) as Record<string, unknown>;
    doc.policy = { safety: { approval: { delete: false, privileged: false } } };
    writeFileSync(join(dir, 'roster.yaml'), stringify(doc));
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    const t = await startTestServer({ dir, config });
    const operate = t.tokens.operate;

    expect((await t.call('POST', '/people/import', { token: operate, body: {} })).status).toBe(200);
    await t.call('POST', '/syncs', { token: operate, body: {} });
    await until('the sync', async () => {
      const r = (await t.call('GET', '/apps', { token: operate })).body as { items: { health: string }[] };
      return r.items.every((a) => a.health === 'ok') ? true : undefined;
    });
    const plan = (await t.call('POST', '/plans', { token: operate, body: {} })).body as {
      plan: { id: string };
      ops: unknown[];
    };
    expect(plan.ops.length).toBeGreaterThan(1);

    // Every upstream call is slow now, so the apply is still running when the signal comes.
    fleet.get('targetprocess').setFaults('clean', { slow: 1, slowMs: [60, 80] });
    const stopped = stopOnSignals(t.server, ['SIGTERM']);
    expect((await t.call('POST', `/plans/${plan.plan.id}/apply`, { token: operate, body: {} })).status).toBe(
      202,
    );
    await until('the first op to start', async () => {
      const ops = await t.store.listOps({ planId: plan.plan.id });
      return ops.some((o) => o.intentAt !== null) ? true : undefined;
    });
    expect(t.server.context.jobs.list().map((j) => j.key)).toEqual([`apply:${plan.plan.id}`]);

    process.emit('SIGTERM', 'SIGTERM');
    // No new work once the signal is in.
    expect(() => t.server.context.jobs.start('sync:targetprocess', async () => undefined)).toThrow(
      /shutting down/,
    );
    expect(await stopped).toBe('SIGTERM');

    // Closed: nothing listens any more.
    await expect(fetch(`${t.server.url}/healthz`)).rejects.toThrow();
    // Nothing half-done: every op that was started has its outcome, none is left running.
    const ops = await t.store.listOps({ planId: plan.plan.id });
    expect(ops.filter((o) => o.status === 'running')).toEqual([]);
    for (const op of ops.filter((o) => o.intentAt !== null)) expect(op.finishedAt).not.toBeNull();
    expect((await t.store.getPlan({ id: plan.plan.id }))?.status).toBe('applied');
    await t.store.close();
  }, 60_000);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { connectorFor } from '../connectors/registry.js';
import type { Finding } from '../identity/index.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { startTestServer, type TestServer } from './testkit.js';

async function until<T>(what: string, check: () => Promise<T | undefined>, attempts = 500): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('provisioning on demand', () => {
  let fleet: Fleet | undefined;
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
  });

  it("plans and applies one person's changes only, and the app holds them", async () => {
    fleet = await startFleet({ people: 150, seed: 3, apps: ['targetprocess'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-provision-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    writeFileSync(
      join(dir, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    const server = await startTestServer({
      dir,
      config: await loadConfig(join(dir, 'roster.yaml'), { env: {} }),
    });
    t = server;
    const { operate, read } = server.tokens;
    await server.call('POST', '/people/import', { token: operate, body: {} });
    await server.call('POST', '/syncs', { token: operate, body: {} });
    await until('the sync', async () => (server.server.context.jobs.list().length === 0 ? true : undefined));

    const leavers = (
      (await server.call('GET', '/findings?rule=leaver_with_access&limit=1000', { token: read })).body as {
        items: Finding[];
      }
    ).items;
    expect(leavers.length).toBeGreaterThan(1);
    const person = leavers[0]?.employeeId as string;

    const started = await server.call('POST', `/people/${person}/provision`, { token: operate, body: {} });
    expect(started.status).toBe(202);
    const { planId, ops, applying } = started.body as { planId: string; ops: number; applying: boolean };
    expect(ops).toBeGreaterThan(0);
    expect(applying).toBe(true);
    const done = await until('the apply', async () => {
      const r = (await server.call('GET', `/plans/${planId}`, { token: read })).body as {
        plan: { status: string; applying: boolean };
        body: { person: { employeeId: string } | null };
        ops: {
          status: string;
          target: { person: { employeeId: string } | null; account: { id: string } | null };
        }[];
      };
      return !r.plan.applying && r.plan.status === 'applied' ? r : undefined;
    });
    expect(done.body.person?.employeeId).toBe(person);
    // Only this person's ops: the other leavers are untouched.
    for (const op of done.ops) expect(op.target.person?.employeeId).toBe(person);
    expect(done.ops.map((o) => o.status)).toEqual(done.ops.map(() => 'succeeded'));

    const connector = connectorFor(server.config.apps[0]!);
    try {
      for (const op of done.ops) {
        const account = await connector.accounts.get?.({ id: op.target.account?.id ?? '' });
        expect(account?.status).toBe('inactive');
      }
      const other = leavers.find((f) => f.employeeId !== person);
      const untouched = await connector.accounts.get?.({ id: other?.accountId ?? '' });
      expect(untouched?.status).toBe('active');
    } finally {
      await connector.close();
    }
  }, 60_000);
});

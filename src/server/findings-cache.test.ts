import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Finding } from '../identity/index.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { startTestServer, type TestServer } from './testkit.js';

describe('findings served between changes', () => {
  let fleet: Fleet | undefined;
  let t: TestServer | undefined;
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
  });

  it('a link decided through the API shows in the next findings at once', async () => {
    fleet = await startFleet({ people: 80, seed: 21, apps: ['targetprocess'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-findings-'));
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
    for (let i = 0; i < 500 && server.server.context.jobs.list().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const orphans = async () =>
      (
        (await server.call('GET', '/findings?rule=orphan&limit=1000', { token: read })).body as {
          items: Finding[];
        }
      ).items;
    const before = await orphans();
    expect(before.length).toBeGreaterThan(0);
    // Asked twice with nothing changed: the same answer (served from what was computed).
    expect(await orphans()).toEqual(before);
    const orphan = before[0] as Finding;
    const someone = fleet.company.hr.find((p) => p.status === 'active')?.employee_id;
    const linked = await server.call('PUT', `/links/targetprocess/${orphan.accountId}`, {
      token: operate,
      body: { employeeId: someone, reason: 'a contractor account, confirmed by IT' },
    });
    expect(linked.status).toBe(200);
    const after = await orphans();
    expect(after.map((f) => f.id)).not.toContain(orphan.id);
    expect(after).toHaveLength(before.length - 1);
  }, 60_000);
});

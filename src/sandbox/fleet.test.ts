import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { AppConfig } from '../config/schema.js';
import { isRosterError } from '../core/errors.js';
import { SEED_APP_TYPES } from '../core/types.js';
import type { CdState } from './customer-directory/state.js';
import { type Fleet, fleetConfigYaml, startFleet } from './fleet.js';
import type { TiState } from './thought-industries/state.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ seed: 5, people: 60 });
});
afterAll(() => fleet.close());

/** One authenticated read per app, the way its guide says to list users. */
function listRequest(app: AppConfig): { url: string; headers: Record<string, string> } {
  const auth = app.auth;
  const headers: Record<string, string> =
    auth.type === 'bearer'
      ? { authorization: `Bearer ${auth.token}` }
      : auth.type === 'api-key'
        ? { [auth.header ?? 'X-API-Key']: auth.key }
        : { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  switch (app.type) {
    case 'targetprocess':
      return { url: `${app.baseUrl}/Users?format=json&take=1`, headers };
    case 'process-street':
      return { url: `${app.baseUrl}/members`, headers };
    case 'thought-industries':
      return { url: `${app.baseUrl}/users`, headers };
    case 'customer-directory':
      return {
        url: `${app.baseUrl}/api/v1/customers/${app.customerId}/users?integration=${app.integration}`,
        headers,
      };
    case 'stackspot-scim':
      return { url: `${app.baseUrl}/Users`, headers: { ...headers, 'X-Tenant-Id': app.tenantId } };
    case 'scim':
      return { url: `${app.baseUrl}/Users`, headers };
  }
}

describe('sandbox fleet', () => {
  it('starts all five seed apps on the same sample company', () => {
    expect(fleet.sandboxes.map((s) => s.type)).toEqual([...SEED_APP_TYPES]);
    for (const sandbox of fleet.sandboxes) {
      const total = Object.values(sandbox.summary()).reduce((a, b) => a + b, 0);
      expect(total, sandbox.type).toBeGreaterThan(0);
    }
  });

  it('writes a roster.yaml that loads and whose credentials each sandbox accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-fleet-'));
    const path = join(dir, 'roster.yaml');
    writeFileSync(path, fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
    const config = await loadConfig(path, { env: {} });
    expect(config.apps.map((a) => a.type)).toEqual([...SEED_APP_TYPES]);
    for (const app of config.apps) {
      const { url, headers } = listRequest(app);
      const res = await fetch(url, { headers });
      expect(res.status, `${app.id} ${url}`).toBe(200);
      await res.arrayBuffer();
    }
  });

  it('serves only what the guides document, and the roster.yaml names the groups, courses and roles instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-fleet-'));
    const path = join(dir, 'roster.yaml');
    writeFileSync(path, fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
    const config = await loadConfig(path, { env: {} });
    const ti = config.apps.find((a) => a.type === 'thought-industries');
    const cd = config.apps.find((a) => a.type === 'customer-directory');
    if (ti?.type !== 'thought-industries' || cd?.type !== 'customer-directory')
      throw new Error('apps missing');
    const tiState = fleet.get('thought-industries').state as TiState;
    const cdState = fleet.get('customer-directory').state as CdState;
    expect(Object.keys(ti.groups ?? {}).sort()).toEqual(
      [...tiState.groups.values()].map((g) => g.name).sort(),
    );
    expect(Object.values(ti.courses ?? {}).sort()).toEqual(tiState.courseOrder.map((c) => c.id).sort());
    expect(Object.keys(cd.roles ?? {}).sort()).toEqual([...cdState.roles.values()].map((r) => r.name).sort());
    expect(Object.keys(cd.groups ?? {}).length).toBe(cdState.groups.size);
    expect(ti.undocumented).toBeUndefined();
    expect(cd.undocumented).toBeUndefined();
    for (const sandbox of fleet.sandboxes) expect(sandbox.undocumented).toEqual([]);
    const { url, headers } = listRequest(ti);
    expect((await fetch(url.replace(/\/users$/, '/groups'), { headers })).status).toBe(404);
  });

  it('an undocumented flag is served by the sandboxes that have it and opted into by their roster.yaml', async () => {
    const flagged = await startFleet({
      seed: 5,
      people: 20,
      apps: ['thought-industries', 'customer-directory'],
      undocumented: ['groups-endpoint', 'graphql-enrollments'],
    });
    try {
      expect(flagged.get('thought-industries').undocumented).toEqual([
        'groups-endpoint',
        'graphql-enrollments',
      ]);
      expect(flagged.get('customer-directory').undocumented).toEqual(['groups-endpoint']);
      const dir = mkdtempSync(join(tmpdir(), 'roster-fleet-'));
      const path = join(dir, 'roster.yaml');
      writeFileSync(path, fleetConfigYaml(flagged, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
      const config = await loadConfig(path, { env: {} });
      expect(config.apps.map((a) => (a as { undocumented?: string[] }).undocumented)).toEqual([
        ['groups-endpoint'],
        ['groups-endpoint'],
      ]);
      const ti = config.apps[0]!;
      const { url, headers } = listRequest(ti);
      expect((await fetch(url.replace(/\/users$/, '/groups'), { headers })).status).toBe(200);
    } finally {
      await flagged.close();
    }
  });

  it('a flag no started sandbox has is refused, naming the flags there are', async () => {
    const error = await startFleet({
      people: 5,
      apps: ['targetprocess'],
      undocumented: ['groups-endpoint'],
    }).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('invalid_input');
    expect((error as Error).message).toContain('"groups-endpoint"');
    expect(isRosterError(error) && error.fix).toContain('none');
  });

  it('a second fleet with the same seed holds the same accounts', async () => {
    const again = await startFleet({ seed: 5, people: 60, apps: ['targetprocess'] });
    try {
      expect(again.get('targetprocess').summary()).toEqual(fleet.get('targetprocess').summary());
    } finally {
      await again.close();
    }
  });
});

/** @module Benchmark support: a `roster serve` over a SQLite store seeded with many people and accounts (no app is called). */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueToken } from '../src/app/tokens.js';
import { parseConfig } from '../src/config/load.js';
import type { Account, Person } from '../src/core/types.js';
import { SEED_APP_TYPES } from '../src/core/types.js';
import { type RunningServer, startServer } from '../src/server/serve.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { seedSyncedApp } from '../src/store/synced.testkit.js';
import type { TokenScope } from '../src/store/tokens.js';
import { tokenStore } from '../src/store/tokens.js';

export const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100_000);
export const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 100_000);

/** `count` people E0, E1…, a ninth of them leavers; `idp_id` attributes with `idpIds` (for externalId matching). */
export function benchPeople(count: number, idpIds = false): Person[] {
  return Array.from({ length: count }, (_, i) => ({
    employeeId: `E${i}`,
    email: `person${i}@acme.com`,
    aliases: [],
    firstName: `First${i % 997}`,
    lastName: `Last${i % 1009}`,
    status: i % 9 === 0 ? 'leaver' : 'active',
    department: `Dept${i % 12}`,
    title: 'Engineer',
    managerEmail: null,
    startDate: null,
    endDate: null,
    attributes: (idpIds ? { idp_id: `idp-${i}` } : {}) as Record<string, string>,
  }));
}

/**
 * One app's accounts, each tied by address to one of `people` people from `offset` on, a tenth of them service
 * accounts nobody in HR holds, some admins. `varied`: a tenth also carry their person's IdP id (externalId) and
 * a fiftieth are invitations, as a company's are.
 */
export function benchAccounts(
  appId: string,
  count: number,
  people: number,
  offset: number,
  varied = false,
): Account[] {
  return Array.from({ length: count }, (_, n) => {
    const i = (n + offset) % people;
    return {
      appId,
      id: String(n + 1),
      email: n % 10 === 9 ? `svc${n}@vendor.example` : `person${i}@acme.com`,
      login: null,
      externalId: varied && n % 10 === 0 ? `idp-${i}` : null,
      firstName: `First${i % 997}`,
      lastName: `Last${i % 1009}`,
      displayName: null,
      status: varied && n % 50 === 0 ? 'invited' : 'active',
      isAdmin: n % 500 === 0,
      lastLoginAt: n % 7 === 0 ? null : '2026-10-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: null,
      attributes: {},
    };
  });
}

export interface SeededServer {
  server: RunningServer;
  token: string;
  accounts: number;
  apps: number;
  seedMs: number;
  close(): Promise<void>;
}

/** Seeds the store, makes a token of `scope`, and starts the server on a random port with no rate limit. */
export async function seededServer(prefix: string, scope: TokenScope = 'read'): Promise<SeededServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Apps point nowhere: nothing here calls them; the server only reads their manifests.
  const apps = SEED_APP_TYPES.map((type) => ({
    id: type,
    type,
    baseUrl: 'http://127.0.0.1:9',
    auth: type === 'thought-industries' ? { type: 'api-key', key: 'k' } : { type: 'bearer', token: 't' },
    ...(type === 'customer-directory' ? { customerId: '64b7f0c2a1e4d5f6a7b8c9d0', integration: 'okta' } : {}),
    ...(type === 'stackspot-scim' ? { tenantId: 't' } : {}),
  }));
  const text = stringify({
    store: `sqlite:${join(dir, 'bench.db')}`,
    source: { type: 'csv', path: 'hr.csv' },
    apps,
  });
  const config = parseConfig(text, { file: join(dir, 'roster.yaml'), env: {} });
  const store = await openSqliteStore(config.store);
  const at = performance.now();
  await store.replacePeople({ sourcePath: 'bench.csv', hash: 'bench', people: benchPeople(PEOPLE) });
  const perApp = Math.ceil(ACCOUNTS / apps.length);
  for (const [index, app] of apps.entries()) {
    await seedSyncedApp(
      store,
      { id: app.id, type: app.type, baseUrl: app.baseUrl },
      benchAccounts(app.id, perApp, PEOPLE, index * 7919),
    );
  }
  const seeded = performance.now() - at;
  const { token } = await issueToken(
    { store, tokens: tokenStore(store) },
    { name: 'bench', scope, createdBy: 'bench' },
  );
  const server = await startServer({
    config,
    configPath: join(dir, 'roster.yaml'),
    store,
    port: 0,
    rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
  });
  return {
    server,
    token,
    accounts: perApp * apps.length,
    apps: apps.length,
    seedMs: seeded,
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

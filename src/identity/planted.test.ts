import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { connectorFor } from '../connectors/registry.js';
import type { Account, SeedAppType } from '../core/types.js';
import { generateCompany, hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import type { SandboxHandle } from '../sandbox/kit/server.js';
import { parsePeople } from '../sources/people.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { syncApps } from '../sync/sync.js';
import { type GraphResult, refreshGraph } from './graph.js';

const fast = { http: { backoff: { baseMs: 2, capMs: 20 }, timeoutMs: 3000, maxRetries: 12 } };

/** The planted key → account id map each sandbox keeps (Targetprocess keeps the key on the user itself). */
function plantedIds(handle: SandboxHandle): Map<string, string> {
  const state = handle.state as {
    keys?: Map<string, string>;
    usersById?: Map<number, { Id: number; key: string | null }>;
  };
  const out = new Map<string, string>();
  if (state.keys) for (const [key, id] of state.keys) out.set(key, String(id));
  if (state.usersById)
    for (const user of state.usersById.values()) if (user.key) out.set(user.key, String(user.Id));
  if (handle.type === 'customer-directory') for (const [key, id] of out) out.set(key, id.toLowerCase());
  return out;
}

interface World {
  fleet: Fleet;
  store: Store;
  config: RosterConfig;
  graph: GraphResult;
  accounts: Map<string, Account>;
  /** `${app}:${accountId}` → planted `${app}:${key}`. */
  toPlanted: Map<string, string>;
}

async function world(seed: number, people: number, writeThreadFrom?: number): Promise<World> {
  const company = generateCompany({ seed, people });
  const fleet = await startFleet({ company, seed });
  const dir = mkdtempSync(join(tmpdir(), 'roster-identity-'));
  writeFileSync(
    join(dir, 'roster.yaml'),
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
  );
  const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const store = await openStore(config.store, writeThreadFrom === undefined ? {} : { writeThreadFrom });
  const connectors = config.apps.map((app) => connectorFor(app, fast));
  try {
    const results = await syncApps({ store, connectors });
    for (const r of results) expect(r.status, `${r.appId}: ${r.error?.message}`).toBe('succeeded');
  } finally {
    await Promise.all(connectors.map((c) => c.close()));
  }
  const hr = parsePeople({ text: hrToCsv(company.hr), format: 'csv', file: 'hr.csv' });
  await store.replacePeople({ sourcePath: 'hr.csv', hash: `seed-${seed}`, people: hr.people });
  const graph = await refreshGraph({ store, config, now: company.asOf });

  const accounts = new Map<string, Account>();
  for (const app of config.apps)
    for (const a of await store.listAccounts({ appId: app.id })) accounts.set(`${a.appId}:${a.id}`, a);
  const toPlanted = new Map<string, string>();
  for (const handle of fleet.sandboxes)
    for (const [key, id] of plantedIds(handle))
      toPlanted.set(`${handle.type}:${id}`, `${handle.type}:${key}`);
  return { fleet, store, config, graph, accounts, toPlanted };
}

/** The planted keys of the accounts found, failing loudly on an account the generator did not plant. */
function planted(w: World, found: Iterable<{ appId: string; accountId: string }>): string[] {
  return [...found]
    .map(({ appId, accountId }) => {
      const key = w.toPlanted.get(`${appId}:${accountId}`);
      if (key === undefined) throw new Error(`${appId}:${accountId} is not a planted account`);
      return key;
    })
    .sort();
}

const sorted = (keys: readonly string[]) => [...keys].sort();
/** Planted keys of accounts the sandboxes actually hold (apps remove some leavers outright). */
const held = (w: World, keys: readonly string[]) => {
  const present = new Set(w.toPlanted.values());
  return sorted(keys.filter((k) => present.has(k)));
};

describe.each([
  { seed: 42, people: 200, on: 'its connection', from: undefined },
  { seed: 7, people: 160, on: 'its connection', from: undefined },
  // The first pass's writes on a thread of their own (see StoreDialect.writeThread), as at a large fleet.
  { seed: 42, people: 200, on: 'a write thread', from: 0 },
])('the identity graph finds exactly what the sample company planted (seed $seed, $on)', (setup) => {
  let w: World;
  beforeAll(async () => {
    w = await world(setup.seed, setup.people, setup.from);
  }, 60_000);
  afterAll(async () => {
    await w?.store.close();
    await w?.fleet.close();
  });

  const rule = (name: string) => w.graph.findings.filter((f) => f.rule === name);

  it('every synced account has exactly one link, and the store holds them', async () => {
    const counted = Object.values(w.graph.summary.apps).reduce((n, app) => n + app.accounts, 0);
    expect(counted).toBe(w.accounts.size);
    expect((await w.store.listLinks()).length).toBe(w.accounts.size);
  });

  it('leavers with access are exactly the leaver_with_access findings', () => {
    expect(planted(w, rule('leaver_with_access'))).toEqual(
      held(w, w.fleet.company.planted.leaversWithAccess),
    );
  });

  it('orphans are exactly the orphan findings', () => {
    expect(planted(w, rule('orphan'))).toEqual(held(w, w.fleet.company.planted.orphans));
  });

  it('disputed accounts are exactly the disputed findings', () => {
    expect(planted(w, rule('disputed'))).toEqual(held(w, w.fleet.company.planted.disputed));
  });

  it('admins are exactly the privileged findings on admin accounts', () => {
    const admins = rule('privileged').filter((f) => w.accounts.get(`${f.appId}:${f.accountId}`)?.isAdmin);
    expect(planted(w, admins)).toEqual(held(w, w.fleet.company.planted.admins));
  });

  it('alias matches are linked to their owner: by email through the alias (0.9), or by a stronger IdP id', async () => {
    const expected = held(w, w.fleet.company.planted.aliasMatches);
    expect(expected.length).toBeGreaterThan(0);
    const byKey = new Map(
      (await w.store.listLinks()).map((l) => [w.toPlanted.get(`${l.appId}:${l.accountId}`), l]),
    );
    for (const key of expected) {
      const link = byKey.get(key);
      const owner = key.split(':')[1];
      expect(link, key).toMatchObject({ situation: 'linked', employeeId: owner });
      const account = w.accounts.get(`${link?.appId}:${link?.accountId}`);
      // Where the app carries the IdP id, that rule is the stronger one and is what the link records.
      if (account?.externalId) expect(link?.method, key).toBe('external_id');
      else expect([link?.method, link?.confidence], key).toEqual(['email', 0.9]);
    }
  });

  it('duplicates are exactly the duplicate_accounts findings (the extra account, not the original)', () => {
    expect(planted(w, rule('duplicate_accounts'))).toEqual(held(w, w.fleet.company.planted.duplicates));
  });

  it('pending invites are exactly the accounts with status invited', () => {
    const invited = [...w.accounts.values()]
      .filter((a) => a.status === 'invited')
      .map((a) => ({ appId: a.appId, accountId: a.id }));
    expect(planted(w, invited)).toEqual(held(w, w.fleet.company.planted.pendingInvites));
  });

  it('dormant only where the app reports use (StackSpot never_logged), past the grace after creation; elsewhere unknown', () => {
    expect(w.graph.dormancy).toEqual({
      apps: ['stackspot-scim'],
      unknown: ['targetprocess', 'process-street', 'thought-industries', 'customer-directory'],
    });
    const asOf = Date.parse(w.fleet.company.asOf);
    const expected = [...w.accounts.values()]
      .filter(
        (a) =>
          a.appId === 'stackspot-scim' &&
          a.status === 'active' &&
          a.attributes['neverLogged'] === true &&
          asOf - Date.parse(a.createdAt ?? '') >= 30 * 86_400_000,
      )
      .map((a) => `${a.appId}:${a.id}`)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(
      rule('dormant')
        .map((f) => `${f.appId}:${f.accountId}`)
        .sort(),
    ).toEqual(expected);
  });

  it('the summary counts every account once per app and every person once', () => {
    const { summary } = w.graph;
    for (const app of w.config.apps) {
      const counts = summary.apps[app.id]!;
      expect(counts.linked + counts.suggested + counts.disputed + counts.unmatched).toBe(counts.accounts);
    }
    expect(summary.people.withAccounts + summary.people.withoutAccounts).toBe(summary.people.total);
    expect(summary.people.total).toBe(w.fleet.company.hr.length);
  });
});

// Keep the app list honest: every seed app is part of the run above.
const _apps: readonly SeedAppType[] = [
  'targetprocess',
  'process-street',
  'thought-industries',
  'customer-directory',
  'stackspot-scim',
];
void _apps;

describe('a first pass on the write thread and one on the store connection', () => {
  let w: World;
  beforeAll(async () => {
    w = await world(42, 200, 0);
  }, 60_000);
  afterAll(async () => {
    await w?.store.close();
    await w?.fleet.close();
  });

  it('find the same links and findings', async () => {
    const links = await w.store.listLinks();
    expect(links.length).toBe(w.accounts.size);
    // New settings make the next pass correlate everything again; with links stored, it writes on its own connection.
    await w.store.saveGraphState({ config: 'settings changed', generation: -1, findings: null });
    const again = await refreshGraph({ store: w.store, config: w.config, now: w.fleet.company.asOf });
    expect(again.upToDate).toBe(false);
    expect(again.written).toBe(0);
    expect(again.findings).toEqual(w.graph.findings);
    expect(again.summary).toEqual(w.graph.summary);
    expect(await w.store.listLinks()).toEqual(links);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { AppConfig, RosterConfig } from '../config/schema.js';
import { connectorFor } from '../connectors/registry.js';
import { generateCompany } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import type { FaultProfileName } from '../sandbox/kit/faults.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { syncApp, syncApps } from './sync.js';

const company = generateCompany({ seed: 9, people: 150 });
/** Short timeouts only where sandboxes may hang on purpose (flaky), so a loaded CI machine is not a fault. */
const httpFor = (profile: FaultProfileName) => ({
  http: { backoff: { baseMs: 2, capMs: 20 }, timeoutMs: profile === 'clean' ? 30_000 : 1500, maxRetries: 12 },
});
const fast = httpFor('clean');

async function fleetConfig(fleet: Fleet): Promise<RosterConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-sync-'));
  writeFileSync(
    join(dir, 'roster.yaml'),
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
  );
  return loadConfig(join(dir, 'roster.yaml'), { env: {} });
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(profile: FaultProfileName = 'clean') {
  const fleet = await startFleet({ company, seed: 9, profile });
  const config = await fleetConfig(fleet);
  const store = await openStore(config.store);
  const connectors = config.apps.map((app) => connectorFor(app, httpFor(profile)));
  open.push(fleet, store, ...connectors);
  return { fleet, config, store, connectors };
}

/** The store's view of every app, without what differs from run to run. */
async function contents(store: Store, apps: readonly AppConfig[]) {
  const out: Record<string, unknown> = {};
  for (const app of apps) {
    const sortById = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => a.id.localeCompare(b.id));
    out[app.id] = {
      accounts: sortById(await store.listAccounts({ appId: app.id })).map(({ syncRunId: _, ...a }) => a),
      entitlements: sortById(await store.listEntitlements({ appId: app.id })).map(
        ({ syncRunId: _, ...e }) => e,
      ),
      grants: (await store.listGrants({ appId: app.id }))
        .map((g) => `${g.entitlementId}|${g.accountId}|${g.grantedBy}`)
        .sort(),
    };
  }
  return out;
}

describe('sync', () => {
  it("a full sync stores every app's accounts, entitlements and grants", async () => {
    const { store, connectors, fleet } = await setup();
    const results = await syncApps({ store, connectors });
    for (const r of results)
      expect(r, r.appId).toMatchObject({ status: 'succeeded', mode: 'full', error: null });
    const tp = results.find((r) => r.appId === 'targetprocess')!;
    expect(tp.counts.accounts).toBe(fleet.get('targetprocess').summary().users);
    for (const r of results) {
      expect(r.counts.accounts, r.appId).toBeGreaterThan(0);
      expect((await store.listAccounts({ appId: r.appId })).length).toBe(r.counts.accounts);
      expect(r.requests.total).toBeGreaterThan(0);
    }
  });

  it('one app with a rejected token fails with a message naming it and the fix; the others still sync', async () => {
    const { store, config, connectors } = await setup();
    const badApp = {
      ...config.apps[1]!,
      auth: { type: 'bearer' as const, token: 'wrong-token-value' },
    } as AppConfig;
    const bad = connectorFor(badApp, fast);
    open.push(bad);
    const results = await syncApps({
      store,
      connectors: [connectors[0]!, bad, ...connectors.slice(2)],
      configPaths: { [badApp.id]: 'apps[1]' },
    });
    const failed = results.find((r) => r.appId === badApp.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('unauthenticated');
    expect(failed.error?.message).toContain('401');
    expect(failed.error?.message).toContain(badApp.id);
    expect(failed.error?.fix).toContain('apps[1].auth');
    expect(JSON.stringify(failed)).not.toContain('wrong-token-value');
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(results.length - 1);
  });

  it('a failed sync leaves the previous snapshot intact', async () => {
    const { store, config, connectors } = await setup();
    const [first] = await syncApps({ store, connectors: [connectors[0]!] });
    const before = await contents(store, [config.apps[0]!]);
    const bad = connectorFor(
      { ...config.apps[0]!, auth: { type: 'bearer', token: 'nope-nope' } } as AppConfig,
      fast,
    );
    open.push(bad);
    const [again] = await syncApps({ store, connectors: [bad] });
    expect(first?.status).toBe('succeeded');
    expect(again?.status).toBe('failed');
    expect(await contents(store, [config.apps[0]!])).toEqual(before);
  });

  it('sync under the flaky profile ends with exactly the same store contents as under clean', async () => {
    const clean = await setup('clean');
    const flaky = await setup('flaky');
    const cleanResults = await syncApps({ store: clean.store, connectors: clean.connectors });
    const flakyResults = await syncApps({ store: flaky.store, connectors: flaky.connectors });
    for (const r of [...cleanResults, ...flakyResults])
      expect(r.status, `${r.appId}: ${r.error?.message}`).toBe('succeeded');
    expect(flakyResults.reduce((n, r) => n + r.requests.retries, 0)).toBeGreaterThan(0);
    expect(await contents(flaky.store, flaky.config.apps)).toEqual(
      await contents(clean.store, clean.config.apps),
    );
  });

  it('a second Targetprocess sync reads only the users changed since the last one', async () => {
    const { store, fleet, connectors, config } = await setup();
    const tp = connectors.find((c) => c.type === 'targetprocess')!;
    await syncApp(tp, { store, connectors: [tp] });
    const sandbox = fleet.get('targetprocess');
    const [victim] = await store.listAccounts({ appId: 'targetprocess' });
    const tpApp = config.apps.find((a) => a.type === 'targetprocess')!;
    const res = await fetch(`${sandbox.baseUrl}/Users/${victim!.id}?format=json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.credentials.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ FirstName: 'Renamed' }),
    });
    expect(res.status).toBe(200);
    expect(tpApp.id).toBe('targetprocess');
    const second = await syncApp(tp, { store, connectors: [tp] });
    expect(second.mode).toBe('incremental');
    expect(second.requests.byEndpoint['GET /Users']).toBe(1);
    expect((await store.getAccount({ appId: 'targetprocess', id: victim!.id }))?.firstName).toBe('Renamed');
    expect((await store.listAccounts({ appId: 'targetprocess' })).length).toBe(sandbox.summary().users);
  });

  it('a sync killed mid-way resumes from its checkpoint and ends with the same snapshot', async () => {
    const { store, config, connectors } = await setup();
    const ti = connectors.find((c) => c.type === 'thought-industries')!;
    // The "process" dies: after two staged pages the store never answers again.
    let staged = 0;
    const dying: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'stageBatch') {
          return (input: Parameters<Store['stageBatch']>[0]) =>
            ++staged > 2 ? new Promise(() => {}) : target.stageBatch(input);
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    void syncApp(ti, { store: dying, connectors: [ti] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = connectorFor(config.apps.find((a) => a.type === 'thought-industries')!, fast);
    open.push(fresh);
    const resumed = await syncApp(fresh, { store, connectors: [fresh] });
    expect(resumed).toMatchObject({ status: 'succeeded', resumed: true });
    const clean = await setup();
    const cleanTi = clean.connectors.find((c) => c.type === 'thought-industries')!;
    await syncApp(cleanTi, { store: clean.store, connectors: [cleanTi] });
    const app = [config.apps.find((a) => a.type === 'thought-industries')!];
    expect(await contents(store, app)).toEqual(await contents(clean.store, app));
    // The resumed run did not read the first pages again.
    expect(resumed.requests.byEndpoint['GET /users'] ?? 0).toBeLessThan(
      Math.ceil(resumed.counts.accounts / 100),
    );
  });

  it('a resumed sync never commits staged pages older than the window: it starts over and says so', async () => {
    const { store, config, connectors, fleet } = await setup();
    const ti = connectors.find((c) => c.type === 'thought-industries')!;
    const tiApp = config.apps.find((a) => a.type === 'thought-industries')!;
    let staged = 0;
    const dying: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'stageBatch') {
          return (input: Parameters<Store['stageBatch']>[0]) =>
            ++staged > 2 ? new Promise(() => {}) : target.stageBatch(input);
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    void syncApp(ti, { store: dying, connectors: [ti] });
    while (staged <= 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const [crashed] = await store.listSyncRuns({ appId: tiApp.id, status: 'running', limit: 1 });
    expect((await store.stagedProgress({ runId: crashed!.id }))!.accounts).toBeGreaterThan(0);
    // What the crashed run staged no longer holds: a user on its first page, staged active, is deactivated.
    const sandbox = fleet.get('thought-industries');
    const fresh = connectorFor({ ...tiApp, sync: { resumeWithinMinutes: 30 } } as AppConfig, fast);
    open.push(fresh);
    const victim = (await fresh.accounts.list!({ pageToken: null })).items.find(
      (a) => a.status === 'active',
    )!;
    await fresh.accounts.deactivate!({ id: victim.id });
    // Ninety minutes later by the sync's clock: past the 30-minute window.
    const later = () => Date.now() + 90 * 60_000;
    const result = await syncApp(fresh, { store, connectors: [fresh], now: later });
    expect(result).toMatchObject({
      status: 'succeeded',
      resumed: false,
      startedOver: { runId: crashed!.id, limitMinutes: 30 },
    });
    expect(result.startedOver!.stagedAgeMinutes).toBeGreaterThanOrEqual(90);
    expect((await store.getSyncRun({ id: crashed!.id }))?.status).toBe('failed');
    // The whole listing was read again in this run, and the snapshot is what the app holds now.
    expect(result.counts.accounts).toBe(sandbox.summary().users);
    expect(result.requests.byEndpoint['GET /users']).toBe(Math.ceil(result.counts.accounts / 100));
    expect((await store.getAccount({ appId: tiApp.id, id: victim.id }))?.status).toBe('inactive');
  });

  it('a resume that itself runs past the window does not commit the old pages either: it reads everything again', async () => {
    const { store, config, connectors } = await setup();
    const ti = connectors.find((c) => c.type === 'thought-industries')!;
    const tiApp = config.apps.find((a) => a.type === 'thought-industries')!;
    let staged = 0;
    const dying: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'stageBatch') {
          return (input: Parameters<Store['stageBatch']>[0]) =>
            ++staged > 2 ? new Promise(() => {}) : target.stageBatch(input);
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    void syncApp(ti, { store: dying, connectors: [ti] });
    while (staged <= 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const [crashed] = await store.listSyncRuns({ appId: tiApp.id, status: 'running', limit: 1 });
    // Within the window when the resume starts; two hours pass while it reads its first page.
    let offset = 0;
    const slow: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'stageBatch') {
          return (input: Parameters<Store['stageBatch']>[0]) => {
            offset = 2 * 60 * 60_000;
            return target.stageBatch(input);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const fresh = connectorFor(tiApp, fast);
    open.push(fresh);
    const result = await syncApp(fresh, { store: slow, connectors: [fresh], now: () => Date.now() + offset });
    expect(result).toMatchObject({
      status: 'succeeded',
      resumed: false,
      startedOver: { runId: crashed!.id },
    });
    expect(result.runId).not.toBe(crashed!.id);
    expect((await store.getSyncRun({ id: crashed!.id }))?.status).toBe('failed');
    expect(await store.stagedProgress({ runId: crashed!.id })).toBeNull();
    expect((await store.listAccounts({ appId: tiApp.id })).length).toBe(result.counts.accounts);
  });
});

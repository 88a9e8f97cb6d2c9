import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRoster, planChanges, syncApps } from '../app/index.js';
import { issueToken } from '../app/tokens.js';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import type { Store } from '../store/store.js';
import { tokenStore } from '../store/tokens.js';
import { serveChild, withStoreAt } from './child.testkit.js';
import { RESUMING_APPLY_ACTOR } from './serve.js';

const APP = 'thought-industries';
/** Everyone active has an account; the people the sandbox lacks are created. */
const policy = {
  rules: [{ name: 'everyone', when: { status: 'active' }, apps: { [APP]: {} } }],
  managed: { [APP]: ['account'] },
  safety: {
    maxDeactivations: { count: null, share: null },
    approval: { delete: false, privileged: false, opsPerApp: 10_000 },
  },
};

let fleet: Fleet;
let dir: string;
let config: RosterConfig;
let token: string;
let planId: string;
let creates: number;

const serve = () => serveChild(dir);

const withStore = <T>(fn: (store: Store) => Promise<T>) => withStoreAt(config.store, fn);

const succeeded = () =>
  withStore(
    async (store) => (await store.listOps({ planId })).filter((o) => o.status === 'succeeded').length,
  );

beforeAll(async () => {
  fleet = await startFleet({ apps: [APP], seed: 41, people: 60 });
  const ws = fleetWorkspace(fleet, { prefix: 'roster-apply-resume-', policy });
  dir = ws.dir;
  config = await loadConfig(ws.file, { env: {} });
  const roster = await openRoster(config, { actor: 'test' });
  try {
    await syncApps(roster, {});
    const planned = await planChanges(roster, {});
    planId = planned.plan.id;
    creates = planned.body.ops.filter((o) => o.kind === 'create').length;
    const issued = await issueToken(
      { store: roster.store, tokens: tokenStore(roster.store) },
      { name: 'ana', scope: 'operate', createdBy: 'test' },
    );
    token = issued.token;
  } finally {
    await roster.close();
  }
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('an apply the server was killed in the middle of', () => {
  it('is carried on when the server starts again: every op once, the plan applied', async () => {
    expect(creates).toBeGreaterThan(10);
    const sandbox = fleet.get(APP);
    // Every request a little slow, so the kill lands mid-apply.
    sandbox.setFaults('clean', { slow: 1, slowMs: [30, 40] });
    const first = await serve();
    const started = await fetch(`${first.url}/plans/${planId}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(202);
    for (let i = 0; i < 2000 && (await succeeded()) < 5; i++) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await first.exited;
    const done = await succeeded();
    expect(done).toBeGreaterThanOrEqual(5);
    expect(done).toBeLessThan(creates);
    await withStore(async (store) => {
      expect((await store.getPlan({ id: planId }))?.status).toBe('applying');
      expect(await store.getPlanLock({ planId })).not.toBeNull();
    });

    sandbox.setFaults('clean');
    const second = await serve();
    try {
      let status: string | undefined;
      for (let i = 0; i < 600; i++) {
        status = await withStore(async (store) => (await store.getPlan({ id: planId }))?.status);
        if (status !== 'applying') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('applied');
      const metrics = await fetch(`${second.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(await metrics.text()).toContain('roster_interrupted_total{kind="apply",outcome="started"} 1');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    // Each person was created once, however many of their creates the kill cut short.
    const made = new Map<string, number>();
    for (const r of sandbox.requests()) {
      if (r.method !== 'POST' || !/\/users$/.test(r.url.split('?')[0] ?? '') || (r.status ?? 500) >= 300)
        continue;
      const email = String((r.body as { email?: string }).email ?? '').toLowerCase();
      made.set(email, (made.get(email) ?? 0) + 1);
    }
    expect(made.size).toBe(creates);
    expect([...made.values()].every((n) => n === 1)).toBe(true);
    await withStore(async (store) => {
      const ops = await store.listOps({ planId });
      expect(ops.every((o) => o.status === 'succeeded')).toBe(true);
      const carried = (await store.listAudit({ limit: 10_000 })).filter(
        (e) => e.actor === RESUMING_APPLY_ACTOR,
      );
      expect(carried.some((e) => e.kind === 'op.succeeded')).toBe(true);
      expect(await store.getPlanLock({ planId })).toBeNull();
      expect((await store.verifyAudit()).ok).toBe(true);
    });
  }, 120_000);
});

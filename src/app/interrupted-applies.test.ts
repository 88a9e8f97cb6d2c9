import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newOwner } from '../reconcile/apply/run-op.js';
import { openStore } from '../store/open.js';
import type { PlanStatus, Store } from '../store/store.js';
import { CARRY_ON_WITHIN_MS, interruptedApplies } from './apply.js';

/** An owner on this host whose process is gone (a pid above any pid_max). */
const DEAD = newOwner().replace(/:\d+\//, `:${2 ** 22 + 4321}/`);
const MINUTE = 60_000;

let store: Store;
beforeEach(async () => {
  store = await openStore('sqlite::memory:');
});
afterEach(async () => {
  await store.close();
});

/** A policy plan in `status`, locked by `owner` unless null. */
async function plan(status: PlanStatus, owner: string | null, summary: Record<string, unknown> = {}) {
  const { plan: saved } = await store.createPlan({
    stateHash: 's',
    summary,
    body: {},
    ops: [{ appId: 'lms', kind: 'create', target: { ref: 'c' } }],
  });
  await store.setPlanStatus({ id: saved.id, status });
  if (owner !== null) await store.lockPlan({ planId: saved.id, owner, leaseMs: MINUTE });
  return saved.id;
}

describe('applies a stopped server left under way', () => {
  it('are the plans applying under the lock of a process gone from this host; a day after, a person decides', async () => {
    const dead = await plan('applying', DEAD);
    // Not interrupted: a live apply's (this process, another host), one that let go of its lock (waits left),
    // one that ended, and a facade write (the facade carries on its own).
    await plan('applying', newOwner());
    await plan('applying', 'apply@another-host:41/abcdef12');
    await plan('applying', null);
    await plan('applied', DEAD);
    await plan('applying', DEAD, { source: 'scim' });

    expect(await interruptedApplies(store)).toEqual({ carryOn: [dead], left: [] });
    const later = new Date(Date.now() + MINUTE + CARRY_ON_WITHIN_MS + MINUTE);
    expect(await interruptedApplies(store, later)).toEqual({ carryOn: [], left: [dead] });
  });
});

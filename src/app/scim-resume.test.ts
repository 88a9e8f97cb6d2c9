import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newOwner } from '../reconcile/apply/run-op.js';
import { openStore } from '../store/open.js';
import type { OpInput, Store } from '../store/store.js';
import { OP_LEASE_MS } from './ops.js';
import { interruptedFacadePlans } from './scim-resume.js';

const APP = 'lms';
/** An owner on this host whose process is gone (a pid above any pid_max). */
const DEAD = newOwner('op').replace(/:\d+\//, `:${2 ** 22 + 4321}/`);
/** An owner on another host: whether it lives only its claim's expiry tells. */
const ELSEWHERE = 'op@another-host:41/abcdef12';

let store: Store;
beforeEach(async () => {
  store = await openStore('sqlite::memory:');
});
afterEach(async () => {
  await store.close();
});

const create: OpInput = { appId: APP, kind: 'create', target: { ref: 'scim-create' } };

/** A facade plan as the facade saves one: its first op begun under `owner`, unless `owner` is null. */
async function facadePlan(
  owner: string | null,
  options: { ops?: OpInput[]; hold?: boolean } = {},
): Promise<string> {
  const { plan } = await store.createPlan({
    stateHash: 'scim:x',
    summary: { source: 'scim', total: 1, removals: 0, ...(options.hold ? { hold: { key: 'k' } } : {}) },
    body: { source: 'scim', ops: [], ...(owner === null ? {} : { owner }) },
    ops: options.ops ?? [create],
    ...(owner === null ? {} : { begin: { owner, leaseMs: OP_LEASE_MS } }),
  });
  return plan.id;
}

/** The ids found, sorted (plans made in the same millisecond are in no set order). */
const found = async (at = new Date()) =>
  (await interruptedFacadePlans(store, APP, at)).map(({ plan }) => plan.id).sort();

describe('the facade writes a stopped server left half done', () => {
  it('are those begun by an owner known dead, or begun long enough ago that no claim holds them', async () => {
    const dead = await facadePlan(DEAD);
    const elsewhere = await facadePlan(ELSEWHERE);
    const mine = await facadePlan(newOwner('op'));
    // Not interrupted: held for a person, never begun, another app's, or settled.
    await facadePlan(DEAD, { hold: true });
    await facadePlan(null);
    await facadePlan(DEAD, { ops: [{ ...create, appId: 'crm' }] });
    const settled = await facadePlan(DEAD);
    await store.setPlanStatus({ id: settled, status: 'applied' });
    // A policy plan left as a draft is no facade write.
    await store.createPlan({
      stateHash: 's',
      summary: {},
      body: {},
      ops: [create],
      begin: { owner: DEAD, leaseMs: 1 },
    });

    expect(await found()).toEqual([dead]);
    // Once every claim has run out, a plan whose owner may live elsewhere (or here, stuck) is carried on too.
    const later = new Date(Date.now() + OP_LEASE_MS + 60_000);
    expect(await found(later)).toEqual([dead, elsewhere, mine].sort());
  });

  it('are known by the owner their plan names when no op holds a claim (cut short between two ops)', async () => {
    const between = async (owner: string) => {
      const id = await facadePlan(owner, {
        ops: [create, { appId: APP, kind: 'deactivate', target: { ref: 'd' }, dependsOn: [1] }],
      });
      await store.finishOp({ planId: id, seq: 1, status: 'succeeded', owner });
      return id;
    };
    const dead = await between(DEAD);
    const live = await between(newOwner('op'));
    expect(await found()).toEqual([dead]);
    expect(await found(new Date(Date.now() + OP_LEASE_MS + 60_000))).toEqual([dead, live].sort());
  });

  it('are left alone while any of their ops is claimed by an owner that may be alive', async () => {
    const id = await facadePlan(DEAD, {
      ops: [create, { appId: APP, kind: 'deactivate', target: { ref: 'd' }, dependsOn: [1] }],
    });
    await store.finishOp({ planId: id, seq: 1, status: 'succeeded', owner: DEAD });
    await store.claimOp({ planId: id, seq: 2, owner: ELSEWHERE, leaseMs: OP_LEASE_MS });
    expect(await found()).toEqual([]);
    expect(await found(new Date(Date.now() + OP_LEASE_MS + 60_000))).toEqual([id]);
  });
});

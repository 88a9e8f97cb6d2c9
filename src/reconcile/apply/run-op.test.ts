import { describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/sdk/types.js';
import { openStore } from '../../store/open.js';
import type { OpRecord } from '../../store/store.js';
import { newOwner, type OpContext, ownerIsDead, runOp, taskKey } from './run-op.js';

/** An app with one group whose members are kept as a set; every call is logged. */
function groupApp() {
  const members = new Set<string>();
  const calls: string[] = [];
  const connector = {
    appId: 'app',
    accounts: {
      list: async () => ({
        items: [],
        nextPageToken: null,
        grants: [...members].map((accountId) => ({ appId: 'app', accountId, entitlementId: 'g1' })),
      }),
    },
    entitlements: {
      group: {
        kind: 'group',
        list: async () => ({
          items: [{ appId: 'app', id: 'g1', kind: 'group', name: 'G1', privileged: false }],
          nextPageToken: null,
        }),
        grantsFromAccounts: true,
        grant: async ({ accountId }: { accountId: string }) => {
          calls.push(`grant ${accountId}`);
          members.add(accountId);
          return { alreadyGranted: false };
        },
      },
    },
  } as unknown as Connector;
  return { connector, members, calls };
}

const grantTarget = {
  ref: 'grant:u1',
  account: { id: 'u1' },
  person: null,
  entitlement: { id: 'g1', kind: 'group', name: 'G1', privileged: false },
  reason: { text: 'rule' },
  dependsOnRefs: [],
  risk: 'low',
  approvalReasons: [],
};

describe('runOp: one op start to end', () => {
  it('claims, records intent, calls, reads back, records the outcome and audit, and releases the claim', async () => {
    const store = await openStore(':memory:');
    const { plan, ops } = await store.createPlan({
      stateHash: 's',
      summary: {},
      body: {},
      ops: [{ appId: 'app', kind: 'grant', target: grantTarget }],
    });
    const app = groupApp();
    const ctx = (owner: string): OpContext => ({
      store,
      planId: plan.id,
      actor: 'worker',
      owner,
      leaseMs: 60_000,
      records: new Map<number, OpRecord>(),
    });
    // Another live worker holds the op: this one leaves it alone and sends nothing.
    await store.claimOp({ planId: plan.id, seq: 1, owner: 'worker-b', leaseMs: 60_000 });
    const input = {
      record: ops[0] as OpRecord,
      connector: app.connector,
      accountId: 'u1',
      needsPassword: false,
    };
    expect(await runOp(ctx('worker-a'), input)).toBeNull();
    expect(app.calls).toEqual([]);

    await store.releaseOpClaims({ planId: plan.id, owner: 'worker-b' });
    const done = await runOp(ctx('worker-a'), input);
    expect(done).toMatchObject({ status: 'succeeded', claimedBy: null, outcome: { verified: true } });
    expect(app.calls).toEqual(['grant u1']);
    expect((await store.listAudit()).map((e) => e.kind)).toEqual(['op.intent', 'op.succeeded']);
    await store.close();
  });

  it('owners name their host and pid; only an owner whose local process is gone counts as dead', () => {
    const me = newOwner();
    expect(me).toMatch(/^apply@.+:\d+\/[0-9a-f]{8}$/);
    expect(ownerIsDead(me)).toBe(false);
    expect(ownerIsDead(me.replace(/:\d+\//, `:${2 ** 22 + 4321}/`))).toBe(true);
    expect(ownerIsDead('apply@another-host:1/abcdef12')).toBe(false);
    expect(ownerIsDead('someone')).toBe(false);
  });

  it('a task key names the app, the account or person, and the change, whatever the plan', () => {
    const base = {
      ref: 'x',
      appId: 'cd',
      kind: 'task' as const,
      account: null,
      person: { employeeId: 'e1', email: 'A@X.com', name: 'A' },
      reason: { text: '' },
      dependsOn: [],
      risk: 'low' as const,
      requiresApproval: false,
      approvalReasons: [],
      task: { instead: 'create' as const, instructions: 'by hand' },
    };
    expect(taskKey(base)).toBe('cd|person:a@x.com|create|');
    expect(taskKey({ ...base, ref: 'other-plan-ref' })).toBe(taskKey(base));
    expect(
      taskKey({
        ...base,
        account: { id: '7' },
        task: { instead: 'update', instructions: '' },
        changes: { title: { from: 'a', to: 'b' }, dept: { from: null, to: 'X' } },
      }),
    ).toBe('cd|account:7|update|dept=X&title=b');
  });
});

import { describe, expect, it } from 'vitest';
import type { RosterConfig } from '../../config/schema.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import type { PlanOp } from '../diff.js';
import { type PlanBody, stateHashOf, toOpInputs } from '../plan.js';
import { defaultPolicy } from '../policy.js';
import { applyPlan } from './executor.js';
import { closeSatisfiedTasks } from './tasks.js';

const config = { apps: [], policy: undefined } as unknown as Pick<RosterConfig, 'apps' | 'policy'>;

/** An in-memory app: accounts and grants; `failOn` makes the named calls throw. */
function fakeConnector(appId: string, failOn: Set<string> = new Set()) {
  const accounts = new Map<string, Account>();
  const grants = new Set<string>();
  const calls: string[] = [];
  let n = 0;
  const account = (id: string, email: string, status: Account['status'] = 'active'): Account => ({
    appId,
    id,
    email,
    login: null,
    externalId: null,
    firstName: null,
    lastName: null,
    displayName: null,
    status,
    isAdmin: false,
    lastLoginAt: null,
    createdAt: null,
    updatedAt: null,
    attributes: {},
  });
  const fail = (what: string) => {
    calls.push(what);
    if (failOn.has(what)) throw new RosterError('invalid_input', `the app refused ${what}`);
  };
  const connector = {
    appId,
    accounts: {
      get: async ({ id }: { id: string }) => accounts.get(id) ?? null,
      findByEmail: async ({ email }: { email: string }) =>
        [...accounts.values()].filter((a) => a.email === email),
      create: async ({ account: input }: { account: { email: string } }) => {
        fail(`create ${input.email}`);
        const a = account(`u${++n}`, input.email);
        accounts.set(a.id, a);
        return { account: a, recovered: false };
      },
      deactivate: async ({ id }: { id: string }) => {
        fail(`deactivate ${id}`);
        const a = { ...(accounts.get(id) as Account), status: 'inactive' as const };
        accounts.set(id, a);
        return { account: a, alreadyInactive: false };
      },
      list: async () => ({
        items: [...accounts.values()],
        nextPageToken: null,
        grants: [...grants].map((k) => {
          const [accountId, entitlementId] = k.split('|') as [string, string];
          return { appId, accountId, entitlementId };
        }),
      }),
    },
    entitlements: {
      group: {
        kind: 'group',
        list: async () => ({
          items: [{ appId, id: 'g1', kind: 'group', name: 'G1', privileged: false }],
          nextPageToken: null,
        }),
        grantsFromAccounts: true,
        grant: async ({ accountId, entitlementId }: { accountId: string; entitlementId: string }) => {
          fail(`grant ${accountId}`);
          grants.add(`${accountId}|${entitlementId}`);
          return { alreadyGranted: false };
        },
      },
    },
  } as unknown as Connector;
  return { connector, accounts, grants, calls, account };
}

const person = (email: string) => ({ employeeId: email, email, name: email });
const op = (p: Partial<PlanOp> & Pick<PlanOp, 'ref' | 'kind'>): PlanOp => ({
  appId: 'app',
  account: null,
  person: null,
  reason: { text: p.ref },
  dependsOn: [],
  risk: 'low',
  requiresApproval: false,
  approvalReasons: [],
  ...p,
});
const create = (email: string) =>
  op({
    ref: `create:${email}`,
    kind: 'create',
    person: person(email),
    input: { email, firstName: 'A', lastName: 'B' },
  });
const grant = (email: string) =>
  op({
    ref: `grant:${email}`,
    kind: 'grant',
    person: person(email),
    account: { createdBy: `create:${email}` },
    entitlement: { id: 'g1', kind: 'group', name: 'G1', privileged: false },
    dependsOn: [`create:${email}`],
  });

async function savePlan(store: Store, ops: PlanOp[], blocked = false): Promise<string> {
  const inputs = { syncRuns: {}, importId: null, linksUpdatedAt: null, policy: defaultPolicy() };
  const body: PlanBody = {
    version: 1,
    createdAt: new Date().toISOString(),
    inputs,
    apps: [],
    ops,
    errors: [],
    warnings: [],
    blocked: blocked
      ? {
          reasons: [{ appId: 'app', removals: 9, liveAccounts: 10, message: 'app: 9 of 10 live accounts' }],
          override: { required: true, flag: '--override-safety' },
        }
      : null,
    untouched: {},
  };
  const { plan } = await store.createPlan({
    stateHash: stateHashOf(inputs),
    summary: {},
    body,
    ops: toOpInputs(ops),
  });
  return plan.id;
}

const run = (store: Store, planId: string, connector: Connector, extra: object = {}) =>
  applyPlan({ store, config, planId, connectors: { app: connector }, actor: 'test', yes: true, ...extra });

describe('applyPlan scheduling', () => {
  it('runs an op only after the ops it depends on succeeded, and resolves the created account id', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [grant('a@x'), create('a@x')]);
    const result = await run(store, planId, app.connector);
    expect(result.status).toBe('applied');
    expect(app.calls).toEqual(['create a@x', 'grant u1']);
    expect(app.grants.has('u1|g1')).toBe(true);
    await store.close();
  });

  it('skips an op whose dependency failed, with that reason, and keeps unrelated ops going', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app', new Set(['create a@x']));
    const planId = await savePlan(store, [create('a@x'), grant('a@x'), create('b@x'), grant('b@x')]);
    const result = await run(store, planId, app.connector);
    const state = Object.fromEntries(result.ops.map((o) => [o.ref, o]));
    expect(state['create:a@x']?.state).toBe('failed');
    expect(state['create:a@x']?.error).toContain('the app refused create a@x');
    expect(state['grant:a@x']?.state).toBe('skipped');
    expect(state['grant:a@x']?.error).toContain('create:a@x failed');
    expect(state['grant:b@x']?.state).toBe('succeeded');
    expect(result.status).toBe('failed');
    await store.close();
  });

  it('holds ops needing approval until approved, then runs them', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    app.accounts.set('old', app.account('old', 'old@x'));
    const planId = await savePlan(store, [
      op({ ref: 'deactivate:old', kind: 'deactivate', account: { id: 'old' }, requiresApproval: true }),
      create('a@x'),
    ]);
    const first = await run(store, planId, app.connector);
    expect(first.ops.find((o) => o.ref === 'deactivate:old')?.state).toBe('awaiting_approval');
    expect(first.status).toBe('applying');
    expect(app.calls).toEqual(['create a@x']);
    await store.approveOps({ planId, seqs: [1], approvedBy: 'lead' });
    const second = await run(store, planId, app.connector);
    expect(second.status).toBe('applied');
    expect(app.accounts.get('old')?.status).toBe('inactive');
    expect(app.calls).toEqual(['create a@x', 'deactivate old']);
    await store.close();
  });

  it("runs one account's ops one after another, so a read-modify-write of a whole set loses nothing", async () => {
    const store = await openStore(':memory:');
    // An app that keeps each user's groups as one field and writes it back whole (read, then replace).
    const held = new Map<string, string[]>([
      ['u1', ['g1']],
      ['u2', ['g1']],
    ]);
    let inFlight = 0;
    let overlapped = false;
    const replace = async (accountId: string, next: (current: string[]) => string[]) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      const current = held.get(accountId) ?? [];
      await new Promise((r) => setTimeout(r, 5));
      held.set(accountId, next(current));
      inFlight--;
    };
    const groups = ['g1', 'g2'].map((id) => ({
      appId: 'app',
      id,
      kind: 'group',
      name: id,
      privileged: false,
    }));
    const connector = {
      appId: 'app',
      accounts: {
        list: async () => ({
          items: [],
          nextPageToken: null,
          grants: [...held].flatMap(([accountId, ids]) =>
            ids.map((entitlementId) => ({ appId: 'app', accountId, entitlementId })),
          ),
        }),
      },
      entitlements: {
        group: {
          kind: 'group',
          list: async () => ({ items: groups, nextPageToken: null }),
          grantsFromAccounts: true,
          grant: async ({ accountId, entitlementId }: { accountId: string; entitlementId: string }) => {
            await replace(accountId, (c) => [...c, entitlementId]);
            return { alreadyGranted: false };
          },
          revoke: async ({ accountId, entitlementId }: { accountId: string; entitlementId: string }) => {
            await replace(accountId, (c) => c.filter((id) => id !== entitlementId));
            return { alreadyAbsent: false };
          },
        },
      },
    } as unknown as Connector;
    const move = (accountId: string) => [
      op({
        ref: `grant:${accountId}`,
        kind: 'grant',
        account: { id: accountId },
        entitlement: { id: 'g2', kind: 'group', name: 'g2', privileged: false },
      }),
      op({
        ref: `revoke:${accountId}`,
        kind: 'revoke',
        account: { id: accountId },
        entitlement: { id: 'g1', kind: 'group', name: 'g1', privileged: false },
      }),
    ];
    const planId = await savePlan(store, [...move('u1'), ...move('u2')]);
    const result = await run(store, planId, connector);
    expect(result.ops.filter((o) => o.state !== 'succeeded')).toEqual([]);
    expect(Object.fromEntries(held)).toEqual({ u1: ['g2'], u2: ['g2'] });
    // Different accounts still run side by side.
    expect(overlapped).toBe(true);
    await store.close();
  });

  it('an uncertain create (intent, no outcome) adopts the account found by email instead of creating again', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [create('a@x')]);
    await store.beginOp({ planId, seq: 1 });
    app.accounts.set('u9', app.account('u9', 'a@x'));
    const result = await run(store, planId, app.connector);
    expect(result.status).toBe('applied');
    expect(app.calls).toEqual([]);
    const [done] = await store.listOps({ planId });
    expect(done?.outcome).toMatchObject({ accountId: 'u9', note: 'adopted' });
    await store.close();
  });

  it('refuses a blocked plan without the override, saying why', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [create('a@x')], true);
    await expect(run(store, planId, app.connector)).rejects.toThrow(/blocked by the safety limits/);
    expect((await run(store, planId, app.connector, { overrideSafety: true })).status).toBe('applied');
    await store.close();
  });

  it('a wait that is never accepted becomes one task after the timeout, and its dependents are skipped', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    app.accounts.set('inv', app.account('inv', 'i@x', 'invited'));
    const planId = await savePlan(store, [
      op({
        ref: 'wait:i',
        kind: 'wait',
        account: { id: 'inv' },
        person: person('i@x'),
        waitFor: 'invite_acceptance',
      }),
      op({
        ref: 'grant:i',
        kind: 'grant',
        account: { id: 'inv' },
        entitlement: { id: 'g1', kind: 'group', name: 'G1', privileged: false },
        dependsOn: ['wait:i'],
      }),
    ]);
    let clock = 0;
    const opts = {
      now: () => new Date(1_000_000 + clock),
      sleep: async (ms: number) => {
        clock += ms;
      },
    };
    const first = await run(store, planId, app.connector, {
      ...opts,
      waits: { pollMs: 10, timeoutMs: 1000 },
    });
    expect(first.ops[0]?.state).toBe('waiting');
    const [waiting] = await store.listOps({ planId });
    expect(waiting?.status).toBe('running');
    expect(waiting?.outcome).toMatchObject({ waiting: true, polls: 1 });
    const second = await run(store, planId, app.connector, {
      ...opts,
      waits: { pollMs: 10, timeoutMs: 1000, holdMs: 5000 },
    });
    expect(second.ops.map((o) => o.state)).toEqual(['failed', 'skipped']);
    const tasks = await store.listTasks();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.instructions).toContain('invitation not accepted');
    await store.close();
  });

  it('a task op becomes one store task across re-runs, closed once a sync shows the account', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [
      op({
        ref: 'create:t@x',
        kind: 'task',
        person: person('t@x'),
        task: { instead: 'create', instructions: 'create t@x by hand' },
      }),
    ]);
    await run(store, planId, app.connector);
    await run(store, planId, app.connector);
    expect(await store.listTasks({ status: 'open' })).toHaveLength(1);
    expect(await closeSatisfiedTasks({ store })).toHaveLength(0);
    await store.upsertApp({ id: 'app', type: 'process-street', baseUrl: 'http://x' });
    await store.replaceSnapshot({
      appId: 'app',
      runId: null,
      accounts: [app.account('t1', 't@x')],
      entitlements: [],
      grants: [],
    });
    expect(await closeSatisfiedTasks({ store })).toHaveLength(1);
    expect(await store.listTasks({ status: 'open' })).toHaveLength(0);
    expect((await store.verifyAudit()).ok).toBe(true);
    await store.close();
  });
});

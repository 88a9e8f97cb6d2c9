import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterConfig } from '../../config/schema.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import { openStore } from '../../store/open.js';
import { freshDatabase, requirePostgres } from '../../store/postgres.testkit.js';
import type { Store } from '../../store/store.js';
import type { PlanOp } from '../diff.js';
import { type PlanBody, stateHashOf, toOpInputs } from '../plan.js';
import { defaultPolicy } from '../policy.js';
import { applyPlan } from './executor.js';
import { newOwner } from './run-op.js';
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
    // Every poll was a progress write: one attempt, one intent, however many polls.
    const [timedOut] = await store.listOps({ planId });
    expect(timedOut?.attempts).toBe(1);
    expect(timedOut?.outcome?.polls).toBeGreaterThan(3);
    expect((await store.listAudit()).filter((e) => e.kind === 'op.intent' && e.data.seq === 1)).toHaveLength(
      1,
    );
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

describe('applyPlan safety', () => {
  it('a create whose read-back fails keeps the id the app returned, and the next run adopts it instead of creating again', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const get = app.connector.accounts.get!;
    let failReads = 1;
    app.connector.accounts.get = async (input) => {
      if (failReads-- > 0) throw new RosterError('unavailable', 'HTTP 503 on read-back');
      return get(input);
    };
    const planId = await savePlan(store, [create('a@x')]);
    const first = await run(store, planId, app.connector);
    expect(first.ops[0]).toMatchObject({ state: 'failed' });
    expect(first.ops[0]?.error).toContain('read-back: HTTP 503');
    const [failed] = await store.listOps({ planId });
    expect(failed?.outcome).toMatchObject({ accountId: 'u1', verified: false });

    const second = await run(store, planId, app.connector);
    expect(second.status).toBe('applied');
    expect(app.calls).toEqual(['create a@x']);
    const [done] = await store.listOps({ planId });
    expect(done?.outcome).toMatchObject({ accountId: 'u1', note: 'recorded id', verified: true });
    await store.close();
  });

  it('begins each op while the one before it is at the app: its intent durable before its own call, the one before it finished by then', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const create0 = app.connector.accounts.create!;
    const seen: Record<string, string[]> = {};
    // An app that takes a moment to answer: what the store holds is read as the call ends. The moment is counted in
    // turns of the event loop, not milliseconds, so a busy machine cannot end it before the group commit of the op
    // begun ahead (two turns) has run.
    app.connector.accounts.create = async (input) => {
      for (let turn = 0; turn < 10; turn++) await new Promise((done) => setImmediate(done));
      const ops = await store.listOps({ planId });
      seen[input.account.email] = ops.map((o) => `${o.status}${o.intentAt ? '+intent' : ''}`);
      return create0(input);
    };
    const planId = await savePlan(store, [create('a@x'), create('b@x'), create('c@x')]);
    expect((await run(store, planId, app.connector, { concurrency: 1 })).status).toBe('applied');
    // During each call: the op called has its intent, the op after it is begun already, the op before it is done.
    expect(seen).toEqual({
      'a@x': ['running+intent', 'running+intent', 'pending'],
      'b@x': ['succeeded+intent', 'running+intent', 'running+intent'],
      'c@x': ['succeeded+intent', 'succeeded+intent', 'running+intent'],
    });
    expect(app.calls).toEqual(['create a@x', 'create b@x', 'create c@x']);
    const intents = (await store.listAudit({})).filter((e) => e.kind === 'op.intent');
    expect(intents.map((e) => e.data.seq)).toEqual([1, 2, 3]);
    await store.close();
  });

  it('an op begun ahead and never called (the run stopped on a store error first) is looked up by the next run, not created twice', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    // The store refuses to record op 1's outcome: the run stops with op 2 begun (its intent written), never called.
    const transaction = store.transaction.bind(store);
    let refuse = true;
    store.transaction = ((fn, options) =>
      transaction((tx) => {
        const finishOp: Store['finishOp'] = (input) => {
          if (refuse && input.seq === 1) throw new Error('disk full');
          return tx.finishOp(input);
        };
        return fn(new Proxy(tx, { get: (t, k) => (k === 'finishOp' ? finishOp : Reflect.get(t, k)) }));
      }, options)) as Store['transaction'];
    const planId = await savePlan(store, [create('a@x'), create('b@x')]);
    await expect(run(store, planId, app.connector, { concurrency: 1 })).rejects.toThrow('disk full');
    expect(app.calls).toEqual(['create a@x']);
    expect((await store.listOps({ planId })).map((o) => [o.status, o.attempts, o.claimedBy])).toEqual([
      ['running', 1, null],
      ['running', 1, null],
    ]);

    refuse = false;
    const second = await run(store, planId, app.connector, { concurrency: 1 });
    expect(second.status).toBe('applied');
    // Op 1 is read back by the id it recorded, op 2 looked up by email (not found) and created once.
    expect(app.calls).toEqual(['create a@x', 'create b@x']);
    expect([...app.accounts.values()].map((a) => a.email)).toEqual(['a@x', 'b@x']);
    await store.close();
  });

  it('a retried create whose outcome is unknown looks the person up first and sends nothing when found', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const create0 = app.connector.accounts.create!;
    let lose = true;
    // The app makes the account, then the answer is lost (a 502 after the write).
    app.connector.accounts.create = async (input) => {
      const made = await create0(input);
      if (lose) {
        lose = false;
        throw new RosterError('unavailable', 'HTTP 502 after the write');
      }
      return made;
    };
    const planId = await savePlan(store, [create('a@x')]);
    expect((await run(store, planId, app.connector)).status).toBe('failed');
    expect((await run(store, planId, app.connector)).status).toBe('applied');
    expect(app.calls).toEqual(['create a@x']);
    expect([...app.accounts.values()].filter((a) => a.email === 'a@x')).toHaveLength(1);
    await store.close();
  });

  it('a retried update the app already carried out is read first and not sent again', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    app.accounts.set('u5', { ...app.account('u5', 'e@x'), firstName: 'Old' });
    let lose = true;
    app.connector.accounts.update = async ({ id, changes }) => {
      app.calls.push(`update ${id}`);
      const next = { ...(app.accounts.get(id) as Account), ...changes };
      app.accounts.set(id, next);
      if (lose) {
        lose = false;
        throw new RosterError('unavailable', 'HTTP 502 after the write');
      }
      return { account: next };
    };
    const planId = await savePlan(store, [
      op({
        ref: 'update:u5',
        kind: 'update',
        account: { id: 'u5' },
        changes: { firstName: { from: 'Old', to: 'New' } },
      }),
    ]);
    expect((await run(store, planId, app.connector)).status).toBe('failed');
    const second = await run(store, planId, app.connector);
    expect(second.status).toBe('applied');
    expect(app.calls).toEqual(['update u5']);
    expect((await store.listOps({ planId }))[0]?.outcome).toMatchObject({ already: true, verified: true });
    await store.close();
  });

  it('a create that meets "already exists" for the person adopts the account and says so', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    app.accounts.set('old7', app.account('old7', 'a@x'));
    app.connector.accounts.create = async () => {
      throw new RosterError('conflict', 'app: a user with email a@x already exists');
    };
    const planId = await savePlan(store, [create('a@x')]);
    const result = await run(store, planId, app.connector);
    expect(result.status).toBe('applied');
    expect(result.ops[0]?.text).toContain('adopted: the app already held an account with this address');
    const [done] = await store.listOps({ planId });
    expect(done?.outcome).toMatchObject({ accountId: 'old7', already: true });
    const audit = await store.listAudit();
    expect(audit.find((e) => e.kind === 'op.succeeded')?.data).toMatchObject({
      note: 'adopted: the app already held an account with this address',
    });
    await store.close();
  });

  it('a plan stopped with a failed op is resumed after a sync moved the snapshots, but not after a new HR import', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app', new Set(['create a@x']));
    const inputs = { syncRuns: { app: null }, importId: null, linksUpdatedAt: null, policy: defaultPolicy() };
    const body = {
      version: 1,
      createdAt: new Date().toISOString(),
      inputs,
      apps: ['app'],
      ops: [create('a@x')],
      errors: [],
      warnings: [],
      blocked: null,
      untouched: {},
    } satisfies PlanBody;
    const { plan } = await store.createPlan({
      stateHash: stateHashOf(inputs),
      summary: {},
      body,
      ops: toOpInputs(body.ops),
    });
    expect((await run(store, plan.id, app.connector)).status).toBe('failed');
    // A sync succeeds meanwhile (it would make a fresh plan stale); the plan under way carries on.
    await store.upsertApp({ id: 'app', type: 'process-street', baseUrl: 'http://x' });
    const sync = await store.startSyncRun({ appId: 'app', mode: 'full' });
    await store.finishSyncRun({ id: sync.id, status: 'succeeded' });
    const fixed = fakeConnector('app');
    expect((await run(store, plan.id, fixed.connector)).status).toBe('applied');
    // A new HR import changes what the plan meant: refused, even under way.
    await store.setPlanStatus({ id: plan.id, status: 'failed' });
    await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h2', people: [] });
    await expect(run(store, plan.id, fixed.connector)).rejects.toThrow(/is stale/);
    await store.close();
  });

  it('a second apply of a plan someone holds is refused, naming the holder and since when, and touches nothing', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [create('a@x')]);
    const lock = await store.lockPlan({ planId, owner: 'apply@elsewhere:1/abcd1234', leaseMs: 60_000 });
    const refused = await run(store, planId, app.connector).catch((e: unknown) => e);
    expect((refused as RosterError).code).toBe('conflict');
    expect((refused as Error).message).toContain(
      `being applied by apply@elsewhere:1/abcd1234 (since ${lock.acquiredAt}`,
    );
    expect(app.calls).toEqual([]);
    expect((await store.listOps({ planId }))[0]?.status).toBe('pending');
    await store.close();
  });

  it('a plan and ops held by a dead apply on this host are taken over at once', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const planId = await savePlan(store, [create('a@x')]);
    // A pid no process has: the owner died (kill -9) holding the plan and mid-way through its op.
    const dead = newOwner().replace(/:\d+\/[0-9a-f]+$/, `:${2 ** 22 + 12_345}/deadbeef`);
    await store.lockPlan({ planId, owner: dead, leaseMs: 60_000 });
    await store.claimOp({ planId, seq: 1, owner: dead, leaseMs: 60_000 });
    await store.beginOp({ planId, seq: 1, owner: dead });
    const result = await run(store, planId, app.connector);
    expect(result.status).toBe('applied');
    expect(app.calls).toEqual(['create a@x']);
    expect(await store.getPlanLock({ planId })).toBeNull();
    await store.close();
  });

  it('task ops are open tasks, not successes: own state and count, plan tasks_open, one task across plans, closed by a sync', async () => {
    const store = await openStore(':memory:');
    const app = fakeConnector('app');
    const taskOp = op({
      ref: 'create:t@x',
      kind: 'task',
      person: person('t@x'),
      task: { instead: 'create', instructions: 'create t@x by hand' },
    });
    const first = await savePlan(store, [taskOp, create('a@x')]);
    const result = await run(store, first, app.connector);
    expect(result.ops.map((o) => o.state)).toEqual(['task_open', 'succeeded']);
    expect(result.byApp).toEqual({ app: { task_open: 1, succeeded: 1 } });
    expect(result.status).toBe('tasks_open');
    expect(result.ops[0]?.text).not.toContain('succeeded');
    // Re-applying and re-planning the same change joins the open task instead of opening another.
    await run(store, first, app.connector);
    const second = await savePlan(store, [taskOp]);
    expect((await run(store, second, app.connector)).ops[0]?.state).toBe('task_open');
    expect(await store.listTasks({ status: 'open' })).toHaveLength(1);

    await store.upsertApp({ id: 'app', type: 'process-street', baseUrl: 'http://x' });
    await store.replaceSnapshot({
      appId: 'app',
      runId: null,
      accounts: [app.account('t1', 't@x')],
      entitlements: [],
      grants: [],
    });
    expect(await closeSatisfiedTasks({ store })).toHaveLength(1);
    for (const planId of [first, second]) {
      expect((await store.listOps({ planId })).map((o) => o.status)).toEqual(
        planId === first ? ['succeeded', 'succeeded'] : ['succeeded'],
      );
      expect((await store.getPlan({ id: planId }))?.status).toBe('applied');
    }
    await store.close();
  });
});

const postgres = await requirePostgres();

describe.skipIf(!postgres.available)(
  postgres.available ? 'applyPlan on Postgres' : `applyPlan on Postgres (skipped: ${postgres.reason})`,
  () => {
    // The cluster's store: transactions side by side (a group commit keeps two batches in flight, and a
    // one-statement write runs alone, at once), where SQLite has one connection.
    let store: Store;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const database = await freshDatabase('roster_apply');
      drop = database.drop;
      store = await openStore(database.url);
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('creates at concurrency 4: each made once, its intent committed before its call, its id recorded and read back, the audit chain whole', async () => {
      const app = fakeConnector('app');
      const create0 = app.connector.accounts.create!;
      const notBegun: string[] = [];
      app.connector.accounts.create = async (input) => {
        // As an app a few milliseconds away; the op's intent must already be committed.
        await new Promise((done) => setTimeout(done, 3));
        const ops = await store.listOps({ planId });
        const mine = ops.find(
          (o) => (o.target as { person?: { email: string } }).person?.email === input.account.email,
        );
        if (mine?.status !== 'running' || !mine.intentAt) notBegun.push(input.account.email);
        return create0(input);
      };
      const emails = Array.from({ length: 24 }, (_, i) => `p${i}@x`);
      const planId = await savePlan(store, emails.map(create));
      const result = await run(store, planId, app.connector, { concurrency: 4 });
      expect(result.status).toBe('applied');
      expect(notBegun).toEqual([]);
      expect([...app.calls].sort()).toEqual(emails.map((e) => `create ${e}`).sort());
      expect([...app.accounts.values()]).toHaveLength(24);
      const ops = await store.listOps({ planId });
      expect(ops.every((o) => o.status === 'succeeded' && o.claimedBy === null)).toBe(true);
      expect(new Set(ops.map((o) => o.outcome?.accountId)).size).toBe(24);
      expect(ops.every((o) => o.outcome?.verified === true)).toBe(true);
      const audit = await store.listAudit({});
      expect(audit.filter((e) => e.kind === 'op.intent')).toHaveLength(24);
      expect(audit.filter((e) => e.kind === 'op.succeeded')).toHaveLength(24);
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    });
  },
);

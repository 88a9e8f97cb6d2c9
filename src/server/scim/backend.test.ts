import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP_LEASE_MS, openRoster, type Roster, syncApps } from '../../app/index.js';
import { loadConfig } from '../../config/load.js';
import { definitionOf } from '../../connectors/registry.js';
import { hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { openSqliteStore } from '../../store/sqlite.js';
import type { OpRecord, Store } from '../../store/store.js';
import { rosterBackend } from './backend.js';
import { buildProfile } from './discovery.js';
import { createOps, userOps } from './ops.js';
import { cutShort, OWNER_ELSEWHERE } from './resume.testkit.js';

const APP = 'thought-industries';
const request = { method: 'POST', path: '/Users', tokenName: 'okta' };

/**
 * A facade write is as safe as a planned one, in as few commits as that allows: the plan and its op's intent
 * together (before the app's call), the id a create got (before its read-back), and the outcome with the
 * snapshot row and the plan's status (before the answer).
 */
describe('a facade write commits its plan with the intent, and its outcome with the snapshot', () => {
  let fleet: Fleet;
  let dir: string;
  let store: KyselyStore;
  /** Another handle on the same file: what is durable, as any other process would read it. */
  let other: KyselyStore;
  let roster: Roster;
  let commits = 0;

  beforeAll(async () => {
    fleet = await startFleet({ people: 5, seed: 11, apps: [APP] });
    dir = mkdtempSync(join(tmpdir(), 'roster-scim-backend-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    writeFileSync(
      join(dir, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    const config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
    store = await openSqliteStore(config.store);
    other = await openSqliteStore(config.store);
    // Every transaction the facade opens is a commit (the group commit writes through this one method).
    const counted = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'transaction')
          return (fn: (tx: Store) => Promise<unknown>) => {
            commits++;
            return target.transaction(fn);
          };
        return Reflect.get(target, key, receiver);
      },
    });
    roster = await openRoster(config, { actor: 'scim:okta', store: counted });
    await syncApps(roster, {});
  }, 60_000);

  afterAll(async () => {
    await roster?.close();
    await other?.close();
    await store?.close();
    await fleet?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function profile() {
    const connector = roster.connector(APP);
    return buildProfile({
      appId: APP,
      title: connector.title,
      manifest: connector.manifest,
      traits: definitionOf(roster.app(APP).type)?.traits ?? { attributeMap: {} },
      baseUrl: `https://roster.test/scim/v2/${APP}`,
    });
  }

  /** The ops of the newest plan as the other handle reads them. */
  async function newestOps(): Promise<OpRecord[]> {
    const [plan] = await other.listPlans({ limit: 1 });
    return plan ? other.listOps({ planId: plan.id }) : [];
  }

  it('a create: its intent durable before the call, its id before the read-back, the snapshot and status with the outcome, answered as stored', async () => {
    const connector = roster.connector(APP);
    const create = connector.accounts.create!;
    const get = connector.accounts.get!;
    let seenAtCall: OpRecord | undefined;
    let seenAtReadBack: OpRecord | undefined;
    connector.accounts.create = async (input) => {
      seenAtCall = (await newestOps())[0];
      return create.call(connector.accounts, input);
    };
    connector.accounts.get = async (input) => {
      seenAtReadBack ??= (await newestOps())[0];
      return get.call(connector.accounts, input);
    };
    const backend = rosterBackend(roster, APP);
    commits = 0;
    const input = { email: 'new.person@example.com', firstName: 'New', lastName: 'Person' };
    const [outcome] = await backend.run(createOps(profile(), input, true, request));
    connector.accounts.create = create;
    connector.accounts.get = get;
    expect(seenAtCall).toMatchObject({ kind: 'create', status: 'running', attempts: 1 });
    expect(seenAtCall?.intentAt).toBeTruthy();
    // The id the app gave, committed (by its one statement, no transaction) before the read-back asks for it.
    expect(seenAtReadBack).toMatchObject({ status: 'running', outcome: { accountId: outcome?.accountId } });
    // Two transactions: the plan with the intent, and the outcome with the snapshot and the plan's status.
    expect(commits).toBe(2);
    const accountId = outcome?.accountId ?? '';
    const read = await other.getAccount({ appId: APP, id: accountId });
    expect(read).toMatchObject({ email: 'new.person@example.com' });
    // The answer is rendered from what the write recorded: exactly what a read of the snapshot gives.
    expect(outcome?.account).toEqual(read);
    const [plan] = await other.listPlans({ limit: 1 });
    expect(plan?.status).toBe('applied');
    expect((await newestOps())[0]).toMatchObject({ status: 'succeeded', outcome: { verified: true } });
    const audit = (await other.listAudit({ appId: APP })).slice(-3);
    expect(audit.map((e) => e.kind)).toEqual(expect.arrayContaining(['op.intent', 'op.succeeded']));
  });

  it('an update: two commits, the plan applied, the snapshot as read back and answered as stored', async () => {
    const backend = rosterBackend(roster, APP);
    const [account] = (await store.listAccounts({ appId: APP })).filter((a) => a.status === 'active');
    if (!account) throw new Error('the sandbox holds no active account');
    commits = 0;
    const [outcome] = await backend.run(
      userOps(
        profile(),
        account,
        { changes: { firstName: 'Renamed' }, changed: true },
        { ...request, method: 'PATCH' },
      ),
    );
    expect(commits).toBe(2);
    const read = await other.getAccount({ appId: APP, id: account.id });
    expect(read).toMatchObject({ firstName: 'Renamed' });
    expect(outcome?.account).toEqual(read);
    const [plan] = await other.listPlans({ limit: 1 });
    expect(plan?.status).toBe('applied');
  });
  const cutShortHere = (email: string, owner?: string) => cutShort(roster, store, APP, email, owner);

  it('a write a stopped server cut short between its ops is carried on from there: the snapshot and the status as the request would have left them', async () => {
    const { planId, accountId } = await cutShortHere('cut.short@example.com');
    const resumed = await rosterBackend(roster, APP).resumeInterrupted();
    expect(resumed).toEqual({ finished: [planId], failed: [], left: [] });
    expect((await roster.connector(APP).accounts.get!({ id: accountId }))?.status).toBe('inactive');
    expect(await other.getAccount({ appId: APP, id: accountId })).toMatchObject({
      email: 'cut.short@example.com',
      status: 'inactive',
    });
    expect((await other.getPlan({ id: planId }))?.status).toBe('applied');
    expect((await other.listOps({ planId })).map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
    // Nothing is left to carry on.
    expect(await rosterBackend(roster, APP).resumeInterrupted()).toEqual({
      finished: [],
      failed: [],
      left: [],
    });
  });

  it("another host's write is carried on only once every claim it could hold has run out", async () => {
    // Its owner may be alive (nothing here can tell): only the plan's age says its request is over.
    const { planId, accountId } = await cutShortHere('elsewhere@example.com', OWNER_ELSEWHERE);
    const none = { finished: [], failed: [], left: [] };
    expect(await rosterBackend(roster, APP).resumeInterrupted()).toEqual(none);
    expect((await other.getPlan({ id: planId }))?.status).toBe('draft');
    const later = new Date(Date.now() + OP_LEASE_MS + 60_000);
    expect(await rosterBackend(roster, APP).resumeInterrupted(later)).toEqual({
      ...none,
      finished: [planId],
    });
    expect(await other.getAccount({ appId: APP, id: accountId })).toMatchObject({ status: 'inactive' });
  });

  it('two servers carrying on the same write at once: one runs its op, the other leaves it to that one', async () => {
    const { planId, accountId } = await cutShortHere('raced@example.com');
    const deactivations = () =>
      fleet
        .get(APP)
        .requests()
        .filter((r) => r.method === 'PUT' && r.url.includes(accountId)).length;
    const before = deactivations();
    const both = await Promise.all([
      rosterBackend(roster, APP).resumeInterrupted(),
      rosterBackend(roster, APP).resumeInterrupted(),
    ]);
    expect(both.map((r) => r.finished.length + r.left.length)).toEqual([1, 1]);
    expect(both.flatMap((r) => r.finished)).toEqual([planId]);
    expect(both.flatMap((r) => r.left.map((l) => l.planId))).toEqual([planId]);
    expect(both.flatMap((r) => r.failed)).toEqual([]);
    expect((await other.getPlan({ id: planId }))?.status).toBe('applied');
    expect(await other.getAccount({ appId: APP, id: accountId })).toMatchObject({ status: 'inactive' });
    expect(deactivations() - before).toBe(1);
  });
});

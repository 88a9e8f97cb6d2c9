/** @module The one test suite every Store implementation must pass (SQLite and Postgres). */

import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../core/errors.js';
import type { Account, Entitlement, Grant, Link, Person } from '../core/types.js';
import { removeSnapshotAccount, upsertSnapshotAccount } from './account-upsert.js';
import { auditHash } from './audit.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';
import type { OpRecord, SnapshotGrant, Store, StoredLink } from './store.js';

export interface OpenedStore {
  store: Store;
  /** The same database, for tests that must reach under the Store (tampering, corrupting). */
  db: Kysely<Database>;
}

export interface StoreHarness {
  /** Opens the store under test; on a persistent harness, opening again reaches the same data. */
  open(options: { clock: () => Date }): Promise<OpenedStore>;
  /** Removes whatever the harness created (files, schemas). */
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** Whether closing and re-opening keeps the data (false for an in-memory database). */
  persistent: boolean;
}

const APP = 'tp';

/** One millisecond after an ISO time. */
const later = (iso: string): string => new Date(Date.parse(iso) + 1).toISOString();
const OTHER_APP = 'ps';

export function person(id: string, overrides: Partial<Person> = {}): Person {
  return {
    employeeId: id,
    email: `${id}@example.com`,
    aliases: [],
    firstName: `First${id}`,
    lastName: `Last${id}`,
    status: 'active',
    department: 'Engineering',
    title: null,
    managerEmail: null,
    startDate: '2024-01-02',
    endDate: null,
    attributes: {},
    ...overrides,
  };
}

export function account(appId: string, id: string, overrides: Partial<Account> = {}): Account {
  return {
    appId,
    id,
    email: `${id}@example.com`,
    login: id,
    externalId: null,
    firstName: null,
    lastName: null,
    displayName: `User ${id}`,
    status: 'active',
    isAdmin: false,
    lastLoginAt: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: null,
    attributes: {},
    ...overrides,
  };
}

export function entitlement(appId: string, id: string, overrides: Partial<Entitlement> = {}): Entitlement {
  return { appId, id, kind: 'team', name: `Team ${id}`, privileged: false, ...overrides };
}

export function grant(appId: string, entitlementId: string, accountId: string): Grant {
  return { appId, entitlementId, accountId };
}

function link(appId: string, accountId: string, employeeId: string | null): Link {
  return {
    appId,
    accountId,
    employeeId,
    situation: employeeId === null ? 'unmatched' : 'linked',
    method: employeeId === null ? null : 'email',
    confidence: employeeId === null ? 0 : 0.9,
    candidates: [],
  };
}

/** Resolves to the RosterError code a promise rejects with (fails the test if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isRosterError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a RosterError, but the call succeeded');
}

export function storeContract(
  name: string,
  makeHarness: () => Promise<StoreHarness>,
  options: ContractOptions,
): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness;
    let opened: OpenedStore[] = [];
    let store: Store;
    let db: Kysely<Database>;
    let tick = 0;
    // One millisecond per timestamp, so ordering by time is deterministic.
    const clock = () => new Date(Date.UTC(2025, 0, 1) + tick++);

    const open = async (): Promise<OpenedStore> => {
      const o = await harness.open({ clock });
      opened.push(o);
      return o;
    };
    const reopen = async (): Promise<Store> => {
      await store.close();
      opened = opened.filter((o) => o.store !== store);
      ({ store, db } = await open());
      return store;
    };

    beforeEach(async () => {
      tick = 0;
      harness = await makeHarness();
      ({ store, db } = await open());
      await store.upsertApp({ id: APP, type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
      await store.upsertApp({ id: OTHER_APP, type: 'process-street', baseUrl: 'http://ps.local/api/v1.1' });
    });

    afterEach(async () => {
      for (const o of opened) await o.store.close();
      opened = [];
      await harness.dispose();
    });

    describe('migrations', () => {
      it('applies every migration once, in version order', async () => {
        const applied = await store.migrations();
        expect(applied.map((m) => m.name)).toEqual(Object.keys(MIGRATIONS).sort());
      });

      if (options.persistent) {
        it('re-opening the store runs no migration again', async () => {
          const before = await store.migrations();
          await store.upsertApp({ id: 'kept', type: 'scim', baseUrl: 'http://scim.local' });
          await reopen();
          expect(await store.migrations()).toEqual(before);
          expect(await store.getApp({ id: 'kept' })).not.toBeNull();
        });
      }
    });

    describe('people', () => {
      it('an import replaces every person at once and records itself', async () => {
        await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h1',
          people: [person('1'), person('2'), person('3')],
        });
        const second = await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h2',
          people: [
            person('2', { status: 'leaver', endDate: '2025-01-01' }),
            person('4', { attributes: { cost: 'X1' } }),
          ],
        });
        const people = await store.listPeople();
        expect(people.map((p) => p.employeeId)).toEqual(['2', '4']);
        expect(people.every((p) => p.importId === second.id)).toBe(true);
        expect(people[1]?.attributes).toEqual({ cost: 'X1' });
        expect((await store.listPeople({ status: 'leaver' })).map((p) => p.employeeId)).toEqual(['2']);
        // A numbered page of them.
        expect((await store.listPeople({ offset: 1, limit: 5 })).map((p) => p.employeeId)).toEqual(['4']);
        expect((await store.listPeople({ limit: 1 })).map((p) => p.employeeId)).toEqual(['2']);
        expect(await store.listPeople({ status: 'leaver', offset: 1, limit: 5 })).toEqual([]);
        await expect(store.listPeople({ offset: -1, limit: 5 })).rejects.toMatchObject({
          code: 'invalid_input',
        });
        const imports = await store.listImports();
        expect(imports.map((i) => i.hash)).toEqual(['h2', 'h1']);
        expect(imports[0]?.counts).toEqual({ people: 2 });
      });

      it('a person is found by id, by primary address and by alias, whatever the case', async () => {
        await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h',
          people: [person('7', { email: 'Ana.Lima@Example.com', aliases: ['ana@example.com'] })],
        });
        expect((await store.getPerson({ employeeId: '7' }))?.email).toBe('Ana.Lima@Example.com');
        expect((await store.getPerson({ email: ' ana.lima@EXAMPLE.com ' }))?.employeeId).toBe('7');
        expect((await store.getPerson({ email: 'ANA@example.com' }))?.aliases).toEqual(['ana@example.com']);
        expect(await store.getPerson({ email: 'nobody@example.com' })).toBeNull();
        expect(await store.getPerson({ employeeId: 'nobody' })).toBeNull();
      });

      it('an import that repeats an employee id changes nothing', async () => {
        await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('1')] });
        const code = await codeOf(
          store.replacePeople({ sourcePath: 'hr2.csv', hash: 'h2', people: [person('2'), person('2')] }),
        );
        expect(code).toBe('invalid_input');
        expect((await store.listPeople()).map((p) => p.employeeId)).toEqual(['1']);
        expect(await store.listImports()).toHaveLength(1);
      });

      it('a rejected import is recorded and leaves the people alone', async () => {
        await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('1')] });
        const rejected = await store.recordRejectedImport({
          sourcePath: 'hr.csv',
          hash: 'h2',
          error: 'row 4: no email',
          counts: { rows: 10, bad: 1 },
        });
        expect(rejected.status).toBe('rejected');
        expect((await store.listImports())[0]).toEqual(rejected);
        expect(await store.listPeople()).toHaveLength(1);
      });
    });

    describe('apps, sync runs and checkpoints', () => {
      it('upserting an app updates it and keeps when it was first registered', async () => {
        const first = await store.getApp({ id: APP });
        const again = await store.upsertApp({
          id: APP,
          type: 'targetprocess',
          baseUrl: 'http://tp2.local/api/v1',
        });
        expect(again.baseUrl).toBe('http://tp2.local/api/v1');
        expect(again.createdAt).toBe(first?.createdAt);
        expect((await store.listApps()).map((a) => a.id)).toEqual([OTHER_APP, APP]);
      });

      it('a sync run starts running, finishes once, and keeps its counts', async () => {
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        expect(run.status).toBe('running');
        const done = await store.finishSyncRun({
          id: run.id,
          status: 'succeeded',
          counts: { accounts: 3 },
          requests: { total: 4, retries: 1 },
        });
        expect(done).toMatchObject({
          status: 'succeeded',
          counts: { accounts: 3 },
          requests: { total: 4, retries: 1 },
        });
        expect(done.finishedAt).not.toBeNull();
        expect(await codeOf(store.finishSyncRun({ id: run.id, status: 'failed' }))).toBe('conflict');
        expect(await codeOf(store.finishSyncRun({ id: 'nope', status: 'failed' }))).toBe('not_found');
        expect(await codeOf(store.startSyncRun({ appId: 'nope', mode: 'full' }))).toBe('not_found');
        const failed = await store.startSyncRun({ appId: APP, mode: 'incremental' });
        await store.finishSyncRun({ id: failed.id, status: 'failed', error: 'HTTP 500' });
        expect((await store.listSyncRuns({ appId: APP })).map((r) => r.id)).toEqual([failed.id, run.id]);
        expect((await store.listSyncRuns({ appId: APP, status: 'failed' }))[0]?.error).toBe('HTTP 500');
      });

      it('a checkpoint is stored per app and resource and overwritten by the next', async () => {
        expect(await store.getCheckpoint({ appId: APP, resource: 'users' })).toBeNull();
        await store.putCheckpoint({
          appId: APP,
          resource: 'users',
          cursor: 'p2',
          watermark: null,
          runId: null,
        });
        await store.putCheckpoint({
          appId: APP,
          resource: 'users',
          cursor: null,
          watermark: '2025-01-01T10:00:00Z',
          runId: 'r1',
        });
        await store.putCheckpoint({
          appId: OTHER_APP,
          resource: 'users',
          cursor: 'x',
          watermark: null,
          runId: null,
        });
        expect(await store.getCheckpoint({ appId: APP, resource: 'users' })).toMatchObject({
          cursor: null,
          watermark: '2025-01-01T10:00:00Z',
          runId: 'r1',
        });
      });
    });

    describe('snapshots', () => {
      const snapshotOne = () => ({
        appId: APP,
        runId: null,
        accounts: [
          {
            ...account(APP, '1', {
              email: 'Ana@Example.com',
              isAdmin: true,
              externalId: 'okta-1',
              attributes: { role: 'Admin', seats: 2, sso: true, note: null },
            }),
            raw: { Id: 1, Email: 'Ana@Example.com' },
          },
          account(APP, '2', { status: 'inactive' }),
        ],
        entitlements: [entitlement(APP, 't1'), entitlement(APP, 'admin', { kind: 'role', privileged: true })],
        grants: [grant(APP, 't1', '1'), grant(APP, 't1', '2'), grant(APP, 'admin', '1')],
      });

      it('a snapshot is stored whole and read back field for field', async () => {
        const counts = await store.replaceSnapshot(snapshotOne());
        expect(counts).toEqual({ accounts: 2, entitlements: 2, grants: 3 });
        const accounts = await store.listAccounts({ appId: APP });
        expect(accounts.map((a) => a.id)).toEqual(['1', '2']);
        expect(accounts[0]).toMatchObject({
          email: 'Ana@Example.com',
          isAdmin: true,
          externalId: 'okta-1',
          attributes: { role: 'Admin', seats: 2, sso: true, note: null },
          raw: { Id: 1, Email: 'Ana@Example.com' },
        });
        expect(accounts[1]).toMatchObject({ status: 'inactive', isAdmin: false, raw: null });
        expect((await store.findAccountsByEmail({ email: 'ana@example.COM' })).map((a) => a.id)).toEqual([
          '1',
        ]);
        expect((await store.getAccount({ appId: APP, id: '2' }))?.status).toBe('inactive');
        const ents = await store.listEntitlements({ appId: APP });
        expect(ents.find((e) => e.id === 'admin')).toMatchObject({ kind: 'role', privileged: true });
        expect(await store.listGrants({ appId: APP })).toHaveLength(3);
        expect((await store.listGrants({ appId: APP, accountId: '1' })).map((g) => g.entitlementId)).toEqual([
          'admin',
          't1',
        ]);
        // One entitlement's holders, in account order.
        expect((await store.listGrants({ appId: APP, entitlementId: 't1' })).map((g) => g.accountId)).toEqual(
          ['1', '2'],
        );
        expect(await store.listGrants({ appId: APP, entitlementId: 'admin', accountId: '2' })).toEqual([]);
        expect(await store.listGrants({ appId: APP, entitlementId: 'nobody-holds-this' })).toEqual([]);
      });

      it('a new snapshot replaces the old one and leaves other apps alone', async () => {
        await store.replaceSnapshot(snapshotOne());
        await store.replaceSnapshot({
          appId: OTHER_APP,
          runId: null,
          accounts: [account(OTHER_APP, 'u9')],
          entitlements: [],
          grants: [],
        });
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.replaceSnapshot({
          appId: APP,
          runId: run.id,
          accounts: [account(APP, '3')],
          entitlements: [entitlement(APP, 't2')],
          grants: [grant(APP, 't2', '3')],
        });
        const accounts = await store.listAccounts({ appId: APP });
        expect(accounts.map((a) => [a.id, a.syncRunId])).toEqual([['3', run.id]]);
        expect((await store.listEntitlements({ appId: APP })).map((e) => e.id)).toEqual(['t2']);
        expect((await store.listAccounts({ appId: OTHER_APP })).map((a) => a.id)).toEqual(['u9']);
      });

      it('a failed snapshot replacement leaves the previous snapshot intact', async () => {
        await store.replaceSnapshot(snapshotOne());
        const before = {
          accounts: await store.listAccounts({ appId: APP }),
          entitlements: await store.listEntitlements({ appId: APP }),
          grants: await store.listGrants({ appId: APP }),
        };
        // Fails at the last insert, after the old rows were deleted and the new accounts written.
        const dangling = store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '5')],
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', '5'), grant(APP, 't1', 'ghost')],
        });
        expect(await codeOf(dangling)).toBe('invalid_input');
        // Fails while the accounts are written.
        const unserialisable = store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '5'), { ...account(APP, '6'), raw: { big: 10n } }],
          entitlements: [],
          grants: [],
        });
        expect(await codeOf(unserialisable)).toBe('invalid_input');
        const repeated = store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '5'), account(APP, '5')],
          entitlements: [],
          grants: [],
        });
        expect(await codeOf(repeated)).toBe('invalid_input');
        const foreign = store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(OTHER_APP, '5')],
          entitlements: [],
          grants: [],
        });
        expect(await codeOf(foreign)).toBe('invalid_input');
        expect(await store.listAccounts({ appId: APP })).toEqual(before.accounts);
        expect(await store.listEntitlements({ appId: APP })).toEqual(before.entitlements);
        expect(await store.listGrants({ appId: APP })).toEqual(before.grants);
      });

      it('a grant Roster made stays marked as Roster’s across re-syncs', async () => {
        await store.replaceSnapshot({
          ...snapshotOne(),
          grants: [grant(APP, 't1', '2'), { ...grant(APP, 't1', '1'), grantedBy: 'roster' }],
        });
        await store.replaceSnapshot(snapshotOne());
        const grants = await store.listGrants({ appId: APP });
        expect(grants.map((g) => [g.entitlementId, g.accountId, g.grantedBy])).toEqual([
          ['admin', '1', 'external'],
          ['t1', '1', 'roster'],
          ['t1', '2', 'external'],
        ]);
      });
    });

    describe('account lookups', () => {
      const seed = () =>
        store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [
            account(APP, 'a1', { email: 'Ana.Lima@Example.com', login: 'ALima' }),
            account(APP, 'a2', { email: 'ana.lopes@example.com', login: 'alopes', status: 'inactive' }),
            account(APP, 'a3', { email: 'bo_x@example.com', login: 'bo%x', status: 'deleted' }),
            account(APP, 'a4', { email: 'box@example.com', login: 'box' }),
            account(APP, 'a5', { email: null, login: null }),
          ],
          entitlements: [
            entitlement(APP, 't2', { name: 'Two' }),
            entitlement(APP, 't1', { name: 'One' }),
            entitlement(APP, 'r1', { kind: 'role', name: 'Admin' }),
          ],
          grants: [
            grant(APP, 't2', 'a1'),
            grant(APP, 't1', 'a1'),
            grant(APP, 'r1', 'a1'),
            grant(APP, 't1', 'a4'),
          ],
        });
      const ids = (accounts: readonly { id: string }[]) => accounts.map((a) => a.id);

      it('finds an account by address or login whatever its case, in this app only', async () => {
        await seed();
        await store.replaceSnapshot({
          appId: OTHER_APP,
          runId: null,
          accounts: [account(OTHER_APP, 'x1', { email: 'ana.lima@example.com', login: 'alima' })],
          entitlements: [],
          grants: [],
        });
        const find = (field: 'email' | 'login', value: string) =>
          store.findAccounts({ appId: APP, field, op: 'eq', value });
        expect(ids(await find('email', 'ANA.LIMA@example.COM'))).toEqual(['a1']);
        expect(ids(await find('email', '  ana.lima@example.com '))).toEqual(['a1']);
        expect(ids(await find('login', 'alima'))).toEqual(['a1']);
        expect(ids(await find('login', 'ALIMA'))).toEqual(['a1']);
        expect(await find('login', 'alim')).toEqual([]);
        expect((await find('email', 'box@example.com'))[0]).toMatchObject({ id: 'a4', login: 'box' });
      });

      it('finds accounts whose address or login starts with a prefix, taking % and _ literally', async () => {
        await seed();
        const sw = (field: 'email' | 'login', value: string) =>
          store.findAccounts({ appId: APP, field, op: 'sw', value });
        expect(ids(await sw('email', 'ANA.'))).toEqual(['a1', 'a2']);
        expect(ids(await sw('email', 'bo_'))).toEqual(['a3']);
        expect(ids(await sw('login', 'bo%'))).toEqual(['a3']);
        expect(ids(await sw('login', 'B'))).toEqual(['a3', 'a4']);
        expect(await sw('email', 'zz')).toEqual([]);
      });

      it('finds an account by the externalId its IdP gave it, exactly, in this app only', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [
            account(APP, 'e1', { externalId: 'Okta-00u1' }),
            account(APP, 'e2', { externalId: 'okta-00u1' }),
            account(APP, 'e3', { externalId: 'Okta-00u1', status: 'deleted' }),
          ],
          entitlements: [],
          grants: [],
        });
        await store.replaceSnapshot({
          appId: OTHER_APP,
          runId: null,
          accounts: [account(OTHER_APP, 'x1', { externalId: 'Okta-00u1' })],
          entitlements: [],
          grants: [],
        });
        const find = (value: string) =>
          store.findAccounts({ appId: APP, field: 'externalId', op: 'eq', value });
        expect(ids(await find('Okta-00u1'))).toEqual(['e1', 'e3']);
        expect(ids(await find('okta-00u1'))).toEqual(['e2']);
        expect(await find('Okta-00u1 ')).toEqual([]);
        await expect(
          store.findAccounts({ appId: APP, field: 'externalId', op: 'sw', value: 'Okta' }),
        ).rejects.toMatchObject({ code: 'invalid_input' });
      });

      it('refuses a comparison it cannot make with the index', async () => {
        await seed();
        const bad = { appId: APP, field: 'email', op: 'co', value: 'a' } as unknown as Parameters<
          Store['findAccounts']
        >[0];
        await expect(store.findAccounts(bad)).rejects.toMatchObject({ code: 'invalid_input' });
      });

      it('pages accounts in id order with the total, leaving out a status', async () => {
        await seed();
        const page = await store.sliceAccounts({ appId: APP, offset: 1, limit: 2, excludeStatus: 'deleted' });
        expect(page.total).toBe(4);
        expect(ids(page.items)).toEqual(['a2', 'a4']);
        expect(ids((await store.sliceAccounts({ appId: APP, offset: 0, limit: 10 })).items)).toEqual(
          ids(await store.listAccounts({ appId: APP })),
        );
        expect(await store.sliceAccounts({ appId: APP, offset: 10, limit: 5 })).toEqual({
          items: [],
          total: 5,
        });
        expect(await store.sliceAccounts({ appId: APP, offset: 0, limit: 0 })).toEqual({
          items: [],
          total: 5,
        });
        await expect(store.sliceAccounts({ appId: APP, offset: -1, limit: 5 })).rejects.toMatchObject({
          code: 'invalid_input',
        });
      });

      it('pages a walk by offset as a fresh read would, whatever is written between its pages', async () => {
        await seed();
        const slice = (offset: number) =>
          store.sliceAccounts({ appId: APP, offset, limit: 2, excludeStatus: 'deleted' });
        const walk = async () => {
          const seen: string[] = [];
          for (let offset = 0; ; ) {
            const page = await slice(offset);
            seen.push(...ids(page.items));
            offset += page.items.length;
            if (page.items.length === 0 || offset >= page.total) return seen;
          }
        };
        expect(await walk()).toEqual(['a1', 'a2', 'a4', 'a5']);
        // The same walk again, from where its pages ended.
        expect(await walk()).toEqual(['a1', 'a2', 'a4', 'a5']);
        expect(ids((await slice(2)).items)).toEqual(['a4', 'a5']);
        // An account written before the second page shifts it, and the total.
        await upsertSnapshotAccount(store, { ...account(APP, 'a0'), raw: null });
        expect(await slice(2)).toMatchObject({ total: 5 });
        expect(ids((await slice(2)).items)).toEqual(['a2', 'a4']);
        // One dropped, and one deleted in the app (left out of the walk).
        await removeSnapshotAccount(store, { appId: APP, id: 'a2' });
        await upsertSnapshotAccount(store, { ...account(APP, 'a4', { status: 'deleted' }), raw: null });
        expect(await walk()).toEqual(['a0', 'a1', 'a5']);
        // What a transaction read before it was rolled back is not kept: here, where its second page would
        // start, which a write committed next (as many accounts, other ones) must not be read from.
        const every = (offset: number) => store.sliceAccounts({ appId: APP, offset, limit: 2 });
        await expect(
          store.transaction(async (tx) => {
            await upsertSnapshotAccount(tx, { ...account(APP, 'a00'), raw: null });
            expect(ids((await tx.sliceAccounts({ appId: APP, offset: 0, limit: 2 })).items)).toEqual([
              'a0',
              'a00',
            ]);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        await upsertSnapshotAccount(store, { ...account(APP, 'a9'), raw: null });
        expect(ids((await every(2)).items)).toEqual(['a3', 'a4']);
        expect(await walk()).toEqual(['a0', 'a1', 'a5', 'a9']);
      });

      it('lists what a few accounts hold, with names, of one kind when asked', async () => {
        await seed();
        const all = await store.listMemberships({ appId: APP, accountIds: ['a4', 'a1', 'a2'] });
        expect(all.map((m) => [m.accountId, m.entitlementId, m.name, m.kind])).toEqual([
          ['a1', 'r1', 'Admin', 'role'],
          ['a1', 't1', 'One', 'team'],
          ['a1', 't2', 'Two', 'team'],
          ['a4', 't1', 'One', 'team'],
        ]);
        const teams = await store.listMemberships({ appId: APP, accountIds: ['a1'], kind: 'team' });
        expect(teams.map((m) => m.entitlementId)).toEqual(['t1', 't2']);
        expect(await store.listMemberships({ appId: APP, accountIds: [] })).toEqual([]);
      });

      it('reads one account with what it holds in one statement, as getAccount and listMemberships answer them', async () => {
        await seed();
        for (const id of ['a1', 'a2', 'a4']) {
          for (const kind of [undefined, 'team', 'role'] as const) {
            const input = kind === undefined ? { appId: APP, id } : { appId: APP, id, kind };
            expect(await store.getAccountWithMemberships(input)).toEqual({
              account: await store.getAccount({ appId: APP, id }),
              memberships: await store.listMemberships({
                appId: APP,
                accountIds: [id],
                ...(kind ? { kind } : {}),
              }),
            });
          }
        }
        expect((await store.getAccountWithMemberships({ appId: APP, id: 'a1' }))?.memberships).toHaveLength(
          3,
        );
        expect(await store.getAccountWithMemberships({ appId: APP, id: 'nobody' })).toBeNull();
        expect(await store.getAccountWithMemberships({ appId: 'other-app', id: 'a1' })).toBeNull();
      });
    });

    describe('staged snapshots', () => {
      const seed = () =>
        store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, 'old')],
          entitlements: [],
          grants: [],
        });

      it('staged batches stay invisible until committed, then swap in at once', async () => {
        await seed();
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1'), account(APP, 'a2')],
          cursors: { users: 'p2' },
        });
        const progress = await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a3')],
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', 'a1'), grant(APP, 't1', 'a3')],
          cursors: { users: null, teams: 'done' },
        });
        expect(progress).toMatchObject({
          appId: APP,
          accounts: 3,
          entitlements: 1,
          grants: 2,
          batches: 2,
          cursors: { users: null, teams: 'done' },
        });
        expect((await store.listAccounts({ appId: APP })).map((a) => a.id)).toEqual(['old']);
        expect(await store.commitStaged({ runId: run.id })).toEqual({
          accounts: 3,
          entitlements: 1,
          grants: 2,
        });
        expect((await store.listAccounts({ appId: APP })).map((a) => a.id)).toEqual(['a1', 'a2', 'a3']);
        expect(await store.listGrants({ appId: APP })).toHaveLength(2);
        expect(await store.stagedProgress({ runId: run.id })).toBeNull();
      });

      it('re-staging a replayed page replaces its rows instead of adding them again', async () => {
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({ runId: run.id, accounts: [account(APP, 'a1')], grants: [] });
        await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1', { displayName: 'Renamed' })],
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', 'a1')],
        });
        await store.stageBatch({ runId: run.id, grants: [grant(APP, 't1', 'a1')] });
        expect(await store.stagedProgress({ runId: run.id })).toMatchObject({
          accounts: 1,
          grants: 1,
          batches: 3,
        });
        await store.commitStaged({ runId: run.id });
        expect((await store.listAccounts({ appId: APP })).map((a) => a.displayName)).toEqual(['Renamed']);
      });

      it('accounts staged as the snapshot holds them are kept: their grants commit, a replay that changes one stages it whole', async () => {
        const held = [account(APP, 'a1'), account(APP, 'a2'), account(APP, 'gone')];
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: held,
          entitlements: [entitlement(APP, 't1')],
          grants: [],
        });
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        // a1 changed on its first page and back as held on the replay; a2 the other way round.
        await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1', { displayName: 'First read' }), account(APP, 'a2')],
        });
        const progress = await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1'), account(APP, 'a2', { displayName: 'Renamed' })],
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', 'a1'), grant(APP, 't1', 'a2')],
        });
        expect(progress).toMatchObject({ accounts: 2, entitlements: 1, grants: 2 });
        expect(await store.commitStaged({ runId: run.id })).toEqual({
          accounts: 2,
          entitlements: 1,
          grants: 2,
        });
        const accounts = await store.listAccounts({ appId: APP });
        expect(accounts.map((a) => [a.id, a.displayName, a.syncRunId])).toEqual([
          ['a1', 'User a1', null],
          ['a2', 'Renamed', run.id],
        ]);
        expect((await store.listGrants({ appId: APP })).map((g) => g.accountId).sort()).toEqual(['a1', 'a2']);
      });

      it('an account kept by id that another writer deletes before the commit stays deleted, and the commit succeeds without its grants', async () => {
        const held = [account(APP, 'a1'), account(APP, 'a2')];
        const snapshot = { appId: APP, runId: null, entitlements: [entitlement(APP, 't1')] };
        await store.replaceSnapshot({ ...snapshot, accounts: held, grants: [grant(APP, 't1', 'a1')] });
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({
          runId: run.id,
          accounts: held,
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', 'a1'), grant(APP, 't1', 'a2')],
        });
        // Meanwhile another writer removes a2 (an apply that deleted the user and read it back).
        await store.replaceSnapshot({
          ...snapshot,
          accounts: [account(APP, 'a1')],
          grants: [grant(APP, 't1', 'a1')],
        });
        expect(await store.commitStaged({ runId: run.id })).toMatchObject({ accounts: 2, grants: 2 });
        expect((await store.listAccounts({ appId: APP })).map((a) => a.id)).toEqual(['a1']);
        expect(
          (await store.listGrants({ appId: APP })).map((g) => `${g.entitlementId}/${g.accountId}`),
        ).toEqual(['t1/a1']);
      });

      it('a row another writer changed is not kept on the hash of the record it had: a later page showing that record writes it again', async () => {
        const stageAndCommit = async (accounts: Account[]) => {
          const run = await store.startSyncRun({ appId: APP, mode: 'full' });
          await store.stageBatch({ runId: run.id, accounts });
          await store.commitStaged({ runId: run.id });
        };
        await stageAndCommit([account(APP, 'a1'), account(APP, 'a2')]);
        // An apply's read-back, then the app answers the old record again (the change did not hold).
        await upsertSnapshotAccount(store, account(APP, 'a1', { displayName: 'Renamed by an apply' }));
        await stageAndCommit([account(APP, 'a1'), account(APP, 'a2')]);
        expect((await store.listAccounts({ appId: APP })).map((a) => a.displayName)).toEqual([
          'User a1',
          'User a2',
        ]);
      });

      it('a batch rolled back leaves its grants unstaged: staging them again counts them', async () => {
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1')],
          entitlements: [entitlement(APP, 't1')],
        });
        // A cursor without a resource name fails the batch after its grants were written in its transaction.
        expect(
          await codeOf(
            store.stageBatch({ runId: run.id, grants: [grant(APP, 't1', 'a1')], cursors: { '': 'x' } }),
          ),
        ).toBe('invalid_input');
        const progress = await store.stageBatch({ runId: run.id, grants: [grant(APP, 't1', 'a1')] });
        expect(progress).toMatchObject({ grants: 1, batches: 2 });
        expect(await store.commitStaged({ runId: run.id })).toMatchObject({ grants: 1 });
        expect(await store.listGrants({ appId: APP })).toHaveLength(1);
      });

      if (options.persistent) {
        it('a grant staged by two handles on one database in turn is counted and committed once', async () => {
          const other = (await open()).store;
          const run = await store.startSyncRun({ appId: APP, mode: 'full' });
          const both = {
            accounts: [account(APP, 'a1'), account(APP, 'a2')],
            entitlements: [entitlement(APP, 't1')],
          };
          await store.stageBatch({ runId: run.id, ...both, grants: [grant(APP, 't1', 'a1')] });
          await other.stageBatch({ runId: run.id, grants: [grant(APP, 't1', 'a2')] });
          // This handle last saw the run before the other's batch: it must not take t1/a2 for new.
          const progress = await store.stageBatch({
            runId: run.id,
            grants: [grant(APP, 't1', 'a1'), grant(APP, 't1', 'a2')],
          });
          expect(progress).toMatchObject({ grants: 2, batches: 3 });
          expect(await store.commitStaged({ runId: run.id })).toMatchObject({ grants: 2 });
          expect(await store.listGrants({ appId: APP })).toHaveLength(2);
        });
      }

      it('a staged commit that names an unstaged account fails and keeps both the snapshot and the staging', async () => {
        await seed();
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({
          runId: run.id,
          accounts: [account(APP, 'a1')],
          entitlements: [entitlement(APP, 't1')],
          grants: [grant(APP, 't1', 'a1'), grant(APP, 't1', 'ghost')],
        });
        expect(await codeOf(store.commitStaged({ runId: run.id }))).toBe('invalid_input');
        expect((await store.listAccounts({ appId: APP })).map((a) => a.id)).toEqual(['old']);
        expect(await store.stagedProgress({ runId: run.id })).toMatchObject({ accounts: 1, grants: 2 });
      });

      it('only a running sync can stage or commit, and a discarded staging is gone', async () => {
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        expect(await codeOf(store.commitStaged({ runId: run.id }))).toBe('conflict');
        await store.stageBatch({ runId: run.id, accounts: [account(APP, 'a1')] });
        expect(await codeOf(store.stageBatch({ runId: run.id, accounts: [account(OTHER_APP, 'x')] }))).toBe(
          'invalid_input',
        );
        await store.discardStaged({ runId: run.id });
        expect(await store.stagedProgress({ runId: run.id })).toBeNull();
        await store.finishSyncRun({ id: run.id, status: 'failed' });
        expect(await codeOf(store.stageBatch({ runId: run.id, accounts: [account(APP, 'a2')] }))).toBe(
          'conflict',
        );
        expect(await codeOf(store.commitStaged({ runId: run.id }))).toBe('conflict');
        expect(await codeOf(store.stageBatch({ runId: 'nope', accounts: [] }))).toBe('not_found');
      });

      if (options.persistent) {
        it('staged batches survive a re-open and the run resumes from its last cursor', async () => {
          await seed();
          const run = await store.startSyncRun({ appId: APP, mode: 'full' });
          await store.stageBatch({ runId: run.id, accounts: [account(APP, 'a1')], cursors: { users: 'p2' } });
          await reopen();
          const progress = await store.stagedProgress({ runId: run.id });
          expect(progress).toMatchObject({ accounts: 1, batches: 1, cursors: { users: 'p2' } });
          await store.stageBatch({ runId: run.id, accounts: [account(APP, 'a2')], cursors: { users: null } });
          await store.commitStaged({ runId: run.id });
          expect((await store.listAccounts({ appId: APP })).map((a) => a.id)).toEqual(['a1', 'a2']);
        });
      }
    });

    describe('change set', () => {
      const accountsSince = async (since: number) =>
        (await store.changedSince({ since })).accounts.map((c) => `${c.appId}/${c.id}:${c.change}`).sort();
      const stageAndCommit = async (accounts: Account[], grants: Grant[]) => {
        const run = await store.startSyncRun({ appId: APP, mode: 'full' });
        await store.stageBatch({ runId: run.id, accounts, entitlements: [entitlement(APP, 't1')], grants });
        await store.commitStaged({ runId: run.id });
        return run.id;
      };

      it('a staged commit records the accounts it adds, changes and removes, and a re-sync of the same data records nothing', async () => {
        const first = await stageAndCommit(
          [account(APP, 'a1'), account(APP, 'a2'), account(APP, 'a3')],
          [grant(APP, 't1', 'a1')],
        );
        const start = await store.changedSince({ since: 0 });
        expect(start.generation).toBeGreaterThan(0);
        expect(await accountsSince(0)).toEqual(['tp/a1:added', 'tp/a2:added', 'tp/a3:added']);

        await stageAndCommit(
          [account(APP, 'a1'), account(APP, 'a2'), account(APP, 'a3')],
          [grant(APP, 't1', 'a1')],
        );
        expect(await store.changedSince({ since: start.generation })).toEqual({
          generation: start.generation,
          accounts: [],
          people: [],
        });
        // The graph reads only the head by asking past the largest generation a Postgres integer holds.
        expect(await store.changedSince({ since: 2 ** 31 - 1 })).toEqual({
          generation: start.generation,
          accounts: [],
          people: [],
        });
        // Unchanged rows were not rewritten: they still name the run that last changed them.
        expect(new Set((await store.listAccounts({ appId: APP })).map((a) => a.syncRunId))).toEqual(
          new Set([first]),
        );

        const third = await stageAndCommit(
          [account(APP, 'a1'), account(APP, 'a2', { status: 'inactive' }), account(APP, 'a4')],
          [grant(APP, 't1', 'a4')],
        );
        expect(await accountsSince(start.generation)).toEqual([
          'tp/a1:changed',
          'tp/a2:changed',
          'tp/a3:removed',
          'tp/a4:added',
        ]);
        const stored = await store.listAccounts({ appId: APP });
        expect(stored.map((a) => [a.id, a.status, a.syncRunId])).toEqual([
          ['a1', 'active', first],
          ['a2', 'inactive', third],
          ['a4', 'active', third],
        ]);
        expect((await store.listGrants({ appId: APP })).map((g) => g.accountId)).toEqual(['a4']);
      });

      it('a direct snapshot replacement writes and records only the difference; a grant Roster made keeps its mark', async () => {
        const snapshot = (accounts: Account[], grants: SnapshotGrant[]) => ({
          appId: APP,
          runId: null,
          accounts,
          entitlements: [entitlement(APP, 't1')],
          grants,
        });
        await store.replaceSnapshot(
          snapshot(
            [account(APP, '1'), account(APP, '2')],
            [{ ...grant(APP, 't1', '1'), grantedBy: 'roster' }],
          ),
        );
        const { generation } = await store.changedSince({ since: 0 });
        await store.replaceSnapshot(
          snapshot([account(APP, '1'), account(APP, '2')], [grant(APP, 't1', '1')]),
        );
        expect((await store.changedSince({ since: generation })).accounts).toEqual([]);
        expect((await store.listGrants({ appId: APP }))[0]?.grantedBy).toBe('roster');

        await store.replaceSnapshot(
          snapshot([account(APP, '1'), account(APP, '2', { firstName: 'Renamed' })], [grant(APP, 't1', '2')]),
        );
        expect(await accountsSince(generation)).toEqual(['tp/1:changed', 'tp/2:changed']);
        expect((await store.getAccount({ appId: APP, id: '2' }))?.firstName).toBe('Renamed');
        expect((await store.listGrants({ appId: APP })).map((g) => [g.accountId, g.grantedBy])).toEqual([
          ['2', 'external'],
        ]);
      });

      it('an import records the people it adds, changes and removes; the same people again record nothing', async () => {
        await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('E1'), person('E2')] });
        const { generation, people } = await store.changedSince({ since: 0 });
        expect(people.map((p) => `${p.employeeId}:${p.change}`)).toEqual(['E1:added', 'E2:added']);
        await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h2', people: [person('E1'), person('E2')] });
        expect(await store.changedSince({ since: generation })).toMatchObject({ generation, people: [] });
        await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h3',
          people: [person('E1', { status: 'leaver' }), person('E3')],
        });
        const later = await store.changedSince({ since: generation });
        expect(later.generation).toBe(generation + 1);
        expect(later.people.map((p) => `${p.employeeId}:${p.change}`).sort()).toEqual([
          'E1:changed',
          'E2:removed',
          'E3:added',
        ]);
      });

      it('an account the app has just created is written as added; one the snapshot already holds is compared as any upsert', async () => {
        const { generation } = await store.changedSince({ since: 0 });
        const made = await upsertSnapshotAccount(
          store,
          { ...account(APP, 'n1', { displayName: 'New One' }), raw: null },
          { created: true },
        );
        expect(made).toMatchObject({ id: 'n1', displayName: 'New One', syncRunId: null });
        const first = await store.changedSince({ since: generation });
        expect(first.accounts.map((c) => `${c.id}:${c.change}`)).toEqual(['n1:added']);
        // Held already (a sync wrote it in between): unchanged writes nothing, a difference is a change.
        await upsertSnapshotAccount(
          store,
          { ...account(APP, 'n1', { displayName: 'New One' }), raw: null },
          { created: true },
        );
        expect((await store.changedSince({ since: first.generation })).accounts).toEqual([]);
        const renamed = await upsertSnapshotAccount(
          store,
          { ...account(APP, 'n1', { displayName: 'Renamed' }), raw: null },
          { created: true },
        );
        expect(renamed).toMatchObject({ id: 'n1', displayName: 'Renamed' });
        expect(
          (await store.changedSince({ since: first.generation })).accounts.map((c) => `${c.id}:${c.change}`),
        ).toEqual(['n1:changed']);
        expect(await store.getAccount({ appId: APP, id: 'n1' })).toMatchObject({ displayName: 'Renamed' });
      });

      it("a transaction's changes are written when it commits, under one generation, the later change of a person winning; its own reads see them; rolled back, none", async () => {
        const { generation } = await store.changedSince({ since: 0 });
        await store.transaction(async (tx) => {
          await tx.replacePeople({ sourcePath: 'hr.csv', hash: 'h1', people: [person('E1'), person('E2')] });
          await tx.replacePeople({ sourcePath: 'hr.csv', hash: 'h2', people: [person('E1')] });
          const own = await tx.changedSince({ since: generation });
          expect(own.generation).toBe(generation + 1);
          expect(own.people.map((p) => `${p.employeeId}:${p.change}`)).toEqual(['E1:added', 'E2:removed']);
          await tx.replacePeople({ sourcePath: 'hr.csv', hash: 'h3', people: [person('E1'), person('E4')] });
        });
        const after = await store.changedSince({ since: generation });
        // Written twice in the transaction (its own read in between), so two generations, both after the start.
        expect(after.generation).toBe(generation + 2);
        expect(after.people.map((p) => `${p.employeeId}:${p.change}:${p.generation}`)).toEqual([
          `E1:added:${generation + 1}`,
          `E2:removed:${generation + 1}`,
          `E4:added:${generation + 2}`,
        ]);
        await expect(
          store.transaction(async (tx) => {
            await tx.replacePeople({ sourcePath: 'hr.csv', hash: 'h4', people: [] });
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        expect(await store.changedSince({ since: after.generation })).toEqual({
          generation: after.generation,
          accounts: [],
          people: [],
        });
      });
    });

    describe('links', () => {
      it('manual links survive a snapshot replacement and later correlation passes', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '1'), account(APP, '2')],
          entitlements: [],
          grants: [],
        });
        await store.upsertLinks({ links: [link(APP, '1', 'e1'), link(APP, '2', null)] });
        const decided = await store.decideLink({
          appId: APP,
          accountId: '2',
          employeeId: 'e2',
          decidedBy: 'ana',
        });
        expect(decided).toMatchObject({
          manual: true,
          method: 'manual',
          situation: 'linked',
          decidedBy: 'ana',
        });
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '1', { displayName: 'changed' }), account(APP, '2')],
          entitlements: [],
          grants: [],
        });
        const written = await store.upsertLinks({ links: [link(APP, '1', 'e9'), link(APP, '2', null)] });
        expect(written).toEqual({ written: 1, keptManual: 1 });
        const links = await store.listLinks({ appId: APP });
        expect(links.map((l) => [l.accountId, l.employeeId, l.manual])).toEqual([
          ['1', 'e9', false],
          ['2', 'e2', true],
        ]);
        expect((await store.listLinks({ employeeId: 'e2' })).map((l) => l.accountId)).toEqual(['2']);
        await store.undecideLink({ appId: APP, accountId: '2' });
        await store.upsertLinks({ links: [link(APP, '2', null)] });
        expect((await store.listLinks({ situation: 'unmatched' })).map((l) => l.accountId)).toEqual(['2']);
      });

      it("lists a whole app's links in account order, page after page, whole and under a situation", async () => {
        const ids = Array.from({ length: 4500 }, (_, i) => `u${String(i).padStart(5, '0')}`);
        await store.upsertLinks({
          links: [
            ...ids.map((id, i) => ({
              ...link(APP, id, i % 3 === 0 ? null : `e${i}`),
              ...(i % 3 === 0 ? { candidates: [`e${i}`, `e${i + 1}`], situation: 'disputed' as const } : {}),
            })),
            link(OTHER_APP, 'u00001', 'e1'),
          ],
        });
        await store.decideLink({ appId: APP, accountId: 'u02000', employeeId: 'e7', decidedBy: 'ana' });
        const all = await store.listLinks({ appId: APP });
        expect(all.map((l) => l.accountId)).toEqual(ids);
        expect(all.every((l) => l.appId === APP)).toBe(true);
        expect(all[3]).toMatchObject({ situation: 'disputed', employeeId: null, candidates: ['e3', 'e4'] });
        expect(all[2000]).toMatchObject({
          manual: true,
          decidedBy: 'ana',
          employeeId: 'e7',
          situation: 'linked',
        });
        const disputed = await store.listLinks({ appId: APP, situation: 'disputed' });
        expect(disputed.map((l) => l.accountId)).toEqual(ids.filter((_, i) => i % 3 === 0));
      });

      it('pruning drops automatic links of vanished accounts and keeps manual ones', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '1')],
          entitlements: [],
          grants: [],
        });
        await store.upsertLinks({
          links: [link(APP, '1', 'e1'), link(APP, 'gone', 'e2'), link(OTHER_APP, 'x', 'e3')],
        });
        await store.decideLink({ appId: APP, accountId: 'gone-too', employeeId: null, decidedBy: 'ana' });
        expect(await store.pruneLinks({ appId: APP })).toEqual({ removed: 1 });
        expect((await store.listLinks()).map((l) => `${l.appId}/${l.accountId}`)).toEqual([
          `${OTHER_APP}/x`,
          `${APP}/1`,
          `${APP}/gone-too`,
        ]);
      });

      it('the graph state round-trips, and a save without findings keeps the stored findings state', async () => {
        expect(await store.graphState()).toBeNull();
        await store.saveGraphState({ config: '{"v":1}', generation: 3 });
        await store.saveGraphState({ config: '{"v":2}', generation: 4 });
        expect(await store.graphState()).toMatchObject({ config: '{"v":2}', generation: 4, findings: null });
        const findings = { generation: 4, config: 'f', now: '2026-11-01T00:00:00.000Z', summary: { n: 1 } };
        await store.saveGraphState({ config: '{"v":2}', generation: 4, findings });
        await store.saveGraphState({ config: '{"v":3}', generation: 5 });
        expect(await store.graphState()).toMatchObject({ config: '{"v":3}', generation: 5, findings });
      });

      it('a link decision enters the change set the graph runs from', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '1')],
          entitlements: [],
          grants: [],
        });
        const { generation } = await store.changedSince({ since: 0 });
        await store.decideLink({ appId: APP, accountId: '1', employeeId: null, decidedBy: 'ana' });
        expect((await store.changedSince({ since: generation })).accounts).toMatchObject([
          { appId: APP, id: '1', change: 'changed' },
        ]);
      });

      it('links and findings keep texts that need quoting, past one statement of rows', async () => {
        // Postgres takes them as one array per column: its array syntax quotes commas, braces, quotes and NULL.
        const odd = ['a,b', 'q"uote', 'back\\slash', '{brace}', 'NULL', ' space ', 'ünï😀', ''];
        const many = Array.from({ length: 10_050 }, (_, i) => `m${String(i).padStart(5, '0')}`);
        const links: Link[] = [
          ...odd.map((id, i) => ({
            ...link(APP, id, i % 2 === 0 ? `e"${id}` : null),
            situation: 'disputed' as const,
            candidates: [id, 'NULL', 'x,y'],
          })),
          ...many.map((id) => link(APP, id, 'e1')),
        ];
        expect(await store.upsertLinks({ links })).toEqual({ written: links.length, keptManual: 0 });
        // The same account twice in one call: the last link given stands.
        await store.upsertLinks({ links: [link(APP, 'twice', 'e1'), link(APP, 'twice', 'e2')] });
        expect((await store.listLinks({ employeeId: 'e2' })).map((l) => l.accountId)).toEqual(['twice']);
        links.push(link(APP, 'twice', 'e2'));
        const stored = new Map((await store.listLinks({ appId: APP })).map((l) => [l.accountId, l]));
        expect(stored.size).toBe(links.length);
        for (const l of links) {
          const { appId, accountId, employeeId, situation, method, confidence, candidates } = l;
          expect(stored.get(l.accountId)).toMatchObject({
            appId,
            accountId,
            employeeId,
            situation,
            method,
            confidence,
            candidates,
          });
        }
        const findings = [...odd, ...many, 'twice'].map((accountId, i) => ({
          appId: APP,
          accountId,
          rule: 'orphan',
          severity: 'high',
          employeeId: i % 3 === 0 ? null : `e{${accountId}}`,
          title: `orphan "${accountId}"`,
          evidence: { email: `${accountId}@example.com`, list: [accountId, null] },
        }));
        await store.replaceGraphFindings({ accounts: 'all', findings, consumed: [] });
        const sort = <T extends { accountId: string }>(rows: T[]) =>
          [...rows].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
        expect(sort(await store.listGraphFindings())).toEqual(sort(findings));
      });

      it('stored findings are replaced per account or whole, with the dirty rows they consumed and their state', async () => {
        const finding = (accountId: string, rule: string) => ({
          appId: APP,
          accountId,
          rule,
          severity: 'medium',
          employeeId: accountId === '1' ? 'e1' : null,
          title: `${rule} on ${accountId}`,
          evidence: { email: `${accountId}@example.com`, candidates: ['e1', 'e2'], isAdmin: false, n: 3 },
        });
        const state = {
          generation: 4,
          config: '{"f":1}',
          now: '2026-11-01T00:00:00.000Z',
          summary: { x: 1 },
        };
        await store.saveGraphState({ config: '{"v":1}', generation: 4 });
        await store.markGraphDirty({
          rows: [
            { appId: APP, accountId: '1', employeeId: 'e1' },
            { appId: APP, accountId: '1', employeeId: 'e1' },
            { appId: APP, accountId: '2', employeeId: '' },
          ],
        });
        expect(await store.listGraphDirty()).toHaveLength(2);
        await store.replaceGraphFindings({
          accounts: 'all',
          findings: [finding('1', 'orphan'), finding('1', 'dormant'), finding('2', 'orphan')],
          consumed: [{ appId: APP, accountId: '1', employeeId: 'e1' }],
          state,
        });
        expect(await store.listGraphDirty()).toEqual([{ appId: APP, accountId: '2', employeeId: '' }]);
        expect(await store.graphState()).toMatchObject({ generation: 4, findings: state });
        await store.replaceGraphFindings({
          accounts: [{ appId: APP, accountId: '1' }],
          findings: [finding('1', 'privileged')],
          consumed: [],
          state: { ...state, generation: 5 },
        });
        const stored = (await store.listGraphFindings()).sort((a, b) =>
          `${a.accountId}${a.rule}`.localeCompare(`${b.accountId}${b.rule}`),
        );
        expect(stored).toEqual([finding('1', 'privileged'), finding('2', 'orphan')]);
        // One person's findings only.
        expect(await store.listGraphFindings({ employeeId: 'e1' })).toEqual([finding('1', 'privileged')]);
        expect(await store.listGraphFindings({ employeeId: 'e2' })).toEqual([]);
        expect(await store.graphFindingCounts()).toEqual({ orphan: 1, privileged: 1 });
        expect((await store.graphState())?.findings?.generation).toBe(5);
        // Saving the links' state alone keeps the findings' state.
        await store.saveGraphState({ config: '{"v":1}', generation: 6 });
        expect(await store.graphState()).toMatchObject({ generation: 6, findings: { generation: 5 } });
      });

      it('the graph reads people and accounts exactly as the ordinary reads do, field for field', async () => {
        await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h',
          people: [
            {
              ...person('e2'),
              aliases: ['e2.alt@acme.com'],
              endDate: '2026-12-31',
              attributes: { idp_id: 'x' },
            },
            { ...person('e1'), status: 'leaver', department: null },
          ],
        });
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [
            { ...account(APP, '1'), isAdmin: true, attributes: { department: 'Ops', seats: 2, sso: false } },
            { ...account(APP, '2'), status: 'invited', login: 'l2', externalId: 'x', displayName: 'A B' },
          ],
          entitlements: [],
          grants: [],
        });
        expect(await store.listGraphPeople({})).toEqual(await store.listPeople());
        expect(await store.listGraphPeople({ employeeIds: ['e2'] })).toEqual([
          await store.getPerson({ employeeId: 'e2' }),
        ]);
        const accounts = await store.listGraphAccounts({ appId: APP });
        expect(accounts).toEqual(
          (await store.listAccounts({ appId: APP })).map(({ raw: _raw, syncRunId: _run, ...lean }) => lean),
        );
        expect(accounts.map((a) => [a.id, a.isAdmin, a.status])).toEqual([
          ['1', true, 'active'],
          ['2', false, 'invited'],
        ]);
      });

      it('the graph reads just the rows it names, counts links over accounts still held, and finds accounts near a time threshold', async () => {
        await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h', people: [person('e1'), person('e2')] });
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [
            {
              ...account(APP, '1'),
              lastLoginAt: '2026-08-01T00:00:00.000Z',
              createdAt: '2025-01-01T00:00:00.000Z',
            },
            { ...account(APP, '2'), createdAt: '2026-10-20T00:00:00.000Z' },
            { ...account(APP, '3'), status: 'invited', createdAt: '2026-09-01T00:00:00.000Z' },
          ],
          entitlements: [],
          grants: [],
        });
        await store.upsertLinks({
          links: [link(APP, '1', 'e1'), link(APP, '2', 'e1'), link(APP, '9', 'e2')],
        });
        expect(
          (await store.listGraphAccounts({ appId: APP, ids: ['2', '3', 'nope'] })).map((a) => a.id),
        ).toEqual(['2', '3']);
        expect(
          (await store.listGraphLinks({ appId: APP, employeeIds: ['e1'] })).map((l) => l.accountId).sort(),
        ).toEqual(['1', '2']);
        expect(
          (await store.listGraphLinks({ appId: APP, accountIds: ['9'] })).map((l) => l.employeeId),
        ).toEqual(['e2']);
        expect((await store.listGraphPeople({ employeeIds: ['e2', 'e9'] })).map((p) => p.employeeId)).toEqual(
          ['e2'],
        );
        // Link 9 has no account in the snapshot: it is not counted, and e2 owns nothing.
        expect(await store.graphLinkCounts()).toEqual({
          apps: [{ appId: APP, situation: 'linked', count: 2 }],
          owners: 1,
          people: 2,
        });
        // Counted app by app when named: an app not named is left out, the owners still count every app.
        expect(await store.graphLinkCounts({ appIds: [APP] })).toEqual(await store.graphLinkCounts());
        expect(await store.graphLinkCounts({ appIds: [] })).toEqual({ apps: [], owners: 1, people: 2 });
        // Pruning named links drops only those whose account is gone: 9 stays unless named.
        expect(await store.pruneLinks({ appId: APP, accountIds: ['1', '2'] })).toEqual({ removed: 0 });
        expect((await store.listLinks({ appId: APP })).map((l) => l.accountId)).toEqual(['1', '2', '9']);
        expect(await store.pruneLinks({ appId: APP, accountIds: ['2', '9'] })).toEqual({ removed: 1 });
        expect((await store.listLinks({ appId: APP })).map((l) => l.accountId)).toEqual(['1', '2']);
        const near = await store.listGraphTimeCandidates({
          lastLogin: ['2026-07-30T00:00:00.000Z', '2026-08-02T00:00:00.000Z'],
          created: ['2026-10-19T00:00:00.000Z', '2026-10-21T00:00:00.000Z'],
          invitedBefore: '2026-10-01T00:00:00.000Z',
        });
        expect(near.map((k) => k.accountId).sort()).toEqual(['1', '2', '3']);
        const none = await store.listGraphTimeCandidates({
          lastLogin: ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
          created: ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z'],
          invitedBefore: '2026-08-01T00:00:00.000Z',
        });
        expect(none).toEqual([]);
      });
    });

    describe('plans, ops and tasks', () => {
      const makePlan = () =>
        store.createPlan({
          stateHash: 'state-1',
          summary: { creates: 1, deletes: 1 },
          body: { policy: 'default' },
          ops: [
            { appId: APP, kind: 'create', target: { email: 'a@example.com' } },
            { appId: APP, kind: 'delete', target: { accountId: '9' }, requiresApproval: true },
            { appId: APP, kind: 'grant', target: { accountId: '9', entitlementId: 't1' }, dependsOn: [1] },
          ],
        });

      it('an op finished from the record its claim and begin left, in a transaction that may run again, reads as the store then holds it; one another owner took over is refused, and the transaction kept nothing', async () => {
        const { plan } = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [
            { appId: APP, kind: 'create', target: { email: 'a@example.com' } },
            { appId: APP, kind: 'create', target: { email: 'b@example.com' } },
          ],
        });
        const op = (seq: number) => store.listOps({ planId: plan.id, seqs: [seq] }).then(([o]) => o);
        const begun = await store.claimAndBeginOp({ planId: plan.id, seq: 1, owner: 'me', leaseMs: 60_000 });
        if (begun === null) throw new Error('not begun');
        const finished = await store.transaction(
          (tx) =>
            tx.finishOp({
              planId: plan.id,
              seq: 1,
              status: 'succeeded',
              outcome: { accountId: 'x1', verified: true, note: undefined },
              owner: 'me',
              known: begun,
            }),
          { rerunnable: true },
        );
        expect(finished).toEqual(await op(1));
        expect(finished).toMatchObject({
          status: 'succeeded',
          claimedBy: null,
          outcome: { accountId: 'x1' },
        });
        const second = await store.claimAndBeginOp({ planId: plan.id, seq: 2, owner: 'me', leaseMs: 60_000 });
        if (second === null) throw new Error('not begun');
        await store.claimOp({
          planId: plan.id,
          seq: 2,
          owner: 'other',
          leaseMs: 60_000,
          takeOverFrom: ['me'],
        });
        await expect(
          store.transaction(
            async (tx) => {
              await tx.appendAudit({ actor: 'me', kind: 'op.succeeded', data: { seq: 2 } });
              await tx.finishOp({
                planId: plan.id,
                seq: 2,
                status: 'succeeded',
                outcome: {},
                owner: 'me',
                known: second,
              });
            },
            { rerunnable: true },
          ),
        ).rejects.toThrow(/claimed by other/);
        expect(await op(2)).toMatchObject({ status: 'running', claimedBy: 'other' });
        expect((await store.listAudit({})).filter((e) => e.kind === 'op.succeeded')).toEqual([]);
      });

      it('plans of a time window are read whole, by when they were made or last moved', async () => {
        const first = (await makePlan()).plan;
        const second = (await makePlan()).plan;
        const third = (await makePlan()).plan;
        const ids = (plans: { id: string }[]) => plans.map((p) => p.id);
        expect(ids(await store.listPlans({ createdSince: second.createdAt }))).toEqual([third.id, second.id]);
        expect(ids(await store.listPlans({ createdSince: second.createdAt, limit: 1 }))).toEqual([third.id]);
        const moved = await store.setPlanStatus({ id: first.id, status: 'cancelled' });
        expect(ids(await store.listPlans({ status: 'cancelled', updatedSince: moved.updatedAt }))).toEqual([
          first.id,
        ]);
        expect(await store.listPlans({ status: 'cancelled', updatedSince: later(moved.updatedAt) })).toEqual(
          [],
        );
        expect(ids(await store.listPlans({ status: 'draft', createdSince: first.createdAt }))).toEqual([
          third.id,
          second.id,
        ]);
      });

      it('plans are found by the start or the end of their id, case ignored, a LIKE wildcard taken literally', async () => {
        const { plan } = await makePlan();
        const other = (await makePlan()).plan;
        const ids = (plans: { id: string }[]) => plans.map((p) => p.id);
        expect(ids(await store.listPlans({ idPart: plan.id.slice(0, 23) }))).toEqual([plan.id]);
        expect(ids(await store.listPlans({ idPart: plan.id.slice(-8).toUpperCase() }))).toEqual([plan.id]);
        expect(ids(await store.listPlans({ idPart: plan.id }))).toEqual([plan.id]);
        expect(await store.listPlans({ idPart: '%' })).toEqual([]);
        expect(await store.listPlans({ idPart: '_' })).toEqual([]);
        // Made moments apart, their ids start alike: in time order, their first 4 characters change every 50 days.
        expect(ids(await store.listPlans({ idPart: plan.id.slice(0, 4) })).sort()).toEqual(
          [plan.id, other.id].sort(),
        );
      });

      it('plans whose summary counts removals are read alone, whatever else their summary holds', async () => {
        // Nested, a count of 0 does not hide the summary's own count.
        const planWith = async (summary: Record<string, unknown>) =>
          (await store.createPlan({ stateHash: 's', summary, body: {}, ops: [] })).plan.id;
        const none = await planWith({ source: 'scim', removals: 0, total: 1 });
        const last = await planWith({ removals: 0 });
        const one = await planWith({ source: 'scim', removals: 1, total: 1 });
        const ten = await planWith({ source: 'scim', removals: 10, hold: { key: 'a|delete|"removals":0,' } });
        const nested = await planWith({
          byApp: { x: { removals: 0 }, removals: { create: 1 } },
          removals: 20,
        });
        await planWith({ total: 3 });
        const found = (await store.listPlans({ removals: true })).map((p) => p.id);
        expect(found.sort()).toEqual([one, ten, nested].sort());
        expect(found).not.toContain(none);
        expect(found).not.toContain(last);
        expect((await store.listPlans({ removals: true, facade: true })).map((p) => p.id).sort()).toEqual(
          [one, ten].sort(),
        );
      });

      it('plans the facade held are read alone, among however many newer ones', async () => {
        const planWith = async (summary: Record<string, unknown>) =>
          (await store.createPlan({ stateHash: 's', summary, body: {}, ops: [] })).plan.id;
        const held = await planWith({ source: 'scim', removals: 1, hold: { key: 'app|delete|7' } });
        const quoted = await planWith({ source: 'scim', note: '"hold":{', removals: 0 });
        for (let i = 0; i < 5; i++) await planWith({ source: 'scim', removals: 0, total: 1 });
        await planWith({ total: 3 });
        const found = (await store.listPlans({ held: true, facade: true, limit: 2 })).map((p) => p.id);
        expect(found).toEqual([held]);
        expect(found).not.toContain(quoted);
      });

      it('an account an IdP manages is marked once per app, first mark kept, and only with its transaction', async () => {
        const { plan } = await makePlan();
        await store.markIdpManaged({ appId: APP, accountIds: ['9', '9', '10'], planId: plan.id });
        await store.markIdpManaged({ appId: OTHER_APP, accountIds: ['9'], planId: plan.id });
        await store.markIdpManaged({ appId: APP, accountIds: ['9'], planId: 'a-later-plan' });
        const rolledBack = store.transaction(async (tx) => {
          await tx.markIdpManaged({ appId: APP, accountIds: ['11'], planId: plan.id });
          throw new Error('abort');
        });
        await expect(rolledBack).rejects.toThrow('abort');
        expect((await store.idpManagedAccountIds({ appId: APP })).sort()).toEqual(['10', '9']);
        expect(await store.idpManagedAccountIds({ appId: OTHER_APP })).toEqual(['9']);
        const first = await db
          .selectFrom('idp_managed_accounts')
          .select('plan_id')
          .where('app_id', '=', APP)
          .where('account_id', '=', '9')
          .executeTakeFirst();
        expect(first?.plan_id).toBe(plan.id);
      });

      it('the SCIM facade’s plans are told apart from the others by their summary’s source', async () => {
        const policy = (await makePlan()).plan;
        const facade = (
          await store.createPlan({
            stateHash: 'scim:1',
            summary: { total: 0, source: 'scim' },
            body: {},
            ops: [],
          })
        ).plan;
        const ids = (plans: { id: string }[]) => plans.map((p) => p.id);
        expect(ids(await store.listPlans({ facade: true }))).toEqual([facade.id]);
        expect(ids(await store.listPlans({ facade: false }))).toEqual([policy.id]);
        expect(ids(await store.listPlans({}))).toEqual([facade.id, policy.id]);
      });

      it('a plan is stored with its ops in order and its status can move', async () => {
        const { plan, ops } = await makePlan();
        expect(ops.map((o) => [o.seq, o.status, o.requiresApproval])).toEqual([
          [1, 'pending', false],
          [2, 'pending', true],
          [3, 'pending', false],
        ]);
        expect(await store.getPlan({ id: plan.id })).toEqual(plan);
        expect(await store.listOps({ planId: plan.id })).toEqual(ops);
        expect((await store.setPlanStatus({ id: plan.id, status: 'approved' })).status).toBe('approved');
        expect((await store.listPlans({ status: 'approved' })).map((p) => p.id)).toEqual([plan.id]);
        expect(await codeOf(store.setPlanStatus({ id: 'nope', status: 'applied' }))).toBe('not_found');
        // Settled in a transaction with a write after it (on Postgres they go out together), and alone.
        await store.transaction(async (tx) => {
          await tx.settlePlanStatus({ id: plan.id, status: 'applying' });
          await tx.markIdpManaged({ appId: APP, accountIds: ['a1'], planId: plan.id });
        });
        expect((await store.getPlan({ id: plan.id }))?.status).toBe('applying');
        expect(await store.idpManagedAccountIds({ appId: APP })).toEqual(['a1']);
        await store.settlePlanStatus({ id: plan.id, status: 'applied' });
        expect((await store.getPlan({ id: plan.id }))?.status).toBe('applied');
        const badDeps = store.createPlan({
          stateHash: 's',
          summary: {},
          body: null,
          ops: [{ appId: APP, kind: 'create', target: {}, dependsOn: [1] }],
        });
        expect(await codeOf(badDeps)).toBe('invalid_input');
      });

      it('a plan with more ops than one insert statement carries is read back whole, in order, each as given', async () => {
        // 5,000 ops of 15 values: several statements on SQLite (16,000 values each) and two on Postgres (65,535).
        const count = 5_000;
        const inputs = Array.from({ length: count }, (_, i) => ({
          appId: APP,
          kind: i % 3 === 0 ? ('grant' as const) : ('create' as const),
          target: { ref: `op-${i}`, person: { email: `p${i}@example.com`, name: `P ${i} "q"` }, n: i },
          ...(i > 0 && i % 7 === 0 ? { dependsOn: [i, 1] } : {}),
          ...(i % 5 === 0 ? { requiresApproval: true } : {}),
        }));
        const { plan, ops } = await store.createPlan({
          stateHash: 'big',
          summary: {},
          body: {},
          ops: inputs,
        });
        const read = await store.listOps({ planId: plan.id });
        expect(read).toEqual(ops);
        expect(read.map((o) => [o.seq, o.kind, o.target, o.dependsOn, o.requiresApproval])).toEqual(
          inputs.map((op, i) => [
            i + 1,
            op.kind,
            op.target,
            op.dependsOn ?? [],
            op.requiresApproval ?? false,
          ]),
        );
      });

      it('ops given one at a time are saved as a list of them is; a wrong one takes the whole plan back', async () => {
        const inputs = Array.from({ length: 1_200 }, (_, i) => ({
          appId: APP,
          kind: 'create' as const,
          target: { ref: `op-${i}` },
          ...(i > 0 ? { dependsOn: [i] } : {}),
        }));
        const { plan, ops } = await store.createPlan({
          stateHash: 'one at a time',
          summary: {},
          body: {},
          ops: { count: inputs.length, op: (i) => inputs[i]! },
        });
        expect(await store.listOps({ planId: plan.id })).toEqual(ops);
        expect(ops.map((o) => [o.seq, o.target, o.dependsOn])).toEqual(
          inputs.map((op, i) => [i + 1, op.target, op.dependsOn ?? []]),
        );
        const before = await store.listPlans({ limit: 1_000 });
        const wrong = store.createPlan({
          stateHash: 'wrong',
          summary: {},
          body: {},
          ops: {
            count: inputs.length,
            op: (i) => (i === 1_100 ? { ...inputs[i]!, dependsOn: [5_000] } : inputs[i]!),
          },
        });
        expect(await codeOf(wrong)).toBe('invalid_input');
        expect(await store.listPlans({ limit: 1_000 })).toEqual(before);
      });

      it('an op records its intent before the call and its outcome after', async () => {
        const { plan } = await makePlan();
        const begun = await store.beginOp({ planId: plan.id, seq: 1 });
        expect(begun).toMatchObject({ status: 'running', attempts: 1 });
        expect(begun.intentAt).not.toBeNull();
        const failed = await store.finishOp({ planId: plan.id, seq: 1, status: 'failed', error: 'HTTP 503' });
        expect(failed).toMatchObject({ status: 'failed', error: 'HTTP 503' });
        expect((await store.beginOp({ planId: plan.id, seq: 1 })).attempts).toBe(2);
        const done = await store.finishOp({
          planId: plan.id,
          seq: 1,
          status: 'succeeded',
          outcome: { id: '42' },
        });
        expect(done).toMatchObject({ status: 'succeeded', outcome: { id: '42' }, error: null });
        expect(await codeOf(store.beginOp({ planId: plan.id, seq: 1 }))).toBe('conflict');
        expect(await codeOf(store.finishOp({ planId: plan.id, seq: 3, status: 'succeeded' }))).toBe(
          'conflict',
        );
        expect((await store.finishOp({ planId: plan.id, seq: 3, status: 'skipped' })).status).toBe('skipped');
        expect(await codeOf(store.beginOp({ planId: plan.id, seq: 99 }))).toBe('not_found');
      });

      it('an op that needs approval cannot begin until it is approved', async () => {
        const { plan } = await makePlan();
        expect(await codeOf(store.beginOp({ planId: plan.id, seq: 2 }))).toBe('conflict');
        const [approved] = await store.approveOps({ planId: plan.id, seqs: [2], approvedBy: 'ana' });
        expect(approved).toMatchObject({ status: 'approved', approvedBy: 'ana' });
        expect((await store.beginOp({ planId: plan.id, seq: 2 })).status).toBe('running');
        expect(await codeOf(store.approveOps({ planId: plan.id, seqs: [2], approvedBy: 'bo' }))).toBe(
          'conflict',
        );
        expect((await store.listOps({ planId: plan.id, status: 'running' })).map((o) => o.seq)).toEqual([2]);
      });

      it('a manual task stays open until someone closes it', async () => {
        const { plan } = await makePlan();
        const task = await store.createTask({
          planId: plan.id,
          opSeq: 1,
          appId: APP,
          kind: 'create',
          instructions: 'Invite a@example.com from the admin console',
        });
        await store.createTask({ appId: OTHER_APP, kind: 'delete', instructions: 'Remove x' });
        expect((await store.listTasks({ status: 'open', appId: APP })).map((t) => t.id)).toEqual([task.id]);
        const closed = await store.closeTask({ id: task.id, status: 'done', closedBy: 'ana' });
        expect(closed).toMatchObject({ status: 'done', closedBy: 'ana' });
        expect((await store.closeTask({ id: task.id, status: 'done', closedBy: 'ana' })).status).toBe('done');
        expect(await codeOf(store.closeTask({ id: task.id, status: 'cancelled', closedBy: 'bo' }))).toBe(
          'conflict',
        );
        expect(await codeOf(store.closeTask({ id: 'nope', status: 'done', closedBy: 'bo' }))).toBe(
          'not_found',
        );
        expect(await store.listTasks({ status: 'open' })).toHaveLength(1);
      });
    });

    describe('op claims, plan locks and progress', () => {
      const twoOps = (begin?: { owner: string; leaseMs: number }) =>
        store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [
            { appId: APP, kind: 'create', target: { email: 'a@example.com' } },
            { appId: APP, kind: 'wait', target: {}, dependsOn: [1] },
          ],
          ...(begin ? { begin } : {}),
        });
      const MINUTE = 60_000;

      it('an op is claimed by one owner at a time; a live claim refuses others, an expired one is taken over', async () => {
        const { plan } = await twoOps();
        const a = await store.claimOp({ planId: plan.id, seq: 1, owner: 'a', leaseMs: MINUTE });
        expect(a).toMatchObject({ claimed: true, op: { claimedBy: 'a' } });
        const b = await store.claimOp({ planId: plan.id, seq: 1, owner: 'b', leaseMs: MINUTE });
        expect(b).toMatchObject({ claimed: false, reason: 'held', op: { claimedBy: 'a' } });
        // The holder claiming again renews; a short lease runs out as the clock moves on.
        expect((await store.claimOp({ planId: plan.id, seq: 1, owner: 'a', leaseMs: 1 })).claimed).toBe(true);
        tick += 10;
        const taken = await store.claimOp({ planId: plan.id, seq: 1, owner: 'b', leaseMs: MINUTE });
        expect(taken).toMatchObject({ claimed: true, op: { claimedBy: 'b' } });
        // The old owner is fenced off: it can neither begin nor finish the op it lost.
        expect(await codeOf(store.beginOp({ planId: plan.id, seq: 1, owner: 'a' }))).toBe('conflict');
        const begun = await store.beginOp({ planId: plan.id, seq: 1, owner: 'b' });
        expect(begun).toMatchObject({ status: 'running', claimedBy: 'b' });
        expect(
          await codeOf(store.finishOp({ planId: plan.id, seq: 1, status: 'succeeded', owner: 'a' })),
        ).toBe('conflict');
        const done = await store.finishOp({ planId: plan.id, seq: 1, status: 'succeeded', owner: 'b' });
        expect(done).toMatchObject({ status: 'succeeded', claimedBy: null, claimExpiresAt: null });
        expect(await store.claimOp({ planId: plan.id, seq: 1, owner: 'c', leaseMs: MINUTE })).toMatchObject({
          claimed: false,
          reason: 'final',
        });
      });

      it('claim and intent at once: only an op free to start afresh, and nothing changes when it is not', async () => {
        const { plan } = await twoOps();
        const start = (owner: string) =>
          store.claimAndBeginOp({ planId: plan.id, seq: 1, owner, leaseMs: MINUTE });
        const begun = await start('a');
        expect(begun).toMatchObject({ status: 'running', attempts: 1, claimedBy: 'a' });
        expect(begun?.intentAt).not.toBeNull();
        expect(begun?.claimExpiresAt).not.toBeNull();
        // Running (a crash mid-call looks the same): resumed step by step, not begun again here.
        expect(await start('a')).toBeNull();
        await store.finishOp({ planId: plan.id, seq: 1, status: 'failed', error: 'HTTP 503', owner: 'a' });
        await store.claimOp({ planId: plan.id, seq: 1, owner: 'b', leaseMs: MINUTE });
        const before = await store.listOps({ planId: plan.id });
        // Another live owner's claim holds it.
        expect(await start('a')).toBeNull();
        expect(await store.listOps({ planId: plan.id })).toEqual(before);
        expect(await start('b')).toMatchObject({
          status: 'running',
          attempts: 2,
          claimedBy: 'b',
          error: null,
        });
        await store.finishOp({ planId: plan.id, seq: 1, status: 'succeeded', owner: 'b' });
        expect(await start('b')).toBeNull();
        // An expired claim is no hold.
        await store.claimOp({ planId: plan.id, seq: 2, owner: 'gone', leaseMs: 1 });
        tick += 10;
        expect(
          await store.claimAndBeginOp({ planId: plan.id, seq: 2, owner: 'c', leaseMs: MINUTE }),
        ).toMatchObject({ status: 'running', claimedBy: 'c' });
      });

      it('a plan saved with its first op begun holds that op as claimAndBeginOp would have left it', async () => {
        const fresh = await twoOps();
        const claimed = await store.claimAndBeginOp({
          planId: fresh.plan.id,
          seq: 1,
          owner: 'a',
          leaseMs: MINUTE,
        });
        const saved = await twoOps({ owner: 'a', leaseMs: MINUTE });
        const stored = await store.listOps({ planId: saved.plan.id });
        // What it answers is what it wrote, and what claimAndBeginOp makes of a fresh op (but its plan id and the
        // times, which this clock moves at every call).
        expect(saved.ops).toEqual(stored);
        const timeless = (op: OpRecord | null | undefined) => ({
          ...op,
          intentAt: 'at',
          claimExpiresAt: 'until',
        });
        expect({ ...timeless(stored[0]), planId: fresh.plan.id }).toEqual(timeless(claimed));
        const [intent, until] = [stored[0]?.intentAt ?? '', stored[0]?.claimExpiresAt ?? ''];
        expect(Date.parse(until) - Date.parse(intent)).toBeGreaterThanOrEqual(MINUTE - 5);
        expect(stored[1]).toMatchObject({ status: 'pending', claimedBy: null, attempts: 0, dependsOn: [1] });
        // Held: another owner cannot start it; it finishes as any begun op.
        expect(
          await store.claimAndBeginOp({ planId: saved.plan.id, seq: 1, owner: 'b', leaseMs: MINUTE }),
        ).toBeNull();
        await store.finishOp({ planId: saved.plan.id, seq: 1, status: 'succeeded', owner: 'a' });
        // An op that needs approval, or waits for another, is not begun.
        for (const first of [
          { appId: APP, kind: 'delete' as const, target: {}, requiresApproval: true },
          { appId: APP, kind: 'create' as const, target: {}, dependsOn: [2] },
        ]) {
          const held = await store.createPlan({
            stateHash: 's',
            summary: {},
            body: {},
            ops: [first, { appId: APP, kind: 'wait', target: {} }],
            begin: { owner: 'a', leaseMs: MINUTE },
          });
          expect(held.ops.map((o) => `${o.status}:${o.claimedBy}`)).toEqual(['pending:null', 'pending:null']);
          expect(await store.listOps({ planId: held.plan.id })).toEqual(held.ops);
        }
      });

      it('claim and intent at once wait for an approval the op needs', async () => {
        const { plan } = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [{ appId: APP, kind: 'delete', target: { accountId: '9' }, requiresApproval: true }],
        });
        const start = () => store.claimAndBeginOp({ planId: plan.id, seq: 1, owner: 'a', leaseMs: MINUTE });
        expect(await start()).toBeNull();
        expect((await store.listOps({ planId: plan.id }))[0]).toMatchObject({
          status: 'pending',
          claimedBy: null,
        });
        await store.approveOps({ planId: plan.id, seqs: [1], approvedBy: 'ana' });
        expect(await start()).toMatchObject({ status: 'running', approvedBy: 'ana', claimedBy: 'a' });
      });

      it('a dead owner named by the caller is taken over before its lease runs out; claims renew and release', async () => {
        const { plan } = await twoOps();
        await store.claimOp({ planId: plan.id, seq: 1, owner: 'dead', leaseMs: MINUTE });
        await store.claimOp({ planId: plan.id, seq: 2, owner: 'dead', leaseMs: MINUTE });
        const taken = await store.claimOp({
          planId: plan.id,
          seq: 1,
          owner: 'heir',
          leaseMs: MINUTE,
          takeOverFrom: ['dead'],
        });
        expect(taken.claimed).toBe(true);
        expect(await store.renewOpClaims({ planId: plan.id, owner: 'dead', leaseMs: MINUTE })).toBe(1);
        expect(await store.renewOpClaims({ planId: plan.id, owner: 'heir', leaseMs: MINUTE })).toBe(1);
        expect(await store.releaseOpClaims({ planId: plan.id, owner: 'dead' })).toBe(1);
        const ops = await store.listOps({ planId: plan.id });
        expect(ops.map((o) => o.claimedBy)).toEqual(['heir', null]);
      });

      it('progress is recorded on a running op without finishing it or counting an attempt', async () => {
        const { plan } = await twoOps();
        await store.claimOp({ planId: plan.id, seq: 1, owner: 'a', leaseMs: MINUTE });
        await store.beginOp({ planId: plan.id, seq: 1, owner: 'a' });
        const noted = await store.progressOp({
          planId: plan.id,
          seq: 1,
          owner: 'a',
          outcome: { accountId: 'u7', phase: 'created' },
        });
        expect(noted).toMatchObject({ status: 'running', attempts: 1, outcome: { accountId: 'u7' } });
        expect(await codeOf(store.progressOp({ planId: plan.id, seq: 1, owner: 'b', outcome: {} }))).toBe(
          'conflict',
        );
        expect(await codeOf(store.progressOp({ planId: plan.id, seq: 2, outcome: {} }))).toBe('conflict');
      });

      it('an op written with the target its caller holds answers the op as stored, and refuses as without it', async () => {
        const target = { ref: 'create:u7', person: { email: 'u7@example.com' }, input: { tags: ['a', 'b'] } };
        const { plan } = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [
            { appId: APP, kind: 'create', target },
            { appId: APP, kind: 'create', target: { ref: 'create:u8' } },
          ],
        });
        const stored = async () => (await store.listOps({ planId: plan.id, seqs: [1] }))[0];
        const held = (await stored()) as OpRecord;
        const begun = await store.claimAndBeginOp({
          planId: plan.id,
          seq: 1,
          owner: 'a',
          leaseMs: MINUTE,
          target: held.target,
        });
        expect(begun).toEqual(await stored());
        const noted = await store.progressOp({
          planId: plan.id,
          seq: 1,
          owner: 'a',
          outcome: { accountId: 'u7' },
          target: held.target,
        });
        expect(noted).toEqual(await stored());
        expect(
          await codeOf(
            store.progressOp({ planId: plan.id, seq: 1, owner: 'b', outcome: {}, target: held.target }),
          ),
        ).toBe('conflict');
        const done = await store.finishOp({
          planId: plan.id,
          seq: 1,
          status: 'succeeded',
          outcome: { accountId: 'u7', verified: true },
          owner: 'a',
          known: noted,
        });
        expect(done).toEqual(await stored());
        expect(done).toMatchObject({ status: 'succeeded', target, claimedBy: null });
        // Finished: the owner's claim is gone, and so is the op's to finish again.
        expect(
          await codeOf(
            store.finishOp({ planId: plan.id, seq: 1, status: 'failed', owner: 'a', known: noted }),
          ),
        ).toBe('conflict');
        // Another op's record is not this op's.
        await expect(
          store.finishOp({ planId: plan.id, seq: 2, status: 'skipped', owner: 'a', known: noted }),
        ).rejects.toThrow(/known record is op 1/);
      });

      it('one apply holds a plan at a time: the second is told who holds it and since when', async () => {
        const { plan } = await twoOps();
        const lock = await store.lockPlan({ planId: plan.id, owner: 'first', leaseMs: MINUTE });
        expect(lock).toMatchObject({ planId: plan.id, owner: 'first' });
        const refused = await store
          .lockPlan({ planId: plan.id, owner: 'second', leaseMs: MINUTE })
          .catch((e) => e);
        expect(isRosterError(refused) && refused.code).toBe('conflict');
        expect((refused as Error).message).toContain(`being applied by first (since ${lock.acquiredAt}`);
        expect((refused as { details: object }).details).toMatchObject({
          holder: 'first',
          since: lock.acquiredAt,
        });
        // Renewing keeps the tenure; a named dead holder is replaced; an expired lease is free to take.
        const renewed = await store.renewPlanLock({ planId: plan.id, owner: 'first', leaseMs: 1 });
        expect(renewed.acquiredAt).toBe(lock.acquiredAt);
        expect(await codeOf(store.renewPlanLock({ planId: plan.id, owner: 'second', leaseMs: 1 }))).toBe(
          'conflict',
        );
        tick += 10;
        const second = await store.lockPlan({ planId: plan.id, owner: 'second', leaseMs: MINUTE });
        expect(second.owner).toBe('second');
        expect(second.acquiredAt > lock.acquiredAt).toBe(true);
        const heir = await store.lockPlan({
          planId: plan.id,
          owner: 'heir',
          leaseMs: MINUTE,
          takeOverFrom: 'second',
        });
        expect(heir.owner).toBe('heir');
        expect(await store.unlockPlan({ planId: plan.id, owner: 'second' })).toBe(false);
        expect(await store.unlockPlan({ planId: plan.id, owner: 'heir' })).toBe(true);
        expect(await store.getPlanLock({ planId: plan.id })).toBeNull();
      });

      it('two callers racing for a free plan: exactly one wins', async () => {
        const { plan } = await twoOps();
        // A second handle on the same database where there can be one; an in-memory database races on one handle.
        const other = options.persistent ? (await open()).store : store;
        const results = await Promise.allSettled([
          store.lockPlan({ planId: plan.id, owner: 'a', leaseMs: MINUTE }),
          other.lockPlan({ planId: plan.id, owner: 'b', leaseMs: MINUTE }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      });
    });

    describe('manual tasks and task ops', () => {
      it('one open task per key: asking again returns it; closing it finishes the task ops that joined it', async () => {
        const first = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [{ appId: APP, kind: 'task', target: {} }],
        });
        const second = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: [{ appId: APP, kind: 'task', target: {} }],
        });
        const key = `${APP}|person:a@example.com|create`;
        const opened = await store.ensureTask({
          key,
          planId: first.plan.id,
          opSeq: 1,
          appId: APP,
          kind: 'create',
          instructions: 'Add a@example.com by hand',
        });
        expect(opened.created).toBe(true);
        const again = await store.ensureTask({ key, appId: APP, kind: 'create', instructions: 'x' });
        expect(again).toEqual({ task: opened.task, created: false });
        for (const planId of [first.plan.id, second.plan.id]) {
          await store.beginOp({ planId, seq: 1 });
          const op = await store.finishOp({ planId, seq: 1, status: 'task_open', taskId: opened.task.id });
          expect(op).toMatchObject({ status: 'task_open', taskId: opened.task.id, finishedAt: null });
        }
        await store.closeTask({ id: opened.task.id, status: 'done', closedBy: 'sync' });
        for (const planId of [first.plan.id, second.plan.id]) {
          expect((await store.listOps({ planId }))[0]?.status).toBe('succeeded');
        }
        // Closed, the key is free again: a new occurrence of the same change opens a new task.
        const reopened = await store.ensureTask({ key, appId: APP, kind: 'create', instructions: 'y' });
        expect(reopened.created).toBe(true);
        expect(reopened.task.id).not.toBe(opened.task.id);
      });
    });

    describe('paged listings', () => {
      const drain = async <T>(
        fetch: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
      ) => {
        const pages: T[][] = [];
        let cursor: string | null = null;
        do {
          const page = await fetch(cursor);
          pages.push(page.items);
          cursor = page.nextCursor;
        } while (cursor !== null);
        return pages;
      };

      it('accounts page in key order with filters, and every row comes exactly once', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: ['1', '2', '3', '4', '5'].map((id) =>
            account(APP, id, { status: id === '3' ? 'inactive' : 'active', isAdmin: id === '4' }),
          ),
          entitlements: [],
          grants: [],
        });
        await store.replaceSnapshot({
          appId: OTHER_APP,
          runId: null,
          accounts: [account(OTHER_APP, '1')],
          entitlements: [],
          grants: [],
        });
        const all = await drain((cursor) => store.pageAccounts({ limit: 2, cursor }));
        expect(all.map((p) => p.map((a) => `${a.appId}/${a.id}`))).toEqual([
          ['ps/1', 'tp/1'],
          ['tp/2', 'tp/3'],
          ['tp/4', 'tp/5'],
        ]);
        const active = await drain((cursor) =>
          store.pageAccounts({ appId: APP, status: 'active', limit: 3, cursor }),
        );
        expect(active.flat().map((a) => a.id)).toEqual(['1', '2', '4', '5']);
        expect((await store.pageAccounts({ email: '2@EXAMPLE.com' })).items.map((a) => a.id)).toEqual(['2']);
        const backwards = await drain((cursor) => store.pageAccounts({ order: 'desc', limit: 4, cursor }));
        expect(backwards.flat().map((a) => `${a.appId}/${a.id}`)).toEqual([
          'tp/5',
          'tp/4',
          'tp/3',
          'tp/2',
          'tp/1',
          'ps/1',
        ]);
        expect((await store.pageAccounts({ admin: true })).items.map((a) => a.id)).toEqual(['4']);
        expect((await store.pageAccounts({ appIds: [OTHER_APP] })).items.map((a) => a.appId)).toEqual([
          OTHER_APP,
        ]);
        expect((await store.pageAccounts({ appIds: [] })).items).toEqual([]);
        await store.upsertLinks({
          links: [link(APP, '2', 'e2'), link(APP, '3', null), link(OTHER_APP, '1', 'e1')],
        });
        const linked = await drain((cursor) => store.pageAccounts({ situation: 'linked', limit: 1, cursor }));
        expect(linked.flat().map((a) => `${a.appId}/${a.id}`)).toEqual(['ps/1', 'tp/2']);
        expect(await store.countAccounts({ appId: APP, situation: 'unmatched' })).toBe(1);
        expect(await store.countAccounts({ situation: 'disputed' })).toBe(0);
        expect([
          await store.countAccounts(),
          await store.countAccounts({ appIds: [APP], status: 'active' }),
          await store.countAccounts({ admin: false, appId: APP }),
          await store.countAccounts({ appIds: [] }),
        ]).toEqual([6, 4, 4, 0]);
      });

      it('plans page newest or oldest first through every plan, by status and source, and a cursor keeps its order', async () => {
        const made: { id: string; facade: boolean; status: 'draft' | 'approved' }[] = [];
        for (let n = 0; n < 7; n++) {
          const facade = n % 3 !== 0;
          const { plan } = await store.createPlan({
            stateHash: `s${n}`,
            summary: facade ? { total: 0, source: 'scim' } : { total: 0 },
            body: {},
            ops: [],
          });
          const status = n % 2 === 0 ? 'approved' : 'draft';
          if (status === 'approved') await store.setPlanStatus({ id: plan.id, status });
          made.push({ id: plan.id, facade, status });
        }
        const kept = (filter: { facade?: boolean; status?: 'draft' | 'approved' }) =>
          made
            .filter((p) => filter.facade === undefined || p.facade === filter.facade)
            .filter((p) => filter.status === undefined || p.status === filter.status)
            .map((p) => p.id);
        const ids = (pages: { id: string }[][]) => pages.flat().map((p) => p.id);

        const newest = await drain((cursor) => store.pagePlans({ order: 'desc', limit: 2, cursor }));
        expect(newest.map((p) => p.length)).toEqual([2, 2, 2, 1]);
        expect(ids(newest)).toEqual(kept({}).reverse());
        expect(ids(await drain((cursor) => store.pagePlans({ order: 'asc', limit: 3, cursor })))).toEqual(
          kept({}),
        );
        expect(ids(await drain((cursor) => store.pagePlans({ limit: 3, cursor })))).toEqual(kept({}));
        expect(await store.countPlans()).toBe(7);

        const facade = await drain((cursor) =>
          store.pagePlans({ order: 'desc', facade: true, limit: 1, cursor }),
        );
        expect(ids(facade)).toEqual(kept({ facade: true }).reverse());
        expect(await store.countPlans({ facade: true })).toBe(4);
        const approvedPolicy = await drain((cursor) =>
          store.pagePlans({ order: 'asc', facade: false, status: 'approved', limit: 1, cursor }),
        );
        expect(ids(approvedPolicy)).toEqual(kept({ facade: false, status: 'approved' }));
        expect(await store.countPlans({ facade: false, status: 'approved' })).toBe(2);
        const draftFacade = await drain((cursor) =>
          store.pagePlans({ order: 'desc', facade: true, status: 'draft', limit: 2, cursor }),
        );
        expect(ids(draftFacade)).toEqual(kept({ facade: true, status: 'draft' }).reverse());
        expect(await store.countPlans({ status: 'draft' })).toBe(3);

        const ascending = (await store.pagePlans({ order: 'asc', limit: 2 })).nextCursor as string;
        const descending = (await store.pagePlans({ order: 'desc', limit: 2 })).nextCursor as string;
        for (const [cursor, order] of [
          [ascending, 'desc'],
          [descending, 'asc'],
        ] as const) {
          const refused = await store.pagePlans({ order, cursor }).then(
            () => null,
            (error: unknown) => error,
          );
          expect(isRosterError(refused) && [refused.code, refused.where]).toEqual([
            'invalid_input',
            'cursor',
          ]);
        }
      });

      it('links page in (app, account) order either way, by app, person, situation and whether a person decided', async () => {
        const made = [
          link(APP, '1', 'e1'),
          link(APP, '2', null),
          link(APP, '3', 'e1'),
          link(OTHER_APP, '1', 'e2'),
          link(OTHER_APP, '2', null),
        ];
        await store.upsertLinks({ links: made });
        await store.decideLink({ appId: OTHER_APP, accountId: '2', employeeId: 'e1', decidedBy: 'ana' });
        const keys = (pages: StoredLink[][]) => pages.flat().map((l) => `${l.appId}/${l.accountId}`);
        const everyLink = ['ps/1', 'ps/2', 'tp/1', 'tp/2', 'tp/3'];
        const forward = await drain((cursor) => store.pageLinks({ limit: 2, cursor }));
        expect(forward.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(keys(forward)).toEqual(everyLink);
        expect(keys(await drain((cursor) => store.pageLinks({ order: 'desc', limit: 3, cursor })))).toEqual(
          [...everyLink].reverse(),
        );
        expect(await store.countLinks()).toBe(5);
        expect(
          keys(await drain((cursor) => store.pageLinks({ employeeId: 'e1', limit: 1, cursor }))),
        ).toEqual(['ps/2', 'tp/1', 'tp/3']);
        expect(await store.countLinks({ employeeId: 'e1', manual: false })).toBe(2);
        expect(keys([(await store.pageLinks({ manual: true })).items])).toEqual(['ps/2']);
        expect(keys([(await store.pageLinks({ appId: APP, situation: 'unmatched' })).items])).toEqual([
          'tp/2',
        ]);
        expect(await store.countLinks({ appId: APP, situation: 'linked' })).toBe(2);
        const cursor = (await store.pageLinks({ limit: 1 })).nextCursor;
        expect(await codeOf(store.pageLinks({ order: 'desc', cursor }))).toBe('invalid_input');
        expect(await codeOf(store.pagePlans({ cursor }))).toBe('invalid_input');
      });

      it('people, plans, ops, tasks and audit page too, and a cursor from one listing is refused by another', async () => {
        await store.replacePeople({
          sourcePath: 'hr.csv',
          hash: 'h',
          people: ['e1', 'e2', 'e3'].map((id) => person(id, { status: id === 'e2' ? 'leaver' : 'active' })),
        });
        const people = await drain((cursor) => store.pagePeople({ status: 'active', limit: 1, cursor }));
        expect(people.flat().map((p) => p.employeeId)).toEqual(['e1', 'e3']);
        const lastFirst = await drain((cursor) => store.pagePeople({ order: 'desc', limit: 2, cursor }));
        expect(lastFirst.flat().map((p) => p.employeeId)).toEqual(['e3', 'e2', 'e1']);
        expect([await store.countPeople(), await store.countPeople({ status: 'active' })]).toEqual([3, 2]);
        expect(await store.countPeople({ status: 'leaver', department: 'Sales' })).toBe(0);

        const { plan } = await store.createPlan({
          stateHash: 's',
          summary: {},
          body: {},
          ops: Array.from({ length: 5 }, (_, i) => ({
            appId: i % 2 === 0 ? APP : OTHER_APP,
            kind: 'create' as const,
            target: { i },
          })),
        });
        const ops = await drain((cursor) => store.pageOps({ planId: plan.id, appId: APP, limit: 2, cursor }));
        expect(ops.flat().map((o) => o.seq)).toEqual([1, 3, 5]);
        expect((await store.pagePlans({ status: 'draft' })).items.map((p) => p.id)).toEqual([plan.id]);

        for (const n of [1, 2, 3]) {
          await store.createTask({ appId: n === 2 ? OTHER_APP : APP, kind: 'create', instructions: `t${n}` });
        }
        const tasks = await drain((cursor) =>
          store.pageTasks({ appId: APP, status: 'open', limit: 1, cursor }),
        );
        expect(tasks.flat().map((t) => t.instructions)).toEqual(['t1', 't3']);

        for (const n of [1, 2, 3, 4]) {
          await store.appendAudit({ actor: n === 3 ? 'ana' : 'cli', kind: 'op.succeeded', appId: APP });
        }
        const audit = await drain((cursor) => store.pageAudit({ actor: 'cli', limit: 2, cursor }));
        expect(audit.map((p) => p.map((e) => e.seq))).toEqual([[1, 2], [4]]);

        const cursor = (await store.pageAudit({ limit: 1 })).nextCursor as string;
        expect(await codeOf(store.pageAccounts({ cursor }))).toBe('invalid_input');
        expect(await codeOf(store.pageAccounts({ cursor: 'not-a-cursor' }))).toBe('invalid_input');
        expect(await codeOf(store.pageAccounts({ limit: 0 }))).toBe('invalid_input');
      });
    });

    describe('audit', () => {
      const appendThree = async () => {
        await store.appendAudit({ actor: 'cli', kind: 'sync.finished', appId: APP, data: { accounts: 3 } });
        await store.appendAudit({
          actor: 'ana',
          kind: 'link.decided',
          subject: 'tp/2',
          data: { b: 1, a: [1, 'x'] },
        });
        await store.appendAudit({ actor: 'cli', kind: 'op.succeeded', appId: APP, data: {} });
      };

      it('the log reads from its newest back, and only the events about some subjects (case ignored) or of one actor', async () => {
        await appendThree();
        await store.appendAudit({
          actor: 'okta',
          kind: 'op.succeeded',
          subject: 'Ada@Example.com',
          data: {},
        });
        await store.appendAudit({ actor: 'okta', kind: 'op.succeeded', subject: 'tp/3', data: {} });
        const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
        expect(seqs(await store.listAudit({ newest: true, limit: 2 }))).toEqual([5, 4]);
        expect(seqs(await store.listAudit({ newest: true, beforeSeq: 4, limit: 2 }))).toEqual([3, 2]);
        expect(seqs(await store.listAudit({ newest: true, appId: APP }))).toEqual([3, 1]);
        expect(seqs(await store.listAudit({ subjects: ['TP/2', 'ada@example.com', 'nobody'] }))).toEqual([
          2, 4,
        ]);
        expect(seqs(await store.listAudit({ subjects: ['tp/2', 'tp/3'], afterSeq: 2 }))).toEqual([5]);
        expect(await store.listAudit({ subjects: [] })).toEqual([]);
        expect(seqs(await store.listAudit({ actor: 'okta' }))).toEqual([4, 5]);
        expect(
          seqs(await store.listAudit({ actor: 'okta', search: { kind: 'op.succeeded' }, afterSeq: 4 })),
        ).toEqual([5]);
        expect(await store.listAudit({ actor: 'Okta' })).toEqual([]);
      });

      it('a search of the log is counted and paged by the store: a kind, and text anywhere in an event, case ignored', async () => {
        await appendThree();
        await store.appendAudit({
          actor: 'Okta',
          kind: 'op.succeeded',
          subject: 'u-1',
          data: { note: '50%_off' },
        });
        const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
        const newest = (search: { kind?: string; text?: string }, offset = 0, limit = 10) =>
          store.listAudit({ newest: true, search, offset, limit }).then(seqs);
        expect(await newest({ kind: 'op.succeeded' })).toEqual([4, 3]);
        expect(await store.countAudit({ kind: 'op.succeeded' })).toBe(2);
        expect(await newest({ text: 'OKTA' })).toEqual([4]);
        expect(await newest({ text: 'tp/2' })).toEqual([2]);
        // In the details, a LIKE wildcard taken literally.
        expect(await newest({ text: '%_o' })).toEqual([4]);
        expect(await newest({ text: '"a":[1,"x"]' })).toEqual([2]);
        expect(await newest({ text: 'cli', kind: 'op.succeeded' })).toEqual([3]);
        expect(await newest({ text: 'nothing like it' })).toEqual([]);
        expect(await newest({}, 1, 2)).toEqual([3, 2]);
        expect(await store.countAudit()).toBe(4);
        expect(await store.auditKinds()).toEqual(['link.decided', 'op.succeeded', 'sync.finished']);
      });

      it("a transaction's events are written when it commits, in the order appended, after what committed meanwhile; rolled back, none", async () => {
        await store.appendAudit({ actor: 'before', kind: 'x' });
        let seen: string[] = [];
        await store.transaction(async (tx) => {
          await tx.appendAudit({ actor: 'tx', kind: 'one' });
          await tx.appendAudit({ actor: 'tx', kind: 'two', data: { n: 2 } });
          // Its own reads see them, chained, whichever read it is.
          expect(await tx.countAudit()).toBe(3);
          await tx.appendAudit({ actor: 'tx', kind: 'three' });
          const page = await tx.pageAudit({ limit: 10 });
          seen = page.items.map((e) => `${e.seq}:${e.kind}`);
          expect(await tx.verifyAudit()).toEqual({ ok: true, count: 4 });
          await tx.appendAudit({ actor: 'tx', kind: 'four' });
          expect(await tx.auditKinds()).toEqual(['four', 'one', 'three', 'two', 'x']);
        });
        expect(seen).toEqual(['1:x', '2:one', '3:two', '4:three']);
        await expect(
          store.transaction(async (tx) => {
            await tx.appendAudit({ actor: 'undone', kind: 'x' });
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        // A value JSON cannot hold is refused at the append, not at the commit.
        await expect(
          store.transaction(async (tx) => {
            await expect(
              tx.appendAudit({ actor: 'bad', kind: 'x', data: { n: Number.NaN } }),
            ).rejects.toThrow();
          }),
        ).resolves.toBeUndefined();
        await store.appendAudit({ actor: 'after', kind: 'x' });
        const events = await store.listAudit({});
        expect(events.map((e) => `${e.seq}:${e.actor}:${e.kind}`)).toEqual([
          '1:before:x',
          '2:tx:one',
          '3:tx:two',
          '4:tx:three',
          '5:tx:four',
          '6:after:x',
        ]);
        expect(events[2]?.data).toEqual({ n: 2 });
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 6 });
      });

      it('thousands of events in one transaction are written in as few statements as the engine allows, whole', async () => {
        await store.appendAudit({ actor: 'first', kind: 'x' });
        await store.transaction(async (tx) => {
          for (let i = 0; i < 4000; i++) await tx.appendAudit({ actor: 'bulk', kind: 'op', data: { i } });
        });
        const events = await store.listAudit({ limit: 5000 });
        expect(events).toHaveLength(4001);
        expect(events.map((e) => e.data['i'] ?? -1)).toEqual([
          -1,
          ...Array.from({ length: 4000 }, (_, i) => i),
        ]);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 4001 });
      });

      it('the audit chain verifies and each event links to the one before', async () => {
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 0 });
        await appendThree();
        const events = await store.listAudit();
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(events[1]?.prevHash).toBe(events[0]?.hash);
        expect(events[1]?.data).toEqual({ a: [1, 'x'], b: 1 });
        expect((await store.listAudit({ appId: APP, afterSeq: 1 })).map((e) => e.seq)).toEqual([3]);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 3 });
      });

      it('an append made in a transaction that rolled back is not what the next append links to', async () => {
        await store.appendAudit({ actor: 'cli', kind: 'first', data: {} });
        await expect(
          store.transaction(async (tx) => {
            await tx.appendAudit({ actor: 'cli', kind: 'undone', data: {} });
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        await store.appendAudit({ actor: 'cli', kind: 'second', data: {} });
        expect((await store.listAudit()).map((e) => [e.seq, e.kind])).toEqual([
          [1, 'first'],
          [2, 'second'],
        ]);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 2 });
      });

      it('appends in one transaction chain onto each other', async () => {
        await store.transaction(async (tx) => {
          for (const kind of ['a', 'b', 'c']) await tx.appendAudit({ actor: 'cli', kind, data: { kind } });
        });
        expect((await store.listAudit()).map((e) => e.kind)).toEqual(['a', 'b', 'c']);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 3 });
      });

      if (options.persistent) {
        it('two handles taking turns on one database keep one chain (each links to the other’s appends)', async () => {
          const other = (await open()).store;
          for (let i = 0; i < 3; i++) {
            await store.appendAudit({ actor: 'one', kind: 'turn', data: { i } });
            await other.appendAudit({ actor: 'two', kind: 'turn', data: { i } });
            await other.appendAudit({ actor: 'two', kind: 'turn', data: { i, again: true } });
          }
          const events = await store.listAudit();
          expect(events.map((e) => e.actor).join(' ')).toBe('one two two one two two one two two');
          expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
          expect(await other.verifyAudit()).toEqual({ ok: true, count: 9 });
        });
      }

      it('a tampered audit row is detected', async () => {
        await appendThree();
        await db
          .updateTable('audit_events')
          .set({ data: '{"a":[1,"x"],"b":2}' })
          .where('seq', '=', 2)
          .execute();
        expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2, count: 1 });
      });

      it('a rewritten row with a recomputed hash breaks the link to the next one', async () => {
        await appendThree();
        const [, second] = await store.listAudit();
        const forged = { ...second!, actor: 'mallory' };
        await db
          .updateTable('audit_events')
          .set({ actor: 'mallory', hash: auditHash(forged.prevHash, forged) })
          .where('seq', '=', 2)
          .execute();
        expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 3 });
      });

      it('a deleted audit row is detected', async () => {
        await appendThree();
        await db.deleteFrom('audit_events').where('seq', '=', 2).execute();
        expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 3 });
      });
    });

    describe('access reviews', () => {
      const subject = (email: string) => ({
        accountEmail: email,
        accountStatus: 'active',
        entitlement: { id: 'r1', kind: 'role', name: 'Admin', privileged: true },
        privileged: true,
        person: { employeeId: 'E1', email, name: 'Ana Lee', managerEmail: 'bo@acme.com' },
        lastActivity: null,
        findings: ['dormant'],
        suggestion: { decision: 'revoke' as const, why: 'unused' },
      });

      it('a campaign and its frozen items are written together, numbered in order, and read back whole', async () => {
        const review = await store.createReview({
          review: {
            name: 'Q1',
            scope: { apps: [APP], select: 'privileged' },
            rule: { order: ['manager', 'owner'], fallback: 'sec@acme.com' },
            dueAt: '2025-02-01T00:00:00.000Z',
            revokeWhen: 'close',
            createdBy: 'cli',
          },
          items: [
            {
              appId: APP,
              accountId: '1',
              subject: subject('ana@acme.com'),
              reviewer: 'bo@acme.com',
              reviewerReason: 'manager',
            },
            {
              appId: APP,
              accountId: '2',
              subject: subject('cy@acme.com'),
              reviewer: 'sec@acme.com',
              reviewerReason: 'fallback',
            },
          ],
        });
        expect(await store.getReview({ id: review.id })).toEqual(review);
        expect((await store.listReviews({ status: 'open' })).map((r) => r.id)).toEqual([review.id]);
        const items = await store.listReviewItems({ reviewId: review.id });
        expect(items.map((i) => [i.seq, i.accountId, i.decision])).toEqual([
          [1, '1', null],
          [2, '2', null],
        ]);
        expect(items[0]?.subject).toEqual(subject('ana@acme.com'));
        expect(
          (await store.listReviewItems({ reviewId: review.id, reviewer: 'sec@acme.com' })).map((i) => i.seq),
        ).toEqual([2]);
      });

      it('decisions, moves and plans are recorded item by item; the campaign closes with its plans', async () => {
        const review = await store.createReview({
          review: {
            name: 'Q2',
            scope: { apps: [APP], select: 'all' },
            rule: { order: ['owner'], fallback: 'sec@acme.com' },
            dueAt: '2025-02-01T00:00:00.000Z',
            revokeWhen: 'decided',
            createdBy: 'cli',
          },
          items: [
            {
              appId: APP,
              accountId: '1',
              subject: subject('ana@acme.com'),
              reviewer: 'bo@acme.com',
              reviewerReason: 'owner',
            },
          ],
        });
        const move = {
          from: 'bo@acme.com',
          to: 'di@acme.com',
          reason: 'delegated' as const,
          by: 'bo@acme.com',
          at: 'now',
        };
        await store.updateReviewItem({
          reviewId: review.id,
          seq: 1,
          set: { reviewer: 'di@acme.com', reviewerReason: 'delegated', history: [move] },
        });
        const decided = await store.updateReviewItem({
          reviewId: review.id,
          seq: 1,
          set: {
            decision: 'revoke',
            comment: 'left the team',
            decidedBy: 'di@acme.com',
            decidedAt: 'then',
            planId: 'p1',
            opSeq: 3,
          },
        });
        expect(decided).toMatchObject({
          reviewer: 'di@acme.com',
          history: [move],
          decision: 'revoke',
          opSeq: 3,
          verifiedAt: null,
        });
        const closed = await store.updateReview({
          id: review.id,
          set: { status: 'closed', closedAt: 'later', closedBy: 'cli', planIds: ['p1'] },
        });
        expect(closed).toMatchObject({ status: 'closed', planIds: ['p1'], revokeWhen: 'decided' });
        expect(
          await codeOf(store.updateReviewItem({ reviewId: review.id, seq: 9, set: { comment: 'x' } })),
        ).toBe('not_found');
      });
    });

    describe('transactions and stored data', () => {
      it('a throw inside a transaction rolls back every call made in it', async () => {
        const boom = store.transaction(async (tx) => {
          await tx.upsertApp({ id: 'temp', type: 'scim', baseUrl: 'http://x' });
          await tx.replaceSnapshot({
            appId: APP,
            runId: null,
            accounts: [account(APP, '1')],
            entitlements: [],
            grants: [],
          });
          await tx.appendAudit({ actor: 'cli', kind: 'x' });
          throw new Error('boom');
        });
        await expect(boom).rejects.toThrow('boom');
        expect(await store.getApp({ id: 'temp' })).toBeNull();
        expect(await store.listAccounts({ appId: APP })).toEqual([]);
        expect(await store.listAudit()).toEqual([]);
        const kept = await store.transaction(async (tx) => {
          await tx.upsertApp({ id: 'temp', type: 'scim', baseUrl: 'http://x' });
          await tx.appendAudit({ actor: 'cli', kind: 'x' });
          // The transaction reads its own event, written (chained) before the read.
          return tx.listAudit();
        });
        expect(kept.map((e) => [e.seq, e.kind])).toEqual([[1, 'x']]);
        expect(await store.listAudit()).toEqual(kept);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 1 });
        expect(await store.getApp({ id: 'temp' })).not.toBeNull();
      });

      it('a JSON column edited into the wrong shape is refused on read', async () => {
        await store.replaceSnapshot({
          appId: APP,
          runId: null,
          accounts: [account(APP, '1')],
          entitlements: [],
          grants: [],
        });
        await db.updateTable('accounts').set({ attributes: '{"nested":{"no":1}}' }).execute();
        expect(await codeOf(store.listAccounts({ appId: APP }))).toBe('internal');
        await db.updateTable('accounts').set({ attributes: '{}', status: 'banished' }).execute();
        expect(await codeOf(store.getAccount({ appId: APP, id: '1' }))).toBe('internal');
      });
    });
  });
}

/**
 * @module The shared contract suite: every connector runs it against its sandbox, so "list", "create",
 * "deactivate"... mean the same thing for every app. Operations a connector lacks must be explained.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import type { Account, EntitlementKind, Grant } from '../../core/types.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import { grantKey, readAll } from './paging.js';
import { ACCOUNT_CAPABILITIES, type AccountChanges, type AccountInput, type Connector } from './types.js';

export interface ContractSetup {
  /** A fresh sandbox holding a small sample company, and a connector pointed at it. */
  start(): Promise<{ connector: Connector; sandbox: SandboxHandle; close?: () => Promise<void> }>;
  /** An account the app accepts on create; `n` makes it unique. */
  newAccount(n: number): AccountInput;
  /** Accounts the sandbox holds, counted from its own state. */
  countAccounts(sandbox: SandboxHandle): number;
  /** An id the app has never issued, in the app's id format. */
  unknownId: string;
  /** A change `update` can make, and how to see it on the account read back. */
  change?: { changes: AccountChanges; check(account: Account): void };
  /** Make a fresh account able to hold entitlements (Process Street: the invite is accepted). */
  prepareForGrant?(sandbox: SandboxHandle, account: Account): Promise<void>;
}

/** Every grant of one kind, wherever the connector reads them from. */
export async function readGrants(connector: Connector, kind: EntitlementKind): Promise<Grant[]> {
  const ops = connector.entitlements[kind];
  if (!ops) return [];
  if (ops.listGrants) return readAll(ops.listGrants, grantKey);
  const list = connector.accounts.list;
  if (!list) return [];
  const entitlementIds = new Set((await readAll(ops.list, (e) => e.id)).map((e) => e.id));
  const grants = new Map<string, Grant>();
  let pageToken: string | null = null;
  do {
    const page = await list({ pageToken });
    for (const grant of page.grants ?? []) {
      if (entitlementIds.has(grant.entitlementId)) grants.set(grantKey(grant), grant);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
  return [...grants.values()];
}

export function connectorContract(name: string, setup: ContractSetup): void {
  describe(`${name} connector contract`, () => {
    let connector: Connector;
    let sandbox: SandboxHandle;
    let close: (() => Promise<void>) | undefined;
    let n = 0;
    const fresh = () => setup.newAccount(++n);
    /** A new account where the connector can create one, else an active one the sandbox already holds. */
    const someAccount = async (): Promise<Account> => {
      if (connector.accounts.create) return (await connector.accounts.create({ account: fresh() })).account;
      const page = await connector.accounts.list!({ pageToken: null });
      const found = page.items.find((a) => a.status === 'active');
      if (!found) throw new Error('the sandbox holds no active account to work on');
      return found;
    };

    beforeAll(async () => {
      ({ connector, sandbox, close } = await setup.start());
    });
    afterAll(async () => {
      await connector?.close();
      await (close ? close() : sandbox?.close());
    });

    it('every missing operation is explained in the manifest', () => {
      for (const capability of ACCOUNT_CAPABILITIES) {
        if (!connector.manifest.accounts[capability]) {
          expect(connector.manifest.notes[capability], `why no ${capability}`).toMatch(/\w{3,}/);
        }
      }
      expect(connector.manifest.accounts.list).toBe(true);
    });

    it('list pages through every account exactly once', async () => {
      const seen: string[] = [];
      let pageToken: string | null = null;
      do {
        const page = await connector.accounts.list!({ pageToken });
        seen.push(...page.items.map((a) => a.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== null);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(setup.countAccounts(sandbox));
    });

    it('get returns the account list returned, and null for an id the app never issued', async () => {
      if (!connector.accounts.get) return expect(connector.manifest.notes.get).toBeTruthy();
      const [first] = (await connector.accounts.list!({ pageToken: null })).items;
      expect(first).toBeDefined();
      const got = await connector.accounts.get({ id: first!.id });
      expect(got).toMatchObject({ id: first!.id, email: first!.email, status: first!.status });
      expect(await connector.accounts.get({ id: setup.unknownId })).toBeNull();
    });

    it('findByEmail matches whatever the letter case', async () => {
      if (!connector.accounts.findByEmail) return expect(connector.manifest.notes.findByEmail).toBeTruthy();
      const page = await connector.accounts.list!({ pageToken: null });
      const target = page.items.find((a) => a.email && a.status !== 'deleted');
      expect(target).toBeDefined();
      const found = await connector.accounts.findByEmail({ email: target!.email!.toUpperCase() });
      expect(found.map((a) => a.id)).toContain(target!.id);
      expect(await connector.accounts.findByEmail({ email: 'nobody-at-all@nowhere.example' })).toEqual([]);
    });

    it('create makes an account that get reads back, and a second create of the email is a conflict', async () => {
      if (!connector.accounts.create) return expect(connector.manifest.notes.create).toBeTruthy();
      const input = fresh();
      const { account, recovered } = await connector.accounts.create({ account: input });
      expect(recovered).toBe(false);
      expect(account.email?.toLowerCase()).toBe(input.email.toLowerCase());
      expect(['active', 'invited']).toContain(account.status);
      const again = await connector.accounts.get?.({ id: account.id });
      if (connector.accounts.get) expect(again?.email?.toLowerCase()).toBe(input.email.toLowerCase());
      const error = await connector.accounts.create({ account: input }).catch((e: unknown) => e);
      expect(isRosterError(error) && error.code).toBe('conflict');
    });

    it('update changes what it says and the app holds it', async () => {
      if (!connector.accounts.update || !setup.change)
        return expect(connector.manifest.notes.update).toBeTruthy();
      const account = await someAccount();
      const { account: updated } = await connector.accounts.update({
        id: account.id,
        changes: setup.change.changes,
      });
      setup.change.check(updated);
      const readBack = await connector.accounts.get!({ id: account.id });
      setup.change.check(readBack!);
    });

    it('deactivate and reactivate are idempotent and the app holds the result', async () => {
      const ops = connector.accounts;
      if (!ops.deactivate) return expect(connector.manifest.notes.deactivate).toBeTruthy();
      const account = await someAccount();
      const first = await ops.deactivate({ id: account.id });
      expect(first).toMatchObject({ alreadyInactive: false, account: { status: 'inactive' } });
      expect((await ops.get!({ id: account.id }))?.status).toBe('inactive');
      expect((await ops.deactivate({ id: account.id })).alreadyInactive).toBe(true);
      if (!ops.reactivate) return expect(connector.manifest.notes.reactivate).toBeTruthy();
      const back = await ops.reactivate({ id: account.id });
      expect(back).toMatchObject({ alreadyActive: false, account: { status: 'active' } });
      expect((await ops.get!({ id: account.id }))?.status).toBe('active');
      expect((await ops.reactivate({ id: account.id })).alreadyActive).toBe(true);
    });

    it('delete removes the account, and deleting it again succeeds saying alreadyAbsent', async () => {
      const ops = connector.accounts;
      if (!ops.delete) return expect(connector.manifest.notes.delete).toBeTruthy();
      const page = await ops.list!({ pageToken: null });
      const victim = ops.create
        ? (await ops.create({ account: fresh() })).account
        : page.items.find((a) => a.status !== 'deleted')!;
      expect(await ops.delete({ id: victim.id })).toEqual({ alreadyAbsent: false });
      const after = await ops.get?.({ id: victim.id });
      if (ops.get) expect(after === null || after?.status === 'deleted').toBe(true);
      expect(await ops.delete({ id: victim.id })).toEqual({ alreadyAbsent: true });
      expect(await ops.delete({ id: setup.unknownId })).toEqual({ alreadyAbsent: true });
    });

    it('every entitlement kind lists, and grant/revoke are idempotent and read back', async () => {
      const kinds = Object.keys(connector.entitlements) as EntitlementKind[];
      expect(kinds.sort()).toEqual(Object.keys(connector.manifest.entitlements).sort());
      for (const kind of kinds) {
        const ops = connector.entitlements[kind]!;
        const entitlements = await readAll(ops.list, (e) => e.id);
        expect(entitlements.length, kind).toBeGreaterThan(0);
        for (const e of entitlements) expect(e).toMatchObject({ kind, appId: connector.appId });
        if (!ops.grant || !ops.revoke) continue;
        const holder = await someAccount();
        await setup.prepareForGrant?.(sandbox, holder);
        const target = entitlements.find((e) => !e.privileged) ?? entitlements[0]!;
        const pair = { accountId: holder.id, entitlementId: target.id };
        expect(await ops.grant(pair), `${kind} grant`).toEqual({ alreadyGranted: false });
        expect((await readGrants(connector, kind)).map(grantKey)).toContain(grantKey(pair));
        // Some apps answer a repeated add exactly like the first, so `alreadyGranted` may not be knowable;
        // what is required is that repeating it succeeds and changes nothing.
        const again = await ops.grant(pair);
        expect(typeof again.alreadyGranted, `${kind} grant again`).toBe('boolean');
        expect(
          (await readGrants(connector, kind)).filter((g) => grantKey(g) === grantKey(pair)),
        ).toHaveLength(1);
        expect(await ops.revoke(pair), `${kind} revoke`).toEqual({ alreadyAbsent: false });
        expect((await readGrants(connector, kind)).map(grantKey)).not.toContain(grantKey(pair));
        expect(await ops.revoke(pair), `${kind} revoke again`).toEqual({ alreadyAbsent: true });
      }
    });

    it('no secret ever travels in a URL', () => {
      const { token, password } = sandbox.credentials;
      for (const request of sandbox.requests()) {
        expect(request.url).not.toContain(token);
        if (password) expect(request.url).not.toContain(password);
      }
      expect(sandbox.requests().length).toBeGreaterThan(0);
    });
  });
}

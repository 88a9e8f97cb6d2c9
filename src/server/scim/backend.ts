/** @module The facade's backend on Roster: reads from the store's snapshot, writes as a plan of ops run by runOp. */

import { randomUUID } from 'node:crypto';
import {
  createPlanBegun,
  decideScimWrite,
  type HoldSettings,
  interruptedFacadePlans,
  type Roster,
  removalsIn,
  runOp,
} from '../../app/index.js';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account, EntitlementKind } from '../../core/types.js';
import { newOwner, type Started } from '../../reconcile/apply/run-op.js';
import type { PlanOp } from '../../reconcile/diff.js';
import { toOpInputs } from '../../reconcile/plan.js';
import {
  removeSnapshotAccount,
  setSnapshotGrant,
  upsertSnapshotAccount,
} from '../../store/account-upsert.js';
import { GroupCommit } from '../../store/group-commit.js';
import type { OpRecord, Store } from '../../store/store.js';
import { ScimError } from './errors.js';
import type { FacadeBackend, OpOutcome } from './handler.js';

/**
 * Reads are the last snapshot; an id the snapshot lacks is read from the app (and kept). Each write is saved as a
 * plan of its own (so `roster plan show` and the audit log show it like any other) and each op run through
 * runOp: intent, the app's call, read-back, audit. The account each op touched is read again into the
 * snapshot, so the IdP's next read sees its own write.
 */
export interface BackendOptions {
  /** The removal hold (roster.yaml scim.hold); none: removals are never held. */
  hold?: HoldSettings;
  /** The entitlement kind the facade serves as Groups (the profile's); none: Users show no groups. */
  groupKind?: EntitlementKind | null;
  /** Told of each newly held plan (the server notifies a person). */
  onHold?: (planId: string) => Promise<void>;
}

/**
 * One group commit per store: concurrent facade writes (an IdP provisions with several connections) share their
 * op records' commits, each request still answered only once its own records are durable.
 */
const commits = new WeakMap<Store, GroupCommit>();

export function groupCommitOf(store: Store): GroupCommit {
  let writes = commits.get(store);
  if (!writes) {
    writes = new GroupCommit(store);
    commits.set(store, writes);
  }
  return writes;
}

/** The facade's backend, and what `roster serve` does with it at start. */
export interface RosterBackend extends FacadeBackend {
  /**
   * Carries on the app's facade writes a stopped server left half done (see interruptedFacadePlans): each op
   * resumed as apply resumes one (the id a create recorded is read back, never created again), the snapshot and
   * the plan's status written as the request would have. An IdP retrying the request then finds the account.
   */
  resumeInterrupted(now?: Date): Promise<ResumedWrites>;
}

/**
 * What resumeInterrupted did: the plans it finished, those that failed again, and those it left to another run
 * that holds one of their ops (a cluster's other server carrying it on), each with why.
 */
export interface ResumedWrites {
  finished: string[];
  failed: { planId: string; error: string }[];
  left: { planId: string; error: string }[];
}

export function rosterBackend(roster: Roster, appId: string, options: BackendOptions = {}): RosterBackend {
  const connector = () => roster.connector(appId);
  const writes = groupCommitOf(roster.store);

  /**
   * What to write into the snapshot for an account an op touched, as the app holds it now (null: gone). What the
   * snapshot then holds is told to `stored`, so the answer needs no second read.
   */
  function snapshotOf(accountId: string, kind: PlanOp['kind'], account: Account | null): SnapshotWrite {
    if (account && !(kind === 'delete' && account.status === 'deleted'))
      return async (tx, stored) => {
        stored.set(accountId, await upsertSnapshotAccount(tx, account, { created: kind === 'create' }));
      };
    return async (tx, stored) => {
      await removeSnapshotAccount(tx, { appId, id: accountId });
      stored.set(accountId, null);
    };
  }

  /**
   * What to write into the snapshot for what a finished op changed: the membership it verified, or the account
   * as its verified read-back saw it. Null when it changed nothing the snapshot shows; undefined when the account
   * must first be read from the app (an op without read-back), which cannot happen inside a commit.
   */
  function changeOf(
    record: OpRecord,
    op: PlanOp | undefined,
    readBack: Account | null | undefined,
  ): SnapshotWrite | null | undefined {
    if (record.status !== 'succeeded') return null;
    const accountId = accountIdOf(record);
    if (record.kind === 'grant' || record.kind === 'revoke') {
      // The membership was verified by read-back; an account read by id carries none, so it is written here.
      const ref = op?.account;
      const accountOf = accountId ?? (ref && 'id' in ref ? ref.id : null);
      const entitlement = op?.entitlement;
      if (!entitlement || !accountOf) return null;
      const held = record.kind === 'grant';
      return (tx) =>
        setSnapshotGrant(tx, { appId, entitlementId: entitlement.id, accountId: accountOf }, held);
    }
    if (!accountId) return null;
    return readBack === undefined ? undefined : snapshotOf(accountId, record.kind, readBack);
  }

  /** The account a finished op was about, read again from the app (its op had no read-back). */
  async function reread(record: OpRecord): Promise<SnapshotWrite | null> {
    const accountId = accountIdOf(record);
    if (!accountId) return null;
    const { get } = connector().accounts;
    const account = get ? await get.call(connector().accounts, { id: accountId }) : null;
    return snapshotOf(accountId, record.kind, account);
  }

  async function resumeInterrupted(now = new Date()): Promise<ResumedWrites> {
    const resumed: ResumedWrites = { finished: [], failed: [], left: [] };
    for (const { plan, ops } of await interruptedFacadePlans(roster.store, appId, now)) {
      const body = plan.body as { ops?: PlanOp[] } | null;
      try {
        await runPlan(plan.id, body?.ops ?? [], { saved: ops, resume: true });
        resumed.finished.push(plan.id);
      } catch (error) {
        const why = { planId: plan.id, error: (error as Error).message };
        // Another server of a cluster took its op first: that one carries it on.
        if (isRosterError(error) && error.details.heldElsewhere === true) resumed.left.push(why);
        else resumed.failed.push(why);
      }
    }
    return resumed;
  }

  return {
    resumeInterrupted,
    // Lean: a user is rendered from the account's own fields, never the app's raw record.
    accounts: () => roster.store.listGraphAccounts({ appId }),
    async account(id) {
      const stored = await roster.store.getAccount({ appId, id });
      if (stored) return stored;
      const { get } = connector().accounts;
      const read = get ? await get.call(connector().accounts, { id }) : null;
      if (read) await upsertSnapshotAccount(roster.store, read);
      return read;
    },
    lookups: {
      async find(lookup) {
        if (lookup.by === 'id') {
          const account = await roster.store.getAccount({ appId, id: lookup.id });
          return account ? [account] : [];
        }
        return roster.store.findAccounts({ appId, field: lookup.by, op: lookup.op, value: lookup.value });
      },
      page: ({ offset, limit }) =>
        roster.store.sliceAccounts({ appId, offset, limit, excludeStatus: 'deleted' }),
      accounts: (ids) => roster.store.listGraphAccounts({ appId, ids }),
      async accountWithGroups(id) {
        const kind = options.groupKind;
        const found = await roster.store.getAccountWithMemberships(
          kind ? { appId, id, kind } : { appId, id },
        );
        if (!found) return null;
        const groups = found.memberships.map((m) => ({
          accountId: m.accountId,
          id: m.entitlementId,
          name: m.name,
        }));
        return { account: found.account, groups: kind ? groups : [] };
      },
      async memberships(accountIds) {
        if (!options.groupKind) return [];
        const rows = await roster.store.listMemberships({ appId, accountIds, kind: options.groupKind });
        return rows.map((m) => ({ accountId: m.accountId, id: m.entitlementId, name: m.name }));
      },
    },
    groups: () => roster.store.listEntitlements({ appId }),
    grants: (entitlementId) =>
      roster.store.listGrants(entitlementId === undefined ? { appId } : { appId, entitlementId }),
    async run(ops) {
      const decided = await decideScimWrite(roster, { appId, ops, settings: options.hold });
      switch (decided.decision) {
        case 'rejected':
          throw new ScimError(409, decided.detail);
        case 'held':
          if (decided.created) await options.onHold?.(decided.planId);
          throw new ScimError(503, decided.detail, { retryAfter: decided.retryAfterSeconds });
        case 'released':
          // Run as a resumed plan: a release whose run a stopped server cut short goes on from where it was.
          return runPlan(decided.planId, decided.ops, { resume: true });
      }
      const removals = removalsIn(ops);
      const owner = newOwner('op');
      // The owner is kept with the plan: a server started again knows the plan's run died with its process even
      // between two ops, when no op holds a claim (see interruptedFacadePlans).
      const body = { source: 'scim', requestedBy: roster.actor, owner, ops };
      // Through the group commit: concurrent requests' plans share a commit with each other's op records. The
      // plan and its first op's claim and intent are one write: the intent is durable before the app's call all
      // the same (runOp calls the app only once this commit is done).
      const {
        plan,
        ops: saved,
        started,
      } = await writes.write((tx) =>
        createPlanBegun(tx, roster, {
          owner,
          // A facade plan is computed from the request, not from a snapshot: its state is the request itself.
          stateHash: `scim:${randomUUID()}`,
          summary: {
            total: ops.length,
            byApp: { [appId]: { [ops[0]?.kind ?? 'none']: ops.length } },
            source: 'scim',
            removals,
          },
          body,
          ops: toOpInputs(ops),
        }),
      );
      return runPlan(plan.id, ops, { saved, owner, ...(started ? { started } : {}) });
    },
  };

  async function runPlan(
    planId: string,
    ops: readonly PlanOp[],
    begun: { saved?: OpRecord[]; owner?: string; started?: Started; resume?: boolean } = {},
  ): Promise<OpOutcome[]> {
    const plan = { id: planId };
    const outcomes: OpOutcome[] = [];
    // Snapshot writes for what the ops changed, made with the plan's status in one last write: the IdP's next
    // read sees its own write, and the answer waits for that write to be durable.
    const snapshot: SnapshotWrite[] = [];
    // Each account as the snapshot holds it after those writes (null: removed), to answer with.
    const stored = new Map<string, Account | null>();
    const close = (status: PlanEnd) =>
      writes.write(async (tx) => {
        for (const write of snapshot) await write(tx, stored);
        await tx.settlePlanStatus({ id: plan.id, status });
      });
    // Set once an op's outcome committed with the snapshot and the plan's status (see withOutcome below).
    let closed = false;
    const owner = begun.owner ?? newOwner('op');
    // The plan's ops as they stand, kept current from what each run returns: read once, not once per op.
    const records = new Map((begun.saved ?? (await roster.store.listOps({ planId }))).map((o) => [o.seq, o]));
    for (let seq = 1; seq <= ops.length; seq++) {
      let readBack: Account | null | undefined;
      const op = ops[seq - 1];
      const last = seq === ops.length;
      const started = seq === 1 ? begun.started : undefined;
      const done = records.get(seq);
      if (begun.resume && done && DONE.has(done.status)) {
        // Resumed: an op the stopped server finished is not run again. What it changed is written into the
        // snapshot (the write waiting for the plan's end was lost with that server): a membership as verified, an
        // account as the app holds it now.
        const change = changeOf(done, op, undefined);
        const write = change === undefined ? await reread(done) : change;
        if (write) snapshot.push(write);
        outcomes.push({ status: done.status as OpOutcome['status'], accountId: accountIdOf(done) });
        continue;
      }
      const record = await runOp(roster, {
        planId: plan.id,
        seq,
        owner,
        ops: [...records.values()],
        onReadBack: (_op, account) => {
          readBack = account;
        },
        writes,
        ...(started ? { started } : {}),
        // The plan's last op (or one that failed) closes it in the commit of its outcome: one write fewer per
        // request, the snapshot and the status durable with the outcome, before the answer, as before.
        withOutcome: async (tx, finished) => {
          closed = false;
          // What the IdP wrote is its own from now on (roster.yaml scim.protectIdpManaged): marked with the
          // outcome, so the mark and the write commit together. Facade plans are run by the facade alone.
          const owned = finished.status === 'succeeded' ? ownedAccountOf(finished, op) : null;
          if (owned) await tx.markIdpManaged({ appId, accountIds: [owned], planId: plan.id });
          if (!last && finished.status !== 'failed') return;
          const own = changeOf(finished, op, readBack);
          if (own === undefined) return;
          for (const write of snapshot) await write(tx, stored);
          if (own) await own(tx, stored);
          const open = finished.status === 'task_open' || outcomes.some((o) => o.status === 'task_open');
          await tx.settlePlanStatus({ id: plan.id, status: endOf(finished.status, open) });
          closed = true;
        },
      });
      if (!record) {
        throw new RosterError('conflict', `op ${seq} of plan ${plan.id} is held by another run`, {
          details: { planId: plan.id, seq, heldElsewhere: true },
        });
      }
      records.set(seq, record);
      if (record.status === 'failed') {
        if (!closed) await close('failed');
        // The op's error already names the app where the connector said so; name it once.
        const why = record.error ?? 'the change failed';
        throw new RosterError('internal', why.startsWith(`${appId}:`) ? why : `${appId}: ${why}`, {
          details: { planId: plan.id, seq },
        });
      }
      if (!closed) {
        const change = changeOf(record, op, readBack);
        const write = change === undefined ? await reread(record) : change;
        if (write) snapshot.push(write);
      }
      outcomes.push({
        status:
          record.status === 'task_open' ? 'task_open' : record.status === 'skipped' ? 'skipped' : 'succeeded',
        accountId: accountIdOf(record),
        ...(madeAnew(record) && { made: true }),
      });
      if (closed) break;
    }
    const open = outcomes.some((o) => o.status === 'task_open');
    if (!closed) await close(endOf('succeeded', open));
    return outcomes.map((o) =>
      o.accountId !== null && stored.has(o.accountId)
        ? { ...o, account: stored.get(o.accountId) ?? null }
        : o,
    );
  }
}

type SnapshotWrite = (tx: Store, stored: Map<string, Account | null>) => Promise<void>;

/** The statuses of an op a resumed plan does not run again. */
const DONE: ReadonlySet<OpRecord['status']> = new Set(['succeeded', 'skipped', 'task_open']);

type PlanEnd = 'failed' | 'applied' | 'tasks_open';

/** How a facade plan ends, from its last op's status and whether any op left a manual task open. */
const endOf = (status: OpRecord['status'], open: boolean): PlanEnd =>
  status === 'failed' ? 'failed' : open ? 'tasks_open' : 'applied';

/** A create the app answered with an account it made just now (not adopted, not one an earlier attempt made). */
const madeAnew = (record: OpRecord): boolean =>
  record.kind === 'create' && record.status === 'succeeded' && record.outcome?.['already'] === false;

/** The account a succeeded facade op wrote: the id the app answered with, else the one the op targeted. */
function ownedAccountOf(record: OpRecord, op: PlanOp | undefined): string | null {
  const ref = op?.account;
  return accountIdOf(record) ?? (ref && 'id' in ref ? ref.id : null);
}

const accountIdOf = (record: OpRecord): string | null =>
  typeof record.outcome?.['accountId'] === 'string' ? record.outcome['accountId'] : null;

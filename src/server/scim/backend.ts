/** @module The facade's backend on Roster: reads from the store's snapshot, writes as a plan of ops run by runOp. */

import { randomUUID } from 'node:crypto';
import { decideScimWrite, type HoldSettings, type Roster, removalsIn, runOp } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import type { Account, EntitlementKind } from '../../core/types.js';
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

function groupCommitOf(store: Store): GroupCommit {
  let writes = commits.get(store);
  if (!writes) {
    writes = new GroupCommit(store);
    commits.set(store, writes);
  }
  return writes;
}

export function rosterBackend(roster: Roster, appId: string, options: BackendOptions = {}): FacadeBackend {
  const connector = () => roster.connector(appId);
  const writes = groupCommitOf(roster.store);

  /**
   * What to write into the snapshot for an account an op touched: what its verified read-back saw, read again
   * only when there was none. The read happens now; the write is returned, to join the plan's last commit.
   */
  async function refresh(
    accountId: string,
    kind: PlanOp['kind'],
    readBack: Account | null | undefined,
  ): Promise<(tx: Store) => Promise<void>> {
    const { get } = connector().accounts;
    const account =
      readBack !== undefined
        ? readBack
        : get
          ? await get.call(connector().accounts, { id: accountId })
          : null;
    if (account && !(kind === 'delete' && account.status === 'deleted'))
      return (tx) => upsertSnapshotAccount(tx, account);
    return async (tx) => {
      await removeSnapshotAccount(tx, { appId, id: accountId });
    };
  }

  return {
    accounts: () => roster.store.listAccounts({ appId }),
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
      async memberships(accountIds) {
        if (!options.groupKind) return [];
        const rows = await roster.store.listMemberships({ appId, accountIds, kind: options.groupKind });
        return rows.map((m) => ({ accountId: m.accountId, id: m.entitlementId, name: m.name }));
      },
    },
    groups: () => roster.store.listEntitlements({ appId }),
    grants: () => roster.store.listGrants({ appId }),
    async run(ops) {
      const decided = await decideScimWrite(roster, { appId, ops, settings: options.hold });
      switch (decided.decision) {
        case 'rejected':
          throw new ScimError(409, decided.detail);
        case 'held':
          if (decided.created) await options.onHold?.(decided.planId);
          throw new ScimError(503, decided.detail, { retryAfter: decided.retryAfterSeconds });
        case 'released':
          return runPlan(decided.planId, decided.ops);
      }
      const removals = removalsIn(ops);
      const body = { source: 'scim', requestedBy: roster.actor, ops };
      // Through the group commit: concurrent requests' plans share a commit with each other's op records.
      const { plan, ops: saved } = await writes.write((tx) =>
        tx.createPlan({
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
      return runPlan(plan.id, ops, saved);
    },
  };

  async function runPlan(planId: string, ops: readonly PlanOp[], saved?: OpRecord[]): Promise<OpOutcome[]> {
    const plan = { id: planId };
    const outcomes: OpOutcome[] = [];
    // Snapshot writes for what the ops changed, made with the plan's status in one last write: the IdP's next
    // read sees its own write, and the answer waits for that write to be durable.
    const snapshot: ((tx: Store) => Promise<void>)[] = [];
    const close = (status: 'failed' | 'applied' | 'tasks_open') =>
      writes.write(async (tx) => {
        for (const write of snapshot) await write(tx);
        await tx.setPlanStatus({ id: plan.id, status });
      });
    // The plan's ops as they stand, kept current from what each run returns: read once, not once per op.
    const records = new Map((saved ?? (await roster.store.listOps({ planId }))).map((o) => [o.seq, o]));
    for (let seq = 1; seq <= ops.length; seq++) {
      let readBack: Account | null | undefined;
      const record = await runOp(roster, {
        planId: plan.id,
        seq,
        ops: [...records.values()],
        onReadBack: (_op, account) => {
          readBack = account;
        },
        writes,
      });
      if (!record) throw new RosterError('conflict', `op ${seq} of plan ${plan.id} is held by another run`);
      records.set(seq, record);
      if (record.status === 'failed') {
        await close('failed');
        // The op's error already names the app where the connector said so; name it once.
        const why = record.error ?? 'the change failed';
        throw new RosterError('internal', why.startsWith(`${appId}:`) ? why : `${appId}: ${why}`, {
          details: { planId: plan.id, seq },
        });
      }
      const accountId =
        typeof record.outcome?.['accountId'] === 'string' ? record.outcome['accountId'] : null;
      const op = ops[seq - 1];
      if (record.status === 'succeeded' && (record.kind === 'grant' || record.kind === 'revoke')) {
        // The membership was verified by read-back; an account read by id carries none, so it is written here.
        const ref = op?.account;
        const accountOf = accountId ?? (ref && 'id' in ref ? ref.id : null);
        const { entitlement } = op ?? {};
        if (entitlement && accountOf) {
          const held = record.kind === 'grant';
          snapshot.push((tx) =>
            setSnapshotGrant(tx, { appId, entitlementId: entitlement.id, accountId: accountOf }, held),
          );
        }
      } else if (record.status === 'succeeded' && accountId)
        snapshot.push(await refresh(accountId, record.kind, readBack));
      outcomes.push({
        status:
          record.status === 'task_open' ? 'task_open' : record.status === 'skipped' ? 'skipped' : 'succeeded',
        accountId,
      });
    }
    const open = outcomes.some((o) => o.status === 'task_open');
    await close(open ? 'tasks_open' : 'applied');
    return outcomes;
  }
}

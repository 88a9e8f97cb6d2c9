/** @module The facade's backend on Roster: reads from the store's snapshot, writes as a plan of ops run by runOp. */

import { randomUUID } from 'node:crypto';
import { type Roster, runOp } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import type { PlanOp } from '../../reconcile/diff.js';
import { bodyWithOps, toOpInputs } from '../../reconcile/plan.js';
import {
  removeSnapshotAccount,
  setSnapshotGrant,
  upsertSnapshotAccount,
} from '../../store/account-upsert.js';
import { ScimError } from './errors.js';
import type { FacadeBackend, OpOutcome } from './handler.js';
import { findHeld, type HoldSettings, holdKey, removalsIn, removalsSince } from './hold.js';

/**
 * Reads are the last snapshot; an id the snapshot lacks is read from the app (and kept). Each write is saved as a
 * plan of its own (so `roster plan show` and the audit log show it like any other) and each op run through
 * runOp: intent, the app's call, read-back, audit. The account each op touched is read again into the
 * snapshot, so the IdP's next read sees its own write.
 */
export interface BackendOptions {
  /** The removal hold (roster.yaml scim.hold); none: removals are never held. */
  hold?: HoldSettings;
  /** Told of each newly held plan (the server notifies a person). */
  onHold?: (planId: string) => Promise<void>;
}

export function rosterBackend(roster: Roster, appId: string, options: BackendOptions = {}): FacadeBackend {
  const connector = () => roster.connector(appId);

  async function refresh(accountId: string, kind: PlanOp['kind']): Promise<void> {
    const { get } = connector().accounts;
    const account = get ? await get.call(connector().accounts, { id: accountId }) : null;
    if (account && !(kind === 'delete' && account.status === 'deleted'))
      await upsertSnapshotAccount(roster.store, account);
    else await removeSnapshotAccount(roster.store, { appId, id: accountId });
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
    groups: () => roster.store.listEntitlements({ appId }),
    grants: () => roster.store.listGrants({ appId }),
    async run(ops) {
      const removals = removalsIn(ops);
      const key = options.hold ? holdKey(appId, ops) : null;
      if (key && options.hold) {
        const settings = options.hold;
        const since = new Date(roster.now().getTime() - settings.windowMs).toISOString();
        const retryAfter = Math.max(1, Math.ceil(settings.retryAfterMs / 1000));
        const held = await findHeld(roster.store, key, since);
        if (held?.status === 'cancelled')
          throw new ScimError(
            409,
            `a person rejected this change (held plan ${held.id}); ${appId} keeps the account as it is`,
          );
        if (held) {
          const records = await roster.store.listOps({ planId: held.id });
          const waiting = records.some((o) => o.requiresApproval && o.status === 'pending');
          if (waiting) throw new ScimError(503, heldDetail(held.id, settings), { retryAfter });
          // Released: what the person approved runs now, on the IdP's retry.
          return runPlan(held.id, bodyWithOps<{ ops: PlanOp[] }>(held.body, records).ops);
        }
        if ((await removalsSince(roster.store, since)) + removals > settings.max) {
          const { plan } = await roster.store.createPlan({
            stateHash: `scim:${randomUUID()}`,
            summary: { total: ops.length, source: 'scim', removals, hold: { key }, approvals: ops.length },
            body: { source: 'scim', requestedBy: roster.actor, ops },
            ops: toOpInputs(
              ops.map((op) => ({
                ...op,
                requiresApproval: true,
                approvalReasons: [`more than ${settings.max} removals through the SCIM facade in the window`],
              })),
            ),
          });
          await roster.store.appendAudit({
            actor: roster.actor,
            kind: 'scim.held',
            appId,
            subject: plan.id,
            data: { key, max: settings.max, windowMs: settings.windowMs },
          });
          await options.onHold?.(plan.id);
          throw new ScimError(503, heldDetail(plan.id, settings), { retryAfter });
        }
      }
      const body = { source: 'scim', requestedBy: roster.actor, ops };
      const { plan } = await roster.store.createPlan({
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
      });
      return runPlan(plan.id, ops);
    },
  };

  async function runPlan(planId: string, ops: readonly PlanOp[]): Promise<OpOutcome[]> {
    const plan = { id: planId };
    const outcomes: OpOutcome[] = [];
    for (let seq = 1; seq <= ops.length; seq++) {
      const record = await runOp(roster, { planId: plan.id, seq });
      if (!record) throw new RosterError('conflict', `op ${seq} of plan ${plan.id} is held by another run`);
      if (record.status === 'failed') {
        await roster.store.setPlanStatus({ id: plan.id, status: 'failed' });
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
        if (op?.entitlement && accountOf)
          await setSnapshotGrant(
            roster.store,
            { appId, entitlementId: op.entitlement.id, accountId: accountOf },
            record.kind === 'grant',
          );
      } else if (record.status === 'succeeded' && accountId) await refresh(accountId, record.kind);
      outcomes.push({
        status:
          record.status === 'task_open' ? 'task_open' : record.status === 'skipped' ? 'skipped' : 'succeeded',
        accountId,
      });
    }
    const open = outcomes.some((o) => o.status === 'task_open');
    await roster.store.setPlanStatus({ id: plan.id, status: open ? 'tasks_open' : 'applied' });
    return outcomes;
  }
}

function heldDetail(planId: string, settings: HoldSettings): string {
  return (
    `held: more than ${settings.max} deactivations or deletions through the SCIM facade in ` +
    `${Math.round(settings.windowMs / 60_000)} min; plan ${planId} waits for a person ` +
    `(roster scim release ${planId} --by NAME, or roster scim reject ${planId} --by NAME)`
  );
}

/**
 * @module runOp: one op of a saved plan, start to end — claim, intent, call, the app's id recorded, read-back,
 * outcome, audit, release — for callers that run ops one at a time (queue workers, the SCIM facade).
 */

import { traitsOf } from '../connectors/registry.js';
import { RosterError } from '../core/errors.js';
import type { Account } from '../core/types.js';
import { auditOf, newOwner, planOpOf, runOp as runOneOp, type Started } from '../reconcile/apply/run-op.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { OpRecord, PlanRecord, Store } from '../store/store.js';
import type { Roster } from './context.js';

/** How long a claim on one op lasts: long enough for a slow app's call and read-back, short after a crash. */
export const OP_LEASE_MS = 120_000;

/**
 * Runs op `seq` of plan `planId` under a claim of its own. Returns the op as it ended, or null when another owner
 * holds it. An op on an account a create in the same plan makes must wait for that create: run the create first.
 */
export async function runOp(
  roster: Roster,
  input: {
    planId: string;
    seq: number;
    owner?: string;
    /** The plan's ops as the caller just read them (saves reading them again). */
    ops?: readonly OpRecord[];
    /** Told the account an account op read back and verified (see OpContext.onReadBack). */
    onReadBack?: (record: OpRecord, account: Account | null) => void;
    /** Where the op's records are written, sharing commits with other callers' (see OpContext.writes). */
    writes?: GroupCommit;
    /** The op as createPlanBegun began it under `owner`, its intent committed: it is not begun again. */
    started?: Started;
    /** Writes made in the transaction that records the op's outcome (see OpContext.withOutcome). */
    withOutcome?: (tx: Store, record: OpRecord) => Promise<void>;
  },
): Promise<OpRecord | null> {
  const ops = input.ops ?? (await roster.store.listOps({ planId: input.planId }));
  const record = ops.find((o) => o.seq === input.seq);
  if (!record) {
    throw new RosterError('not_found', `plan ${input.planId} has no op ${input.seq}`, {
      fix: '`roster plan show` lists the ops',
    });
  }
  const accountId = opAccountId(ops, record);
  const app = roster.app(record.appId, 'op');
  return runOneOp(
    {
      store: roster.store,
      planId: input.planId,
      actor: roster.actor,
      owner: input.owner ?? newOwner('op'),
      leaseMs: OP_LEASE_MS,
      records: new Map(ops.map((o) => [o.seq, o])),
      ...(input.onReadBack ? { onReadBack: input.onReadBack } : {}),
      ...(input.writes ? { writes: input.writes } : {}),
      ...(input.withOutcome ? { withOutcome: input.withOutcome } : {}),
    },
    {
      record,
      connector: roster.connector(record.appId),
      accountId,
      needsPassword: traitsOf(app.type).createNeedsPassword?.(app) ?? false,
      ...(input.started ? { started: input.started } : {}),
    },
  );
}

/**
 * Saves a plan whose first op is begun under `owner` as it is written (claimed, running, its intent now; see
 * Store.createPlan's `begin`), with the intent's audit event, inside the caller's transaction: a plan saved and
 * its first op begun are one commit, the intent still durable before any app call (the caller calls runOp with
 * what this returns only once the transaction committed). `started` is null when the first op was not begun
 * (it awaits approval, or waits for another): it then begins in runOp, step by step, which says why.
 */
export async function createPlanBegun(
  tx: Store,
  roster: Roster,
  input: Omit<Parameters<Store['createPlan']>[0], 'begin'> & { owner: string },
): Promise<{ plan: PlanRecord; ops: OpRecord[]; started: Started | null }> {
  const { owner, ...plan } = input;
  const created = await tx.createPlan({ ...plan, begin: { owner, leaseMs: OP_LEASE_MS } });
  const [first] = created.ops;
  if (first === undefined || first.status !== 'running' || first.claimedBy !== owner) {
    return { ...created, started: null };
  }
  await tx.appendAudit(
    auditOf({ actor: roster.actor, planId: created.plan.id }, first, 'op.intent', {
      attempt: first.attempts,
    }),
  );
  return { ...created, started: { record: first, uncertain: false } };
}

/**
 * The app's id of the account an op acts on: its own, or the one the create in the same plan recorded (null for
 * a create or a task). An op on an account its plan has not created yet is a conflict: run the create first.
 */
export function opAccountId(ops: readonly OpRecord[], record: OpRecord): string | null {
  const op = planOpOf(record);
  if (op.account === null) return null;
  if ('id' in op.account) return op.account.id;
  const { createdBy } = op.account;
  const creator = ops.find((o) => (o.target as { ref?: string }).ref === createdBy);
  const created = creator?.status === 'succeeded' ? creator.outcome?.accountId : undefined;
  if (typeof created !== 'string') {
    throw new RosterError('conflict', `op ${record.seq} acts on an account its plan has not created yet`, {
      fix: `run op ${creator?.seq ?? '(the create)'} first`,
    });
  }
  return created;
}

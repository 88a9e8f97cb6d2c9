/** @module The plan lock: one apply per plan at a time, held by an owner under a lease it renews. */

import { RosterError } from '../../core/errors.js';
import { rowToPlanLock } from '../rows.js';
import type { PlanLock } from '../store.js';
import type { Sql } from './context.js';

export async function getPlanLock(s: Sql, input: { planId: string }): Promise<PlanLock | null> {
  const row = await s.db
    .selectFrom('plan_locks')
    .selectAll()
    .where('plan_id', '=', input.planId)
    .executeTakeFirst();
  return row === undefined ? null : rowToPlanLock(row);
}

function held(lock: PlanLock, wanted: string): RosterError {
  return new RosterError(
    'conflict',
    `plan ${lock.planId} is already being applied by ${lock.owner} (since ${lock.acquiredAt}, lease until ${lock.expiresAt})`,
    {
      fix: `wait for that apply to finish; if its process died, apply takes over once the lease runs out (${lock.expiresAt})`,
      details: {
        planId: lock.planId,
        holder: lock.owner,
        since: lock.acquiredAt,
        expiresAt: lock.expiresAt,
        wanted,
      },
      retryable: true,
    },
  );
}

export async function lockPlan(
  s: Sql,
  input: { planId: string; owner: string; leaseMs: number; takeOverFrom?: string },
): Promise<PlanLock> {
  const now = s.now();
  const expires = s.later(input.leaseMs);
  // Each step is one statement, so racing callers on any dialect see exactly one winner.
  const inserted = await s.db
    .insertInto('plan_locks')
    .values({ plan_id: input.planId, owner: input.owner, acquired_at: now, expires_at: expires })
    .onConflict((oc) => oc.column('plan_id').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    const taken = await s.db
      .updateTable('plan_locks')
      .set((eb) => ({
        // A takeover starts a new tenure; the holder renewing keeps when it first took the plan.
        acquired_at: eb.case().when('owner', '=', input.owner).then(eb.ref('acquired_at')).else(now).end(),
        owner: input.owner,
        expires_at: expires,
      }))
      .where('plan_id', '=', input.planId)
      .where((eb) =>
        eb.or([
          eb('owner', '=', input.owner),
          eb('expires_at', '<', now),
          ...(input.takeOverFrom !== undefined ? [eb('owner', '=', input.takeOverFrom)] : []),
        ]),
      )
      .executeTakeFirst();
    if (taken.numUpdatedRows === 0n) {
      const lock = await getPlanLock(s, input);
      if (lock !== null) throw held(lock, input.owner);
      // Released between our two statements: try once more from the top.
      return lockPlan(s, input);
    }
  }
  return (await getPlanLock(s, input)) as PlanLock;
}

export async function renewPlanLock(
  s: Sql,
  input: { planId: string; owner: string; leaseMs: number },
): Promise<PlanLock> {
  const result = await s.db
    .updateTable('plan_locks')
    .set({ expires_at: s.later(input.leaseMs) })
    .where('plan_id', '=', input.planId)
    .where('owner', '=', input.owner)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    const lock = await getPlanLock(s, input);
    throw new RosterError(
      'conflict',
      `${input.owner} lost the lock of plan ${input.planId}${lock ? ` to ${lock.owner}` : ''}`,
      { details: { planId: input.planId, owner: input.owner, holder: lock?.owner ?? null } },
    );
  }
  return (await getPlanLock(s, input)) as PlanLock;
}

export async function unlockPlan(s: Sql, input: { planId: string; owner: string }): Promise<boolean> {
  const result = await s.db
    .deleteFrom('plan_locks')
    .where('plan_id', '=', input.planId)
    .where('owner', '=', input.owner)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

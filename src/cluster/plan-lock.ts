/**
 * @module The plan lock in cluster mode: the workers of one installation hold a plan's lock together, as one owner,
 * from the apply's start to its finalization, so an embedded `roster apply` of the same plan is refused while they
 * run it, and they wait (their op jobs are delayed) while an embedded apply holds it.
 */

import { isRosterError } from '../core/errors.js';
import { ownerIsDead } from '../reconcile/apply/run-op.js';
import type { Store } from '../store/store.js';

/**
 * The owner every worker of an installation locks plans as. Not a process's owner (`kind@host:pid/tag`): no
 * single worker's death frees it; its lease does, when no op job renews it.
 */
export const clusterLockOwner = (prefix: string): string => `cluster/${prefix}`;

/** Long enough to ride out a pause between op jobs (workers restarting); short enough to free an abandoned plan. */
export const CLUSTER_LOCK_MS = 10 * 60_000;

/**
 * One worker's view of the plan locks its installation holds. Taking a lock the installation already holds only
 * extends it, and only once half the lease has passed since this worker last did: an op job costs no extra
 * Postgres round trip for the lock most of the time.
 */
export class ClusterPlanLocks {
  private readonly renewAfter = new Map<string, number>();

  constructor(
    private readonly store: Store,
    readonly owner: string,
    private readonly leaseMs = CLUSTER_LOCK_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes (or keeps) the plan's lock for the installation. Throws the store's conflict, naming the holder, when
   * another apply holds it; takes it over at once from a holder that is certainly dead.
   */
  async hold(planId: string): Promise<void> {
    if ((this.renewAfter.get(planId) ?? 0) > this.now()) return;
    const input = { planId, owner: this.owner, leaseMs: this.leaseMs };
    const taken = this.now();
    try {
      await this.store.lockPlan(input);
    } catch (error) {
      this.renewAfter.delete(planId);
      const holder = isRosterError(error) ? error.details.holder : undefined;
      if (typeof holder !== 'string' || !ownerIsDead(holder)) throw error;
      await this.store.lockPlan({ ...input, takeOverFrom: holder });
    }
    this.renewAfter.set(planId, taken + this.leaseMs / 2);
  }

  /** Lets the plan go once its apply is final. */
  async release(planId: string): Promise<void> {
    this.renewAfter.delete(planId);
    await this.store.unlockPlan({ planId, owner: this.owner });
  }
}

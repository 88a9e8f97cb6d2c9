/**
 * @module The cluster executor: a plan's apply as jobs. A start job admits the plan and enqueues the ops nothing
 * holds back; each op job runs its op through the same use case as everywhere (claim with a lease, intent, call,
 * read-back, outcome) and then enqueues the ops it unblocked; the last one enqueues the plan's finalization.
 */

import { randomUUID } from 'node:crypto';
import type { Roster } from '../app/context.js';
import { opAccountId, runOp } from '../app/ops.js';
import { isRosterError, RosterError } from '../core/errors.js';
import { admissiblePlan, planStatusOf, startApplying } from '../reconcile/apply/executor.js';
import { pollWaitOnce, skip, waitStateOf } from '../reconcile/apply/run-op.js';
import type { OpRecord, OpStatus } from '../store/store.js';
import type { ClusterPlanLocks } from './plan-lock.js';
import type { ApplyJob, ClusterQueues, FinalizeJob, OpJob } from './queue.js';

/** Nothing left to do for the op in any run. `failed` is not here: a later attempt or apply retries it. */
const SETTLED: ReadonlySet<OpStatus> = new Set(['succeeded', 'skipped', 'task_open']);
/** Statuses of a dependency that doom the ops after it (a failed one only once it is out of attempts). */
const SKIP_CAUSES: ReadonlySet<OpStatus> = new Set(['skipped', 'task_open', 'failed']);

const awaitsApproval = (r: OpRecord) => r.requiresApproval && r.status === 'pending';

/** Which ops an op reads before it runs (its dependencies and its account's create) and which follow it. */
interface PlanShape {
  before: Map<number, number[]>;
  after: Map<number, number[]>;
}

/**
 * The dependency shape of each plan a worker has seen: it never changes once a plan is saved, so each op job
 * reads only its own op and its neighbours' statuses instead of the whole plan.
 */
export class PlanShapes {
  private readonly shapes = new Map<string, Promise<PlanShape>>();

  of(roster: Roster, planId: string): Promise<PlanShape> {
    let shape = this.shapes.get(planId);
    if (!shape) {
      shape = roster.store.listOps({ planId }).then((ops) => {
        const seqOfRef = new Map(ops.map((r) => [String(r.target.ref), r.seq]));
        const before = new Map<number, number[]>();
        const after = new Map<number, number[]>();
        for (const r of ops) {
          const account = (r.target as { account?: { createdBy?: string } | null }).account;
          const creator = account?.createdBy === undefined ? undefined : seqOfRef.get(account.createdBy);
          before.set(r.seq, [...new Set([...r.dependsOn, ...(creator === undefined ? [] : [creator])])]);
          for (const d of r.dependsOn) after.set(d, [...(after.get(d) ?? []), r.seq]);
        }
        return { before, after };
      });
      shape.catch(() => this.shapes.delete(planId));
      this.shapes.set(planId, shape);
    }
    return shape;
  }
}

/**
 * Admits the plan (the checks every executor makes: confirmed, no errors, not blocked, not stale), marks it
 * applying, and enqueues every op whose dependencies are settled. Returns the run id and how many it enqueued.
 */
export async function startApply(
  roster: Roster,
  queues: ClusterQueues,
  job: ApplyJob,
  locks: ClusterPlanLocks,
): Promise<{ run: string; enqueued: number }> {
  const options = {
    store: roster.store,
    config: roster.config,
    planId: job.planId,
    yes: true,
    overrideSafety: job.overrideSafety,
    actor: job.actor,
  };
  const plan = await admissiblePlan(options);
  // Refused (the job fails with the holder's name) while an embedded apply runs the plan.
  await locks.hold(job.planId);
  await startApplying(options, (await roster.store.getPlan({ id: job.planId })) ?? plan);
  const ops = await roster.store.listOps({ planId: job.planId });
  const bySeq = new Map(ops.map((r) => [r.seq, r]));
  const run = randomUUID().slice(0, 8);
  const ready = ops.filter(
    (r) =>
      !SETTLED.has(r.status) &&
      !awaitsApproval(r) &&
      r.dependsOn.every((d) => SETTLED.has(bySeq.get(d)?.status ?? 'succeeded')),
  );
  await queues.enqueueOps(
    ready.map((r) => ({ appId: r.appId, planId: job.planId, seq: r.seq, run, actor: job.actor })),
  );
  if (ready.length === 0) await queues.enqueueFinalize({ planId: job.planId, run, actor: job.actor });
  return { run, enqueued: ready.length };
}

/** What one op job came to, for the job's return value and the worker's log. */
export type OpJobOutcome =
  | { op: OpStatus | 'awaiting_approval' | 'blocked'; enqueued: number }
  | { op: 'retry'; error: string }
  /** Another live owner holds the op's claim: look again later. */
  | { op: 'held'; error: string }
  /** A wait op not over yet: its job is delayed until `until` (epoch ms), a durable wait in Redis. */
  | { op: 'waiting'; until: number };

/** How cluster workers poll invitations: give up after timeoutMs; poll after pollMs, doubling to maxPollMs. */
export interface ClusterWaits {
  timeoutMs: number;
  pollMs: number;
  maxPollMs: number;
}

/**
 * Runs one op of a plan under its claim. Another live owner's claim comes back as 'held' (looked at again later), a
 * failure with attempts left as 'retry' (the worker throws so BullMQ retries it with backoff). An op found already settled (its worker died after
 * recording the outcome) is not run again: only what follows it is enqueued.
 */
export async function runOpJob(
  roster: Roster,
  queues: ClusterQueues,
  job: OpJob,
  attempt: {
    owner: string;
    last: boolean;
    waits: ClusterWaits;
    shapes: PlanShapes;
    locks: ClusterPlanLocks;
  },
): Promise<OpJobOutcome> {
  const { store } = roster;
  const shape = await attempt.shapes.of(roster, job.planId);
  const ops = await store.listOps({
    planId: job.planId,
    seqs: [job.seq, ...(shape.before.get(job.seq) ?? [])],
  });
  const record = ops.find((r) => r.seq === job.seq);
  if (!record) {
    throw new RosterError('not_found', `plan ${job.planId} has no op ${job.seq}`, {
      details: { planId: job.planId, seq: job.seq },
    });
  }
  if (awaitsApproval(record)) return { op: 'awaiting_approval', enqueued: 0 };
  let final: OpRecord = record;
  if (!SETTLED.has(record.status)) {
    try {
      await attempt.locks.hold(job.planId);
    } catch (error) {
      // An embedded apply runs the plan now: look again later (its ops may be done by then).
      if (isRosterError(error) && error.code === 'conflict') return { op: 'held', error: error.message };
      throw error;
    }
    const bySeq = new Map(ops.map((r) => [r.seq, r]));
    const deps = record.dependsOn.map((d) => bySeq.get(d)).filter((d) => d !== undefined);
    const doomed = deps.find((d) => SKIP_CAUSES.has(d.status));
    if (doomed) {
      const why = `skipped: ${String(doomed.target.ref)} ${doomed.status}${doomed.error ? ` (${doomed.error})` : ''}`;
      final = await skip(opContext(roster, job, attempt.owner, ops), record, why);
    } else if (deps.some((d) => d.status !== 'succeeded')) {
      // Enqueued early (by hand, or a dependency's job ran twice): the last dependency to finish enqueues it.
      return { op: 'blocked', enqueued: 0 };
    } else if (record.kind === 'wait') {
      const due = Date.parse(waitStateOf(record)?.nextPollAt ?? '');
      if (due > roster.now().getTime()) return { op: 'waiting', until: due };
      const polled = await pollWaitOnce(opContext(roster, job, attempt.owner, ops), record, {
        connector: roster.connector(record.appId),
        accountId: opAccountId(ops, record),
        now: () => roster.now(),
        ...attempt.waits,
      });
      if (polled === 'held') return { op: 'held', error: `op ${job.seq} is polled by another live owner` };
      if (polled !== 'done') {
        // A sleeping wait belongs to no process: whichever worker is alive at the next poll claims it then.
        await store.releaseOpClaims({ planId: job.planId, owner: attempt.owner, seq: job.seq });
        return { op: 'waiting', until: polled };
      }
      [final] = (await store.listOps({ planId: job.planId, seqs: [job.seq] })) as [OpRecord];
    } else {
      const ran = await runOp(roster, { planId: job.planId, seq: job.seq, owner: attempt.owner, ops });
      if (ran === null) return { op: 'held', error: `op ${job.seq} is held by another live owner` };
      if (ran.status === 'failed' && !attempt.last) return { op: 'retry', error: ran.error ?? 'failed' };
      final = ran;
    }
  }
  const next = shape.after.get(job.seq) ?? [];
  const around = new Set([...next, ...next.flatMap((seq) => shape.before.get(seq) ?? [])]);
  const neighbours = around.size === 0 ? [] : await store.listOps({ planId: job.planId, seqs: [...around] });
  const enqueued = await fanOut(queues, job, final, neighbours);
  return { op: final.status, enqueued };
}

/**
 * Enqueues the ops `done` unblocked (or doomed: they are skipped by their own jobs), and a finalization, which
 * reads the whole plan and ends it once every op is final.
 */
async function fanOut(
  queues: ClusterQueues,
  job: OpJob,
  done: OpRecord,
  ops: readonly OpRecord[],
): Promise<number> {
  const bySeq = new Map(ops.map((r) => [r.seq, r]));
  const dooms = SKIP_CAUSES.has(done.status);
  const next = ops.filter(
    (r) =>
      r.dependsOn.includes(done.seq) &&
      !SETTLED.has(r.status) &&
      !awaitsApproval(r) &&
      (dooms || r.dependsOn.every((d) => bySeq.get(d)?.status === 'succeeded')),
  );
  await queues.enqueueOps(
    next.map((r) => ({ appId: r.appId, planId: job.planId, seq: r.seq, run: job.run, actor: job.actor })),
  );
  await queues.enqueueFinalize({ planId: job.planId, run: job.run, actor: job.actor });
  return next.length;
}

/**
 * Sets the plan's final status and its audit event together, once every op is final and no failed op still has
 * an attempt coming. Returns the status written, or null when the plan is not done (or was finalized already).
 */
export async function finalizeApply(
  roster: Roster,
  queues: ClusterQueues,
  job: FinalizeJob,
  locks: ClusterPlanLocks,
): Promise<string | null> {
  const { store } = roster;
  const ops = await store.listOps({ planId: job.planId });
  const status = planStatusOf(ops);
  if (status === 'applying') return null;
  for (const r of ops) {
    if (r.status === 'failed' && (await queues.opPending(r.appId, { ...job, seq: r.seq }))) return null;
  }
  const byApp: Record<string, Partial<Record<OpStatus, number>>> = {};
  for (const r of ops) {
    const counts = byApp[r.appId] ?? {};
    counts[r.status] = (counts[r.status] ?? 0) + 1;
    byApp[r.appId] = counts;
  }
  const written = await store.transaction(async (tx) => {
    const plan = await tx.getPlan({ id: job.planId });
    if (plan?.status !== 'applying') return null;
    await tx.setPlanStatus({ id: job.planId, status });
    await tx.appendAudit({ actor: job.actor, kind: `plan.${status}`, subject: job.planId, data: { byApp } });
    return status;
  });
  // Every op is final and none has an attempt coming: the installation is done with the plan.
  await locks.release(job.planId);
  return written;
}

function opContext(roster: Roster, job: OpJob, owner: string, ops: readonly OpRecord[]) {
  return {
    store: roster.store,
    planId: job.planId,
    actor: job.actor,
    owner,
    leaseMs: 120_000,
    records: new Map(ops.map((r) => [r.seq, r])),
  };
}

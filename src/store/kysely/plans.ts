/** @module Plans and their ops: creating a plan, approvals, and the intent and outcome of each op. */

import { type ExpressionBuilder, sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import { timeOrderedId } from '../../core/ids.js';
import { nullableObjectRecord, parseJsonColumn, toJsonColumn } from '../json.js';
import { OP_STATE_COLUMNS, rowToOp, rowToOpWithTarget, rowToPlan } from '../rows.js';
import type { Database } from '../schema.js';
import type { ClaimResult, OpInput, OpRecord, OpSource, OpStatus, PlanRecord } from '../store.js';
import type { Sql } from './context.js';
import { likeLiteral } from './like.js';

export async function createPlan(
  s: Sql,
  input: {
    stateHash: string;
    summary: Record<string, unknown>;
    body: unknown;
    ops: readonly OpInput[] | OpSource;
    begin?: { owner: string; leaseMs: number };
  },
): Promise<{ plan: PlanRecord; ops: OpRecord[] }> {
  const source = opSourceOf(input.ops);
  // A list is checked before anything is written, so a caller's transaction (the facade's group commit) never holds
  // half a plan. Ops made one at a time are checked as they are written (see OpSource).
  if (Array.isArray(input.ops)) {
    for (let seq = 1; seq <= source.count; seq++) checkedDependencies(source.op(seq - 1), seq, source.count);
  }
  const now = s.now();
  const plan: PlanRecord = {
    // In time order: a plan is made for every IdP write the facade answers, and its id keys two indexes.
    id: timeOrderedId(),
    createdAt: now,
    updatedAt: now,
    stateHash: input.stateHash,
    status: 'draft',
    summary: input.summary,
    body: input.body,
  };
  // The first op, begun as it is written (see Store.createPlan): what claimAndBeginOp would have made of it.
  const first = source.count > 0 ? source.op(0) : undefined;
  const begun =
    input.begin !== undefined && first !== undefined && !first.requiresApproval && !first.dependsOn?.length
      ? { claimedBy: input.begin.owner, claimExpiresAt: s.later(input.begin.leaseMs), intentAt: now }
      : undefined;
  await s.write(async (tx) => {
    // Its statement text built once (insertRows): every facade request makes a plan. Nothing is read back: on
    // Postgres it goes out with the ops' insert.
    await tx.insertRows(
      'plans',
      [
        {
          id: plan.id,
          created_at: now,
          updated_at: now,
          state_hash: plan.stateHash,
          status: plan.status,
          summary: toJsonColumn(plan.summary),
          body: toJsonColumn(plan.body),
        },
      ],
      { answerless: true },
    );
    if (begun !== undefined && first !== undefined) {
      // Nothing read back either (its record is made here, below): with its plan's, its intent's audit event and
      // the commit, a facade plan on Postgres is one round trip.
      await tx.insertRows(
        'ops',
        [
          {
            plan_id: plan.id,
            seq: 1,
            app_id: first.appId,
            kind: first.kind,
            target: JSON.stringify(first.target),
            status: 'running',
            attempts: 1,
            depends_on: toJsonColumn(checkedDependencies(first, 1, source.count)),
            requires_approval: 0,
            claimed_by: begun.claimedBy,
            claim_expires_at: begun.claimExpiresAt,
            intent_at: begun.intentAt,
          },
        ],
        { answerless: true },
      );
    }
    // Values straight from each op as it is made, no row object each: a big plan has tens of thousands of ops. In
    // chunks of one size: the statement text is built once per size, and building one of the most rows a statement
    // may carry cost more than running it. An op found wrong throws here, and the transaction takes the plan back.
    for (let from = begun === undefined ? 0 : 1; from < source.count; from += OP_ROWS_PER_INSERT) {
      const count = Math.min(OP_ROWS_PER_INSERT, source.count - from);
      await tx.insertValues('ops', OP_COLUMNS, count, (i, out) => {
        const seq = from + i + 1;
        const op = source.op(seq - 1);
        const dependsOn = checkedDependencies(op, seq, source.count);
        out.push(
          plan.id,
          seq,
          op.appId,
          op.kind,
          // Plain JSON, not canonical: nothing hashes or compares an op's text, and sorting the keys of every
          // object of tens of thousands of ops was most of saving a big plan.
          JSON.stringify(op.target),
          'pending',
          0,
          dependsOn.length === 0 ? '[]' : toJsonColumn(dependsOn),
          op.requiresApproval ? 1 : 0,
        );
      });
    }
  });
  // The records only when asked for: a big plan's caller (roster plan) shows its body and never reads them.
  let records: OpRecord[] | undefined;
  return {
    plan,
    get ops() {
      records ??= Array.from({ length: source.count }, (_, i) => newOpRecord(plan.id, i + 1, source.op(i)));
      const [head] = records;
      if (begun !== undefined && head !== undefined && head.status === 'pending') {
        records[0] = { ...head, status: 'running', attempts: 1, ...begun };
      }
      return records;
    },
  };
}

function opSourceOf(ops: readonly OpInput[] | OpSource): OpSource {
  if (!Array.isArray(ops)) return ops as OpSource;
  const list = ops as readonly OpInput[];
  return { count: list.length, op: (i) => list[i] as OpInput };
}

/** The op's dependencies, each the seq of another op of the plan. */
function checkedDependencies(op: OpInput, seq: number, count: number): readonly number[] {
  const dependsOn = op.dependsOn ?? NO_DEPENDENCIES;
  for (const dep of dependsOn) {
    if (!Number.isInteger(dep) || dep < 1 || dep > count || dep === seq) {
      throw new RosterError(
        'invalid_input',
        `op ${seq} depends on op ${dep}, which is not another op of the plan`,
        {
          fix: 'dependsOn lists the 1-based positions of other ops in the same plan',
        },
      );
    }
  }
  return dependsOn;
}

const NO_DEPENDENCIES: readonly number[] = [];

/** A new op as its row now stands: pending, never tried, unclaimed. */
function newOpRecord(planId: string, seq: number, op: OpInput): OpRecord {
  return {
    planId,
    seq,
    appId: op.appId,
    kind: op.kind,
    target: op.target,
    status: 'pending',
    attempts: 0,
    intentAt: null,
    finishedAt: null,
    outcome: null,
    error: null,
    dependsOn: op.dependsOn ?? [],
    requiresApproval: op.requiresApproval ?? false,
    approvedBy: null,
    approvedAt: null,
    claimedBy: null,
    claimExpiresAt: null,
    taskId: null,
  };
}

/** The columns a new op row is written with; the rest (intent, outcome, approval, claim, task) start null. */
const OP_COLUMNS = [
  'plan_id',
  'seq',
  'app_id',
  'kind',
  'target',
  'status',
  'attempts',
  'depends_on',
  'requires_approval',
] as const;

/** Op rows per insert statement. */
const OP_ROWS_PER_INSERT = 500;

export async function getPlan(s: Sql, input: { id: string }): Promise<PlanRecord | null> {
  const row = await s.db.selectFrom('plans').selectAll().where('id', '=', input.id).executeTakeFirst();
  return row === undefined ? null : rowToPlan(row);
}

/** What a SCIM facade write's plan summary holds (`source: scim`), as a LIKE pattern over its canonical JSON. */
const FACADE_SUMMARY = '%"source":"scim"%';

/**
 * Only the SCIM facade's plans, or (false) only the others. The summary is canonical JSON, so a facade plan's always
 * holds FACADE_SUMMARY's text. The pattern is literal text in the statement, not a bound value: the policy's plans
 * have a partial index of their own (`plans_policy_created`, migration 0029) under this very condition, and a
 * planner matches a partial index's condition only against the query's text.
 */
export function facadePlans(facade: boolean) {
  return (eb: ExpressionBuilder<Database, 'plans'>) =>
    eb('summary', facade ? 'like' : 'not like', sql.lit(FACADE_SUMMARY));
}

/** A `removals` count above 0 anywhere in a summary's canonical JSON, as LIKE patterns (any one matches). */
const NONZERO_REMOVALS = Array.from({ length: 9 }, (_, i) => `%"removals":${i + 1}%`);

/**
 * Only plans that remove someone: literal patterns, in the order of the partial index `plans_removing_created`
 * (migration 0029) that holds exactly these plans (see facadePlans).
 */
function removingPlans(eb: ExpressionBuilder<Database, 'plans'>) {
  return eb.or(NONZERO_REMOVALS.map((pattern) => eb('summary', 'like', sql.lit(pattern))));
}

/** A `hold` object anywhere in a summary's canonical JSON (a removal the facade held), as a LIKE pattern. */
const HELD_SUMMARY = '%"hold":{%';

export async function listPlans(
  s: Sql,
  input: {
    status?: PlanRecord['status'];
    limit?: number;
    createdSince?: string;
    updatedSince?: string;
    facade?: boolean;
    removals?: true;
    held?: true;
    idPart?: string;
  } = {},
): Promise<PlanRecord[]> {
  const since = input.createdSince !== undefined || input.updatedSince !== undefined;
  let query = s.db.selectFrom('plans').selectAll().orderBy('created_at', 'desc').orderBy('id');
  // A window is read whole unless a limit is given; the plain listing keeps its default page.
  if (input.limit !== undefined || !since) query = query.limit(input.limit ?? 50);
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  if (input.createdSince !== undefined) query = query.where('created_at', '>=', input.createdSince);
  if (input.updatedSince !== undefined) query = query.where('updated_at', '>=', input.updatedSince);
  if (input.facade !== undefined) query = query.where(facadePlans(input.facade));
  // A count above 0 starts with a digit from 1 to 9 (JSON numbers have no leading zero).
  if (input.removals) query = query.where(removingPlans);
  if (input.held) query = query.where('summary', 'like', HELD_SUMMARY);
  if (input.idPart !== undefined) {
    // Ids are lower-case; LIKE folds ASCII case in SQLite, not in Postgres.
    const part = likeLiteral(input.idPart.toLowerCase());
    query = query.where(
      sql<boolean>`(id like ${`${part}%`} escape '\\' or id like ${`%${part}`} escape '\\')`,
    );
  }
  return (await query.execute()).map(rowToPlan);
}

export async function setPlanStatus(
  s: Sql,
  input: { id: string; status: PlanRecord['status'] },
): Promise<PlanRecord> {
  // One statement answering the plan as it now stands (every SCIM facade write ends with one).
  const values = { id: input.id, status: input.status, updatedAt: s.now() };
  const [row] = await s.runBuilt('plans.setStatus', values, (v) =>
    s.db
      .updateTable('plans')
      .set({ status: v.status, updated_at: v.updatedAt })
      .where('id', '=', v.id)
      .returningAll(),
  );
  const plan = row === undefined ? null : rowToPlan(row);
  if (plan === null) {
    throw new RosterError('not_found', `plan ${input.id} is not in the store`, {
      details: { planId: input.id },
    });
  }
  return plan;
}

export async function settlePlanStatus(
  s: Sql,
  input: { id: string; status: PlanRecord['status'] },
): Promise<void> {
  const values = { id: input.id, status: input.status, updatedAt: s.now() };
  await s.runBuilt(
    'plans.settleStatus',
    values,
    (v) =>
      s.db.updateTable('plans').set({ status: v.status, updated_at: v.updatedAt }).where('id', '=', v.id),
    { answerless: true },
  );
}

export async function listOps(
  s: Sql,
  input: { planId: string; status?: OpStatus; seqs?: readonly number[] },
): Promise<OpRecord[]> {
  let query = s.db.selectFrom('ops').selectAll().where('plan_id', '=', input.planId).orderBy('seq');
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  if (input.seqs !== undefined) {
    if (input.seqs.length === 0) return [];
    query = query.where('seq', 'in', [...input.seqs]);
  }
  return (await query.execute()).map(rowToOp);
}

export async function requireOp(s: Sql, planId: string, seq: number): Promise<OpRecord> {
  const row = await s.db
    .selectFrom('ops')
    .selectAll()
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  if (row === undefined) {
    throw new RosterError('not_found', `op ${seq} of plan ${planId} is not in the store`, {
      details: { planId, seq },
    });
  }
  return rowToOp(row);
}

/** Refusal for a status change the op's current status (or another owner's claim) does not allow. */
export async function refuse(
  s: Sql,
  planId: string,
  seq: number,
  action: string,
  owner?: string,
): Promise<never> {
  const op = await requireOp(s, planId, seq);
  if (owner !== undefined && op.claimedBy !== owner) {
    const holder = op.claimedBy === null ? 'nobody holds it' : `it is claimed by ${op.claimedBy}`;
    throw new RosterError('conflict', `cannot ${action} op ${seq} of plan ${planId} as ${owner}: ${holder}`, {
      details: { planId, seq, status: op.status, owner, claimedBy: op.claimedBy },
      fix: 'claim the op first; an op taken over by another owner is theirs to finish',
    });
  }
  throw new RosterError('conflict', `cannot ${action} op ${seq} of plan ${planId}: it is ${op.status}`, {
    details: { planId, seq, status: op.status },
  });
}

export async function approveOps(
  s: Sql,
  input: { planId: string; seqs: number[]; approvedBy: string },
): Promise<OpRecord[]> {
  const now = s.now();
  return s.write(async (tx) => {
    for (const seq of input.seqs) {
      const op = await requireOp(tx, input.planId, seq);
      if (op.status === 'approved') continue;
      if (op.status !== 'pending') await refuse(tx, input.planId, seq, 'approve');
      await tx.db
        .updateTable('ops')
        .set({ status: 'approved', approved_by: input.approvedBy, approved_at: now })
        .where('plan_id', '=', input.planId)
        .where('seq', '=', seq)
        .execute();
    }
    return Promise.all(input.seqs.map((seq) => requireOp(tx, input.planId, seq)));
  });
}

export async function beginOp(
  s: Sql,
  input: { planId: string; seq: number; owner?: string },
): Promise<OpRecord> {
  // `running` is allowed: an intent with no outcome means a crash mid-call, and the executor resumes it.
  let query = s.db
    .updateTable('ops')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      intent_at: s.now(),
      error: null,
    }))
    .where('plan_id', '=', input.planId)
    .where('seq', '=', input.seq)
    .where('status', 'in', BEGINNABLE)
    .where(approvedIfNeeded);
  if (input.owner !== undefined) query = query.where('claimed_by', '=', input.owner);
  // RETURNING: the op as written, without reading it again (issue 17: statements per op). The op is read only
  // when the write was refused, to say why.
  const row = await query.returningAll().executeTakeFirst();
  if (row === undefined) return refuseBegin(s, input.planId, input.seq, input.owner);
  return rowToOp(row);
}

/** Statuses an op may begin from (`running`: an intent with no outcome, resumed after a crash). */
const BEGINNABLE: OpStatus[] = ['pending', 'approved', 'failed', 'running'];

/** An op that needs approval begins only once approved (a failed one was approved before it first ran). */
const approvedIfNeeded = (eb: ExpressionBuilder<Database, 'ops'>) =>
  eb.or([eb('requires_approval', '=', 0), eb('status', '!=', 'pending')]);

async function refuseBegin(s: Sql, planId: string, seq: number, owner?: string): Promise<never> {
  const op = await requireOp(s, planId, seq);
  if (op.status === 'pending' && op.requiresApproval) {
    throw new RosterError('conflict', `op ${seq} of plan ${planId} needs approval before it runs`, {
      details: { planId, seq, status: op.status },
      fix: 'approve it first (roster approve)',
    });
  }
  return refuse(s, planId, seq, 'begin', owner);
}

/**
 * Claims an op and records its intent in one statement, for an op that is free to start afresh (pending,
 * approved or failed; unclaimed, the owner's, or its claim expired). Null when it is not (held, settled, running
 * after a crash, awaiting approval): the caller then claims and begins step by step, which says why.
 */
export async function claimAndBeginOp(
  s: Sql,
  input: { planId: string; seq: number; owner: string; leaseMs: number; target?: OpRecord['target'] },
): Promise<OpRecord | null> {
  const { target } = input;
  const values = {
    planId: input.planId,
    seq: input.seq,
    owner: input.owner,
    expires: s.later(input.leaseMs),
    now: s.now(),
    one: 1,
    zero: 0,
    running: 'running',
    pending: 'pending',
    approved: 'approved',
    failed: 'failed',
    nil: null,
  };
  // Built once (runBuilt): every op of every apply starts here.
  const claim = (v: { readonly [K in keyof typeof values]: never }) =>
    s.db
      .updateTable('ops')
      .set((eb) => ({
        claimed_by: v.owner,
        claim_expires_at: v.expires,
        status: v.running,
        attempts: eb('attempts', '+', v.one),
        intent_at: v.now,
        error: v.nil,
      }))
      .where('plan_id', '=', v.planId)
      .where('seq', '=', v.seq)
      .where('status', 'in', [v.pending, v.approved, v.failed])
      .where((eb) => eb.or([eb('requires_approval', '=', v.zero), eb('status', '!=', v.pending)]))
      .where((eb) =>
        eb.or([
          eb('claimed_by', 'is', null),
          eb('claimed_by', '=', v.owner),
          eb('claim_expires_at', '<', v.now),
        ]),
      );
  if (target !== undefined) {
    const [row] = await s.runBuilt('ops.claimAndBegin:state', values, (v) =>
      claim(v).returning(OP_STATE_COLUMNS),
    );
    return row === undefined ? null : rowToOpWithTarget(row, target);
  }
  const [row] = await s.runBuilt('ops.claimAndBegin', values, (v) => claim(v).returningAll());
  return row === undefined ? null : rowToOp(row);
}

export async function finishOp(
  s: Sql,
  input: {
    planId: string;
    seq: number;
    status: 'succeeded' | 'failed' | 'skipped' | 'task_open';
    outcome?: Record<string, unknown> | null;
    error?: string | null;
    owner?: string;
    taskId?: string | null;
    known?: OpRecord;
  },
): Promise<OpRecord> {
  const from: OpStatus[] =
    input.status === 'skipped' ? ['pending', 'approved', 'failed', 'running'] : ['running'];
  const owned = input.owner !== undefined;
  const withTask = input.taskId !== undefined;
  const values = {
    planId: input.planId,
    seq: input.seq,
    status: input.status,
    finishedAt: input.status === 'task_open' ? null : s.now(),
    outcome: input.outcome == null ? null : toJsonColumn(input.outcome),
    error: input.error ?? null,
    owner: input.owner ?? null,
    taskId: input.taskId ?? null,
    from0: from[0],
    from1: from[1] ?? null,
    from2: from[2] ?? null,
    from3: from[3] ?? null,
    nil: null,
    refusal: `op ${input.seq} of plan ${input.planId} is not ${from.join(' or ')} under ${input.owner}`,
  };
  const update = (v: { readonly [K in keyof typeof values]: never }) => {
    const statuses = [v.from0, v.from1, v.from2, v.from3].slice(0, from.length);
    let query = s.db
      .updateTable('ops')
      .set({
        status: v.status,
        finished_at: v.finishedAt,
        outcome: v.outcome,
        error: v.error,
        claimed_by: v.nil,
        claim_expires_at: v.nil,
        ...(withTask ? { task_id: v.taskId } : {}),
      })
      .where('plan_id', '=', v.planId)
      .where('seq', '=', v.seq)
      .where('status', 'in', statuses);
    if (owned) query = query.where('claimed_by', '=', v.owner);
    return query;
  };
  const { known } = input;
  if (known !== undefined && owned && s.ridesCommit()) {
    // Sent with the commit, unanswered (Postgres, a transaction that may run again: see Sql.write). An op no
    // longer the owner's (taken over, finished) updates nothing and calls `roster_refused`, failing the
    // transaction: run again, answered, it says why (below).
    await s.runBuilt(
      `ops.finishWithCommit:${from.length}:${withTask}`,
      values,
      (v) =>
        s.db
          .with('done', () => update(v).returning(sql<number>`1`.as('one')))
          .selectFrom((eb) =>
            eb
              .selectFrom('done')
              .select((e) => e.fn.countAll<number>().as('n'))
              .as('c'),
          )
          .select(sql<boolean>`roster_refused(${v.refusal})`.as('refused'))
          .where(sql<boolean>`c.n = 0`),
      { answerless: true },
    );
    return finishedFrom(known, values, withTask);
  }
  if (known !== undefined) {
    sameOp(known, input, 'finishOp');
    const [row] = await s.runBuilt(`ops.finish:${from.length}:${owned}:${withTask}:state`, values, (v) =>
      update(v).returning(OP_STATE_COLUMNS),
    );
    if (row === undefined) return refuse(s, input.planId, input.seq, `mark ${input.status}`, input.owner);
    return rowToOpWithTarget(row, known.target);
  }
  const [row] = await s.runBuilt(`ops.finish:${from.length}:${owned}:${withTask}`, values, (v) =>
    update(v).returningAll(),
  );
  if (row === undefined) return refuse(s, input.planId, input.seq, `mark ${input.status}`, input.owner);
  return rowToOp(row);
}

/**
 * The op as finishOp's update leaves it, made from the record the run last knew (its claim and begin) with the
 * update's values set on it: what the update's answer would have been.
 */
function finishedFrom(
  known: OpRecord,
  values: {
    planId: string;
    seq: number;
    status: OpStatus;
    finishedAt: string | null;
    outcome: string | null;
    error: string | null;
    taskId: string | null;
  },
  withTask: boolean,
): OpRecord {
  sameOp(known, values, 'finishOp');
  return {
    ...known,
    status: values.status,
    finishedAt: values.finishedAt,
    outcome:
      values.outcome === null
        ? null
        : parseJsonColumn(
            nullableObjectRecord,
            values.outcome,
            `ops[${values.planId}#${values.seq}].outcome`,
          ),
    error: values.error,
    claimedBy: null,
    claimExpiresAt: null,
    ...(withTask ? { taskId: values.taskId } : {}),
  };
}

export async function progressOp(
  s: Sql,
  input: {
    planId: string;
    seq: number;
    outcome: Record<string, unknown>;
    owner?: string;
    target?: OpRecord['target'];
  },
): Promise<OpRecord> {
  const owned = input.owner !== undefined;
  const { target } = input;
  const values = {
    planId: input.planId,
    seq: input.seq,
    outcome: toJsonColumn(input.outcome),
    running: 'running',
    owner: input.owner ?? null,
  };
  const progress = (v: { readonly [K in keyof typeof values]: never }) => {
    let query = s.db
      .updateTable('ops')
      .set({ outcome: v.outcome })
      .where('plan_id', '=', v.planId)
      .where('seq', '=', v.seq)
      .where('status', '=', v.running);
    if (owned) query = query.where('claimed_by', '=', v.owner);
    return query;
  };
  if (target !== undefined) {
    const [row] = await s.runBuilt(`ops.progress:${owned}:state`, values, (v) =>
      progress(v).returning(OP_STATE_COLUMNS),
    );
    if (row === undefined) return refuse(s, input.planId, input.seq, 'record progress of', input.owner);
    return rowToOpWithTarget(row, target);
  }
  const [row] = await s.runBuilt(`ops.progress:${owned}`, values, (v) => progress(v).returningAll());
  if (row === undefined) return refuse(s, input.planId, input.seq, 'record progress of', input.owner);
  return rowToOp(row);
}

/** A record a caller handed in as the op's must be that op. */
function sameOp(known: OpRecord, op: { planId: string; seq: number }, what: string): void {
  if (known.planId !== op.planId || known.seq !== op.seq) {
    throw new Error(`${what}: the known record is op ${known.seq} of plan ${known.planId}`);
  }
}

/** Statuses an op has nothing left to do in: it cannot be claimed. */
const SETTLED: OpStatus[] = ['succeeded', 'skipped', 'task_open'];

export async function claimOp(
  s: Sql,
  input: { planId: string; seq: number; owner: string; leaseMs: number; takeOverFrom?: readonly string[] },
): Promise<ClaimResult> {
  const now = s.now();
  const takeOver = [...(input.takeOverFrom ?? [])];
  // One statement, so two claimants racing on any dialect cannot both win.
  const row = await s.db
    .updateTable('ops')
    .set({ claimed_by: input.owner, claim_expires_at: s.later(input.leaseMs) })
    .where('plan_id', '=', input.planId)
    .where('seq', '=', input.seq)
    .where('status', 'not in', SETTLED)
    .where((eb) =>
      eb.or([
        eb('claimed_by', 'is', null),
        eb('claimed_by', '=', input.owner),
        eb('claim_expires_at', '<', now),
        ...(takeOver.length > 0 ? [eb('claimed_by', 'in', takeOver)] : []),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return { claimed: true, op: rowToOp(row) };
  const op = await requireOp(s, input.planId, input.seq);
  return { claimed: false, op, reason: SETTLED.includes(op.status) ? 'final' : 'held' };
}

export async function renewOpClaims(
  s: Sql,
  input: { planId: string; owner: string; leaseMs: number },
): Promise<number> {
  const result = await s.db
    .updateTable('ops')
    .set({ claim_expires_at: s.later(input.leaseMs) })
    .where('plan_id', '=', input.planId)
    .where('claimed_by', '=', input.owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function releaseOpClaims(
  s: Sql,
  input: { planId: string; owner: string; seq?: number },
): Promise<number> {
  let query = s.db
    .updateTable('ops')
    .set({ claimed_by: null, claim_expires_at: null })
    .where('plan_id', '=', input.planId)
    .where('claimed_by', '=', input.owner);
  if (input.seq !== undefined) query = query.where('seq', '=', input.seq);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

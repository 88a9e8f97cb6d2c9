/**
 * @module One op, start to end, under a claim: claim → intent → call → record the app's id → read-back →
 * outcome → audit → release. The executor schedules ops; this is what runs each one (and what a queue worker or
 * the SCIM facade reuses).
 */

import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { grantKey } from '../../connectors/sdk/paging.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import type { GroupCommit } from '../../store/group-commit.js';
import type { AuditInput, OpRecord, Store } from '../../store/store.js';
import type { PlanOp } from '../diff.js';
import { planOpOf } from '../stored-plan.js';

export { planOpOf } from '../stored-plan.js';

/** Each record's plan op, built once per record (a record is replaced as its op moves, never changed in place). */
const planOps = new WeakMap<OpRecord, PlanOp>();

/**
 * The plan op of a record, as planOpOf builds it, built once: an op on its way through apply is read as its plan
 * op some seven times (its audit events, its report, the executor's scheduling). Callers must not change it.
 */
export function opOf(record: OpRecord): PlanOp {
  let op = planOps.get(record);
  if (op === undefined) {
    op = planOpOf(record);
    planOps.set(record, op);
  }
  return op;
}

import {
  type CallResult,
  generatePassword,
  readGrantSet,
  runAccountOp,
  runGrantOp,
  verifyAccountOp,
} from './operations.js';

const OWNER = /^[\w-]+@(.+):(\d+)\/[0-9a-f]+$/;

/**
 * This machine as an owner names it: the host name, and on Linux the pid namespace, so two containers that
 * share a host name and a database file never judge each other's pids.
 */
function machine(): string {
  // The same for the whole process: read once, not on every op's owner name (a readlink per facade write).
  machineName ??= readMachine();
  return machineName;
}

let machineName: string | undefined;

function readMachine(): string {
  try {
    const ns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    return ns === undefined ? hostname() : `${hostname()}#${ns}`;
  } catch {
    return hostname();
  }
}

/** A fresh owner name: what runs (`apply`), the machine and pid (so a takeover can tell a dead local owner), a tag. */
export function newOwner(kind = 'apply'): string {
  return `${kind}@${machine()}:${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * True only when the owner is certainly dead: it ran on this host and its process is gone. An owner on another
 * host, or in this very process, may be alive; its lease decides.
 */
export function ownerIsDead(owner: string): boolean {
  const match = OWNER.exec(owner);
  if (!match || match[1] !== machine()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but is another user's. Only ESRCH means there is no such process.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What running one op needs: where it is recorded, who runs it, and the live view of the plan's ops. */
export interface OpContext {
  store: Store;
  planId: string;
  actor: string;
  /** Who holds the claims this run takes (see `newOwner`). */
  owner: string;
  /** How long a claim lasts unless renewed (ms). */
  leaseMs: number;
  /** The plan's ops by seq, kept current as ops move. */
  records: Map<number, OpRecord>;
  /** Called with each op that reached an outcome (succeeded, failed, skipped, task_open). */
  onFinished?: (record: OpRecord) => void;
  /**
   * Called with the account an account op read back and verified (null: the app no longer holds it), before
   * the outcome is written: a caller that keeps a snapshot current needs no second read.
   */
  onReadBack?: (record: OpRecord, account: Account | null) => void;
  /**
   * Where the run's op records are written: ops side by side share commits (each still durable before its
   * caller goes on). Without it, each record is a transaction of its own.
   */
  writes?: GroupCommit;
  /**
   * Writes the caller makes in the very transaction that records an op's outcome (the SCIM facade's snapshot row
   * and plan status): durable together with the outcome, not one commit later. Given the op as finished. It may
   * run twice (a group commit's batch rolled back runs each write again alone): it must only use `tx`.
   */
  withOutcome?: (tx: Store, record: OpRecord) => Promise<void>;
}

/**
 * Writes an op's records in one transaction (shared with other ops' when the run groups its commits). `single`:
 * the write is one statement, which needs no transaction of its own (see GroupCommit.write).
 */
function write<T>(
  ctx: OpContext,
  fn: (tx: Store) => Promise<T>,
  options: { single?: boolean } = {},
): Promise<T> {
  if (ctx.writes) return ctx.writes.write(fn, options);
  // An op's writes only use the store they are given, and may run again (as in a group commit's batch).
  return options.single ? fn(ctx.store) : ctx.store.transaction(fn, { rerunnable: true });
}

export function auditOf(
  ctx: Pick<OpContext, 'actor' | 'planId'>,
  r: OpRecord,
  kind: string,
  data: Record<string, unknown>,
): AuditInput {
  // The fields an event names, read off the stored target as they are (the plan op in full is not needed).
  const op = r.target as Pick<PlanOp, 'ref' | 'person' | 'account' | 'entitlement' | 'reason'>;
  return {
    actor: ctx.actor,
    kind,
    appId: r.appId,
    subject: op.person?.email ?? (op.account && 'id' in op.account ? op.account.id : op.ref),
    data: {
      planId: ctx.planId,
      seq: r.seq,
      ref: op.ref,
      op: r.kind,
      ...(op.entitlement ? { entitlement: op.entitlement } : {}),
      reason: op.reason?.text ?? null,
      ...data,
    },
  };
}

/**
 * Claims the op for this run: unclaimed, ours, expired, or held by an owner that is certainly dead (taken over
 * at once). Null when another live owner holds it or it has nothing left to do.
 */
export async function claim(ctx: OpContext, r: OpRecord): Promise<OpRecord | null> {
  const base = { planId: ctx.planId, seq: r.seq, owner: ctx.owner, leaseMs: ctx.leaseMs };
  let result = await ctx.store.claimOp(base);
  const holder = result.claimed ? null : result.op.claimedBy;
  if (!result.claimed && result.reason === 'held' && holder !== null && ownerIsDead(holder)) {
    result = await ctx.store.claimOp({ ...base, takeOverFrom: [holder] });
  }
  ctx.records.set(r.seq, result.op);
  return result.claimed ? result.op : null;
}

/**
 * Claims the op and writes its intent with its audit event, before any upstream call: in one write when the op is
 * free to start afresh, else claim, then begin (an op held by a dead owner, or found running after a crash).
 * Null when another live owner holds it or it has nothing left to do.
 */
export async function claimAndBegin(
  ctx: OpContext,
  r: OpRecord,
): Promise<{ record: OpRecord; uncertain: boolean } | null> {
  if (r.status === 'pending' || r.status === 'approved' || r.status === 'failed') {
    const begun = await write(ctx, (tx) => claimAndBeginIn(tx, ctx, r.seq, r.target));
    if (begun !== null) {
      ctx.records.set(r.seq, begun);
      // An earlier attempt began: the app may hold its effect.
      return { record: begun, uncertain: begun.attempts > 1 };
    }
  }
  const claimed = await claim(ctx, r);
  return claimed === null ? null : begin(ctx, claimed);
}

/**
 * Claims an op free to start afresh and writes its intent with its audit event, inside the caller's transaction
 * (a plan saved and its first op begun in one commit). Null when the op is not free (see claimAndBeginOp).
 */
export async function claimAndBeginIn(
  tx: Store,
  ctx: Pick<OpContext, 'planId' | 'actor' | 'owner' | 'leaseMs'>,
  seq: number,
  target?: OpRecord['target'],
): Promise<OpRecord | null> {
  const op = await tx.claimAndBeginOp({
    planId: ctx.planId,
    seq,
    owner: ctx.owner,
    leaseMs: ctx.leaseMs,
    ...(target !== undefined ? { target } : {}),
  });
  if (op !== null) await tx.appendAudit(auditOf(ctx, op, 'op.intent', { attempt: op.attempts }));
  return op;
}

/** Where an op starts: begun already by the caller (its intent durable, under ctx.owner), else claimed now. */
function start(ctx: OpContext, input: { record: OpRecord; started?: Started | undefined }) {
  if (input.started) {
    ctx.records.set(input.started.record.seq, input.started.record);
    return Promise.resolve(input.started);
  }
  return claimAndBegin(ctx, input.record);
}

/** An op the caller claimed and began (its intent committed) under the run's owner, and whether it was resumed. */
export interface Started {
  record: OpRecord;
  uncertain: boolean;
}

/**
 * Writes the intent and its audit event together, before any upstream call. An op found running (its owner
 * died mid-call) keeps its intent. `uncertain`: an earlier attempt began, so the app may hold its effect.
 */
export async function begin(ctx: OpContext, r: OpRecord): Promise<{ record: OpRecord; uncertain: boolean }> {
  const uncertain = r.attempts > 0;
  if (r.status === 'running') return { record: r, uncertain };
  const record = await write(ctx, async (tx) => {
    const begun = await tx.beginOp({ planId: ctx.planId, seq: r.seq, owner: ctx.owner });
    await tx.appendAudit(auditOf(ctx, begun, 'op.intent', { attempt: begun.attempts }));
    return begun;
  });
  ctx.records.set(r.seq, record);
  return { record, uncertain };
}

/** Records the outcome and its audit event together, and lets go of the claim. */
export async function finish(
  ctx: OpContext,
  r: OpRecord,
  status: 'succeeded' | 'failed' | 'task_open',
  outcome: Record<string, unknown> | null,
  error: string | null = null,
  extra: Record<string, unknown> = {},
  taskId?: string,
): Promise<OpRecord> {
  const done = await write(ctx, async (tx) => {
    const finished = await tx.finishOp({
      planId: ctx.planId,
      seq: r.seq,
      status,
      outcome,
      error,
      owner: ctx.owner,
      ...(taskId !== undefined ? { taskId } : {}),
      // As this run's claim and begin left it: where the store sends the update with the commit, nothing is read.
      ...(r.status === 'running' && r.claimedBy === ctx.owner ? { known: r } : {}),
    });
    await tx.appendAudit(
      auditOf(ctx, finished, `op.${status}`, { ...(outcome ?? {}), ...(error ? { error } : {}), ...extra }),
    );
    await ctx.withOutcome?.(tx, finished);
    return finished;
  });
  ctx.records.set(r.seq, done);
  ctx.onFinished?.(done);
  return done;
}

/** Marks an op skipped (a dependency failed, or its account comes from a manual task), with why. */
export async function skip(ctx: OpContext, r: OpRecord, why: string): Promise<OpRecord> {
  const done = await write(ctx, async (tx) => {
    const skipped = await tx.finishOp({ planId: ctx.planId, seq: r.seq, status: 'skipped', error: why });
    await tx.appendAudit(auditOf(ctx, skipped, 'op.skipped', { error: why }));
    return skipped;
  });
  ctx.records.set(r.seq, done);
  ctx.onFinished?.(done);
  return done;
}

export function errorFacts(error: unknown): { message: string; requestId: string | null } {
  const message = error instanceof Error ? error.message : String(error);
  const requestId = isRosterError(error) ? ((error.details.requestId as string | undefined) ?? null) : null;
  return { message, requestId };
}

export function outcomeOf(call: CallResult, uncertain: boolean): Record<string, unknown> {
  return {
    accountId: call.accountId,
    before: call.before,
    after: call.after,
    already: call.already,
    ...(uncertain ? { resumed: true } : {}),
    ...(call.note ? { note: call.note } : {}),
  };
}

/** What running one op needs besides the context. */
export interface OneOpInput {
  record: OpRecord;
  connector: Connector | undefined;
  /** The app's id of the account the op acts on (null for a create or a task). */
  accountId: string | null;
  /** Whether a create must carry a password (the connector's `createNeedsPassword` trait). */
  needsPassword: boolean;
  /** The op already claimed and begun by the caller under ctx.owner (see claimAndBeginIn): not begun again. */
  started?: Started;
}

/**
 * One account op (create, update, deactivate, reactivate, delete) start to end. The id a create gets back is
 * written down before the read-back, so a read-back that fails leaves an op a later run finds by that id instead
 * of creating again. Returns the op as recorded, or null when another owner holds it.
 */
export async function runAccountOpOnce(ctx: OpContext, input: OneOpInput): Promise<OpRecord | null> {
  const started = await start(ctx, input);
  if (started === null) return null;
  const { record, uncertain } = started;
  const { connector } = input;
  if (!connector) return finish(ctx, record, 'failed', null, `no connector for ${record.appId}`);
  const op = opOf(record);
  const recorded = typeof record.outcome?.accountId === 'string' ? record.outcome.accountId : null;
  let call: CallResult;
  try {
    call = await runAccountOp({
      connector,
      op,
      accountId: input.accountId,
      uncertain,
      knownId: recorded,
      needsPassword: input.needsPassword,
      password: generatePassword,
    });
  } catch (error) {
    const { message, requestId } = errorFacts(error);
    // An id recorded by an earlier attempt stays with the op, so the next attempt still looks there first.
    const kept = recorded === null ? null : { accountId: recorded };
    return finish(ctx, record, 'failed', kept, message, { requestId });
  }
  const outcome = outcomeOf(call, uncertain);
  if (op.kind === 'create' && call.accountId !== null && call.accountId !== recorded) {
    ctx.records.set(
      record.seq,
      await write(
        ctx,
        (tx) =>
          tx.progressOp({
            planId: ctx.planId,
            seq: record.seq,
            owner: ctx.owner,
            outcome: { ...outcome, verified: false },
            target: record.target,
          }),
        { single: true },
      ),
    );
  }
  try {
    const check = await verifyAccountOp(connector, op, call.accountId);
    if (check.problem !== null) {
      return finish(ctx, record, 'failed', { ...outcome, verified: false }, `verification: ${check.problem}`);
    }
    ctx.onReadBack?.(record, check.account);
  } catch (error) {
    const { message, requestId } = errorFacts(error);
    return finish(ctx, record, 'failed', { ...outcome, verified: false }, `read-back: ${message}`, {
      requestId,
    });
  }
  return finish(ctx, record, 'succeeded', { ...outcome, verified: true });
}

/**
 * A grant or revoke start to end, verified by reading that kind's grants back (the executor batches this read
 * for a whole wave; alone, one op reads it once).
 */
export async function runGrantOpOnce(
  ctx: OpContext,
  input: Omit<OneOpInput, 'needsPassword'>,
): Promise<OpRecord | null> {
  const started = await start(ctx, input);
  if (started === null) return null;
  const { record, uncertain } = started;
  const { connector } = input;
  if (!connector) return finish(ctx, record, 'failed', null, `no connector for ${record.appId}`);
  const op = opOf(record);
  let call: CallResult;
  try {
    call = await runGrantOp({ connector, op, accountId: input.accountId });
  } catch (error) {
    const { message, requestId } = errorFacts(error);
    return finish(ctx, record, 'failed', null, message, { requestId });
  }
  const outcome = outcomeOf(call, uncertain);
  let held: Set<string>;
  try {
    held = await readGrantSet(connector, op.entitlement?.kind ?? 'group');
  } catch (error) {
    return finish(ctx, record, 'failed', outcome, `verification: ${errorFacts(error).message}`);
  }
  const has = held.has(
    grantKey({ entitlementId: op.entitlement?.id ?? '', accountId: call.accountId ?? '' }),
  );
  if ((op.kind === 'grant') === has) return finish(ctx, record, 'succeeded', { ...outcome, verified: true });
  const what = `the ${op.entitlement?.kind} is ${has ? 'still held' : 'not held'} after ${op.kind}`;
  return finish(ctx, record, 'failed', outcome, `verification: ${what}`);
}

/**
 * One op of any kind, start to end: what a queue worker or the SCIM facade calls. `accountId` is the app's id
 * of the account it acts on (null for a create or a task).
 */
export function runOp(ctx: OpContext, input: OneOpInput): Promise<OpRecord | null> {
  switch (input.record.kind) {
    case 'task':
      return runTaskOp(ctx, input.record, input.started);
    case 'grant':
    case 'revoke':
      return runGrantOpOnce(ctx, input);
    case 'wait':
      throw new RosterError('invalid_input', 'a wait op is polled by the executor, not run once', {
        details: { planId: ctx.planId, seq: input.record.seq },
      });
    default:
      return runAccountOpOnce(ctx, input);
  }
}

/** The account an op is about and the change it makes: one open task per key, whichever plan asks. */
export function taskKey(op: PlanOp): string {
  const subject =
    op.account && 'id' in op.account
      ? `account:${op.account.id}`
      : op.person
        ? `person:${op.person.email.toLowerCase()}`
        : `ref:${op.ref}`;
  const change = op.entitlement
    ? `${op.entitlement.kind}:${op.entitlement.id}`
    : op.changes
      ? Object.entries(op.changes)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([field, c]) => `${field}=${c.to}`)
          .join('&')
      : '';
  return [op.appId, subject, op.task?.instead ?? op.kind, change].join('|');
}

/**
 * A task op opens its manual task (or joins the open one for the same account and change) and stays
 * `task_open` until a sync shows the change made: it is never counted as done by apply.
 */
export async function runTaskOp(ctx: OpContext, r: OpRecord, begun?: Started): Promise<OpRecord | null> {
  const started = await start(ctx, { record: r, started: begun });
  if (started === null) return null;
  const { record } = started;
  const op = opOf(record);
  const { task, created } = await ctx.store.ensureTask({
    key: taskKey(op),
    planId: ctx.planId,
    opSeq: record.seq,
    appId: record.appId,
    kind: op.task?.instead ?? 'task',
    instructions: op.task?.instructions ?? op.reason.text,
  });
  const outcome = {
    taskId: task.id,
    instead: op.task?.instead ?? null,
    note: created ? 'manual task opened' : 'joined the open manual task',
  };
  return finish(ctx, record, 'task_open', outcome, null, {}, task.id);
}

/** Refusal when this run lost its hold on the plan. */
export function lostPlan(planId: string, cause: unknown): RosterError {
  return new RosterError(
    'conflict',
    `apply lost its lock on plan ${planId}; the ops it had not started are left`,
    {
      cause,
      fix: 'see who holds the plan now (another apply took over); run apply again once it is done',
      details: { planId },
    },
  );
}

/** A task op's text for an invitation that was never accepted. */
export const INVITE_TIMEOUT_TEXT = 'invitation not accepted; remind the person or cancel';

/** Where a wait op stands between polls: kept as its outcome while it runs, so a restart carries on there. */
export interface WaitState {
  waiting: true;
  since: string;
  polls: number;
  nextPollAt: string;
}

/** A wait op's poll state, when it has one. */
export function waitStateOf(r: OpRecord): WaitState | null {
  return (r.status === 'running' && r.outcome?.waiting === true ? r.outcome : null) as WaitState | null;
}

/** How a wait op is polled: give up after timeoutMs, first poll after pollMs, doubling up to maxPollMs. */
export interface WaitPolling {
  connector: Connector | undefined;
  /** The invited account's id in the app (null when it is not known). */
  accountId: string | null;
  now: () => Date;
  timeoutMs: number;
  pollMs: number;
  maxPollMs: number;
}

/**
 * One poll of a wait op under its claim (the in-process executor and cluster workers both call it): 'done' when
 * it finished (accepted, timed out, failed), 'held' when another live owner has it, else when to poll next.
 */
export async function pollWaitOnce(
  ctx: OpContext,
  r: OpRecord,
  input: WaitPolling,
): Promise<'done' | 'held' | number> {
  const op = opOf(r);
  const state = waitStateOf(r);
  const claimed = await claim(ctx, r);
  if (claimed === null) return 'held';
  const { record } = await begin(ctx, claimed);
  const since = state?.since ?? input.now().toISOString();
  const { connector, accountId: id } = input;
  if (!connector?.accounts.get || id === null) {
    await finish(ctx, record, 'failed', null, 'cannot read the invited account back');
    return 'done';
  }
  let status: string;
  try {
    status = (await connector.accounts.get({ id }))?.status ?? 'gone';
  } catch (error) {
    status = `unreadable (${errorFacts(error).message})`;
  }
  if (status === 'active') {
    await finish(ctx, record, 'succeeded', {
      accountId: id,
      since,
      polls: (state?.polls ?? 0) + 1,
      accepted: true,
    });
    return 'done';
  }
  if (status === 'gone' || status === 'deleted' || status === 'inactive') {
    await finish(ctx, record, 'failed', { accountId: id, since }, `the invited account is ${status}`);
    return 'done';
  }
  const polls = (state?.polls ?? 0) + 1;
  const at = input.now().getTime();
  if (at - Date.parse(since) >= input.timeoutMs) {
    const who = op.person ? `${op.person.name} <${op.person.email}>` : id;
    const { task } = await ctx.store.ensureTask({
      key: [record.appId, `account:${id}`, 'invite', ''].join('|'),
      planId: ctx.planId,
      opSeq: record.seq,
      appId: record.appId,
      kind: 'invite',
      instructions: `${who}: ${INVITE_TIMEOUT_TEXT}.`,
    });
    await finish(
      ctx,
      record,
      'failed',
      { accountId: id, since, polls, taskId: task.id },
      INVITE_TIMEOUT_TEXT,
    );
    return 'done';
  }
  const delay = Math.min(input.maxPollMs, input.pollMs * 2 ** Math.min(polls - 1, 20));
  const next: WaitState = { waiting: true, since, polls, nextPollAt: new Date(at + delay).toISOString() };
  // A progress write: the op stays running with the poll state as its outcome, so a restart carries on here.
  ctx.records.set(
    record.seq,
    await ctx.store.progressOp({
      planId: ctx.planId,
      seq: record.seq,
      owner: ctx.owner,
      outcome: { ...next },
      target: record.target,
    }),
  );
  return at + delay;
}

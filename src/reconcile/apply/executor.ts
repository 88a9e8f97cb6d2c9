/**
 * @module applyPlan: runs a saved plan — apps in parallel, ops in dependency order, intent before every call,
 * read-back verification, outcome and audit after, crash-safe resume, approvals, durable waits and manual tasks.
 */

import type { RosterConfig } from '../../config/schema.js';
import { traitsOf } from '../../connectors/registry.js';
import { grantKey } from '../../connectors/sdk/paging.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { isRosterError, RosterError } from '../../core/errors.js';
import { GroupCommit } from '../../store/group-commit.js';
import type { OpRecord, OpStatus, PlanLock, PlanRecord, Store } from '../../store/store.js';
import type { PlanOp } from '../diff.js';
import { OVERRIDE_FLAG, type PlanBody } from '../plan.js';
import { type CallResult, readGrantSet, runGrantOp } from './operations.js';
import {
  claimAndBegin,
  errorFacts,
  finish,
  lostPlan,
  newOwner,
  type OpContext,
  opOf,
  outcomeOf,
  ownerIsDead,
  pollWaitOnce,
  runAccountOpOnce,
  runTaskOp,
  type Started,
  skip as skipOp,
  waitStateOf,
} from './run-op.js';
import { currentStateHash, resumeStateHash } from './state.js';

/** An op's state as apply reports it: the store's status, or why a non-final op did not run yet. */
export type OpState = OpStatus | 'awaiting_approval' | 'waiting';

export interface OpReport {
  seq: number;
  ref: string;
  appId: string;
  kind: OpRecord['kind'];
  state: OpState;
  error: string | null;
  /** What a person should read: the reason, or what the op found. */
  text: string;
}

export interface ApplyResult {
  planId: string;
  status: PlanRecord['status'];
  ops: OpReport[];
  byApp: Record<string, Partial<Record<OpState, number>>>;
}

export interface WaitOptions {
  /** After this long without acceptance a wait becomes a task (default 7 days). */
  timeoutMs?: number;
  /** First poll interval; doubles per poll up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** How long this run keeps polling once waits are all that is left; the rest carries on next run. */
  holdMs?: number;
}

export interface ApplyOptions {
  store: Store;
  config: Pick<RosterConfig, 'apps' | 'policy'>;
  planId: string;
  /** Live connectors by app id. */
  connectors: Readonly<Record<string, Connector>>;
  actor: string;
  /** The caller has confirmed (the CLI asks on a TTY); apply refuses without it. */
  yes: boolean;
  /** Carry on an interrupted run; re-running without it does the same, it only documents intent. */
  resume?: boolean;
  overrideSafety?: boolean;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  waits?: WaitOptions;
  /** Ops in flight at once within one app (the HTTP layer still limits requests). */
  concurrency?: number;
  onOp?: (report: OpReport) => void;
  /** Who this run is, for the plan lock and op claims (default: `apply@host:pid/tag`). */
  owner?: string;
  /** How long the plan lock and op claims last unless renewed; renewed every third of it (default 2 min). */
  leaseMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Nothing left for apply to do: done, failed (a later run retries), skipped, or a manual task a sync closes. */
const FINAL: ReadonlySet<OpStatus> = new Set(['succeeded', 'failed', 'skipped', 'task_open']);

/** Runs a saved plan. Refuses a stale or blocked plan; never does an op twice across crashes and re-runs. */
export async function applyPlan(options: ApplyOptions): Promise<ApplyResult> {
  const { store, planId } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const plan = await admissiblePlan(options);
  const owner = options.owner ?? newOwner();
  const leaseMs = options.leaseMs ?? 2 * 60_000;
  await lockPlan(store, planId, owner, leaseMs);
  const ctx: RunContext = {
    options,
    store,
    planId,
    actor: options.actor,
    owner,
    leaseMs,
    now,
    sleep,
    records: new Map(),
    bySeq: (seq: number) => ctx.records.get(seq) as OpRecord,
    seqOfRef: new Map(),
    tried: new Set<number>(),
    waitStates: new Map<number, OpState>(),
    lost: null,
    timeoutMs: options.waits?.timeoutMs ?? 7 * DAY_MS,
    pollMs: options.waits?.pollMs ?? 5_000,
    maxPollMs: options.waits?.maxPollMs ?? 10 * 60_000,
    holdMs: options.waits?.holdMs ?? 0,
    onFinished: (record) => options.onOp?.(report(ctx, record)),
    // Each op in flight has one write pending at a time, between its calls: waiting a second turn gathers the
    // answers that landed meanwhile, so a commit carries about one write per op in flight (bench:apply at
    // concurrency 4: 0.75 transactions per op instead of 1.23).
    writes: new GroupCommit(store, { gatherTurns: 2 }),
  };
  // The lease is renewed while the run lasts; a run that loses it (it stalled past the lease and another
  // apply took over) stops starting ops.
  const renew = setInterval(
    () => {
      store
        .renewPlanLock({ planId, owner, leaseMs })
        .then(() => store.renewOpClaims({ planId, owner, leaseMs }))
        .catch((error: unknown) => {
          ctx.lost ??= error;
        });
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  renew.unref();
  try {
    // Read again under the lock: another apply may have moved the plan on while this one waited for it.
    await startApplying(options, (await store.getPlan({ id: planId })) ?? plan);

    for (const op of await store.listOps({ planId })) ctx.records.set(op.seq, op);
    for (const r of ctx.records.values()) ctx.seqOfRef.set(String(r.target.ref), r.seq);
    const apps = [...new Set([...ctx.records.values()].map((r) => r.appId))];
    await Promise.all(apps.map((appId) => runApp(ctx, appId)));
    if (ctx.lost !== null) throw lostPlan(planId, ctx.lost);

    const ops = [...ctx.records.values()].map((r) => report(ctx, r));
    const byApp: ApplyResult['byApp'] = {};
    for (const r of ops) {
      const counts = byApp[r.appId] ?? {};
      counts[r.state] = (counts[r.state] ?? 0) + 1;
      byApp[r.appId] = counts;
    }
    const status = planStatusOf([...ctx.records.values()]);
    if (status !== 'applying') {
      await store.setPlanStatus({ id: planId, status });
      await store.appendAudit({
        actor: options.actor,
        kind: `plan.${status}`,
        subject: planId,
        data: { byApp },
      });
    }
    return { planId, status, ops, byApp };
  } finally {
    clearInterval(renew);
    await store.releaseOpClaims({ planId, owner });
    await store.unlockPlan({ planId, owner });
  }
}

/**
 * The plan, when it may be applied at all: confirmed, saved, not cancelled, free of errors, not blocked by the
 * safety limits unless overridden. Every executor (in process, cluster workers) asks this first.
 */
export async function admissiblePlan(
  options: Pick<ApplyOptions, 'store' | 'planId' | 'yes' | 'overrideSafety'>,
): Promise<PlanRecord> {
  const { store, planId } = options;
  if (!options.yes) {
    throw new RosterError('invalid_input', 'apply changes the apps and needs a confirmation', {
      fix: 'pass --yes',
    });
  }
  const plan = await store.getPlan({ id: planId });
  if (plan === null) {
    throw new RosterError('not_found', `plan ${planId} is not in the store`, {
      fix: 'run roster plan first',
    });
  }
  if (plan.status === 'cancelled') throw new RosterError('conflict', `plan ${planId} was cancelled`);
  const body = plan.body as PlanBody;
  // A plan with errors does part of what the policy says (a bad group name drops those grants, not the revokes
  // beside them), so no flag runs it: fix the policy and re-plan.
  if (body.errors.length > 0) {
    throw new RosterError(
      'conflict',
      `plan ${planId} has ${body.errors.length} error${body.errors.length === 1 ? '' : 's'} and cannot be applied: ${body.errors[0]?.message ?? ''}`,
      { fix: 'fix the policy (roster plan lists every error) and apply the new plan', details: { planId } },
    );
  }
  if (body.blocked && !options.overrideSafety) {
    throw new RosterError(
      'conflict',
      `plan ${planId} is blocked by the safety limits: ${body.blocked.reasons.map((r) => r.message).join('; ')}`,
      {
        fix: `check the HR export and re-plan; if the removals are really meant, pass ${OVERRIDE_FLAG}`,
        details: { planId, blocked: body.blocked.reasons },
      },
    );
  }
  return plan;
}

/**
 * Refuses a stale plan, records a safety override, and marks the plan applying. `held` is the plan as read under
 * whatever hold the caller has on it (the plan lock, or the cluster's one start job per plan).
 */
export async function startApplying(
  options: Pick<ApplyOptions, 'store' | 'config' | 'planId' | 'overrideSafety' | 'actor'>,
  held: PlanRecord,
): Promise<void> {
  const { store, planId } = options;
  const body = held.body as PlanBody;
  // A plan already under way (applying, or stopped with failed ops or open tasks) is held to the intent it
  // was computed from (people, policy); the apps' newer snapshots show its own partial work and do not make
  // it stale, and every op looks before it acts again.
  const resuming = held.status === 'applying' || held.status === 'failed' || held.status === 'tasks_open';
  const hash = resuming
    ? await resumeStateHash({ store, config: options.config, apps: body.apps, planned: body.inputs })
    : await currentStateHash({ store, config: options.config, apps: body.apps });
  if (hash !== held.stateHash) {
    throw new RosterError(
      'conflict',
      `plan ${planId} is stale: the people, links, policy or app snapshots changed since it was computed; re-plan`,
      { fix: 'run roster plan again and apply the new plan', details: { planId } },
    );
  }
  if (body.blocked && options.overrideSafety) {
    await store.appendAudit({
      actor: options.actor,
      kind: 'plan.override_safety',
      subject: planId,
      data: { reasons: body.blocked.reasons.map((r) => r.message) },
    });
  }
  if (held.status !== 'applying') await store.setPlanStatus({ id: planId, status: 'applying' });
}

/**
 * A plan's status from its ops: applying while any can still run; failed when one failed; tasks_open when
 * all Roster could do is done and manual tasks remain; applied when everything is done.
 */
export function planStatusOf(ops: readonly OpRecord[]): PlanRecord['status'] {
  if (!ops.every((r) => FINAL.has(r.status))) return 'applying';
  if (ops.some((r) => r.status === 'failed')) return 'failed';
  if (ops.some((r) => r.status === 'task_open')) return 'tasks_open';
  return 'applied';
}

/** Takes the plan's lock, at once from a holder that is certainly dead; otherwise the holder's conflict. */
async function lockPlan(store: Store, planId: string, owner: string, leaseMs: number): Promise<PlanLock> {
  try {
    return await store.lockPlan({ planId, owner, leaseMs });
  } catch (error) {
    const holder = isRosterError(error) ? error.details.holder : undefined;
    if (typeof holder !== 'string' || !ownerIsDead(holder)) throw error;
    return store.lockPlan({ planId, owner, leaseMs, takeOverFrom: holder });
  }
}

interface RunContext extends OpContext {
  options: ApplyOptions;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  records: Map<number, OpRecord>;
  bySeq(seq: number): OpRecord;
  seqOfRef: Map<string, number>;
  tried: Set<number>;
  waitStates: Map<number, OpState>;
  /** Set when renewing the plan lock failed: no new op starts. */
  lost: unknown;
  timeoutMs: number;
  pollMs: number;
  maxPollMs: number;
  holdMs: number;
}

function report(ctx: RunContext, r: OpRecord): OpReport {
  const op = opOf(r);
  let state: OpState = r.status;
  if (r.status === 'pending' && r.requiresApproval) state = 'awaiting_approval';
  else if (!FINAL.has(r.status)) state = ctx.waitStates.get(r.seq) ?? state;
  const note = r.outcome && typeof r.outcome.note === 'string' ? ` (${r.outcome.note})` : '';
  return {
    seq: r.seq,
    ref: op.ref,
    appId: r.appId,
    kind: r.kind,
    state,
    error: r.error,
    text: `${op.reason?.text ?? ''}${note}`,
  };
}

type Readiness = 'ready' | 'blocked' | 'approval' | { skip: string };

function readiness(ctx: RunContext, r: OpRecord): Readiness {
  if (FINAL.has(r.status) && !(r.status === 'failed' && !ctx.tried.has(r.seq))) return 'blocked';
  // Tried in this run and not final: another owner holds it. Waits alone are polled again and again.
  if (!FINAL.has(r.status) && ctx.tried.has(r.seq) && r.kind !== 'wait') return 'blocked';
  for (const dep of r.dependsOn) {
    const d = ctx.bySeq(dep);
    if (d === undefined) continue;
    const ref = String(d.target.ref);
    if (d.status === 'skipped' || (d.status === 'failed' && ctx.tried.has(d.seq))) {
      return { skip: `skipped: ${ref} ${d.status}${d.error ? ` (${d.error})` : ''}` };
    }
    if (d.status === 'task_open') {
      // What it depends on is a person's job; a later sync shows it done and a new plan carries this on.
      return { skip: `skipped: ${ref} is an open manual task; re-plan after a sync shows it done` };
    }
    if (d.status !== 'succeeded') return 'blocked';
  }
  if (r.requiresApproval && r.status === 'pending') return 'approval';
  return 'ready';
}

async function runApp(ctx: RunContext, appId: string): Promise<void> {
  const mine = () => [...ctx.records.values()].filter((r) => r.appId === appId);
  let holdUntil: number | null = null;
  while (ctx.lost === null) {
    const ready: OpRecord[] = [];
    for (const r of mine()) {
      const state = readiness(ctx, r);
      if (state === 'approval') ctx.waitStates.set(r.seq, 'awaiting_approval');
      if (typeof state === 'object') await skipOp(ctx, r, state.skip);
      else if (state === 'ready') ready.push(r);
    }
    const work = ready.filter((r) => r.kind !== 'wait');
    if (work.length > 0) {
      await runWave(ctx, appId, work);
      continue;
    }
    const waits = ready.filter((r) => r.kind === 'wait');
    if (waits.length === 0) return;
    holdUntil ??= ctx.now().getTime() + ctx.holdMs;
    let next = Number.POSITIVE_INFINITY;
    let moved = false;
    for (const r of waits) {
      const result = await pollWait(ctx, r);
      if (result === 'done') moved = true;
      else next = Math.min(next, result);
    }
    if (moved) continue;
    const at = ctx.now().getTime();
    if (next > holdUntil) return;
    await ctx.sleep(Math.max(0, next - at));
  }
}

/** The app's id of the account an op acts on: its own, or the one the op that created it recorded. */
function accountIdOf(ctx: RunContext, op: PlanOp): { id: string | null; viaTask: string | null } {
  if (op.account === null) return { id: null, viaTask: null };
  if ('id' in op.account) return { id: op.account.id, viaTask: null };
  const seq = ctx.seqOfRef.get(op.account.createdBy);
  const creator = seq === undefined ? undefined : ctx.bySeq(seq);
  const id = creator?.status === 'succeeded' ? creator.outcome?.accountId : undefined;
  if (typeof id === 'string') return { id, viaTask: null };
  return { id: null, viaTask: creator?.kind === 'task' ? op.account.createdBy : null };
}

/** One round of ready ops in an app: calls first, then one grant listing per kind verifies every grant/revoke. */
async function runWave(ctx: RunContext, appId: string, wave: OpRecord[]): Promise<void> {
  const connector = ctx.options.connectors[appId];
  const appConfig = ctx.options.config.apps.find((a) => a.id === appId);
  const pendingGrants: { r: OpRecord; op: PlanOp; call: CallResult }[] = [];
  /** Runs one op; `begun`: the op as the worker began it ahead (see beginsAhead), null when another owner holds it. */
  const run = async (r: OpRecord, begun?: Promise<Started | null>): Promise<void> => {
    // Marked tried whatever comes of it, so a failure is not retried within this run.
    ctx.tried.add(r.seq);
    const started = begun === undefined ? undefined : await begun;
    // An op begun ahead and not run when the plan's lock is lost stays running: the next run looks before acting.
    if (started === null || ctx.lost !== null) return;
    const op = opOf(r);
    if (op.kind === 'task') {
      await runTaskOp(ctx, r);
      return;
    }
    const { id, viaTask } = accountIdOf(ctx, op);
    if (viaTask !== null) {
      // The account is created by hand (a task); a later sync links it and a new plan carries this on.
      await skipOp(
        ctx,
        r,
        `skipped: the account comes from the manual task ${viaTask}; re-plan after a sync`,
      );
      return;
    }
    if (op.kind !== 'grant' && op.kind !== 'revoke') {
      await runAccountOpOnce(ctx, {
        record: started?.record ?? r,
        connector,
        accountId: id,
        needsPassword: appConfig
          ? (traitsOf(appConfig.type).createNeedsPassword?.(appConfig) ?? false)
          : false,
        ...(started ? { started } : {}),
      });
      return;
    }
    const claimed = await claimAndBegin(ctx, r);
    if (claimed === null) return;
    const { record } = claimed;
    if (!connector) {
      await finish(ctx, record, 'failed', null, `no connector for ${appId}`);
      return;
    }
    try {
      pendingGrants.push({ r: record, op, call: await runGrantOp({ connector, op, accountId: id }) });
    } catch (error) {
      const { message, requestId } = errorFacts(error);
      await finish(ctx, record, 'failed', null, message, { requestId });
    }
  };
  // One account's ops run one after another: an app may hold a set as one field (customer-directory roleIds,
  // replaced whole by PATCH), so a grant and a revoke racing on it would each write back what the other undid.
  const byAccount = new Map<string, OpRecord[]>();
  for (const r of wave) {
    const key = accountIdOf(ctx, opOf(r)).id ?? `op:${r.seq}`;
    byAccount.set(key, [...(byAccount.get(key) ?? []), r]);
  }
  await inChains(ctx, [...byAccount.values()], ctx.options.concurrency ?? 4, run);
  if (pendingGrants.length === 0 || !connector) return;
  const kinds = [...new Set(pendingGrants.map((g) => g.op.entitlement?.kind))].filter((k) => k !== undefined);
  const held = new Map<string, Set<string> | Error>();
  for (const kind of kinds) {
    held.set(
      kind,
      await readGrantSet(connector, kind).catch((e: unknown) =>
        e instanceof Error ? e : new Error(String(e)),
      ),
    );
  }
  for (const { r, op, call } of pendingGrants) {
    const set = held.get(op.entitlement?.kind as string);
    const outcome = outcomeOf(call, r.attempts > 1);
    if (set instanceof Error || set === undefined) {
      await finish(ctx, r, 'failed', outcome, `verification: ${set?.message ?? 'no grant listing'}`);
      continue;
    }
    const has = set.has(
      grantKey({ entitlementId: op.entitlement?.id ?? '', accountId: call.accountId ?? '' }),
    );
    const ok = op.kind === 'grant' ? has : !has;
    if (ok) await finish(ctx, r, 'succeeded', { ...outcome, verified: true });
    else
      await finish(
        ctx,
        r,
        'failed',
        outcome,
        `verification: the ${op.entitlement?.kind} is ${has ? 'still held' : 'not held'} after ${op.kind}`,
      );
  }
}

/**
 * Whether a worker may begin this op ahead, while the op before it calls the app: an account op (what
 * runAccountOpOnce runs from a begun op), not one whose account a manual task makes (it is skipped, not begun).
 */
function beginsAhead(ctx: RunContext, r: OpRecord): boolean {
  const op = opOf(r);
  if (op.kind === 'task' || op.kind === 'grant' || op.kind === 'revoke' || op.kind === 'wait') return false;
  return accountIdOf(ctx, op).viaTask === null;
}

/**
 * Runs the chains `limit` at a time, a chain's ops one after another. Each worker begins its next op (claim,
 * intent and its audit event, committed as always before that op's own call) while the op before it is at the
 * app, instead of after that op's outcome: one commit fewer on the way from one op's read-back to the next op's
 * call (bench:apply, the app 2 ms away, Postgres store: 72–73 % → 78 % of the raw loop's throughput). An op
 * begun and then not run (the run lost its plan, or failed) is left running, its claim let go of at the end:
 * the next run looks before acting on it, as after a crash.
 */
async function inChains(
  ctx: RunContext,
  chains: readonly OpRecord[][],
  limit: number,
  run: (r: OpRecord, begun?: Promise<Started | null>) => Promise<void>,
): Promise<void> {
  let nextChain = 0;
  const worker = async () => {
    const mine: OpRecord[] = [];
    const take = (): OpRecord | undefined => {
      if (mine.length === 0 && nextChain < chains.length) mine.push(...(chains[nextChain++] ?? []));
      return mine.shift();
    };
    let current = take();
    let begun: Promise<Started | null> | undefined;
    while (current !== undefined) {
      // Started first, so an op not begun ahead begins (and audits its intent) before the one after it.
      const running = run(current, begun);
      const following = take();
      let ahead: Promise<Started | null> | undefined;
      if (following !== undefined && ctx.lost === null && beginsAhead(ctx, following)) {
        ahead = claimAndBegin(ctx, following);
        // Awaited when its turn comes (a failure is thrown there); until then it must not count as unhandled.
        ahead.catch(() => {});
      }
      await running;
      current = following;
      begun = ahead;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, chains.length) }, worker));
}

/** One poll of a wait op: 'done' when it finished (accepted, timed out, failed), else when to poll next. */
async function pollWait(ctx: RunContext, r: OpRecord): Promise<'done' | number> {
  const state = waitStateOf(r);
  if (state && Date.parse(state.nextPollAt) > ctx.now().getTime()) {
    ctx.waitStates.set(r.seq, 'waiting');
    return Date.parse(state.nextPollAt);
  }
  ctx.tried.add(r.seq);
  const result = await pollWaitOnce(ctx, r, {
    connector: ctx.options.connectors[r.appId],
    accountId: accountIdOf(ctx, opOf(r)).id,
    now: ctx.now,
    timeoutMs: ctx.timeoutMs,
    pollMs: ctx.pollMs,
    maxPollMs: ctx.maxPollMs,
  });
  // Another live owner polls it: nothing for this run to do with it.
  if (result === 'held') return Number.POSITIVE_INFINITY;
  if (result !== 'done') ctx.waitStates.set(r.seq, 'waiting');
  return result;
}

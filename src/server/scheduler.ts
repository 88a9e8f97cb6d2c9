/**
 * @module Continuous reconciliation: each app syncs on its cadence (interval or cron), people are re-read on
 * theirs, and a plan follows. One run per app at a time, triggers during a run join it, a failing job backs off
 * at growing intervals and is quarantined after repeated failures without holding the others. State is stored.
 */

import { Cron } from 'croner';
import type { Cadence, ScheduleConfig } from '../config/server.js';
import { RosterError } from '../core/errors.js';
import {
  type ScheduleJobKind,
  type ScheduleJobState,
  type ScheduleStore,
  scheduleStore,
} from '../store/schedule.js';
import type { ServerContext } from './context.js';
import { asActor, importPeople, type ReconcileResult, reconcile, remindReviews, syncApps } from './core.js';
import { announceApply, announceFindings, announcePlan, announceReviewReminders } from './notify.js';

export const SCHEDULER_ACTOR = 'scheduler';

export interface ScheduledJob extends ScheduleJobState {
  cadence: { every?: number | undefined; cron?: string | undefined };
  full: boolean;
  running: boolean;
  quarantined: boolean;
}

export interface SchedulerEvents {
  /** A run ended: for metrics (lag is how late it started against its schedule). */
  onRun?(run: { job: string; appId: string | null; ok: boolean; durationMs: number; lagMs: number }): void;
  /** A job reached the quarantine threshold. */
  onQuarantine?(job: ScheduledJob): void;
  /** A reconciliation after a run saved a plan. */
  onPlan?(planId: string): void;
}

interface JobDef {
  id: string;
  kind: ScheduleJobKind;
  appId: string | null;
  cadence: Cadence | { every?: number; cron?: string };
  full: boolean;
  /** The Jobs key: a scheduled sync and one started through the API share it, so they never overlap. */
  key: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** How soon a process that found a run held elsewhere looks at the stored schedule again. */
const FOLLOW_MS = 5_000;

/**
 * How the schedule runs in cluster mode, where several `roster serve` processes share one store: every process
 * arms the schedule, each run is taken under a lease of its own (so one process runs it), its syncs run on the
 * workers, and an apply that follows is enqueued for them.
 */
export interface ClusterSchedule {
  /** The lease of one job's run; null when another process holds it (and runs it). */
  take(jobId: string): Promise<{ release(): Promise<void> } | null>;
  /**
   * A sync on the workers, resolved once it ended and the graph refresh after it did; throws when the sync failed.
   * False when the graph did not catch up (its refresh failed): the findings stored are older than the sync.
   */
  sync(appId: string, full: boolean): Promise<boolean>;
  /** Starts applying a plan on the workers. */
  apply(planId: string): Promise<void>;
}

export class Scheduler {
  private readonly defs: JobDef[];
  private readonly states = new Map<string, ScheduleJobState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly store: ScheduleStore;
  private stopped = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly schedule: ScheduleConfig,
    private readonly events: SchedulerEvents = {},
    private readonly cluster: ClusterSchedule | null = null,
  ) {
    this.store = scheduleStore(ctx.store);
    this.defs = jobDefs(ctx, schedule);
  }

  /** Loads the stored state (a restart keeps each job's next run and failures) and arms every job. */
  async start(): Promise<void> {
    const stored = new Map((await this.store.list()).map((s) => [s.id, s]));
    const now = this.ctx.clock();
    for (const def of this.defs) {
      const state: ScheduleJobState = stored.get(def.id) ?? {
        id: def.id,
        kind: def.kind,
        appId: def.appId,
        // Never run before: due now, so a new service has data without waiting a whole interval.
        nextRunAt: now.toISOString(),
        lastRunAt: null,
        lastStatus: null,
        lastError: null,
        consecutiveFailures: 0,
        runs: 0,
        failures: 0,
        quarantinedAt: null,
        updatedAt: now.toISOString(),
      };
      this.states.set(def.id, state);
      await this.store.put(state);
    }
    // People first: the first plans should see the HR export, not an empty company.
    const people = this.defs.find((d) => d.kind === 'people');
    if (people && this.due(people, now)) await this.fire(people);
    for (const def of this.defs) if (!this.timers.has(def.id)) this.arm(def);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  list(): ScheduledJob[] {
    return this.defs.map((def) => this.view(def));
  }

  /** Whether an app's sync job is quarantined (shown on /apps). */
  quarantined(appId: string): boolean {
    return this.defs.some((d) => d.appId === appId && this.states.get(d.id)?.quarantinedAt);
  }

  nextRunOf(appId: string): string | null {
    const runs = this.defs
      .filter((d) => d.appId === appId)
      .map((d) => this.states.get(d.id)?.nextRunAt ?? null)
      .filter((t): t is string => t !== null)
      .sort();
    return runs[0] ?? null;
  }

  /** Runs a job now (joining its run if one is in flight) and returns its state afterwards. */
  async trigger(id: string): Promise<ScheduledJob | null> {
    const def = this.defs.find((d) => d.id === id);
    if (!def) return null;
    await this.fire(def, true);
    return this.view(def);
  }

  private view(def: JobDef): ScheduledJob {
    const state = this.states.get(def.id) as ScheduleJobState;
    return {
      ...state,
      cadence: { every: def.cadence.every, cron: def.cadence.cron },
      full: def.full,
      running: this.ctx.jobs.isRunning(def.key),
      quarantined: state.quarantinedAt !== null,
    };
  }

  private due(def: JobDef, now: Date): boolean {
    const next = this.states.get(def.id)?.nextRunAt;
    return next === null || next === undefined || Date.parse(next) <= now.getTime();
  }

  private arm(def: JobDef, minDelay = 0): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(def.id));
    const next = this.states.get(def.id)?.nextRunAt;
    const delay = Math.max(minDelay, next ? Date.parse(next) - this.ctx.clock().getTime() : 0);
    const timer = setTimeout(() => void this.fire(def), Math.min(delay, MAX_TIMER_MS));
    this.timers.set(def.id, timer);
  }

  /** Runs a job now; in cluster mode only under its lease, and (unless forced) only if still due then. */
  private async fire(def: JobDef, force = false): Promise<void> {
    if (this.stopped || this.ctx.jobs.stopped) return;
    if (!this.cluster) return this.runAndRecord(def);
    const lease = await this.cluster.take(`schedule.${def.id}`).catch((error: unknown) => {
      this.ctx.log.warn({ job: def.id, err: error }, 'cannot take the schedule lease');
      return null;
    });
    if (lease === null) {
      // Another process runs it: follow the schedule it stores.
      await this.reload(def);
      this.arm(def, FOLLOW_MS);
      return;
    }
    try {
      // Another process may have run it since this one last read the schedule: the stored state decides.
      await this.reload(def);
      if (!force && !this.due(def, this.ctx.clock())) {
        this.arm(def);
        return;
      }
      await this.runAndRecord(def);
    } finally {
      await lease
        .release()
        .catch((error: unknown) => this.ctx.log.warn({ job: def.id, err: error }, 'cannot free the lease'));
    }
  }

  /** The job's state as the store holds it (another process may have run it). */
  private async reload(def: JobDef): Promise<void> {
    const stored = (await this.store.list().catch(() => [])).find((s) => s.id === def.id);
    if (stored) this.states.set(def.id, stored);
  }

  private async runAndRecord(def: JobDef): Promise<void> {
    const state = this.states.get(def.id) as ScheduleJobState;
    const started = this.ctx.clock();
    const lagMs = state.nextRunAt ? Math.max(0, started.getTime() - Date.parse(state.nextRunAt)) : 0;
    let ok = false;
    let error: string | null = null;
    try {
      const { promise } = this.ctx.jobs.start(def.key, () => this.run(def));
      await promise;
      ok = true;
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
      this.ctx.log.warn({ job: def.id, error }, 'scheduled run failed');
    }
    const now = this.ctx.clock();
    const failures = ok ? 0 : state.consecutiveFailures + 1;
    const wasQuarantined = state.quarantinedAt !== null;
    const backoff = this.schedule.backoff;
    const next = ok
      ? nextRun(def.cadence, now)
      : new Date(now.getTime() + Math.min(backoff.max, backoff.initial * 2 ** (failures - 1)));
    const updated: ScheduleJobState = {
      ...state,
      nextRunAt: next.toISOString(),
      lastRunAt: started.toISOString(),
      lastStatus: ok ? 'succeeded' : 'failed',
      lastError: error,
      consecutiveFailures: failures,
      runs: state.runs + 1,
      failures: state.failures + (ok ? 0 : 1),
      quarantinedAt: ok
        ? null
        : failures >= backoff.quarantineAfter
          ? (state.quarantinedAt ?? now.toISOString())
          : null,
      updatedAt: now.toISOString(),
    };
    this.states.set(def.id, updated);
    await this.store
      .put(updated)
      .catch((e: unknown) => this.ctx.log.error({ err: e }, 'cannot store schedule'));
    this.events.onRun?.({
      job: def.id,
      appId: def.appId,
      ok,
      durationMs: now.getTime() - started.getTime(),
      lagMs,
    });
    if (!wasQuarantined && updated.quarantinedAt !== null) {
      this.ctx.log.error({ job: def.id, failures }, 'quarantined after repeated failures');
      this.events.onQuarantine?.(this.view(def));
    }
    this.arm(def);
  }

  /** One run: a sync (failing when the app's sync failed) or an import; then the reconciliation. */
  private async run(def: JobDef): Promise<void> {
    const after = this.schedule.afterSync;
    await asActor(this.ctx, SCHEDULER_ACTOR, async (roster) => {
      if (def.kind === 'reviews') {
        const reminded = await remindReviews(roster);
        await announceReviewReminders(this.ctx.notifier, reminded, roster.now().toISOString().slice(0, 10));
        return;
      }
      if (def.kind === 'people') {
        const imported = await importPeople(roster);
        // An unchanged HR file changes nothing: no new plan for it.
        if (imported.status === 'unchanged') return;
        await this.announce(await this.reconcile(roster, after));
        return;
      }
      const appId = def.appId as string;
      if (this.cluster) {
        // The workers sync and then refresh the graph; this process announces and plans once both have ended.
        if (await this.cluster.sync(appId, def.full)) {
          this.ctx.findings.invalidate();
          const findings = await this.ctx.findings.list(SCHEDULER_ACTOR);
          this.ctx.metrics.observeFindings(findings);
          await announceFindings(this.ctx.notifier, findings);
        }
        await this.announce(await this.reconcile(roster, { apps: [appId], ...after }));
        return;
      }
      const synced = await syncApps(roster, { apps: [appId], full: def.full, people: false });
      const result = synced.apps[0];
      if (result) this.ctx.metrics.observeSync(result);
      this.ctx.metrics.observeClient(appId, roster.connector(appId).http.stats());
      this.ctx.metrics.observeFindings(synced.graph.findings);
      await announceFindings(this.ctx.notifier, synced.graph.findings);
      if (!result || result.status === 'failed') {
        throw new Error(result?.error?.message ?? `the ${appId} sync failed`);
      }
      const r = await reconcile(roster, { apps: [appId], ...after });
      await this.announce(r);
    });
  }

  /** Plans after a run; in cluster mode an apply that follows is the workers' (enqueued, not run here). */
  private async reconcile(
    roster: Parameters<typeof reconcile>[0],
    input: Parameters<typeof reconcile>[1],
  ): Promise<ReconcileResult> {
    if (!this.cluster) return reconcile(roster, input);
    const r = await reconcile(roster, { ...input, autoApply: false });
    if (input.autoApply && r.planId && r.planned > 0) await this.cluster.apply(r.planId);
    return r;
  }

  private async announce(r: ReconcileResult): Promise<void> {
    if (!r.planId) return;
    this.events.onPlan?.(r.planId);
    await announcePlan(this.ctx.notifier, this.ctx.store, r.planId);
    if (r.applied) {
      this.ctx.findings.invalidate();
      await announceApply(this.ctx.notifier, this.ctx.store, {
        planId: r.planId,
        failed: r.applied.status === 'failed' ? 'some ops failed' : null,
      });
    }
  }
}

export function nextRun(
  cadence: { every?: number | undefined; cron?: string | undefined },
  from: Date,
): Date {
  if (cadence.cron) {
    const next = new Cron(cadence.cron, { paused: true }).nextRun(from);
    if (next) return next;
  }
  return new Date(from.getTime() + (cadence.every ?? 3_600_000));
}

function jobDefs(ctx: ServerContext, schedule: ScheduleConfig): JobDef[] {
  const defs: JobDef[] = [];
  const known = new Set(ctx.config.apps.map((a) => a.id));
  for (const id of Object.keys(schedule.apps)) {
    if (id !== '*' && !known.has(id)) {
      throw new RosterError(
        'invalid_input',
        `schedule.apps names "${id}", which is not an app in roster.yaml`,
        {
          where: `schedule.apps.${id}`,
          fix: `use one of: ${[...known, "'*'"].join(', ')}`,
        },
      );
    }
  }
  if (schedule.people) {
    defs.push({
      id: 'people',
      kind: 'people',
      appId: null,
      cadence: schedule.people,
      full: false,
      key: 'people',
    });
  }
  if (schedule.reviews) {
    defs.push({
      id: 'reviews',
      kind: 'reviews',
      appId: null,
      cadence: schedule.reviews,
      full: false,
      key: 'reviews',
    });
  }
  for (const app of ctx.config.apps) {
    const entry = schedule.apps[app.id] ?? schedule.apps['*'];
    if (!entry) continue;
    const key = `sync:${app.id}`;
    if (entry.every !== undefined || entry.cron !== undefined) {
      defs.push({ id: `sync:${app.id}`, kind: 'sync', appId: app.id, cadence: entry, full: false, key });
    }
    if (entry.full)
      defs.push({ id: `full:${app.id}`, kind: 'sync', appId: app.id, cadence: entry.full, full: true, key });
  }
  return defs;
}

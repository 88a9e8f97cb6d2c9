/**
 * @module The use cases the API calls, in one place. Until the application core (src/app) lands these wrap
 * what the CLI commands call today; then each becomes a one-line call into src/app.
 */

import type { AppConfig, RosterConfig } from '../config/schema.js';
import { connectorFor } from '../connectors/registry.js';
import type { CapabilityManifest, Connector } from '../connectors/sdk/types.js';
import { RosterError } from '../core/errors.js';
import { type Finding, type GraphResult, refreshGraph as refreshIdentityGraph } from '../identity/index.js';
import { type ApplyResult, applyPlan as runApplyPlan } from '../reconcile/apply/index.js';
import { closeSatisfiedTasks } from '../reconcile/apply/tasks.js';
import { type ComputedPlan, computePlan } from '../reconcile/plan.js';
import { defaultPolicy, type Policy } from '../reconcile/policy.js';
import { type ImportResult, importPeople as runImport } from '../sources/import.js';
import type { OpRecord, PlanRecord, Store, StoredLink, TaskRecord } from '../store/store.js';
import { type AppSyncResult, syncApps as runSyncApps } from '../sync/sync.js';

export interface CoreContext {
  config: RosterConfig;
  store: Store;
  clock: () => Date;
}

function policyOf(config: RosterConfig): Policy {
  return (config.policy as Policy | undefined) ?? defaultPolicy();
}

export function selectApps(config: RosterConfig, wanted: readonly string[] | undefined): AppConfig[] {
  if (!wanted || wanted.length === 0) return [...config.apps];
  return wanted.map((id) => {
    const app = config.apps.find((a) => a.id === id);
    if (!app) {
      throw new RosterError('not_found', `no app "${id}" in roster.yaml`, {
        where: 'apps',
        fix: `use one of: ${config.apps.map((a) => a.id).join(', ')}`,
      });
    }
    return app;
  });
}

async function withConnectors<T>(
  apps: readonly AppConfig[],
  run: (connectors: Connector[]) => Promise<T>,
): Promise<T> {
  const connectors = apps.map((app) => connectorFor(app));
  try {
    return await run(connectors);
  } finally {
    await Promise.all(connectors.map((c) => c.close()));
  }
}

export function manifests(config: RosterConfig): Record<string, CapabilityManifest> {
  const out: Record<string, CapabilityManifest> = {};
  for (const app of config.apps) {
    // Building a connector makes no request; only its manifest is read.
    const connector = connectorFor(app);
    out[app.id] = connector.manifest;
    void connector.close();
  }
  return out;
}

export async function importPeople(ctx: CoreContext): Promise<ImportResult> {
  return runImport({ store: ctx.store, config: ctx.config, now: ctx.clock() });
}

/** Syncs the apps (each failing on its own), then closes the manual tasks the new snapshots show done. */
export async function syncApps(
  ctx: CoreContext,
  input: { apps?: readonly string[]; full?: boolean } = {},
): Promise<AppSyncResult[]> {
  const apps = selectApps(ctx.config, input.apps);
  const results = await withConnectors(apps, (connectors) =>
    runSyncApps({
      store: ctx.store,
      connectors,
      full: input.full ?? false,
      configPaths: Object.fromEntries(ctx.config.apps.map((app, i) => [app.id, `apps[${i}]`])),
    }),
  );
  await closeSatisfiedTasks({ store: ctx.store });
  return results;
}

export async function refreshGraph(ctx: CoreContext): Promise<GraphResult> {
  return refreshIdentityGraph({ store: ctx.store, config: ctx.config });
}

export async function listFindings(ctx: CoreContext): Promise<Finding[]> {
  return (await refreshGraph(ctx)).findings;
}

/** Computes and saves a plan, recording who asked for it (four eyes compares approvers against this). */
export async function planChanges(
  ctx: CoreContext,
  input: { apps?: readonly string[]; actor: string },
): Promise<ComputedPlan> {
  if (input.apps) selectApps(ctx.config, input.apps);
  await refreshGraph(ctx);
  const planned = await computePlan({
    store: ctx.store,
    config: ctx.config,
    manifests: manifests(ctx.config),
    now: ctx.clock(),
    ...(input.apps && input.apps.length > 0 ? { apps: input.apps } : {}),
  });
  await ctx.store.appendAudit({
    actor: input.actor,
    kind: 'plan.created',
    subject: planned.plan.id,
    data: { total: planned.summary.total, approvals: planned.summary.approvals },
  });
  return planned;
}

export async function getPlan(
  ctx: CoreContext,
  planId: string,
): Promise<{ plan: PlanRecord; ops: OpRecord[] }> {
  const plan = await ctx.store.getPlan({ id: planId });
  if (plan === null)
    throw new RosterError('not_found', `plan ${planId} not found`, { fix: 'GET /plans lists them' });
  return { plan, ops: await ctx.store.listOps({ planId }) };
}

/** Who asked for a plan, from its audit record (null for plans made before the server recorded it). */
async function requesterOf(ctx: CoreContext, planId: string): Promise<string | null> {
  let afterSeq = 0;
  for (;;) {
    const page = await ctx.store.listAudit({ afterSeq, limit: 1000 });
    const found = page.find((e) => e.kind === 'plan.created' && e.subject === planId);
    if (found) return found.actor;
    const last = page[page.length - 1];
    if (!last) return null;
    afterSeq = last.seq;
  }
}

/** Approves ops (all that wait, or the given seqs); with four eyes, never by whoever asked for the plan. */
export async function approve(
  ctx: CoreContext,
  input: { planId: string; seqs?: number[] | undefined; actor: string },
): Promise<OpRecord[]> {
  const { plan, ops } = await getPlan(ctx, input.planId);
  if (plan.status === 'cancelled' || plan.status === 'applied') {
    throw new RosterError('conflict', `plan ${plan.id} is ${plan.status}; nothing to approve`);
  }
  if (policyOf(ctx.config).safety.fourEyes && (await requesterOf(ctx, plan.id)) === input.actor) {
    throw new RosterError(
      'forbidden',
      `four eyes: ${input.actor} asked for plan ${plan.id} and cannot approve it`,
      {
        fix: 'have someone else (another approve-scope token) approve it',
      },
    );
  }
  const waiting = ops.filter((o) => o.requiresApproval && o.status === 'pending');
  const seqs = input.seqs ?? waiting.map((o) => o.seq);
  const unknown = seqs.filter((s) => !ops.some((o) => o.seq === s));
  if (unknown.length > 0) {
    throw new RosterError('not_found', `plan ${plan.id} has no op ${unknown.join(', ')}`, { where: 'seqs' });
  }
  if (seqs.length === 0) return [];
  return ctx.store.transaction(async (tx) => {
    const approved = await tx.approveOps({ planId: plan.id, seqs, approvedBy: input.actor });
    await tx.appendAudit({ actor: input.actor, kind: 'plan.approved', subject: plan.id, data: { seqs } });
    return approved;
  });
}

export async function applyPlan(
  ctx: CoreContext,
  input: { planId: string; actor: string; overrideSafety?: boolean; holdMs?: number },
): Promise<ApplyResult> {
  return withConnectors(ctx.config.apps, (list) =>
    runApplyPlan({
      store: ctx.store,
      config: ctx.config,
      planId: input.planId,
      connectors: Object.fromEntries(list.map((c) => [c.appId, c])),
      actor: input.actor,
      yes: true,
      overrideSafety: input.overrideSafety ?? false,
      waits: { holdMs: input.holdMs ?? 0 },
    }),
  );
}

export async function cancelPlan(
  ctx: CoreContext,
  input: { planId: string; actor: string },
): Promise<PlanRecord> {
  const { plan } = await getPlan(ctx, input.planId);
  if (plan.status === 'applying' || plan.status === 'applied') {
    throw new RosterError('conflict', `plan ${plan.id} is ${plan.status} and cannot be cancelled`);
  }
  const cancelled = await ctx.store.setPlanStatus({ id: plan.id, status: 'cancelled' });
  await ctx.store.appendAudit({ actor: input.actor, kind: 'plan.cancelled', subject: plan.id });
  return cancelled;
}

export async function linkAccount(
  ctx: CoreContext,
  input: { appId: string; accountId: string; employeeId: string | null; reason: string; actor: string },
): Promise<StoredLink> {
  selectApps(ctx.config, [input.appId]);
  const account = await ctx.store.getAccount({ appId: input.appId, id: input.accountId });
  if (!account) throw new RosterError('not_found', `${input.appId} has no account "${input.accountId}"`);
  if (input.employeeId !== null && !(await ctx.store.getPerson({ employeeId: input.employeeId }))) {
    throw new RosterError('not_found', `no person "${input.employeeId}" in the last import`, {
      where: 'employeeId',
    });
  }
  return ctx.store.transaction(async (tx) => {
    const link = await tx.decideLink({ ...input, decidedBy: input.actor });
    await tx.appendAudit({
      actor: input.actor,
      kind: 'link.decided',
      appId: input.appId,
      subject: input.accountId,
      data: { employeeId: input.employeeId, reason: input.reason },
    });
    return link;
  });
}

export async function unlinkAccount(
  ctx: CoreContext,
  input: { appId: string; accountId: string; reason: string; actor: string },
): Promise<void> {
  const decided = (await ctx.store.listLinks({ appId: input.appId })).find(
    (l) => l.accountId === input.accountId && l.manual,
  );
  if (!decided) {
    throw new RosterError(
      'not_found',
      `${input.appId} account ${input.accountId} has no manual link to withdraw`,
    );
  }
  await ctx.store.undecideLink({ appId: input.appId, accountId: input.accountId });
  await ctx.store.appendAudit({
    actor: input.actor,
    kind: 'link.withdrawn',
    appId: input.appId,
    subject: input.accountId,
    data: { employeeId: decided.employeeId, reason: input.reason },
  });
  await refreshGraph(ctx);
}

export async function completeTask(
  ctx: CoreContext,
  input: { id: string; note: string; actor: string },
): Promise<TaskRecord> {
  const task = (await ctx.store.listTasks({})).find((t) => t.id === input.id);
  if (!task) throw new RosterError('not_found', `task ${input.id} not found`);
  if (task.status !== 'open') throw new RosterError('conflict', `task ${input.id} is already ${task.status}`);
  const closed = await ctx.store.closeTask({ id: input.id, status: 'done', closedBy: input.actor });
  await ctx.store.appendAudit({
    actor: input.actor,
    kind: 'task.done',
    appId: task.appId,
    subject: task.id,
    data: { note: input.note },
  });
  return closed;
}

export interface AfterSyncResult {
  planId: string | null;
  planned: number;
  applied: { status: string; ops: number } | null;
}

/**
 * What follows a successful sync or a changed import: the graph is refreshed, a plan computed for the apps
 * (when asked), and with autoApply its ops that need no approval are applied; the others wait for a person.
 */
export async function reconcileAfterSync(
  ctx: CoreContext,
  input: { apps?: readonly string[]; plan: boolean; autoApply: boolean; actor: string },
): Promise<AfterSyncResult> {
  if (!input.plan) {
    await refreshGraph(ctx);
    return { planId: null, planned: 0, applied: null };
  }
  const planned = await planChanges(ctx, { ...(input.apps ? { apps: input.apps } : {}), actor: input.actor });
  const result: AfterSyncResult = { planId: planned.plan.id, planned: planned.summary.total, applied: null };
  // A plan with errors or blocked by the safety limits is never applied unattended.
  const runnable =
    planned.body.errors.length === 0 && planned.body.blocked === null && planned.summary.total > 0;
  if (input.autoApply && runnable) {
    const applied = await applyPlan(ctx, { planId: planned.plan.id, actor: input.actor });
    result.applied = {
      status: applied.status,
      ops: applied.ops.filter((o) => o.state === 'succeeded').length,
    };
  }
  return result;
}

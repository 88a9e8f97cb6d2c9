/**
 * @module The server's background work started by any interface (the API, the console): an apply of a plan and a sync
 * of an app, one per key, with what a failed apply said kept until the next one starts.
 */

import { applyPlan } from '../app/index.js';
import type { ServerContext } from './context.js';
import { asActor, syncApps } from './core.js';
import { announceApply, announceFindings } from './notify.js';

export const applyJobKey = (planId: string) => `apply:${planId}`;
export const syncJobKey = (appId: string) => `sync:${appId}`;

// Why the last background apply of a plan was refused or failed, per server, until the next one starts.
const applyErrors = new WeakMap<ServerContext, Map<string, string>>();
const errorsOf = (ctx: ServerContext) => {
  let map = applyErrors.get(ctx);
  if (!map) {
    map = new Map();
    applyErrors.set(ctx, map);
  }
  return map;
};

export function applyErrorOf(ctx: ServerContext, planId: string): string | null {
  return errorsOf(ctx).get(planId) ?? null;
}

/**
 * Starts an apply in the background (joining one in flight); false when it started, true when it joined. In
 * cluster mode the workers run it (src/cluster) and this process only enqueues.
 */
export async function startApply(
  ctx: ServerContext,
  planId: string,
  actor: string,
  overrideSafety: boolean,
): Promise<boolean> {
  if (ctx.cluster) {
    await ctx.cluster.enqueueApply({ planId, actor, overrideSafety });
    return false;
  }
  const errors = errorsOf(ctx);
  const { joined } = ctx.jobs.start(applyJobKey(planId), async () => {
    errors.delete(planId);
    // What an apply changes (accounts read back, tasks) moves the findings on, whatever its outcome.
    ctx.findings.invalidate();
    try {
      const result = await asActor(ctx, actor, (roster) =>
        applyPlan(roster, {
          plan: planId,
          yes: true,
          overrideSafety,
          // Waiting on invitations is not worth holding a worker: the next apply or sync carries on.
          waits: { holdMs: 0 },
        }),
      );
      ctx.findings.invalidate();
      ctx.log.info({ planId, status: result.status }, 'apply finished');
      await announceApply(ctx.notifier, ctx.store, {
        planId,
        failed: result.status === 'failed' ? 'some ops failed; GET the plan for each op and its error' : null,
      });
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.set(planId, message);
      await announceApply(ctx.notifier, ctx.store, { planId, failed: message });
      ctx.log.error({ err: error, planId }, 'apply failed');
      throw error;
    }
  });
  return joined;
}

/**
 * Starts a sync of one app in the background (joining one in flight); people have their own job. In cluster mode
 * it is one job per app, coalesced by the queue, run by the workers.
 */
export async function startSync(
  ctx: ServerContext,
  appId: string,
  actor: string,
  full: boolean,
): Promise<boolean> {
  if (ctx.cluster) return !(await ctx.cluster.enqueueSync({ appId, full, actor }));
  const { joined } = ctx.jobs.start(syncJobKey(appId), () =>
    asActor(ctx, actor, async (roster) => {
      const synced = await syncApps(roster, { apps: [appId], full, people: false });
      ctx.metrics.observeFindings(synced.graph.findings);
      await announceFindings(ctx.notifier, synced.graph.findings);
      for (const r of synced.apps) {
        ctx.metrics.observeSync(r);
        ctx.metrics.observeClient(r.appId, roster.connector(r.appId).http.stats());
        if (r.status === 'failed') ctx.log.warn({ appId: r.appId, error: r.error?.message }, 'sync failed');
      }
      return synced;
    }),
  );
  return joined;
}

/** @module Safety over one app's ops: a mass removal blocks the plan; too many ops need every one approved. */

import { type AppDiff, LIVE } from './context.js';

/** Adds the app's block (if its removals pass the limits) and the opsPerApp approvals. */
export function applySafety(ctx: AppDiff): void {
  const { app, ops, policy } = ctx;
  // An empty or truncated HR file looks exactly like a mass removal, so it blocks the whole plan until overridden.
  const removals = ops.filter(
    (o) =>
      o.kind === 'deactivate' ||
      o.kind === 'delete' ||
      (o.kind === 'task' && (o.task?.instead === 'deactivate' || o.task?.instead === 'delete')),
  ).length;
  const live = app.accounts.filter((a) => LIVE.has(a.status)).length;
  const { count, share } = policy.safety.maxDeactivations;
  const over: string[] = [];
  if (count !== null && removals > count) over.push(`more than ${count}`);
  if (share !== null && live > 0 && removals / live > share)
    over.push(`more than ${Math.round(share * 100)}% of its ${live} live accounts`);
  if (over.length > 0) {
    ctx.result.blocks.push({
      appId: app.id,
      removals,
      liveAccounts: live,
      message: `${app.id}: the plan would deactivate or delete ${removals} of ${live} live accounts (${over.join(' and ')}); an empty or truncated HR file looks exactly like this`,
    });
  }
  const limit = policy.safety.approval.opsPerApp;
  if (ops.length > limit) {
    const why = `${app.id} has ${ops.length} ops, over the ${limit} that run without approval`;
    for (const op of ops) {
      // A new array of the right length: pushing onto each op's empty one would grow every one to spare capacity.
      op.approvalReasons = op.approvalReasons.length === 0 ? [why] : [...op.approvalReasons, why];
      op.requiresApproval = true;
    }
  }
}

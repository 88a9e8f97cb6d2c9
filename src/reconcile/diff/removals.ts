/** @module Who must lose an app: leavers past their grace, people no rule gives a managed app any more, orphans. */

import type { Person } from '../../core/types.js';
import { type AppDiff, LIVE, nameOf } from './context.js';
import type { DiffAccount, PlanOp } from './types.js';

/** Plans the removals of one app: deactivations, deletions, or tasks where the API cannot. */
export function diffRemovals(ctx: AppDiff, wants: ReadonlySet<string>): void {
  for (const [employeeId, list] of ctx.linked) {
    const person = ctx.people.get(employeeId) as Person;
    const verdict = ctx.desired.leavers.get(employeeId);
    for (const account of list) {
      if (account.status === 'deleted') continue;
      if (ctx.app.idpManaged?.has(account.id)) {
        ctx.leave('managed by the IdP (SCIM facade)', account.id);
        continue;
      }
      if (verdict) {
        if (!verdict.due) {
          ctx.leave('leaver in grace', account.id);
          continue;
        }
        if (verdict.action === 'deactivate' && !LIVE.has(account.status)) continue;
        removal(ctx, account, ctx.who(person), verdict.action, {
          finding: 'leaver_with_access',
          text: `${nameOf(person)} left (end date ${person.endDate ?? 'not given'})`,
        });
      } else if (!wants.has(employeeId) && ctx.managed.has('account') && LIVE.has(account.status)) {
        removal(ctx, account, ctx.who(person), 'deactivate', {
          finding: 'no_longer_entitled',
          text: `no rule gives ${nameOf(person)} ${ctx.app.id} any more (accounts are managed)`,
        });
      }
    }
  }
  for (const account of ctx.orphans) {
    if (!LIVE.has(account.status)) continue;
    if (ctx.app.idpManaged?.has(account.id)) {
      ctx.leave('managed by the IdP (SCIM facade)', account.id);
      continue;
    }
    if (ctx.policy.orphans === 'deactivate') {
      removal(ctx, account, null, 'deactivate', {
        finding: 'orphan',
        text: `${account.email ?? account.id} belongs to nobody in HR`,
      });
    } else ctx.leave('orphan (reported only)', account.id);
  }
}

export function removal(
  ctx: AppDiff,
  account: DiffAccount,
  who: PlanOp['person'],
  action: 'deactivate' | 'delete',
  reason: PlanOp['reason'],
): void {
  let kind: 'deactivate' | 'delete' = action;
  const notes: string[] = [];
  // Where the app has no deactivation, removing the account is how access goes (its connector says so).
  if (kind === 'deactivate' && !ctx.can('deactivate') && ctx.traits.deactivateByDelete && ctx.can('delete')) {
    kind = 'delete';
    notes.push(ctx.note('deactivate'));
  }
  if (kind === 'deactivate' && !LIVE.has(account.status)) return;
  const ref = `${ctx.app.id}:${account.id}:${kind}`;
  const text = notes.length > 0 ? `${reason.text}; ${notes.join(' ')}` : reason.text;
  if (!ctx.can(kind)) {
    ctx.task(
      { ref, account: { id: account.id }, person: who, reason: { ...reason, text }, dependsOn: [] },
      kind,
      `${ctx.note(kind)} Account ${account.email ?? account.id}.`,
    );
    return;
  }
  ctx.push({
    ref,
    appId: ctx.app.id,
    kind,
    account: { id: account.id },
    person: who,
    reason: { ...reason, text },
    dependsOn: [],
    risk: kind === 'delete' ? 'high' : 'medium',
    approvalReasons: kind === 'delete' && ctx.policy.safety.approval.delete ? ['deletion'] : [],
  });
}

/** @module Plan rendering for people: grouped by app then person, terraform-style marks, counts, approvals, BLOCKED. */

import type { PlanOp } from './diff.js';
import type { PlanBody } from './plan.js';

const MARK: Record<PlanOp['kind'], string> = {
  create: '+',
  grant: '+',
  update: '~',
  reactivate: '~',
  deactivate: '-',
  delete: '-',
  revoke: '-',
  wait: '…',
  task: '!',
};

/** A grant that replaces the one value of a single-valued kind is a change, not an addition. */
export const markOf = (op: PlanOp): string => (op.kind === 'grant' && op.replaces ? '~' : MARK[op.kind]);

/** One op in words: what it does to which account or entitlement, and whether it waits for an approval. */
export function describeOp(op: PlanOp): string {
  const account = op.account && 'id' in op.account ? ` account ${op.account.id}` : '';
  const approval = op.requiresApproval ? '  [approval needed]' : '';
  switch (op.kind) {
    case 'create':
      return `${op.invite ? 'invite' : 'create'} ${op.input?.email ?? ''}${approval}`;
    case 'grant':
      if (op.replaces) {
        return `${op.entitlement?.kind} "${op.replaces.name}" → "${op.entitlement?.name}"${approval}`;
      }
      return `grant ${op.entitlement?.kind} "${op.entitlement?.name}"${approval}`;
    case 'revoke':
      return `${op.kind} ${op.entitlement?.kind} "${op.entitlement?.name}"${approval}`;
    case 'update':
      return `update${account}: ${Object.entries(op.changes ?? {})
        .map(([f, c]) => `${f} "${c.from ?? ''}" → "${c.to}"`)
        .join(', ')}${approval}`;
    case 'wait':
      return 'wait for the invitation to be accepted';
    case 'task':
      return `task (${op.task?.instead} by hand): ${op.task?.instructions ?? ''}`;
    default:
      return `${op.kind}${account}${approval}`;
  }
}

/** The plan as text. */
export function renderPlan(body: PlanBody, meta: { id: string; stateHash: string }): string {
  const lines: string[] = [];
  if (body.blocked) {
    lines.push('BLOCKED — this plan cannot be applied as it is:');
    for (const b of body.blocked.reasons) lines.push(`  ${b.message}`);
    lines.push(
      `  Check the HR import and the sync; apply needs ${body.blocked.override.flag} to run it anyway.`,
      '',
    );
  }
  for (const skipped of body.skipped ?? []) {
    lines.push(`${skipped.appId}: left out of this plan — ${skipped.reason}`, `  fix: ${skipped.fix}`, '');
  }
  if (body.person) lines.push(`Only ${body.person.email} (${body.person.employeeId}):`, '');
  const apps = [...new Set([...body.apps, ...body.ops.map((o) => o.appId)])];
  const totals: Record<string, number> = {};
  for (const appId of apps) {
    const ops = body.ops.filter((o) => o.appId === appId);
    lines.push(`${appId}`);
    if (ops.length === 0) lines.push('  no changes');
    const byPerson = new Map<string, PlanOp[]>();
    for (const op of ops) {
      const key = op.person ? `${op.person.name} <${op.person.email}>` : '(no person: orphan account)';
      byPerson.set(key, [...(byPerson.get(key) ?? []), op]);
    }
    for (const [who, list] of byPerson) {
      lines.push(`  ${who}`);
      for (const op of list)
        lines.push(`    ${markOf(op)} ${describeOp(op)}`, `        why: ${op.reason.text}`);
    }
    const counts: Record<string, number> = {};
    for (const op of ops) {
      counts[op.kind] = (counts[op.kind] ?? 0) + 1;
      totals[op.kind] = (totals[op.kind] ?? 0) + 1;
    }
    if (ops.length > 0) lines.push(`  ${countLine(counts)}`);
    lines.push('');
  }
  for (const e of body.errors) lines.push(`error: ${e.message}`);
  for (const w of body.warnings) lines.push(`warning: ${w}`);
  for (const [why, accounts] of Object.entries(body.untouched)) {
    lines.push(`left alone (${why}): ${accounts.length}`);
  }
  const approvals = body.ops.filter((o) => o.requiresApproval).length;
  lines.push(
    `Plan ${meta.id}: ${body.ops.length} ops (${countLine(totals) || 'none'}), ${approvals} need approval.`,
    `State ${meta.stateHash.slice(0, 12)}: apply refuses this plan once a sync, import or link changes.`,
  );
  return lines.join('\n');
}

function countLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

/**
 * @module planChanges, approve, and finding saved plans. A plan is always computed from a graph brought up to date
 * with the latest snapshots and people import, and never gives ops to an app whose snapshot cannot be trusted.
 */

import { RosterError } from '../core/errors.js';
import {
  bodyWithOps,
  type ComputedPlan,
  computePlan,
  type PlanBody,
  type SkippedApp,
} from '../reconcile/plan.js';
import type { OpRecord, Page, PlanRecord, PlanStatus } from '../store/store.js';
import { type Roster, selectApps } from './context.js';
import { listFindings, updateLinks } from './graph.js';

export interface PlanChangesOptions {
  /** Only these apps (ids from roster.yaml); all when empty. */
  apps?: readonly string[] | undefined;
  /** Only this person's ops (employee id or email): provisioning on demand. */
  person?: string | undefined;
}

/**
 * Plans the changes the policy asks for. Brings the links up to date first (a check of the change marks when a
 * sync just did), so a plan never reads links older than the snapshots and people it plans from.
 */
export async function planChanges(roster: Roster, options: PlanChangesOptions = {}): Promise<ComputedPlan> {
  const wanted = selectApps(roster, options.apps);
  const person = options.person === undefined ? undefined : await personOf(roster, options.person);
  const skipped = await untrustedApps(roster, wanted);
  const apps = wanted.filter((id) => !skipped.some((s) => s.appId === id));
  await updateLinks(roster);
  return computePlan({
    store: roster.store,
    config: roster.config,
    manifests: roster.manifests(),
    now: roster.now(),
    apps,
    skipped,
    ...(person ? { person } : {}),
    requestedBy: roster.actor,
  });
}

/**
 * A plan that fixes only the selected findings (a selection in the console): the ops acting on their accounts, in the
 * apps they are in, with safety limits and approvals as for any plan. Unknown finding ids are an error naming them.
 */
export async function planForFindings(roster: Roster, findingIds: readonly string[]): Promise<ComputedPlan> {
  if (findingIds.length === 0) {
    throw new RosterError('invalid_input', 'no finding was selected', {
      where: 'finding',
      fix: 'tick the findings the plan should fix',
    });
  }
  const { findings } = await listFindings(roster, { rules: findingIds });
  const missing = findingIds.filter((id) => !findings.some((f) => f.id === id));
  if (missing.length > 0) {
    throw new RosterError(
      'not_found',
      `no finding ${missing.slice(0, 3).join(', ')} in the identity graph now`,
      {
        where: 'finding',
        fix: 'a sync or an apply may have settled it: reload the findings and select again',
      },
    );
  }
  const wanted = [...new Set(findings.map((f) => f.appId))];
  const skipped = await untrustedApps(roster, wanted);
  return computePlan({
    store: roster.store,
    config: roster.config,
    manifests: roster.manifests(),
    now: roster.now(),
    apps: wanted.filter((id) => !skipped.some((s) => s.appId === id)),
    skipped,
    findings: findings.map((f) => ({ id: f.id, appId: f.appId, accountId: f.accountId })),
    requestedBy: roster.actor,
  });
}

/** Apps whose latest finished sync failed, or that were never synced: their snapshot would plan wrong changes. */
export async function untrustedApps(roster: Roster, appIds: readonly string[]): Promise<SkippedApp[]> {
  const skipped: SkippedApp[] = [];
  for (const appId of appIds) {
    const runs = await roster.store.listSyncRuns({ appId, limit: 20 });
    const last = runs.find((r) => r.status !== 'running');
    if (last === undefined) {
      skipped.push({ appId, reason: 'it has never been synced', fix: `run roster sync --app ${appId}` });
    } else if (last.status === 'failed') {
      skipped.push({
        appId,
        reason: `its latest sync failed (${last.finishedAt ?? last.startedAt}): ${last.error ?? 'unknown error'}`,
        fix: `fix what the error says, then run roster sync --app ${appId}`,
      });
    }
  }
  return skipped;
}

async function personOf(roster: Roster, key: string): Promise<{ employeeId: string; email: string }> {
  const person =
    (await roster.store.getPerson({ employeeId: key })) ??
    (key.includes('@') ? await roster.store.getPerson({ email: key.toLowerCase() }) : null);
  if (person === null) {
    throw new RosterError('not_found', `no person "${key}" in the last import`, {
      where: '--person',
      fix: 'give an employee id or an address the person answers to; `roster people` lists them',
    });
  }
  return { employeeId: person.employeeId, email: person.email };
}

/**
 * A saved plan by id, a part of its id that names it alone (its first characters, or its last ones: the label the
 * console shows), or `latest` (with `resume`, the latest plan still applying first). A part that names several plans
 * and one that names none are errors that list what matched.
 */
export async function findPlan(
  roster: Roster,
  ref: string | undefined,
  options: { resume?: boolean } = {},
): Promise<PlanRecord> {
  const { store } = roster;
  if (ref === undefined || ref === 'latest') {
    // The latest plan made from the policy: every IdP write through the SCIM facade is a plan too, run by the
    // facade as it comes, and one made a moment after `roster plan` must not become the plan `apply` runs.
    const applying = options.resume
      ? await store.listPlans({ status: 'applying', limit: 1, facade: false })
      : [];
    const plan = applying[0] ?? (await store.listPlans({ limit: 1, facade: false }))[0];
    if (!plan) throw new RosterError('not_found', 'there is no saved plan', { fix: 'run roster plan first' });
    return plan;
  }
  const exact = await store.getPlan({ id: ref });
  if (exact) return exact;
  // Ids made in the same minute share their first characters (they are in time order), so the last ones count too.
  // Six at most: one names the plan, and an error lists five.
  const matches = await store.listPlans({ idPart: ref, limit: 6 });
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) {
    throw new RosterError('invalid_input', `"${ref}" matches ${matches.length} plans`, {
      where: 'plan id',
      fix: `give more of the id: ${matches
        .slice(0, 5)
        .map((p) => p.id)
        .join(', ')}`,
    });
  }
  throw new RosterError('not_found', `no plan "${ref}" in the store`, {
    where: 'plan id',
    fix: '`roster plans` lists the saved plans',
  });
}

/**
 * Saved plans, newest first: those made from the policy, or (`facade`) the SCIM facade's, one per IdP write. Apart,
 * because a busy facade writes hundreds an hour, and the newest plans of all would be nothing but its writes.
 */
export async function listPlans(
  roster: Roster,
  filter: { status?: PlanStatus; limit?: number; facade?: boolean } = {},
): Promise<PlanRecord[]> {
  return roster.store.listPlans({
    limit: filter.limit ?? 20,
    facade: filter.facade ?? false,
    ...(filter.status ? { status: filter.status } : {}),
  });
}

/**
 * One page of saved plans, newest first (`order: 'asc'`: oldest first), however far back: the policy's or
 * (`facade`) the SCIM facade's, both when `facade` is not given; `cursor` is the `nextCursor` of the page before.
 * With how many plans the filters keep in all.
 */
export async function pagePlans(
  roster: Roster,
  input: { facade?: boolean; status?: PlanStatus; order?: 'asc' | 'desc'; cursor?: string; limit?: number },
): Promise<Page<PlanRecord> & { total: number }> {
  const filter = {
    ...(input.facade === undefined ? {} : { facade: input.facade }),
    ...(input.status ? { status: input.status } : {}),
  };
  const page = await roster.store.pagePlans({
    ...filter,
    order: input.order ?? 'desc',
    ...(input.cursor ? { cursor: input.cursor } : {}),
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
  return { ...page, total: await roster.store.countPlans(filter) };
}

/** A saved plan with its whole body (its ops rebuilt from the op rows) and its ops as stored. */
export async function showPlan(
  roster: Roster,
  ref: string | undefined,
): Promise<{ plan: PlanRecord; body: PlanBody; ops: OpRecord[] }> {
  const plan = await findPlan(roster, ref);
  const ops = await roster.store.listOps({ planId: plan.id });
  return { plan, body: bodyWithOps<PlanBody>(plan.body, ops), ops };
}

/**
 * Approves the ops of a plan that need a person's yes (all of them, or the given seqs), as the context's actor.
 * Approving nothing is an error: a script that thinks it approved must hear that it did not.
 */
export async function approve(
  roster: Roster,
  input: { plan: string | undefined; seqs?: readonly number[] | undefined },
): Promise<{ planId: string; approved: number[] }> {
  const plan = await findPlan(roster, input.plan);
  // Four eyes: whoever asked for a plan cannot also be the one who says yes to it — nor can the owner of the token
  // an assistant proposed it through ("assistant via <token>").
  const requestedBy = (plan.body as PlanBody).requestedBy;
  const asker = requestedBy?.replace(/^assistant via /, '');
  if (roster.config.policy?.safety.fourEyes && (requestedBy === roster.actor || asker === roster.actor)) {
    throw new RosterError(
      'forbidden',
      `four eyes: ${roster.actor} asked for plan ${plan.id} and cannot approve it`,
      {
        fix: 'have someone else approve it (policy.safety.fourEyes is on)',
      },
    );
  }
  const ops = await roster.store.listOps({ planId: plan.id });
  const waiting = ops.filter((o) => o.requiresApproval && o.status === 'pending');
  if (input.seqs !== undefined) {
    const bySeq = new Map(ops.map((o) => [o.seq, o]));
    for (const seq of input.seqs) {
      const op = bySeq.get(seq);
      if (op === undefined) {
        throw new RosterError('invalid_input', `plan ${plan.id} has no op ${seq}`, {
          where: '--op',
          fix: `ops are numbered 1 to ${ops.length}`,
        });
      }
      if (!op.requiresApproval || op.status !== 'pending') {
        throw new RosterError('invalid_input', `op ${seq} of plan ${plan.id} does not wait for an approval`, {
          where: '--op',
          fix:
            waiting.length > 0
              ? `ops waiting: ${waiting.map((o) => o.seq).join(', ')}`
              : 'nothing to approve',
        });
      }
    }
  }
  const seqs = input.seqs ? [...input.seqs] : waiting.map((o) => o.seq);
  if (seqs.length === 0) {
    throw new RosterError('invalid_input', `plan ${plan.id} has no op waiting for an approval`, {
      fix: 'apply it as it is (`roster apply`)',
    });
  }
  const approved = await roster.store.transaction(async (tx) => {
    const done = await tx.approveOps({ planId: plan.id, seqs, approvedBy: roster.actor });
    await tx.appendAudit({ actor: roster.actor, kind: 'plan.approved', subject: plan.id, data: { seqs } });
    return done;
  });
  return { planId: plan.id, approved: approved.map((o) => o.seq) };
}

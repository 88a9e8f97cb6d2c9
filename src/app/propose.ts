/**
 * @module proposeChange: a saved plan proposed on someone's behalf (an assistant, a ticket) for a person to approve
 * and apply — offboarding one person, or fixing one finding. It plans only what the policy says, and it never
 * approves, applies, links or edits the policy: the audit log records who proposed it, and later who approved it.
 */

import { RosterError } from '../core/errors.js';
import type { PlanOp } from '../reconcile/diff.js';
import type { ComputedPlan } from '../reconcile/plan.js';
import type { StoredPerson } from '../store/store.js';
import type { Roster } from './context.js';
import { type FindingRow, findPerson, listFindings } from './graph.js';
import { planChanges } from './plan.js';

export type ProposalRequest =
  | { kind: 'offboard'; person: string; reason?: string | undefined }
  | { kind: 'fix_finding'; findingId: string; reason?: string | undefined };

export interface Proposal {
  plan: ComputedPlan;
  person: StoredPerson;
  /** The finding a `fix_finding` proposal is about. */
  finding: FindingRow | null;
  /** Why the plan may do less than was asked, in words a person (or an assistant) can pass on. */
  notes: string[];
}

/** Findings a plan cannot settle: only a person's decision (`roster link`) or a policy edit can. */
const NEEDS_A_PERSON: Record<string, string> = {
  disputed:
    'a disputed match is settled by a person deciding who owns the account: `roster link <app> <account> <email>`',
};

/**
 * Plans the change and records the proposal in the audit log as the context's actor. The plan is an ordinary
 * saved plan (requestedBy: the actor), waiting for `roster approve` / `roster apply` like any other.
 */
export async function proposeChange(roster: Roster, request: ProposalRequest): Promise<Proposal> {
  const { plan, person, finding, notes } =
    request.kind === 'offboard'
      ? await offboard(roster, request.person)
      : await fix(roster, request.findingId);
  if (plan.body.ops.length === 0) notes.push('the plan has no ops: there is nothing to approve or apply');
  await roster.store.appendAudit({
    actor: roster.actor,
    kind: 'plan.proposed',
    subject: plan.plan.id,
    data: {
      proposal: request.kind,
      person: person.email,
      ...(finding ? { finding: finding.id } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
      ops: plan.body.ops.length,
    },
  });
  return { plan, person, finding, notes };
}

async function offboard(roster: Roster, key: string): Promise<Omit<Proposal, 'finding'> & { finding: null }> {
  const { person } = await findPerson(roster, key);
  const notes: string[] = [];
  // Roster removes access because the source of truth says someone left, never because someone asked:
  // offboarding an active person starts in the HR system, and the next import makes the policy remove it.
  if (person.status !== 'leaver') {
    notes.push(
      `${person.email} is ${person.status} in the HR export, so the policy keeps the access it gives them; ` +
        'mark them as a leaver in the HR system, run `roster sync` (it imports the export), then propose again',
    );
  }
  const plan = await planChanges(roster, { person: person.employeeId });
  return { plan, person, finding: null, notes };
}

async function fix(
  roster: Roster,
  findingId: string,
): Promise<Omit<Proposal, 'finding'> & { finding: FindingRow }> {
  const { findings } = await listFindings(roster, { rules: [findingId] });
  const finding = findings.find((f) => f.id === findingId);
  if (finding === undefined) {
    throw new RosterError('not_found', `no finding "${findingId}" in the identity graph`, {
      where: 'findingId',
      fix: 'finding ids look like `leaver_with_access:<app>:<account>`; list them with the findings tool or `roster report`',
    });
  }
  const byPerson = NEEDS_A_PERSON[finding.rule];
  if (byPerson !== undefined) {
    throw new RosterError('invalid_input', `${finding.id} cannot be fixed by a plan`, {
      where: 'findingId',
      fix: byPerson,
    });
  }
  if (finding.employeeId === null) {
    throw new RosterError('invalid_input', `${finding.id} is about an account nobody in HR owns`, {
      where: 'findingId',
      fix:
        'a person decides what it is: `roster link <app> <account> <email>` ties it to its owner, ' +
        '`--nobody` marks it a service account, and `policy.orphans: deactivate` in roster.yaml lets plans remove such accounts',
    });
  }
  const { person } = await findPerson(roster, finding.employeeId);
  const plan = await planChanges(roster, { apps: [finding.appId], person: person.employeeId });
  const notes: string[] = [];
  if (!plan.body.ops.some((op) => touches(op, finding))) {
    notes.push(
      `no op changes ${finding.appId} account ${finding.accountId}: the policy asks for no change there. ` +
        `A person changes the policy (roster.yaml) or the HR record for this finding to be fixed by a plan`,
    );
  }
  return { plan, person, finding, notes };
}

const touches = (op: PlanOp, finding: FindingRow): boolean =>
  op.reason.finding === finding.id ||
  (op.account !== null && 'id' in op.account && op.account.id === finding.accountId);

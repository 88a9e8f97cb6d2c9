/**
 * @module propose_change and plan_status: a change proposed as an ordinary saved plan (marked with who proposed
 * it) with its diff, and where a plan's ops stand. Neither approves nor applies: a person does, elsewhere.
 */

import { z } from 'zod';
import { auditAbout, findPlan, type ProposalRequest, proposeChange } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import type { PlanOp } from '../../reconcile/diff.js';
import type { PlanBody } from '../../reconcile/plan.js';
import { renderPlan } from '../../reconcile/render.js';
import { planOpOf } from '../../reconcile/stored-plan.js';
import type { OpRecord } from '../../store/store.js';
import { howToApprove, READ_AND_PROPOSE_ONLY } from '../guard.js';
import { page, pageInput, pageOutput, pageText } from '../paging.js';
import { reply } from '../reply.js';
import { personOf, personView } from '../views.js';
import type { ToolContext } from './context.js';

const opView = z.object({
  seq: z.number().int(),
  appId: z.string(),
  kind: z.string().describe('create, update, deactivate, reactivate, delete, grant, revoke, wait or task'),
  status: z.string().describe('pending, approved, running, succeeded, failed or skipped'),
  person: z.string().nullable().describe('the email of the person the op is for'),
  account: z.string().nullable().describe("the app's id for the account, when it exists"),
  entitlement: z.object({ kind: z.string(), name: z.string() }).nullable(),
  why: z.string(),
  requiresApproval: z.boolean(),
  approvalReasons: z.array(z.string()),
  approvedBy: z.string().nullable(),
  error: z.string().nullable(),
});
type OpView = z.infer<typeof opView>;

const planHeader = z.object({
  id: z.string(),
  status: z.string().describe('draft until a person applies it; then applying, applied or failed'),
  createdAt: z.string(),
  requestedBy: z.string().nullable().describe('who proposed or planned it'),
  person: z.string().nullable().describe('the one person the plan is limited to'),
  applicable: z.boolean().describe('false when the plan has errors: it can be read, never applied'),
  blocked: z.boolean().describe('the safety limits stop it until a person overrides them'),
});

const proposeOutput = z.object({
  plan: planHeader,
  person: personView,
  finding: z.string().nullable(),
  ops: z.array(opView),
  errors: z.array(z.object({ appId: z.string(), rule: z.string(), message: z.string() })),
  skipped: z.array(z.object({ appId: z.string(), reason: z.string(), fix: z.string() })),
  diff: z.string().describe('the plan as `roster plan show` prints it'),
  notes: z.array(z.string()).describe('why the plan may do less than was asked'),
  howToApprove: z.string(),
});

const statusOutput = z.object({
  plan: planHeader,
  counts: z.record(z.string(), z.number().int()).describe('ops per status'),
  waitingForApproval: z
    .array(z.number().int())
    .describe('the seqs of ops a person must approve before apply'),
  ops: z.array(opView),
  page: pageOutput,
  audit: z
    .array(z.object({ at: z.string(), actor: z.string(), kind: z.string() }))
    .describe('what happened to the plan and who did it: proposed, approved, applied'),
  howToApprove: z.string(),
});

export function registerPlanTools({ server, roster, secrets, proposeRefusal }: ToolContext): void {
  server.registerTool(
    'propose_change',
    {
      title: 'Propose a change (a person approves it)',
      description:
        'Proposes a change as a saved plan marked as proposed by this assistant, and returns its id and diff. ' +
        'action "offboard": the plan the policy makes for one person (a leaver in HR loses their access; an active ' +
        'person keeps what the policy gives them, and the answer says what to do in HR first). action ' +
        '"fix_finding": the plan for the finding\'s person in the finding\'s app. It plans only what the policy ' +
        `says. ${READ_AND_PROPOSE_ONLY}`,
      inputSchema: z.strictObject({
        action: z.enum(['offboard', 'fix_finding']),
        person: z
          .string()
          .trim()
          .min(1)
          .optional()
          .describe('offboard: the employee id or email of the person'),
        findingId: z
          .string()
          .trim()
          .min(1)
          .optional()
          .describe('fix_finding: the finding id from the findings tool'),
        reason: z
          .string()
          .trim()
          .max(500)
          .optional()
          .describe('why, in the words of the user who asked (audited)'),
      }),
      outputSchema: proposeOutput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (input) =>
      reply(secrets, async () => {
        if (proposeRefusal !== null) {
          throw new RosterError('forbidden', proposeRefusal, {
            fix: 'ask a person with an operate token (or the CLI) to propose it, or use a token that may plan',
          });
        }
        const proposal = await proposeChange(roster, requestOf(input));
        const { plan, body } = proposal.plan;
        const ops = proposal.plan.ops.map(opOf);
        const toApprove = howToApprove(plan.id);
        const diff = renderPlan(body, { id: plan.id, stateHash: plan.stateHash });
        return {
          structured: {
            plan: headerOf(plan, body),
            person: personOf(proposal.person),
            finding: proposal.finding?.id ?? null,
            ops,
            errors: body.errors.map((e) => ({ appId: e.appId, rule: e.rule, message: e.message })),
            skipped: body.skipped ?? [],
            diff,
            notes: proposal.notes,
            howToApprove: toApprove,
          },
          summary: [
            `Proposed plan ${plan.id} (by ${roster.actor}) for ${proposal.person.email}: ${ops.length} op(s).`,
            ...proposal.notes.map((n) => `Note: ${n}`),
            diff,
            toApprove,
          ].join('\n'),
        };
      }),
  );

  server.registerTool(
    'plan_status',
    {
      title: 'Plan status',
      description:
        "A saved plan (id, a unique prefix or suffix of it, or latest) and where each of its ops stands: waiting for a person's " +
        'approval, approved, done, failed; with who proposed, approved and applied it. Ops are paged (pass ' +
        `nextOffset back as offset). ${READ_AND_PROPOSE_ONLY}`,
      inputSchema: z.strictObject({
        plan: z
          .string()
          .trim()
          .min(1)
          .describe('the plan id (or a unique prefix or suffix of it), or latest'),
        ...pageInput,
      }),
      outputSchema: statusOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (input) =>
      reply(secrets, async () => {
        const plan = await findPlan(roster, input.plan);
        const body = plan.body as PlanBody;
        const records = await roster.store.listOps({ planId: plan.id });
        const counts: Record<string, number> = {};
        for (const r of records) counts[r.status] = (counts[r.status] ?? 0) + 1;
        const waiting = records.filter((r) => r.requiresApproval && r.status === 'pending').map((r) => r.seq);
        const { items, page: info } = page(records, input.offset, input.limit);
        const audit = (await auditAbout(roster, [plan.id])).map((e) => ({
          at: e.at,
          actor: e.actor,
          kind: e.kind,
        }));
        const toApprove = howToApprove(plan.id);
        return {
          structured: {
            plan: headerOf(plan, body),
            counts,
            waitingForApproval: waiting,
            ops: items.map(opOf),
            page: info,
            audit,
            howToApprove: toApprove,
          },
          summary: [
            `Plan ${plan.id}: ${plan.status}, ${records.length} op(s) (${
              Object.entries(counts)
                .map(([s, n]) => `${n} ${s}`)
                .join(', ') || 'none'
            }); ${waiting.length} wait for a person's approval.`,
            ...audit.map((e) => `- ${e.at} ${e.kind} by ${e.actor}`),
            `Ops ${pageText(info, items.length)}.`,
            ...(waiting.length > 0 || plan.status === 'draft' ? [toApprove] : []),
          ].join('\n'),
        };
      }),
  );
}

function requestOf(input: {
  action: 'offboard' | 'fix_finding';
  person?: string | undefined;
  findingId?: string | undefined;
  reason?: string | undefined;
}): ProposalRequest {
  if (input.action === 'offboard') {
    if (input.person === undefined) {
      throw new RosterError('invalid_input', 'offboard needs the person', {
        where: 'person',
        fix: 'pass person: their employee id or email (search_people finds it)',
      });
    }
    return { kind: 'offboard', person: input.person, reason: input.reason };
  }
  if (input.findingId === undefined) {
    throw new RosterError('invalid_input', 'fix_finding needs the finding id', {
      where: 'findingId',
      fix: 'pass findingId as the findings tool lists it (rule:app:account)',
    });
  }
  return { kind: 'fix_finding', findingId: input.findingId, reason: input.reason };
}

function headerOf(
  plan: { id: string; status: string; createdAt: string },
  body: PlanBody,
): z.infer<typeof planHeader> {
  return {
    id: plan.id,
    status: plan.status,
    createdAt: plan.createdAt,
    requestedBy: body.requestedBy ?? null,
    person: body.person?.email ?? null,
    applicable: body.errors.length === 0,
    blocked: body.blocked !== null,
  };
}

/** An op as saved, described by the plan op its row holds. */
function opOf(record: OpRecord): OpView {
  const op: PlanOp = planOpOf(record);
  return {
    seq: record.seq,
    appId: record.appId,
    kind: record.kind,
    status: record.status,
    person: op.person?.email ?? null,
    account: op.account && 'id' in op.account ? op.account.id : null,
    entitlement: op.entitlement ? { kind: op.entitlement.kind, name: op.entitlement.name } : null,
    why: op.reason.text ?? '',
    requiresApproval: record.requiresApproval,
    approvalReasons: op.approvalReasons ?? [],
    approvedBy: record.approvedBy,
    error: record.error,
  };
}

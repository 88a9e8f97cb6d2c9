/** @module findings and explain_finding: what the identity graph says needs attention, filtered and paged, and one finding with its facts. */

import { z } from 'zod';
import { findPerson, listFindings, requireSynced } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { FINDING_RULES, type FindingRule, SEVERITIES } from '../../identity/index.js';
import { page, pageInput, pageOutput, pageText } from '../paging.js';
import { reply } from '../reply.js';
import { accountOf, accountView, asOfView, findingOf, findingView, personOf, personView } from '../views.js';
import { READ_ONLY, type ToolContext } from './context.js';

const findingsInput = z.strictObject({
  rule: z
    .enum(FINDING_RULES)
    .optional()
    .describe('only this kind of finding (leaver_with_access: people who left and still have an account)'),
  severity: z
    .enum(SEVERITIES)
    .optional()
    .describe('only findings at least this severe (high keeps high only)'),
  app: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('only this app (its id in roster.yaml; app_status lists them)'),
  person: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('only findings about this person (employee id or email)'),
  ...pageInput,
});

const findingsOutput = z.object({
  findings: z.array(findingView),
  counts: z.record(z.string(), z.number().int()).describe('per rule, among all the findings that match'),
  page: pageOutput,
  asOf: asOfView,
  staleAfterApply: z
    .array(z.string())
    .describe('apps changed by an apply after their last sync: re-sync to see it'),
});

const evidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

const explainOutput = z.object({
  finding: findingView.extend({ evidence: z.record(z.string(), evidenceValue) }),
  account: accountView.nullable(),
  person: personView.nullable(),
  link: z
    .object({
      situation: z.string(),
      method: z.string().nullable(),
      confidence: z.number(),
      manual: z.boolean(),
      decidedBy: z.string().nullable(),
      candidates: z.array(z.string()).describe('employee ids it could belong to, when disputed'),
    })
    .nullable(),
  entitlements: z.array(z.object({ kind: z.string(), name: z.string(), privileged: z.boolean() })),
  nextStep: z.string().describe('what would settle it, and who can do that'),
});

/** What settles each kind of finding, and whether an assistant can propose it or only a person can do it. */
const NEXT_STEP: Record<FindingRule, string> = {
  leaver_with_access:
    'propose_change (action offboard for the person, or fix_finding for this finding) plans the removal the policy asks for leavers; a person approves it',
  orphan:
    'nobody in HR owns this account: a person decides with `roster link` (its owner, or --nobody for a service account); plans deactivate orphans only when the policy says `orphans: deactivate`',
  disputed:
    'more than one person could own this account: a person decides with `roster link <app> <account> <email>`; no plan can',
  duplicate_accounts:
    'the person has more than one account here: a person picks the one to keep; propose_change fix_finding plans what the policy says for them in this app',
  privileged:
    'check the person needs it; propose_change fix_finding plans what the policy says (a privileged entitlement no rule gives is revoked where Roster manages its kind)',
  dormant:
    'unused for a long time: ask the owner or their manager; propose_change fix_finding plans what the policy says for them in this app',
  invite_pending:
    'the invitation was never accepted: remind the person, or propose_change fix_finding to plan what the policy says',
  attribute_drift:
    'the app and HR disagree: propose_change fix_finding plans the update the policy maps, where the app lets Roster change the field',
};

export function registerFindingTools({ server, roster, secrets }: ToolContext): void {
  server.registerTool(
    'findings',
    {
      title: 'Accounts with a finding',
      description:
        'Accounts the identity graph flags, most severe first: leavers with access, orphans (no owner in HR), ' +
        'disputed matches, duplicates, privileged (admin) access, dormant accounts, pending invites and attribute ' +
        'drift. Filter by rule, minimum severity, app or person; paged (pass nextOffset back as offset). ' +
        'explain_finding gives one finding with its evidence.',
      inputSchema: findingsInput,
      outputSchema: findingsOutput,
      annotations: READ_ONLY,
    },
    (input) =>
      reply(secrets, async () => {
        await requireSynced(roster);
        const employeeId =
          input.person === undefined ? undefined : (await findPerson(roster, input.person)).person.employeeId;
        const result = await listFindings(roster, {
          ...(input.rule ? { rules: [input.rule] } : {}),
          ...(input.severity ? { minSeverity: input.severity } : {}),
          ...(input.app ? { appId: input.app } : {}),
          ...(employeeId ? { employeeId } : {}),
        });
        const { items, page: info } = page(result.findings, input.offset, input.limit);
        const counts = Object.entries(result.counts)
          .map(([rule, n]) => `${rule} ${n}`)
          .join(', ');
        const stale =
          result.staleAfterApply.length > 0
            ? [
                `Changes were applied to ${result.staleAfterApply.join(', ')} after their last sync: re-sync to see them.`,
              ]
            : [];
        return {
          structured: {
            findings: items.map(findingOf),
            counts: result.counts,
            page: info,
            asOf: result.asOf,
            staleAfterApply: result.staleAfterApply,
          },
          summary: [
            result.findings.length === 0
              ? 'No findings match.'
              : `${pageText(info, items.length)} findings (${counts}).`,
            ...stale,
            ...items.map((f) => `- ${f.severity} ${f.id}: ${f.title}`),
          ].join('\n'),
        };
      }),
  );

  server.registerTool(
    'explain_finding',
    {
      title: 'Explain one finding',
      description:
        'One finding by id (as the findings tool lists it: rule:app:account) with its evidence, the account, the ' +
        'person it is tied to, how the match was made, what the account holds, and what would settle it.',
      inputSchema: z.strictObject({
        id: z.string().trim().min(1).describe('the finding id, e.g. leaver_with_access:targetprocess:42'),
      }),
      outputSchema: explainOutput,
      annotations: READ_ONLY,
    },
    (input) =>
      reply(secrets, async () => {
        await requireSynced(roster);
        const { findings } = await listFindings(roster, { rules: [input.id] });
        const finding = findings.find((f) => f.id === input.id);
        if (finding === undefined) {
          throw new RosterError('not_found', `no finding "${input.id}" in the identity graph`, {
            where: 'id',
            fix: 'use an id the findings tool lists; a finding goes away once what it flagged is fixed and synced',
          });
        }
        const { store } = roster;
        const account = await store.getAccount({ appId: finding.appId, id: finding.accountId });
        const person =
          finding.employeeId === null ? null : await store.getPerson({ employeeId: finding.employeeId });
        const link = (await store.listLinks({ appId: finding.appId })).find(
          (l) => l.accountId === finding.accountId,
        );
        const catalogue = new Map(
          (await store.listEntitlements({ appId: finding.appId })).map((e) => [e.id, e]),
        );
        const entitlements = (await store.listGrants({ appId: finding.appId, accountId: finding.accountId }))
          .map((g) => catalogue.get(g.entitlementId))
          .filter((e) => e !== undefined)
          .map((e) => ({ kind: e.kind, name: e.name, privileged: e.privileged }));
        const nextStep = NEXT_STEP[finding.rule];
        const evidence = Object.entries(finding.evidence)
          .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
          .join('; ');
        return {
          structured: {
            finding: { ...findingOf(finding), evidence: finding.evidence },
            account: account ? accountOf(account) : null,
            person: person ? personOf(person) : null,
            link: link
              ? {
                  situation: link.situation,
                  method: link.method,
                  confidence: link.confidence,
                  manual: link.manual,
                  decidedBy: link.decidedBy,
                  candidates: link.candidates,
                }
              : null,
            entitlements,
            nextStep,
          },
          summary: [
            `${finding.severity} ${finding.id}: ${finding.title}`,
            `Evidence: ${evidence || 'none recorded'}`,
            person
              ? `Person: ${person.firstName} ${person.lastName} <${person.email}>, ${person.status}`
              : 'Person: nobody in HR',
            `Next: ${nextStep}`,
          ].join('\n'),
        };
      }),
  );
}

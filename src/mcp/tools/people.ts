/** @module search_people and person_access: who is in the HR export, and what one person holds across apps and why. */

import { z } from 'zod';
import { explainAccess, listPeople, snapshotTimes } from '../../app/index.js';
import type { StoredPerson } from '../../store/store.js';
import { page, pageInput, pageOutput, pageText } from '../paging.js';
import { reply } from '../reply.js';
import { accountOf, accountView, asOfView, findingOf, findingView, personOf, personView } from '../views.js';
import { READ_ONLY, type ToolContext } from './context.js';

const searchInput = z.strictObject({
  query: z
    .string()
    .trim()
    .optional()
    .describe(
      'words to look for in the name, email, aliases, employee id, department or title (all must match)',
    ),
  status: z
    .enum(['active', 'leaver', 'on_leave', 'pending'])
    .optional()
    .describe('only people with this HR status'),
  ...pageInput,
});

const searchOutput = z.object({
  people: z.array(personView.extend({ linkedAccounts: z.number().int().describe('accounts tied to them') })),
  page: pageOutput,
});

const accessInput = z.strictObject({
  person: z.string().trim().min(1).describe('employee id or any email address the person answers to'),
});

const heldView = z.object({
  kind: z.string(),
  name: z.string(),
  privileged: z.boolean(),
  rules: z.array(z.string()).describe('the policy rules that give it; empty when none does'),
  managed: z
    .boolean()
    .describe('whether Roster manages this kind in this app (and would revoke it without a rule)'),
  why: z.string(),
});

const accessOutput = z.object({
  person: personView,
  accounts: z.array(
    z.object({
      account: accountView,
      link: z.object({
        situation: z.string().nullable(),
        method: z.string().nullable(),
        confidence: z.number(),
        manual: z.boolean(),
        decidedBy: z.string().nullable(),
        why: z.string().describe('how the account is tied to the person'),
      }),
      rules: z.array(z.string()).describe('the policy rules that give the person an account here'),
      entitlements: z.array(heldView),
    }),
  ),
  findings: z.array(findingView),
  asOf: asOfView,
});

export function registerPeopleTools({ server, roster, secrets }: ToolContext): void {
  server.registerTool(
    'search_people',
    {
      title: 'Search people',
      description:
        'Finds people in the last HR import by name, email, employee id, department or title, with their HR status ' +
        '(active or leaver) and how many app accounts are tied to them. Paged: pass nextOffset back as offset.',
      inputSchema: searchInput,
      outputSchema: searchOutput,
      annotations: READ_ONLY,
    },
    (input) =>
      reply(secrets, async () => {
        const people = await listPeople(roster, input.status ? { status: input.status } : {});
        const words = (input.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
        const matching = people.filter((p) => words.every((w) => haystack(p).includes(w)));
        const linked = new Map<string, number>();
        for (const link of await roster.store.listLinks({ situation: 'linked' })) {
          if (link.employeeId) linked.set(link.employeeId, (linked.get(link.employeeId) ?? 0) + 1);
        }
        const { items, page: info } = page(matching, input.offset, input.limit);
        const rows = items.map((p) => ({ ...personOf(p), linkedAccounts: linked.get(p.employeeId) ?? 0 }));
        const head =
          people.length === 0
            ? 'No people imported yet: run `roster sync` (it imports the HR export first).'
            : `${pageText(info, rows.length)} people match.`;
        return {
          structured: { people: rows, page: info },
          summary: [
            head,
            ...rows.map(
              (p) =>
                `- ${p.name} <${p.email}> ${p.employeeId}, ${p.status}, ${p.department ?? 'no department'}, ${p.linkedAccounts} account(s)`,
            ),
          ].join('\n'),
        };
      }),
  );

  server.registerTool(
    'person_access',
    {
      title: "A person's access and why",
      description:
        "One person's accounts in every app: how each account is tied to them (email, IdP id, login, or a person's " +
        'decision), the policy rules that give them the app, and each role, group, team or course they hold with ' +
        'the rule that gives it (or that none does), plus the findings about them.',
      inputSchema: accessInput,
      outputSchema: accessOutput,
      annotations: READ_ONLY,
    },
    (input) =>
      reply(secrets, async () => {
        const explained = await explainAccess(roster, input.person);
        const accounts = explained.accounts.map((a) => ({
          account: accountOf(a.account),
          link: a.link,
          rules: a.rules,
          entitlements: a.entitlements.map((e) => ({ ...e, why: heldWhy(e) })),
        }));
        const person = personOf(explained.person);
        const lines = [
          `${person.name} <${person.email}> ${person.employeeId}: ${person.status}${person.endDate ? ` (end date ${person.endDate})` : ''}, ${accounts.length} account(s).`,
          ...accounts.map(
            (a) =>
              `- ${a.account.appId} account ${a.account.id} (${a.account.status}${a.account.isAdmin ? ', admin' : ''}): ${a.link.why}; ` +
              `${a.rules.length > 0 ? `given by ${a.rules.map((r) => `"${r}"`).join(', ')}` : 'no rule gives this app'}` +
              (a.entitlements.length > 0
                ? `; holds ${a.entitlements.map((e) => `${e.kind} "${e.name}" (${e.why})`).join(', ')}`
                : ''),
          ),
          ...explained.findings.map((f) => `! ${f.severity} ${f.id}: ${f.title}`),
        ];
        return {
          structured: {
            person,
            accounts,
            findings: explained.findings.map((f) => findingOf(f)),
            asOf: await snapshotTimes(roster),
          },
          summary: lines.join('\n'),
        };
      }),
  );
}

function haystack(p: StoredPerson): string {
  return [p.employeeId, p.email, ...p.aliases, p.firstName, p.lastName, p.department ?? '', p.title ?? '']
    .join(' ')
    .toLowerCase();
}

function heldWhy(e: { rules: string[]; managed: boolean; kind: string }): string {
  if (e.rules.length > 0) return `given by ${e.rules.map((r) => `rule "${r}"`).join(', ')}`;
  return e.managed
    ? `no rule gives it, and Roster manages ${e.kind}s here: a plan would revoke it`
    : `no rule gives it; Roster does not manage ${e.kind}s here, so it stays as the app has it`;
}

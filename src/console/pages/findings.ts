/** @module Findings: server-side filters (kind, severity, app, department, person) and paging, bulk selection into a plan, CSV export. */

import { stringify } from 'csv-stringify/sync';
import type { FastifyRequest } from 'fastify';
import { type FindingRow, listPeople, planForFindings } from '../../app/index.js';
import { FINDING_RULES, SEVERITIES, type Severity } from '../../identity/index.js';
import { asActor } from '../../server/core.js';
import { announcePlan } from '../../server/notify.js';
import { type ConsolePage, fields } from '../console.js';
import { html, query } from '../html.js';
import { badge, csrfField, pager } from '../layout.js';
import { pageNumber } from './people.js';

const PAGE_SIZE = 50;

/** A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`: CSV injection. */
export const spreadsheetSafe = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

interface FindingFilter {
  rule?: string;
  severity?: Severity;
  app?: string;
  department?: string;
  person?: string;
}

function filterOf(request: FastifyRequest, apps: readonly string[]): FindingFilter {
  const q = request.query as Record<string, string | undefined>;
  // Unknown values are dropped, not errors: a shared link with a stale filter still opens.
  return {
    ...((FINDING_RULES as readonly string[]).includes(q.rule ?? '') ? { rule: q.rule } : {}),
    ...(SEVERITIES.find((s) => s === q.severity) ? { severity: q.severity as Severity } : {}),
    ...(apps.includes(q.app ?? '') ? { app: q.app } : {}),
    ...(q.department ? { department: q.department } : {}),
    ...(q.person ? { person: q.person } : {}),
  };
}

export const findingsPage: ConsolePage = {
  nav: { href: '/console/findings', label: 'Findings', order: 30 },
  register(routes) {
    const { ctx } = routes;
    const appIds = ctx.config.apps.map((a) => a.id);

    // Departments change only with an import: read the people once per import, not once per page (100k rows).
    let departmentsOf: { importId: string; map: Map<string, string | null>; names: string[] } | null = null;
    const peopleDepartments = async (actor: string) => {
      const [latest] = await ctx.store.listImports({ limit: 1 });
      const importId = latest?.id ?? '-';
      if (departmentsOf?.importId !== importId) {
        const people = await asActor(ctx, actor, (roster) => listPeople(roster));
        const map = new Map(people.map((p) => [p.employeeId, p.department]));
        const names = [...new Set(people.map((p) => p.department).filter((d): d is string => !!d))].sort();
        departmentsOf = { importId, map, names };
      }
      return departmentsOf;
    };

    const select = async (actor: string, filter: FindingFilter) => {
      const [all, people] = await Promise.all([
        ctx.findings.list(actor, {
          ...(filter.rule ? { rules: [filter.rule] } : {}),
          ...(filter.app ? { appId: filter.app } : {}),
          ...(filter.person ? { employeeId: filter.person } : {}),
        }),
        peopleDepartments(actor),
      ]);
      const department = people.map;
      const rows = all.filter(
        (f) =>
          (!filter.severity || f.severity === filter.severity) &&
          (!filter.department ||
            (f.employeeId !== null && department.get(f.employeeId) === filter.department)),
      );
      return { rows, departments: people.names, department };
    };

    routes.page('/console/findings', 'read', async (request, viewer) => {
      const filter = filterOf(request, appIds);
      const page = pageNumber((request.query as { page?: string }).page);
      const { rows, departments, department } = await select(viewer.name, filter);
      const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
      const operate = viewer.can('operate');
      const option = (value: string, current: string | undefined, label = value) =>
        html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
      const row = (f: FindingRow) => html`<tr>
${operate ? html`<td><input type="checkbox" name="finding" value="${f.id}" id="f-${f.id}" aria-label="Select: ${f.title}"></td>` : ''}
<td>${badge(`sev-${f.severity}`, f.severity)}</td>
<td><label for="f-${f.id}">${f.title}</label><br><span class="muted">${f.rule.replaceAll('_', ' ')}</span></td>
<td>${f.employeeId ? html`<a href="/console/people/${encodeURIComponent(f.employeeId)}">${f.personEmail ?? f.employeeId}</a>` : html`<span class="muted">nobody in HR</span>`}</td>
<td>${f.employeeId ? (department.get(f.employeeId) ?? '') : ''}</td>
<td>${f.appId}</td><td>${f.accountEmail ?? f.accountId}</td></tr>`;
      const tableHtml =
        shown.length === 0
          ? html`<p class="empty">${
              Object.keys(filter).length > 0
                ? 'No finding matches these filters: clear them to see all.'
                : 'No findings: every account matches the HR record and the policy. A sync keeps this current.'
            }</p>`
          : html`<div class="table-wrap"><table id="findings"><thead><tr>
${operate ? html`<th scope="col"><input type="checkbox" data-select-all aria-label="Select all findings on this page"></th>` : ''}
<th scope="col">Severity</th><th scope="col">Finding</th><th scope="col">Person</th><th scope="col">Department</th><th scope="col">App</th><th scope="col">Account</th>
</tr></thead><tbody>${shown.map(row)}</tbody></table></div>`;
      const body = html`<h1>Findings</h1>
<form class="filters" method="get" action="/console/findings">
<div><label for="rule">Kind</label><select id="rule" name="rule"><option value="">any</option>${FINDING_RULES.map((r) => option(r, filter.rule, r.replaceAll('_', ' ')))}</select></div>
<div><label for="severity">Severity</label><select id="severity" name="severity"><option value="">any</option>${SEVERITIES.map((s) => option(s, filter.severity))}</select></div>
<div><label for="app">App</label><select id="app" name="app"><option value="">any</option>${appIds.map((a) => option(a, filter.app))}</select></div>
<div><label for="department">Department</label><select id="department" name="department"><option value="">any</option>${departments.map((d) => option(d, filter.department))}</select></div>
${filter.person ? html`<input type="hidden" name="person" value="${filter.person}">` : ''}
<button type="submit">Filter</button>
<a class="button secondary" href="/console/findings.csv${query({ ...filter })}" download>Export CSV</a></form>
<p><strong>${rows.length}</strong> finding${rows.length === 1 ? '' : 's'}${filter.person ? html` about <a href="/console/people/${encodeURIComponent(filter.person)}">${filter.person}</a>` : ''}.</p>
${
  operate && shown.length > 0
    ? html`<form method="post" action="/console/plans/from-findings" data-bulk>${csrfField(viewer)}
<div class="actions"><button type="submit" data-bulk-submit>Plan fixes for the selected findings</button><span data-selected-count aria-live="polite"></span></div>
${tableHtml}</form>`
    : tableHtml
}
${pager({ page, size: PAGE_SIZE, total: rows.length, href: (n) => `/console/findings${query({ ...filter, page: n })}` })}`;
      return routes.render(viewer, 'Findings', '/console/findings', body);
    });

    routes.page('/console/findings.csv', 'read', async (request, viewer, reply) => {
      const { rows, department } = await select(viewer.name, filterOf(request, appIds));
      const csv = stringify(
        rows.map((f) =>
          Object.fromEntries(
            Object.entries({
              id: f.id,
              severity: f.severity,
              kind: f.rule,
              title: f.title,
              app: f.appId,
              account: f.accountId,
              account_email: f.accountEmail ?? '',
              employee_id: f.employeeId ?? '',
              person_email: f.personEmail ?? '',
              department: f.employeeId ? (department.get(f.employeeId) ?? '') : '',
            }).map(([k, v]) => [k, spreadsheetSafe(v)]),
          ),
        ),
        {
          header: true,
          columns: [
            'id',
            'severity',
            'kind',
            'title',
            'app',
            'account',
            'account_email',
            'employee_id',
            'person_email',
            'department',
          ],
        },
      );
      await reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="roster-findings.csv"')
        .send(csv);
      return undefined;
    });

    routes.action('/console/plans/from-findings', 'operate', async (_request, form, viewer) => {
      const planned = await asActor(ctx, viewer.name, (roster) =>
        planForFindings(roster, fields(form, 'finding')),
      );
      await announcePlan(ctx.notifier, ctx.store, planned.plan.id);
      return `/console/plans/${planned.plan.id}`;
    });
  },
};

/** @module People: search with server-side paging, and a person's page — HR record, accounts and why they are linked, entitlements, findings, history; link and unlink with a reason. */

import {
  auditAbout,
  findPerson,
  linkAccount,
  peopleSlice,
  planChanges,
  searchPeople,
  unlinkAccount,
  whyLinked,
} from '../../app/index.js';
import { asActor } from '../../server/core.js';
import { announcePlan } from '../../server/notify.js';
import { type ConsolePage, required } from '../console.js';
import { html, query } from '../html.js';
import { badge, csrfField, pager, table, when } from '../layout.js';

const PAGE_SIZE = 50;
const STATUSES = ['active', 'leaver', 'on_leave', 'pending'] as const;

export const pageNumber = (value: unknown): number => {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1;
};

const personHref = (id: string) => `/console/people/${encodeURIComponent(id)}`;

export const peoplePage: ConsolePage = {
  nav: { href: '/console/people', label: 'People', order: 20 },
  register(routes) {
    const { ctx } = routes;

    routes.page('/console/people', 'read', async (request, viewer) => {
      const q = request.query as Record<string, string | undefined>;
      const status = STATUSES.find((s) => s === q.status);
      const page = pageNumber(q.page);
      // Without a search term only the page is read; a search reads everyone and matches them here.
      const { items: shown, total } = await asActor(ctx, viewer.name, async (roster) => {
        if (!q.q?.trim()) {
          return peopleSlice(roster, { status, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
        }
        const found = await searchPeople(roster, { q: q.q, status });
        return { items: found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), total: found.length };
      });
      const body = html`<h1>People</h1>
<form class="filters" method="get" action="/console/people" role="search">
<div><label for="q">Name, email or employee id</label><input id="q" name="q" type="search" value="${q.q ?? ''}"></div>
<div><label for="status">HR status</label><select id="status" name="status"><option value="">any</option>
${STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s.replace('_', ' ')}</option>`)}</select></div>
<button type="submit">Search</button></form>
${table({
  head: ['Name', 'Email', 'Employee id', 'Department', 'HR status'],
  rows: shown.map((p) => [
    html`<a href="${personHref(p.employeeId)}">${p.firstName} ${p.lastName}</a>`,
    p.email,
    p.employeeId,
    p.department ?? '',
    badge(p.status === 'leaver' ? 'sev-high' : 'sev-info', p.status.replace('_', ' ')),
  ]),
  empty:
    q.q || status
      ? 'Nobody matches: try part of a name or an email.'
      : 'No people yet: import the HR export (roster sync, or the people job of roster serve).',
})}
${pager({ page, size: PAGE_SIZE, total, href: (n) => `/console/people${query({ q: q.q, status, page: n })}` })}`;
      return routes.render(viewer, 'People', '/console/people', body);
    });

    routes.page('/console/people/:id', 'read', async (request, viewer) => {
      const { id } = request.params as { id: string };
      const { view, links, events } = await asActor(ctx, viewer.name, async (roster) => {
        const found = await findPerson(roster, id);
        const { person, accounts } = found;
        return {
          view: found,
          links: await roster.store.listLinks({ employeeId: person.employeeId }),
          events: await auditAbout(roster, [
            person.employeeId,
            person.email,
            ...accounts.map((a) => a.account.id),
          ]),
        };
      });
      const { person, accounts } = view;
      const findings = await ctx.findings.list(viewer.name, { employeeId: person.employeeId });
      const history = events.reverse();
      const operate = viewer.can('operate');
      // An invitation not yet accepted is access too: accepting it later opens the account.
      const live = [
        ...new Set(
          accounts
            .filter((a) => a.account.status === 'active' || a.account.status === 'invited')
            .map((a) => a.appId),
        ),
      ];
      const back = personHref(person.employeeId);

      const accountRows = accounts.map((a) => {
        const link = links.find((l) => l.appId === a.appId && l.accountId === a.account.id);
        return [
          html`<strong>${a.appId}</strong>`,
          html`${a.account.email ?? a.account.login ?? a.account.id}<br><span class="muted">${a.account.id}</span>`,
          badge(a.account.status === 'active' ? 'st-succeeded' : 'sev-info', a.account.status),
          html`${whyLinked(link)}${link && !link.manual ? html` <span class="muted">(confidence ${Math.round(link.confidence * 100)}%)</span>` : ''}`,
          a.entitlements.length > 0 ? a.entitlements.join(', ') : html`<span class="muted">none</span>`,
          operate
            ? link?.manual
              ? html`<form method="post" action="/console/links/unlink">${csrfField(viewer)}
<input type="hidden" name="appId" value="${a.appId}"><input type="hidden" name="accountId" value="${a.account.id}"><input type="hidden" name="back" value="${back}">
<label for="r-${a.appId}-${a.account.id}">Reason</label><input id="r-${a.appId}-${a.account.id}" name="reason" type="text" required minlength="3">
<button type="submit" class="secondary">Withdraw link</button></form>`
              : html`<form method="post" action="/console/links/nobody">${csrfField(viewer)}
<input type="hidden" name="appId" value="${a.appId}"><input type="hidden" name="accountId" value="${a.account.id}"><input type="hidden" name="back" value="${back}">
<label for="r-${a.appId}-${a.account.id}">Reason</label><input id="r-${a.appId}-${a.account.id}" name="reason" type="text" required minlength="3">
<button type="submit" class="secondary">Not theirs: unlink</button></form>`
            : '',
        ];
      });

      const body = html`<p><a href="/console/people">People</a> ›</p>
<h1>${person.firstName} ${person.lastName} ${badge(person.status === 'leaver' ? 'sev-high' : 'sev-info', person.status.replace('_', ' '))}</h1>
${person.status === 'leaver' && live.length > 0 ? html`<div class="banner bad" role="status">This person left (HR end date ${person.endDate ?? 'unknown'}) and still has access in ${live.join(', ')}.</div>` : ''}
<div class="grid"><section class="card" aria-labelledby="hr-h"><h2 id="hr-h">HR record</h2><dl class="facts">
<dt>Employee id</dt><dd>${person.employeeId}</dd><dt>Email</dt><dd>${person.email}</dd>
${person.aliases.length > 0 ? html`<dt>Aliases</dt><dd>${person.aliases.join(', ')}</dd>` : ''}
<dt>Department</dt><dd>${person.department ?? '—'}</dd><dt>Title</dt><dd>${person.title ?? '—'}</dd>
<dt>Manager</dt><dd>${person.managerEmail ?? '—'}</dd><dt>Start</dt><dd>${person.startDate ?? '—'}</dd><dt>End</dt><dd>${person.endDate ?? '—'}</dd>
</dl></section>
${
  operate
    ? html`<section class="card" aria-labelledby="act-h"><h2 id="act-h">Actions</h2>
<form method="post" action="/console/people/${encodeURIComponent(person.employeeId)}/plan">${csrfField(viewer)}
<p>Work out what the policy changes for this person only (provisioning on demand). Nothing is applied until you apply the plan.</p>
<button type="submit">Plan this person's changes</button></form>
<form method="post" action="/console/links/link">${csrfField(viewer)}<input type="hidden" name="person" value="${person.employeeId}"><input type="hidden" name="back" value="${back}">
<h3>Link an account to this person</h3>
<p><label for="l-app">App</label><select id="l-app" name="appId">${ctx.config.apps.map((a) => html`<option>${a.id}</option>`)}</select></p>
<p><label for="l-acc">Account id</label><input id="l-acc" name="accountId" type="text" required></p>
<p><label for="l-reason">Reason</label><input id="l-reason" name="reason" type="text" required minlength="3"></p>
<button type="submit" class="secondary">Link</button></form></section>`
    : ''
}</div>
<section aria-labelledby="acc-h"><h2 id="acc-h">Accounts across apps</h2>
${table({
  head: ['App', 'Account', 'Status', 'Why linked', 'Entitlements', operate ? 'Decide' : ''],
  rows: accountRows,
  empty: 'No account in any app is linked to this person.',
})}</section>
<section aria-labelledby="find-h"><h2 id="find-h">Findings</h2>
${table({
  head: ['Severity', 'Finding', 'App', 'Account'],
  rows: findings.map((f) => [
    badge(`sev-${f.severity}`, f.severity),
    f.title,
    f.appId,
    f.accountEmail ?? f.accountId,
  ]),
  empty: 'No findings about this person.',
})}
${findings.length > 0 ? html`<p><a href="/console/findings${query({ person: person.employeeId })}">Select these findings to plan fixes</a></p>` : ''}</section>
<section aria-labelledby="hist-h"><h2 id="hist-h">History</h2>
${table({
  head: ['When', 'Who', 'What', 'App', 'Details'],
  rows: history
    .slice(0, 100)
    .map((e) => [
      when(e.at),
      e.actor,
      e.kind,
      e.appId ?? '',
      html`<code>${JSON.stringify(e.data).slice(0, 200)}</code>`,
    ]),
  empty: 'Nothing recorded about this person yet.',
})}</section>`;
      return routes.render(viewer, `${person.firstName} ${person.lastName}`, '/console/people', body);
    });

    const backTo = (form: Record<string, unknown>) => {
      const back = typeof form.back === 'string' ? form.back : '';
      return /^\/console\/people\/[^/?#\s]+$/.test(back) ? back : '/console/people';
    };

    routes.action('/console/links/link', 'operate', async (_request, form, viewer) => {
      await asActor(ctx, viewer.name, (roster) =>
        linkAccount(roster, {
          appId: required(form, 'appId', 'App'),
          accountId: required(form, 'accountId', 'Account id'),
          person: required(form, 'person', 'Person'),
          reason: required(form, 'reason', 'Reason', 3),
        }),
      );
      ctx.findings.invalidate();
      return backTo(form);
    });

    routes.action('/console/links/nobody', 'operate', async (_request, form, viewer) => {
      await asActor(ctx, viewer.name, (roster) =>
        linkAccount(roster, {
          appId: required(form, 'appId', 'App'),
          accountId: required(form, 'accountId', 'Account id'),
          person: null,
          reason: required(form, 'reason', 'Reason', 3),
        }),
      );
      ctx.findings.invalidate();
      return backTo(form);
    });

    routes.action('/console/links/unlink', 'operate', async (_request, form, viewer) => {
      await asActor(ctx, viewer.name, (roster) =>
        unlinkAccount(roster, {
          appId: required(form, 'appId', 'App'),
          accountId: required(form, 'accountId', 'Account id'),
          reason: required(form, 'reason', 'Reason', 3),
        }),
      );
      ctx.findings.invalidate();
      return backTo(form);
    });

    routes.action('/console/people/:id/plan', 'operate', async (request, _form, viewer) => {
      const { id } = request.params as { id: string };
      const planned = await asActor(ctx, viewer.name, (roster) => planChanges(roster, { person: id }));
      await announcePlan(ctx.notifier, ctx.store, planned.plan.id);
      return `/console/plans/${planned.plan.id}`;
    });
  },
};

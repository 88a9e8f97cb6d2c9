/** @module Tasks (open manual tasks with instructions, mark done with a note) and Audit (search, chain verification). */

import { completeTask, listTasks, searchAudit } from '../../app/index.js';
import { shortId } from '../../core/ids.js';
import { asActor } from '../../server/core.js';
import { type ConsolePage, required } from '../console.js';
import { html, query } from '../html.js';
import { badge, csrfField, pager, table, when } from '../layout.js';
import { pageNumber } from './people.js';

const AUDIT_PAGE = 100;

export const tasksPage: ConsolePage = {
  nav: { href: '/console/tasks', label: 'Tasks', order: 50 },
  register(routes) {
    const { ctx } = routes;
    routes.page('/console/tasks', 'read', async (request, viewer) => {
      const all = (request.query as { status?: string }).status === 'all';
      const tasks = await asActor(ctx, viewer.name, (roster) => listTasks(roster, { all }));
      const operate = viewer.can('operate');
      const body = html`<h1>Tasks</h1>
<p>What a person must do by hand in an app whose API cannot. Marking one done records your note; the next sync checks the change really happened.</p>
<p>${all ? html`<a href="/console/tasks">Open tasks only</a>` : html`<a href="/console/tasks?status=all">Show closed tasks too</a>`}</p>
${
  tasks.length === 0
    ? html`<p class="empty">${all ? 'No tasks yet.' : 'No open tasks: nothing waits on a person.'}</p>`
    : tasks.map(
        (t) => html`<section class="card" id="task-${t.id}" aria-labelledby="task-${t.id}-h">
<h2 id="task-${t.id}-h">${t.appId}: ${t.kind} ${badge(t.status === 'open' ? 'st-pending' : 'st-succeeded', t.status)}</h2>
<p>${t.instructions}</p>
<p class="muted">Opened ${when(t.createdAt)}${t.planId ? html` by <a href="/console/plans/${t.planId}">plan ${shortId(t.planId)}</a>` : ''}${t.closedAt ? html` · closed ${when(t.closedAt)} by ${t.closedBy ?? '—'}` : ''}</p>
${
  t.status === 'open' && operate
    ? html`<form method="post" action="/console/tasks/${t.id}/done">${csrfField(viewer)}
<label for="note-${t.id}">What you did (kept in the audit log)</label><textarea id="note-${t.id}" name="note" required></textarea>
<p><button type="submit">Mark done</button></p></form>`
    : ''
}</section>`,
      )
}`;
      return routes.render(viewer, 'Tasks', '/console/tasks', body);
    });

    routes.action('/console/tasks/:id/done', 'operate', async (request, form, viewer) => {
      const { id } = request.params as { id: string };
      await asActor(ctx, viewer.name, (roster) =>
        completeTask(roster, { id, note: required(form, 'note', 'Note') }),
      );
      return '/console/tasks?status=all';
    });
  },
};

export const auditPage: ConsolePage = {
  nav: { href: '/console/audit', label: 'Audit', order: 60 },
  register(routes) {
    const { ctx } = routes;
    routes.page('/console/audit', 'read', async (request, viewer) => {
      const q = request.query as Record<string, string | undefined>;
      const verify = q.verify === '1';
      const needle = q.q?.trim() || undefined;
      const page = pageNumber(q.page);
      const { events, total, kinds, verification } = await asActor(ctx, viewer.name, (roster) =>
        searchAudit(roster, {
          ...(q.kind ? { kind: q.kind } : {}),
          ...(needle ? { text: needle } : {}),
          page,
          size: AUDIT_PAGE,
          verify,
        }),
      );
      const body = html`<h1>Audit log</h1>
<form class="filters" method="get" action="/console/audit" role="search">
<div><label for="q">Search (who, what, subject, details)</label><input id="q" name="q" type="search" value="${q.q ?? ''}"></div>
<div><label for="kind">Event</label><select id="kind" name="kind"><option value="">any</option>${kinds.map((k) => html`<option${k === q.kind ? html` selected` : ''}>${k}</option>`)}</select></div>
<button type="submit">Search</button>
<a class="button secondary" href="/console/audit?verify=1">Verify the chain</a></form>
${
  verification === null
    ? ''
    : verification.ok
      ? html`<div class="banner good" role="status" id="verification"><strong>The audit chain is intact:</strong> all ${verification.count} events hash-link to the first.</div>`
      : html`<div class="banner bad" role="alert" id="verification"><strong>The audit chain is broken at event ${verification.brokenAt}:</strong> ${verification.reason}. Events from there on may have been altered; restore the store from a backup and investigate.</div>`
}
<p>${total} event${total === 1 ? '' : 's'}, newest first.</p>
${table({
  head: ['#', 'When', 'Who', 'What', 'App', 'About', 'Details'],
  rows: events.map((e) => [
    String(e.seq),
    when(e.at),
    e.actor,
    e.kind,
    e.appId ?? '',
    e.subject ?? '',
    html`<code>${JSON.stringify(e.data).slice(0, 300)}</code>`,
  ]),
  empty:
    needle || q.kind
      ? 'No event matches: try fewer words.'
      : 'The audit log is empty: syncs, plans and decisions are recorded here.',
})}
${pager({ page, size: AUDIT_PAGE, total, href: (n) => `/console/audit${query({ q: q.q, kind: q.kind, page: n })}` })}`;
      return routes.render(viewer, 'Audit', '/console/audit', body);
    });
  },
};

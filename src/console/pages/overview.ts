/** @module The overview (`/console`): app health, findings by severity and kind, what waits on a person, recent changes. */

import { listScimHolds, listTasks, recentAudit } from '../../app/index.js';
import { shortId } from '../../core/ids.js';
import { SEVERITIES } from '../../identity/index.js';
import { asActor } from '../../server/core.js';
import { describeApp } from '../../server/routes/apps.js';
import type { ConsolePage } from '../console.js';
import { html, query } from '../html.js';
import { badge, table, when } from '../layout.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The newest events the overview shows (those of the last day among them). */
const RECENT_EVENTS = 15;
/** Held removals named one by one; all are counted. */
const HELDS_SHOWN = 10;

export const overviewPage: ConsolePage = {
  nav: { href: '/console', label: 'Overview', order: 10 },
  register(routes) {
    const { ctx } = routes;
    routes.page('/console', 'read', async (_request, viewer) => {
      const actor = viewer.name;
      const { manifests, tasks, latest, holds } = await asActor(ctx, actor, async (roster) => ({
        manifests: roster.manifests(),
        tasks: await listTasks(roster),
        latest: await recentAudit(roster, { limit: RECENT_EVENTS }),
        holds: await listScimHolds(roster),
      }));
      const apps = await Promise.all(ctx.config.apps.map((a) => describeApp(ctx, a, manifests[a.id])));
      const synced = apps.some((a) => a.lastSuccess !== null);
      const findings = synced ? await ctx.findings.list(actor) : [];
      // The policy's plans by status, and the removals the SCIM facade held apart (holds, every waiting one): the
      // newest drafts of all could be nothing but held IdP writes, which hid the policy's plans and were counted short.
      const plans = [
        ...(await ctx.store.listPlans({ status: 'draft', facade: false, limit: 50 })),
        ...(await ctx.store.listPlans({ status: 'approved', facade: false, limit: 50 })),
      ].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
      const waiting: { id: string; createdAt: string; count: number; requestedBy: string }[] = [];
      for (const plan of plans) {
        const ops = await ctx.store.listOps({ planId: plan.id, status: 'pending' });
        const count = ops.filter((o) => o.requiresApproval).length;
        if (count > 0)
          waiting.push({
            id: plan.id,
            createdAt: plan.createdAt,
            count,
            requestedBy: String((plan.body as { requestedBy?: string }).requestedBy ?? 'unknown'),
          });
      }
      const since = new Date(ctx.clock().getTime() - DAY_MS).toISOString();
      const recent = latest.filter((e) => e.at >= since);

      const bySeverity = SEVERITIES.map((s) => ({ s, n: findings.filter((f) => f.severity === s).length }));
      const byKind = new Map<string, { n: number; severity: string }>();
      for (const f of findings) {
        const k = byKind.get(f.rule) ?? { n: 0, severity: f.severity };
        k.n++;
        byKind.set(f.rule, k);
      }
      const top = findings.filter((f) => f.severity === 'high').slice(0, 8);

      const body = html`<h1>Overview</h1>
${
  synced
    ? ''
    : html`<div class="banner note" role="status"><strong>No app has been synced yet.</strong> Open
<a href="/console/apps">Apps</a> and press “Sync now” (or run <code>roster sync</code>); findings and plans appear after the first sync.</div>`
}
<section aria-labelledby="apps-h"><h2 id="apps-h">Apps</h2>
${table({
  head: ['App', 'Health', 'Last sync', 'Result', 'Next scheduled run'],
  rows: apps.map((a) => [
    html`<a href="/console/apps#app-${a.id}">${a.id}</a> <span class="muted">${a.type}</span>`,
    badge(`h-${a.health}`, a.health.replace('_', ' ')),
    when(a.lastSync?.finishedAt ?? a.lastSync?.startedAt),
    a.lastSync
      ? html`${badge(`st-${a.lastSync.status}`, a.lastSync.status)}${a.lastSync.error ? html` <span class="muted">${a.lastSync.error}</span>` : ''}`
      : html`<span class="muted">—</span>`,
    a.nextSyncAt ? when(a.nextSyncAt) : html`<span class="muted">no schedule</span>`,
  ]),
  empty: 'No apps are configured: add them under apps: in roster.yaml and restart roster serve.',
})}</section>
<div class="grid">
<section class="card" aria-labelledby="sev-h"><h2 id="sev-h">Findings by severity</h2>
${
  findings.length === 0
    ? html`<p class="empty">${synced ? 'No findings: every account matches the HR record and the policy.' : 'Sync the apps to see findings.'}</p>`
    : html`<ul class="plain">${bySeverity.map(
        ({ s, n }) =>
          html`<li><a href="/console/findings${query({ severity: s })}">${badge(`sev-${s}`, s)} <strong>${n}</strong></a></li>`,
      )}</ul>`
}</section>
<section class="card" aria-labelledby="kind-h"><h2 id="kind-h">Findings by kind</h2>
${
  byKind.size === 0
    ? html`<p class="empty">Nothing to show yet.</p>`
    : html`<ul class="plain">${[...byKind.entries()]
        .sort((a, b) => b[1].n - a[1].n)
        .map(
          ([rule, k]) =>
            html`<li><a href="/console/findings${query({ rule })}">${rule.replaceAll('_', ' ')}</a> ${badge(`sev-${k.severity}`, String(k.n))}</li>`,
        )}</ul>`
}</section>
<section class="card" aria-labelledby="wait-h"><h2 id="wait-h">Waiting on a person</h2>
<p><span class="count">${waiting.length}</span> plan${waiting.length === 1 ? '' : 's'} waiting for approval</p>
${waiting.map((w) => html`<p><a href="/console/plans/${w.id}">Plan ${shortId(w.id)}</a>: ${w.count} op(s) to approve, asked by ${w.requestedBy}</p>`)}
<p><span class="count">${holds.length}</span> removal${holds.length === 1 ? '' : 's'} held at the SCIM facade${
        holds.length > 0
          ? html` — approve a plan below to release its removal, or cancel it to reject it (<code>roster scim holds</code> lists them all)`
          : ''
      }</p>
${holds.slice(0, HELDS_SHOWN).map((h) => html`<p><a href="/console/plans/${h.planId}">Plan ${shortId(h.planId)}</a>: ${h.key}, asked by ${h.requestedBy ?? 'unknown'}</p>`)}
<p><span class="count">${tasks.length}</span> open manual task${tasks.length === 1 ? '' : 's'}
${tasks.length > 0 ? html` — <a href="/console/tasks">work the tasks</a>` : ''}</p>
</section></div>
<section aria-labelledby="top-h"><h2 id="top-h">Most severe findings</h2>
${table({
  head: ['Severity', 'Finding', 'Person', 'App'],
  rows: top.map((f) => [
    badge(`sev-${f.severity}`, f.severity),
    f.title,
    f.employeeId
      ? html`<a href="/console/people/${encodeURIComponent(f.employeeId)}">${f.personEmail ?? f.employeeId}</a>`
      : html`<span class="muted">nobody in HR</span>`,
    f.appId,
  ]),
  empty: synced ? 'No high-severity findings.' : 'Sync the apps to see findings.',
})}
${top.length > 0 ? html`<p><a href="/console/findings${query({ severity: 'high' })}">All high-severity findings</a></p>` : ''}</section>
<section aria-labelledby="recent-h"><h2 id="recent-h">What changed since yesterday</h2>
${table({
  head: ['When', 'Who', 'What', 'About'],
  rows: recent.map((e) => [when(e.at), e.actor, e.kind, [e.appId, e.subject].filter(Boolean).join(' · ')]),
  empty: 'Nothing changed in the last 24 hours.',
})}
<p><a href="/console/audit">The whole audit log</a></p></section>`;
      return routes.render(viewer, 'Overview', '/console', body);
    });
  },
};

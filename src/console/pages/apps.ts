/** @module Apps: each connector's health, capabilities and why the missing ones are missing; start a sync. */

import { importPeople } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { startSync } from '../../server/background.js';
import { asActor } from '../../server/core.js';
import { describeApp } from '../../server/routes/apps.js';
import type { ImportResult } from '../../sources/import.js';
import { type ConsolePage, field, fields } from '../console.js';
import { html } from '../html.js';
import { badge, csrfField, table, when } from '../layout.js';

export const appsPage: ConsolePage = {
  nav: { href: '/console/apps', label: 'Apps', order: 70 },
  register(routes) {
    const { ctx } = routes;
    routes.page('/console/apps', 'read', async (_request, viewer) => {
      const manifests = await asActor(ctx, viewer.name, async (roster) => roster.manifests());
      const apps = await Promise.all(ctx.config.apps.map((a) => describeApp(ctx, a, manifests[a.id])));
      const history = new Map(
        await Promise.all(
          ctx.config.apps.map(
            async (a) => [a.id, await ctx.store.listSyncRuns({ appId: a.id, limit: 10 })] as const,
          ),
        ),
      );
      const facts = (record: Record<string, number>) =>
        Object.entries(record)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '—';
      const operate = viewer.can('operate');
      const yes = (ok: boolean | undefined) => (ok ? badge('ok', 'yes') : badge('sev-info', 'no'));
      const body = html`<h1>Apps</h1>
${operate && apps.length > 0 ? html`<form method="post" action="/console/syncs" class="actions">${csrfField(viewer)}<input type="hidden" name="people" value="yes">${apps.map((a) => html`<input type="hidden" name="app" value="${a.id}">`)}<button type="submit">Import HR and sync all apps now</button></form>` : ''}
${apps.length === 0 ? html`<p class="empty">No apps are configured: add them under apps: in roster.yaml and restart roster serve.</p>` : ''}
${apps.map((a) => {
  const m = manifests[a.id];
  const notes = Object.entries(m?.notes ?? {});
  return html`<section class="card" id="app-${a.id}" aria-labelledby="app-${a.id}-h"><h2 id="app-${a.id}-h">${a.id} <span class="muted">${a.type}</span> ${badge(`h-${a.health}`, a.health.replace('_', ' '))}</h2>
<dl class="facts"><dt>API</dt><dd>${a.baseUrl}</dd><dt>Last sync</dt><dd>${when(a.lastSync?.finishedAt ?? a.lastSync?.startedAt)} ${a.lastSync ? badge(`st-${a.lastSync.status}`, a.lastSync.status) : ''}</dd>
${a.lastSync?.error ? html`<dt>Error</dt><dd>${a.lastSync.error}</dd>` : ''}
<dt>Last success</dt><dd>${when(a.lastSuccess?.finishedAt)}</dd><dt>Next run</dt><dd>${a.nextSyncAt ? when(a.nextSyncAt) : 'no schedule'}</dd>
<dt>Incremental sync</dt><dd>${yes(m?.incremental)}</dd></dl>
${operate ? html`<form method="post" action="/console/syncs" class="actions">${csrfField(viewer)}<input type="hidden" name="app" value="${a.id}"><button type="submit" class="secondary">Sync ${a.id} now</button></form>` : ''}
<h3>Recent syncs</h3>
<p class="muted">What each run saw, and what it cost upstream: requests, retries, and the rate limits (429) and errors the app answered with.</p>
${table({
  head: ['Started', 'Mode', 'Result', 'Saw', 'Requests'],
  rows: (history.get(a.id) ?? []).map((r) => [
    when(r.startedAt),
    r.mode,
    html`${badge(`st-${r.status}`, r.status)}${r.error ? html`<br><span class="muted">${r.error}</span>` : ''}`,
    facts(r.counts),
    facts(r.requests),
  ]),
  empty: 'Never synced: press “Sync now”.',
})}
<h3>Accounts</h3>
${table({ head: Object.keys(m?.accounts ?? {}), rows: [Object.values(m?.accounts ?? {}).map(yes)], empty: 'No account capabilities.' })}
<h3>Entitlements</h3>
${table({
  head: ['Kind', 'list', 'grant', 'revoke'],
  rows: Object.entries(m?.entitlements ?? {}).map(([kind, caps]) => [
    kind,
    yes(caps?.list),
    yes(caps?.grant),
    yes(caps?.revoke),
  ]),
  empty: 'This app has no roles, groups or teams Roster reads.',
})}
${notes.length > 0 ? html`<h3>Why some are missing</h3><ul>${notes.map(([cap, why]) => html`<li><strong>${cap}</strong>: ${why}</li>`)}</ul>` : ''}
</section>`;
})}`;
      return routes.render(viewer, 'Apps', '/console/apps', body);
    });

    routes.action('/console/syncs', 'operate', async (_request, form, viewer) => {
      const wanted = fields(form, 'app');
      const known = new Set(ctx.config.apps.map((a) => a.id));
      const unknown = wanted.filter((id) => !known.has(id));
      if (wanted.length === 0 || unknown.length > 0) {
        throw new RosterError(
          'invalid_input',
          unknown.length > 0 ? `no app "${unknown[0]}" in roster.yaml` : 'no app was chosen',
          {
            where: 'app',
            fix: `use one of: ${[...known].join(', ')}`,
          },
        );
      }
      if (field(form, 'people') === 'yes') {
        // The scheduler's people job shares the key: one import at a time, whoever starts it. Apps sync after it,
        // so the findings compare them with the HR export just read.
        const { promise } = ctx.jobs.start<ImportResult>('people', () =>
          asActor(ctx, viewer.name, (roster) => importPeople(roster)),
        );
        await promise;
        ctx.findings.invalidate();
      }
      for (const id of wanted) await startSync(ctx, id, viewer.name, false);
      return '/console/apps';
    });
  },
};

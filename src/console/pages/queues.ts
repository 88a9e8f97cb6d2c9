/** @module Queues (cluster mode only): depth and oldest wait per queue, the dead letters, and retrying one. */

import type { ClusterQueues } from '../../cluster/queue.js';
import { type ConsolePage, field } from '../console.js';
import { html } from '../html.js';
import { badge, csrfField, table, when } from '../layout.js';

/** "3.2 s", "4 min", "2 h": how long the oldest job has waited. */
function age(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export const queuesPage: ConsolePage = {
  nav: { href: '/console/queues', label: 'Queues', order: 75 },
  available: (ctx) => ctx.cluster !== null,
  register(routes) {
    const cluster = routes.ctx.cluster as ClusterQueues;
    routes.page('/console/queues', 'read', async (_request, viewer) => {
      const [stats, dead] = await Promise.all([cluster.stats(), cluster.deadLetters(100)]);
      const operate = viewer.can('operate');
      const body = html`<h1>Queues</h1>
<p class="muted">The workers' queues: one per app (its syncs and op applies) and one for control jobs (apply starts, plan finalizations).</p>
${table({
  head: ['Queue', 'App', 'Waiting', 'Oldest waiting', 'Running', 'Delayed', 'Failed', 'Completed'],
  rows: stats.map((q) => [
    q.queue,
    q.appId ?? '—',
    String(q.waiting),
    age(q.oldestWaitingMs),
    String(q.active),
    String(q.delayed),
    q.failed > 0 ? badge('st-failed', String(q.failed)) : '0',
    String(q.completed),
  ]),
  empty: 'No queues.',
})}
<h2>Dead letters</h2>
<p class="muted">Jobs out of attempts, newest first. Retrying one sends it back to its queue for another round; an op's claim and recorded intent keep a retried op from running twice.</p>
${table({
  head: ['Failed', 'Queue', 'Job', 'Attempts', 'Reason', ...(operate ? [''] : [])],
  rows: dead.map((d) => [
    when(d.failedAt),
    d.queue,
    html`${d.name} <span class="muted">${d.id}</span>`,
    String(d.attempts),
    d.failedReason,
    ...(operate
      ? [
          html`<form method="post" action="/console/queues/retry">${csrfField(viewer)}<input type="hidden" name="queue" value="${d.queue}"><input type="hidden" name="id" value="${d.id}"><button type="submit" class="secondary">Retry</button></form>`,
        ]
      : []),
  ]),
  empty: 'No dead letters.',
})}`;
      return routes.render(viewer, 'Queues', '/console/queues', body);
    });

    routes.action('/console/queues/retry', 'operate', async (_request, form) => {
      // An unknown or no longer failed job is the retry's own not_found, shown on the error page.
      await cluster.retry(field(form, 'queue') ?? '', field(form, 'id') ?? '');
      return '/console/queues';
    });
  },
};

/** @module Plans: the list, a plan as a readable diff (by app and person, reason, risk, approvals, safety banner), approve, apply, cancel, and live apply progress over server-sent events. */

import { approve, cancelPlan, pagePlans, planChanges, showPlan } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import type { PlanOp } from '../../reconcile/diff.js';
import type { PlanBody } from '../../reconcile/plan.js';
import { describeOp, markOf } from '../../reconcile/render.js';
import { applyErrorOf, applyJobKey, startApply } from '../../server/background.js';
import type { ServerContext } from '../../server/context.js';
import { asActor } from '../../server/core.js';
import { announcePlan } from '../../server/notify.js';
import type { OpRecord, PlanRecord } from '../../store/store.js';
import { type ConsolePage, field } from '../console.js';
import { html, query } from '../html.js';
import { badge, csrfField, table, when } from '../layout.js';

/** How often a live view reads the ops again while an apply runs. */
const PROGRESS_EVERY_MS = 250;
/** About a minute of a plan doing nothing before the stream ends (the browser reconnects if it stays). */
const IDLE_POLLS = 240;
const FINAL = new Set(['applied', 'tasks_open', 'failed', 'cancelled']);
/** Plans on one page of the list; older ones are a link away, however many there are. */
const PLANS_PAGE = 100;

async function planOf(ctx: ServerContext, actor: string, id: string) {
  const shown = await asActor(ctx, actor, (roster) => showPlan(roster, id));
  // Full ids only: a part of one is a CLI convenience, not a shareable address.
  if (shown.plan.id !== id)
    throw new RosterError('not_found', `plan ${id} not found`, { fix: 'the Plans page lists them' });
  return shown;
}

const opEvent = (o: OpRecord) => ({
  seq: o.seq,
  appId: o.appId,
  kind: o.kind,
  status: o.status,
  error: o.error,
});
const planEvent = (ctx: ServerContext, p: PlanRecord) => ({
  id: p.id,
  status: p.status,
  applying: ctx.jobs.isRunning(applyJobKey(p.id)),
  error: applyErrorOf(ctx, p.id),
});

export const plansPage: ConsolePage = {
  nav: { href: '/console/plans', label: 'Plans', order: 40 },
  register(routes) {
    const { ctx } = routes;

    routes.page('/console/plans', 'read', async (request, viewer) => {
      const q = request.query as Record<string, string | undefined>;
      const facade = q.facade === '1';
      const cursor = q.cursor || undefined;
      const listed = await asActor(ctx, viewer.name, (roster) =>
        pagePlans(roster, { limit: PLANS_PAGE, facade, ...(cursor ? { cursor } : {}) }),
      );
      const { items: plans, nextCursor, total } = listed;
      const listing = (next?: string) =>
        `/console/plans${query({ facade: facade ? 1 : undefined, cursor: next })}`;
      const body = html`<h1>Plans</h1>
<p class="muted">${
        facade
          ? html`The SCIM facade's plans, one per IdP write, newest first (${total} in all). <a href="/console/plans">Plans made from the policy</a>`
          : html`Plans made from the policy, newest first (${total} in all). <a href="/console/plans?facade=1">The SCIM facade's plans</a> (one per IdP write) are listed apart.`
      }</p>
${
  viewer.can('operate')
    ? html`<form method="post" action="/console/plans/new" class="actions">${csrfField(viewer)}<button type="submit">Plan all changes now</button>
<span class="muted">Or select findings on the <a href="/console/findings">Findings</a> page to plan fixes for them only.</span></form>`
    : ''
}
${table({
  head: ['Plan', 'Created', 'Asked by', 'Status', 'Ops', 'Approvals'],
  rows: plans.map((p) => [
    html`<a href="/console/plans/${p.id}">${shortId(p.id)}</a>`,
    when(p.createdAt),
    String((p.body as Partial<PlanBody>).requestedBy ?? '—'),
    html`${badge(`st-${p.status}`, p.status)}${p.summary.blocked ? html` ${badge('sev-high', 'blocked')}` : ''}`,
    String(p.summary.total ?? 0),
    String(p.summary.approvals ?? 0),
  ]),
  empty: facade
    ? 'No IdP write through the SCIM facade yet.'
    : 'No plans yet: plan the changes (the button above), or select findings to fix.',
})}
${
  cursor || nextCursor
    ? html`<nav class="pager" aria-label="Pages">
${cursor ? html`<a href="${listing()}">Newest plans</a>` : ''}
${nextCursor ? html`<a href="${listing(nextCursor)}" rel="next">Older plans</a>` : ''}
</nav>`
    : ''
}`;
      return routes.render(viewer, 'Plans', '/console/plans', body);
    });

    routes.page('/console/plans/:id', 'read', async (request, viewer) => {
      const { id } = request.params as { id: string };
      const { plan, body: planBody, ops } = await planOf(ctx, viewer.name, id);
      const applying = ctx.jobs.isRunning(applyJobKey(plan.id));
      const applyError = applyErrorOf(ctx, plan.id);
      const bySeq = new Map(ops.map((o) => [o.seq, o]));
      const waiting = ops.filter((o) => o.requiresApproval && o.status === 'pending');
      const open = !FINAL.has(plan.status) || plan.status === 'failed';
      // Ops in plan order are seq 1..n: group them by app, then by person, as `roster plan` prints them.
      const groups = new Map<string, Map<string, { op: PlanOp; record: OpRecord | undefined }[]>>();
      planBody.ops.forEach((op, index) => {
        const app = groups.get(op.appId) ?? new Map();
        const who = op.person ? `${op.person.name} <${op.person.email}>` : 'accounts nobody in HR owns';
        const list = app.get(who) ?? [];
        list.push({ op, record: bySeq.get(index + 1) });
        app.set(who, list);
        groups.set(op.appId, app);
      });
      const opRow = ({
        op,
        record,
      }: {
        op: PlanOp;
        record: OpRecord | undefined;
      }) => html`<tr id="op-${record?.seq ?? ''}">
<td>${record?.seq ?? ''}</td><td><code aria-hidden="true">${markOf(op)}</code> ${describeOp(op)}</td><td>${op.reason.text}</td>
<td>${badge(`risk-${op.risk}`, op.risk)}</td>
<td>${op.requiresApproval ? (record?.approvedBy ? html`approved by ${record.approvedBy}` : html`<strong>needed</strong>: ${op.approvalReasons.join('; ')}`) : html`<span class="muted">not needed</span>`}</td>
<td><span class="badge st-${record?.status ?? 'pending'}" data-op-status="${record?.seq ?? ''}">${record?.status ?? 'pending'}</span>${record?.error ? html`<br><span class="muted">${record.error}</span>` : ''}</td></tr>`;

      const body = html`<p><a href="/console/plans">Plans</a> ›</p>
<h1>Plan ${shortId(plan.id)}</h1>
<dl class="facts"><dt>Status</dt><dd><span data-plan-status data-applying="${applying ? 'true' : 'false'}">${plan.status}${applying ? ' (applying…)' : ''}</span></dd>
<dt>Asked by</dt><dd>${planBody.requestedBy ?? '—'}</dd><dt>Created</dt><dd>${when(plan.createdAt)}</dd>
<dt>Apps</dt><dd>${planBody.apps.join(', ') || '—'}</dd>
${planBody.person ? html`<dt>Only</dt><dd>${planBody.person.email}</dd>` : ''}
${planBody.findings ? html`<dt>Fixes</dt><dd>${planBody.findings.length} selected finding(s)</dd>` : ''}
<dt>Id</dt><dd><code>${plan.id}</code></dd></dl>
${
  planBody.blocked
    ? html`<div class="banner bad" role="alert"><strong>Safety limit: this plan is blocked.</strong>
<ul>${planBody.blocked.reasons.map((b) => html`<li>${b.message}</li>`)}</ul>
<p>Check the HR import and the last syncs. Applying it anyway needs an admin and <code>${planBody.blocked.override.flag}</code> on the CLI.</p></div>`
    : ''
}
${planBody.errors.map((e) => html`<div class="banner bad" role="alert">${e.appId}: ${e.message}</div>`)}
${(planBody.skipped ?? []).map((s) => html`<div class="banner warn" role="status">${s.appId} is left out: ${s.reason}. ${s.fix}.</div>`)}
${planBody.warnings.map((w) => html`<div class="banner warn" role="status">${w}</div>`)}
${applyError ? html`<div class="banner bad" role="alert">The last apply stopped: ${applyError}</div>` : ''}
${waiting.length > 0 ? html`<div class="banner warn" role="status"><strong>${waiting.length} op(s) wait for an approval</strong>${ctx.config.policy?.safety.fourEyes ? ' — four eyes: someone other than who asked for the plan must approve.' : '.'}</div>` : ''}
<div class="actions">
${
  open && waiting.length > 0 && viewer.can('approve')
    ? html`<form method="post" action="/console/plans/${plan.id}/approve">${csrfField(viewer)}<button type="submit">Approve ${waiting.length} op(s)</button></form>`
    : ''
}
${
  open && viewer.can('operate') && ops.length > 0 && !applying
    ? html`<form method="post" action="/console/plans/${plan.id}/apply">${csrfField(viewer)}<button type="submit">Apply</button></form>
<form method="post" action="/console/plans/${plan.id}/cancel">${csrfField(viewer)}<button type="submit" class="secondary">Cancel plan</button></form>`
    : ''
}</div>
<section aria-labelledby="progress-h" data-events="/console/plans/${plan.id}/events"><h2 id="progress-h">Progress</h2>
<ol data-progress-log aria-live="polite"></ol></section>
<section aria-labelledby="ops-h"><h2 id="ops-h">Changes (${planBody.ops.length})</h2>
${
  planBody.ops.length === 0
    ? html`<p class="empty">Nothing to change: the apps hold what the policy says${planBody.findings ? ' for the selected findings (a person may need to decide them: link or unlink on the person page)' : ''}.</p>`
    : [...groups.entries()].map(
        ([appId, people]) =>
          html`<h3>${appId}</h3>${[...people.entries()].map(
            ([who, rows]) => html`<h4>${who}</h4><div class="table-wrap"><table>
<thead><tr><th scope="col">#</th><th scope="col">Change</th><th scope="col">Why</th><th scope="col">Risk</th><th scope="col">Approval</th><th scope="col">Status</th></tr></thead>
<tbody>${rows.map(opRow)}</tbody></table></div>`,
          )}`,
      )
}</section>`;
      return routes.render(viewer, `Plan ${shortId(plan.id)}`, '/console/plans', body);
    });

    routes.page('/console/plans/:id/events', 'read', async (request, viewer, reply) => {
      const { id } = request.params as { id: string };
      await planOf(ctx, viewer.name, id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let closed = false;
      request.raw.on('close', () => {
        closed = true;
      });
      const seen = new Map<number, string>();
      // Streams each op whose status moved, until the apply ends (or the browser leaves); then says how it ended.
      try {
        for (let idle = 0; !closed; ) {
          const plan = await ctx.store.getPlan({ id });
          if (!plan) break;
          for (const op of await ctx.store.listOps({ planId: id })) {
            const key = `${op.status}|${op.error ?? ''}`;
            if (seen.get(op.seq) !== key) {
              seen.set(op.seq, key);
              send('op', opEvent(op));
            }
          }
          const state = planEvent(ctx, plan);
          send('plan', state);
          if (!state.applying && plan.status !== 'applying') {
            if (FINAL.has(plan.status)) {
              send('end', state);
              break;
            }
            // A page opened before Apply was pressed listens a while for an apply to start.
            if (++idle > IDLE_POLLS) break;
          } else idle = 0;
          await new Promise((r) => setTimeout(r, PROGRESS_EVERY_MS));
        }
      } finally {
        res.end();
      }
      return undefined;
    });

    routes.action('/console/plans/new', 'operate', async (_request, _form, viewer) => {
      const planned = await asActor(ctx, viewer.name, (roster) => planChanges(roster, {}));
      await announcePlan(ctx.notifier, ctx.store, planned.plan.id);
      return `/console/plans/${planned.plan.id}`;
    });

    routes.action('/console/plans/:id/approve', 'approve', async (request, _form, viewer) => {
      const { id } = request.params as { id: string };
      await planOf(ctx, viewer.name, id);
      await asActor(ctx, viewer.name, (roster) => approve(roster, { plan: id }));
      return `/console/plans/${id}`;
    });

    routes.action('/console/plans/:id/apply', 'operate', async (request, form, viewer) => {
      const { id } = request.params as { id: string };
      const { plan } = await planOf(ctx, viewer.name, id);
      if (plan.status === 'cancelled' || plan.status === 'applied') {
        throw new RosterError('conflict', `plan ${plan.id} is ${plan.status}`, {
          fix: plan.status === 'applied' ? 'make a new plan' : undefined,
        });
      }
      await startApply(
        ctx,
        plan.id,
        viewer.name,
        field(form, 'overrideSafety') === 'yes' && viewer.can('admin'),
      );
      return `/console/plans/${id}`;
    });

    routes.action('/console/plans/:id/cancel', 'operate', async (request, _form, viewer) => {
      const { id } = request.params as { id: string };
      if (ctx.jobs.isRunning(applyJobKey(id)))
        throw new RosterError('conflict', `plan ${id} is being applied now`);
      await planOf(ctx, viewer.name, id);
      await asActor(ctx, viewer.name, (roster) => cancelPlan(roster, id));
      return `/console/plans/${id}`;
    });
  },
};

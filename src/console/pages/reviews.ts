/**
 * @module Access reviews in the console: the campaigns, and a reviewer working through their items (keep, revoke
 * or change, with a comment). A reviewer's session sees only its own items; everyone else sees every item.
 */

import { decideItem, listReviews, type ReviewItemView, showReview } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { asActor } from '../../server/core.js';
import { REVIEW_DECISIONS, type ReviewDecision } from '../../store/reviews.js';
import { type ConsolePage, field, REVIEWER_HOME } from '../console.js';
import { html } from '../html.js';
import { badge, csrfField, table, when } from '../layout.js';

const reviewer = { reviewer: true } as const;

function decisionOf(value: string | undefined): ReviewDecision {
  if ((REVIEW_DECISIONS as readonly string[]).includes(value ?? '')) return value as ReviewDecision;
  throw new RosterError('invalid_input', `"${value ?? ''}" is not a decision`, {
    where: 'decision',
    fix: `choose one of: ${REVIEW_DECISIONS.join(', ')}`,
  });
}

function what(item: ReviewItemView): string {
  const { entitlement } = item.subject;
  return entitlement ? `${entitlement.kind} ${entitlement.name}` : 'the account';
}

export const reviewsPage: ConsolePage = {
  nav: { href: REVIEWER_HOME, label: 'Reviews', order: 55, reviewer: true },
  register(routes) {
    const { ctx } = routes;

    routes.page(
      REVIEWER_HOME,
      'read',
      async (_request, viewer) => {
        const reviews = await asActor(ctx, viewer.name, (roster) =>
          listReviews(roster, { reviewer: viewer.person }),
        );
        const body = html`<h1>Access reviews</h1>
<p>${viewer.person ? `The campaigns with access for you (${viewer.person}) to review.` : 'Every campaign; `roster review start` or POST /reviews starts one.'}</p>
${table({
  head: ['Campaign', 'Status', 'Due', viewer.person ? 'Yours decided' : 'Decided', 'Revocations verified'],
  rows: reviews.map(({ review, progress }) => [
    html`<a href="${REVIEWER_HOME}/${review.id}">${review.name}</a>`,
    badge(review.status === 'open' ? 'st-pending' : 'st-succeeded', review.status),
    when(review.dueAt),
    `${progress.decided} of ${progress.total}${progress.overdue > 0 ? ` (${progress.overdue} overdue)` : ''}`,
    `${progress.verified} of ${progress.planned}`,
  ]),
  empty: viewer.person ? 'Nothing waits for your review.' : 'No campaigns yet.',
})}`;
        return routes.render(viewer, 'Access reviews', REVIEWER_HOME, body);
      },
      reviewer,
    );

    routes.page(
      `${REVIEWER_HOME}/:id`,
      'read',
      async (request, viewer) => {
        const { id } = request.params as { id: string };
        const { review, items, progress } = await asActor(ctx, viewer.name, (roster) =>
          showReview(roster, id, { reviewer: viewer.person }),
        );
        const open = review.status === 'open';
        const item = (i: ReviewItemView) => {
          const person = i.subject.person;
          const mine = viewer.person !== null && i.reviewer === viewer.person;
          const heading = `${i.seq}. ${person ? person.name : i.subject.accountEmail} — ${what(i)} in ${i.appId}`;
          return html`<section class="card" id="item-${i.seq}" aria-labelledby="item-${i.seq}-h">
<h2 id="item-${i.seq}-h">${heading} ${i.decision ? badge(i.decision === 'keep' ? 'st-succeeded' : 'st-failed', i.decision) : badge('st-pending', 'undecided')}</h2>
<p>${i.subject.accountEmail} (${i.subject.accountStatus})${i.subject.privileged ? html` · ${badge('sev-high', 'privileged')}` : ''}${person ? ` · HR: ${person.email}` : ' · no person in HR'}${i.subject.lastActivity ? html` · last active ${when(i.subject.lastActivity)}` : ''}</p>
${i.subject.findings.length > 0 ? html`<p>Findings: ${i.subject.findings.join(', ')}</p>` : ''}
${i.subject.suggestion ? html`<p class="muted">Suggested: <strong>${i.subject.suggestion.decision}</strong> — ${i.subject.suggestion.why}</p>` : ''}
<p class="muted">Reviewer: ${i.reviewer}${i.decidedBy ? html` · decided by ${i.decidedBy} ${when(i.decidedAt)}` : ''}${i.comment ? ` · “${i.comment}”` : ''}${i.op ? ` · ${i.op.kind}: ${i.op.status}` : ''}</p>
${
  open && mine && i.decision === null
    ? html`<form method="post" action="${REVIEWER_HOME}/${review.id}/items/${i.seq}">${csrfField(viewer)}
<fieldset><legend>Should they keep ${what(i)}?</legend>
<label><input type="radio" name="decision" value="keep" required> Keep</label>
<label><input type="radio" name="decision" value="revoke"> Revoke</label></fieldset>
<label for="comment-${i.seq}">Comment (kept as evidence)</label><textarea id="comment-${i.seq}" name="comment"></textarea>
<p><button type="submit">Record decision</button></p></form>`
    : ''
}</section>`;
        };
        const body = html`<h1>${review.name}</h1>
<p>${badge(open ? 'st-pending' : 'st-succeeded', review.status)} · due ${when(review.dueAt)} · ${progress.decided} of ${progress.total} decided · ${progress.revoke} revoke, ${progress.keep} keep, ${progress.change} change</p>
${items.length === 0 ? html`<p class="empty">${viewer.person ? 'No items of this campaign are yours to review.' : 'This campaign has no items.'}</p>` : items.map(item)}`;
        return routes.render(viewer, review.name, REVIEWER_HOME, body);
      },
      reviewer,
    );

    routes.action(
      `${REVIEWER_HOME}/:id/items/:seq`,
      'read',
      async (request, form, viewer) => {
        const { id, seq } = request.params as { id: string; seq: string };
        if (viewer.person === null) {
          throw new RosterError('forbidden', 'only a reviewer decides an item, as themself', {
            fix: "sign in with the reviewer's token (roster tokens create --person <email>)",
          });
        }
        const as = viewer.person;
        await asActor(ctx, viewer.name, (roster) =>
          decideItem(roster, {
            review: id,
            seq: Number(seq),
            as,
            decision: decisionOf(field(form, 'decision')),
            comment: field(form, 'comment')?.trim() || undefined,
          }),
        );
        return `${REVIEWER_HOME}/${id}#item-${seq}`;
      },
      reviewer,
    );
  },
};

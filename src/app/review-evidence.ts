/** @module reviewEvidence: gathers a campaign's evidence — items, decisions, the ops that carried them out, their audit events and the chain's check. */

import type { Evidence, EvidenceRow } from '../reviews/evidence.js';
import type { AuditEvent } from '../store/store.js';
import type { Roster } from './context.js';
import { showReview } from './reviews.js';

export async function reviewEvidence(roster: Roster, id: string): Promise<Evidence> {
  const { review, items } = await showReview(roster, id);
  const planIds = new Set(review.planIds);
  const subjects = new Set([review.id, ...review.planIds]);
  const audit: AuditEvent[] = [];
  // The chain is read whole: the campaign's events and its plans' (ops carry planId in their data).
  for (let after = 0; ; ) {
    const page = await roster.store.listAudit({ afterSeq: after, limit: 1000 });
    for (const event of page) {
      const planId = typeof event.data.planId === 'string' ? event.data.planId : null;
      const mine =
        (event.subject !== null &&
          (subjects.has(event.subject) || event.subject.startsWith(`${review.id}#`))) ||
        (planId !== null && planIds.has(planId));
      if (mine) audit.push(event);
    }
    const last = page[page.length - 1];
    if (!last || page.length < 1000) break;
    after = last.seq;
  }
  const outcomeOf = (planId: string, seq: number) =>
    audit
      .filter(
        (a) =>
          a.kind.startsWith('op.') &&
          a.kind !== 'op.intent' &&
          a.data.planId === planId &&
          a.data.seq === seq,
      )
      .pop();
  const rows: EvidenceRow[] = items.map((item) => {
    const outcome =
      item.planId !== null && item.opSeq !== null ? outcomeOf(item.planId, item.opSeq) : undefined;
    const e = item.subject.entitlement;
    return {
      item: item.seq,
      app: item.appId,
      account: item.accountId,
      accountEmail: item.subject.accountEmail,
      entitlement: e ? `${e.kind}: ${e.name}` : '',
      privileged: item.subject.privileged,
      person: item.subject.person?.name ?? '',
      personEmail: item.subject.person?.email ?? '',
      findings: item.subject.findings.join(' '),
      suggested: item.subject.suggestion
        ? `${item.subject.suggestion.decision} (${item.subject.suggestion.why})`
        : '',
      reviewer: item.reviewer,
      reviewerReason: item.reviewerReason,
      moves: item.history.map((m) => `${m.reason} ${m.from} → ${m.to} by ${m.by} at ${m.at}`).join('; '),
      decision: item.decision ?? 'not reviewed',
      changeTo: item.changeTo ?? '',
      comment: item.comment ?? '',
      decidedBy: item.decidedBy ?? '',
      decidedAt: item.decidedAt ?? '',
      planId: item.planId ?? '',
      op: item.op?.kind ?? '',
      opStatus: item.op?.status ?? (item.planId && item.opSeq === null ? 'nothing left to revoke' : ''),
      approvedBy: item.op?.approvedBy ?? '',
      carriedOutAt: item.op?.finishedAt ?? '',
      auditSeq: outcome ? String(outcome.seq) : '',
      auditHash: outcome?.hash ?? '',
      verifiedAt: item.verifiedAt ?? '',
      verifiedBySync: item.verifiedBy ?? '',
    };
  });
  return {
    review,
    generatedAt: roster.now().toISOString(),
    generatedBy: roster.actor,
    rows,
    audit,
    chain: await roster.store.verifyAudit(),
  };
}

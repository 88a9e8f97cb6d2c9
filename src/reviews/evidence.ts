/** @module The auditor's evidence of a campaign: one row per item (who reviewed what, when, the decision, the proof) as CSV and a printable HTML page. */

import { stringify } from 'csv-stringify/sync';
import { escapeHtml as escapeText } from '../core/html.js';
import type { ReviewRecord } from '../store/reviews.js';
import type { AuditEvent, AuditVerification } from '../store/store.js';

export interface EvidenceRow {
  item: number;
  app: string;
  account: string;
  accountEmail: string;
  entitlement: string;
  privileged: boolean;
  person: string;
  personEmail: string;
  findings: string;
  suggested: string;
  reviewer: string;
  reviewerReason: string;
  /** Delegations, reassignments and escalations, oldest first. */
  moves: string;
  /** keep / revoke / change, or `not reviewed`. */
  decision: string;
  changeTo: string;
  comment: string;
  decidedBy: string;
  decidedAt: string;
  planId: string;
  op: string;
  opStatus: string;
  approvedBy: string;
  carriedOutAt: string;
  /** The audit event that records the op's outcome: its sequence number and chained hash. */
  auditSeq: string;
  auditHash: string;
  verifiedAt: string;
  verifiedBySync: string;
}

export interface Evidence {
  review: ReviewRecord;
  generatedAt: string;
  generatedBy: string;
  rows: EvidenceRow[];
  /** The campaign's own audit events and its ops', in chain order. */
  audit: AuditEvent[];
  chain: AuditVerification;
}

export const EVIDENCE_COLUMNS: readonly (keyof EvidenceRow)[] = [
  'item',
  'app',
  'account',
  'accountEmail',
  'entitlement',
  'privileged',
  'person',
  'personEmail',
  'findings',
  'suggested',
  'reviewer',
  'reviewerReason',
  'moves',
  'decision',
  'changeTo',
  'comment',
  'decidedBy',
  'decidedAt',
  'planId',
  'op',
  'opStatus',
  'approvedBy',
  'carriedOutAt',
  'auditSeq',
  'auditHash',
  'verifiedAt',
  'verifiedBySync',
];

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const cell = (value: string | number | boolean) =>
  typeof value === 'boolean' ? (value ? 'yes' : 'no') : value;

/**
 * RFC 4180 (CRLF) through csv-stringify, formulas defused: names and comments come from apps and people, and a
 * spreadsheet must not run them.
 */
export function evidenceCsv(evidence: Evidence): string {
  return stringify(
    [EVIDENCE_COLUMNS.map(snake), ...evidence.rows.map((row) => EVIDENCE_COLUMNS.map((c) => cell(row[c])))],
    { record_delimiter: 'windows', escape_formulas: true },
  );
}

const escapeHtml = (value: unknown): string => escapeText(String(value));

const STYLE = `
body{font:13px/1.4 system-ui,sans-serif;margin:24px;color:#111}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#eee}.ok{color:#060}.bad{color:#a00}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:600}code{font-size:11px;word-break:break-all}
@media print{body{margin:0}tr{break-inside:avoid}}`;

/** A self-contained page (no script, no outside resource) an auditor prints to PDF from the browser. */
export function evidenceHtml(evidence: Evidence): string {
  const { review, rows, chain } = evidence;
  const e = escapeHtml;
  const table = (headers: string[], body: string[][]) =>
    `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${body
      .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const decided = rows.filter((r) => r.decision !== 'not reviewed').length;
  const verified = rows.filter((r) => r.verifiedAt !== '').length;
  const revocations = rows.filter((r) => r.decision === 'revoke' || r.decision === 'change').length;
  const chainLine = chain.ok
    ? `<span class="ok">intact: ${chain.count} events verified</span>`
    : `<span class="bad">BROKEN at event ${chain.brokenAt}: ${e(chain.reason)}</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(review.name)} — access review evidence</title>
<style>${STYLE}</style></head><body>
<h1>${e(review.name)}</h1>
<p>Access review evidence generated ${e(evidence.generatedAt)} by ${e(evidence.generatedBy)}.</p>
<dl>
<dt>Campaign</dt><dd><code>${e(review.id)}</code></dd>
<dt>Scope</dt><dd>${e(review.scope.select)} access in ${e(review.scope.apps.join(', '))}</dd>
<dt>Reviewers</dt><dd>${e(review.rule.order.join(', then '))}; fallback ${e(review.rule.fallback)}</dd>
<dt>Started</dt><dd>${e(review.createdAt)} by ${e(review.createdBy)}</dd>
<dt>Due</dt><dd>${e(review.dueAt)}</dd>
<dt>Closed</dt><dd>${review.closedAt ? `${e(review.closedAt)} by ${e(review.closedBy ?? '')}` : 'open'}</dd>
<dt>Decided</dt><dd>${decided} of ${rows.length} items</dd>
<dt>Revocations</dt><dd>${revocations} decided, ${verified} verified by a later sync</dd>
<dt>Plans</dt><dd>${review.planIds.map((p) => `<code>${e(p)}</code>`).join(', ') || 'none'}</dd>
<dt>Audit chain</dt><dd>${chainLine}</dd>
</dl>
<h2>Items</h2>
${table(
  [
    '#',
    'App',
    'Account',
    'Access',
    'Person',
    'Findings',
    'Reviewer',
    'Decision',
    'Comment',
    'Decided',
    'Carried out',
    'Verified',
  ],
  rows.map((r) => [
    e(r.item),
    e(r.app),
    e(r.accountEmail || r.account),
    `${e(r.entitlement || 'account')}${r.privileged ? ' <b>(privileged)</b>' : ''}`,
    e(r.personEmail || '(nobody in HR)'),
    e(r.findings) + (r.suggested ? `<br><i>suggested: ${e(r.suggested)}</i>` : ''),
    `${e(r.reviewer)}<br><small>${e(r.reviewerReason)}${r.moves ? `; ${e(r.moves)}` : ''}</small>`,
    `${e(r.decision)}${r.changeTo ? ` → ${e(r.changeTo)}` : ''}`,
    e(r.comment),
    `${e(r.decidedBy)}<br><small>${e(r.decidedAt)}</small>`,
    r.op
      ? `${e(r.op)} ${e(r.opStatus)}${r.approvedBy ? `<br><small>approved by ${e(r.approvedBy)}</small>` : ''}${
          r.carriedOutAt ? `<br><small>${e(r.carriedOutAt)}</small>` : ''
        }${r.auditSeq ? `<br><small>audit #${e(r.auditSeq)} <code>${e(r.auditHash.slice(0, 16))}</code></small>` : ''}`
      : '',
    r.verifiedAt
      ? `<span class="ok">${e(r.verifiedAt)}</span><br><small>sync ${e(r.verifiedBySync)}</small>`
      : '',
  ]),
)}
<h2>Audit trail</h2>
${table(
  ['Seq', 'At', 'Actor', 'Event', 'Subject', 'Hash'],
  evidence.audit.map((a) => [
    e(a.seq),
    e(a.at),
    e(a.actor),
    e(a.kind),
    e(a.subject ?? ''),
    `<code>${e(a.hash)}</code>`,
  ]),
)}
</body></html>
`;
}

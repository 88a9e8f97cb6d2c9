/** @module How the CLI shows what the use cases return: the tables and lines more than one command prints. */

import type { AppSyncResult } from '../app/index.js';
import type { Connector } from '../connectors/sdk/types.js';
import { compareSeverity, type Finding, type GraphSummary, SITUATIONS } from '../identity/index.js';
import type { ApplyResult, OpReport } from '../reconcile/apply/index.js';
import type { ImportResult } from '../sources/import.js';
import { summarizeRowErrors } from '../sources/people.js';
import type { Output } from './output.js';

/** How many skipped rows and warnings are listed before "and N more". */
const LISTED = 20;

export function printImport(out: Output, result: ImportResult): void {
  const c = result.counts;
  if (result.status === 'unchanged') {
    out.line(
      `${result.file} is unchanged since the last import: ${c.people} people, nothing to do` +
        (c.warnings > 0 && result.warnings.length === 0
          ? ` (it had ${c.warnings} ${c.warnings === 1 ? 'warning' : 'warnings'} then).`
          : '.'),
    );
  } else {
    out.line(
      `Imported ${result.file}: ${c.people} people (${c.active} active, ${c.leaver} leavers, ` +
        `${c.on_leave} on leave, ${c.pending} pending)` +
        (c.dropped > 0 ? `; ${c.dropped} of ${c.previousActive} previously active no longer active` : ''),
    );
  }
  if (result.errors.length > 0) {
    out.line(
      `${c.skipped} invalid ${c.skipped === 1 ? 'row' : 'rows'} skipped` +
        (c.carried > 0 ? ` (${c.carried} of them known people, kept as last imported)` : '') +
        ':',
    );
    listLines(out, summarizeRowErrors(result.errors, Number.POSITIVE_INFINITY));
  }
  if (result.warnings.length > 0) {
    out.line(`${result.warnings.length} ${result.warnings.length === 1 ? 'warning' : 'warnings'}:`);
    listLines(out, summarizeRowErrors(result.warnings, Number.POSITIVE_INFINITY));
  }
  if (result.unusedColumns.length > 0) {
    out.line(`Columns Roster does not read (kept as attributes): ${result.unusedColumns.join(', ')}.`);
  }
}

function listLines(out: Output, lines: string[]): void {
  for (const line of lines.slice(0, LISTED)) out.line(`  ${line}`);
  if (lines.length > LISTED) out.line(`  and ${lines.length - LISTED} more (--json lists them all)`);
}

export function printSyncResults(out: Output, results: readonly AppSyncResult[]): void {
  out.line();
  out.table([
    ['app', 'status', 'mode', 'accounts', 'entitlements', 'grants', 'requests', 'retries', '429s', 'time'],
    ...results.map((r) => [
      r.appId,
      r.status !== 'succeeded'
        ? 'FAILED'
        : r.resumed
          ? 'ok (resumed)'
          : r.startedOver
            ? 'ok (started over)'
            : 'ok',
      r.mode,
      String(r.counts.accounts),
      String(r.counts.entitlements),
      String(r.counts.grants),
      String(r.requests.total),
      String(r.requests.retries),
      String(r.requests.rateLimited),
      `${(r.durationMs / 1000).toFixed(1)}s`,
    ]),
  ]);
  for (const r of results) {
    if (r.startedOver) {
      const { stagedAgeMinutes, limitMinutes } = r.startedOver;
      out.line(
        `\n${r.appId}: an interrupted sync's pages were ${stagedAgeMinutes} minutes old (limit ${limitMinutes}); read everything again`,
      );
    }
    if (!r.error) continue;
    // The connector's messages already name the app; say it once.
    const message = r.error.message.startsWith(`${r.appId}: `)
      ? r.error.message.slice(r.appId.length + 2)
      : r.error.message;
    out.line(`\n${r.appId}: ${message}${r.error.fix ? `\n  fix: ${r.error.fix}` : ''}`);
  }
}

export function printManifest(out: Output, connector: Connector): void {
  printManifestOf(out, connector.appId, connector.title, connector.manifest);
}

export function printManifestOf(out: Output, name: string, title: string, m: Connector['manifest']): void {
  const yes = (ok: boolean) => (ok ? 'yes' : 'no');
  out.line(`${name} (${title})${m.incremental ? ', incremental sync' : ''}`);
  out.table(
    Object.entries(m.accounts).map(([capability, ok]) => [
      `accounts.${capability}`,
      yes(ok),
      m.notes[capability as keyof typeof m.notes] ?? '',
    ]),
    4,
  );
  for (const [kind, caps] of Object.entries(m.entitlements)) {
    out.table(
      Object.entries(caps ?? {}).map(([capability, ok]) => [`${kind}.${capability}`, yes(ok)]),
      4,
    );
  }
  out.line();
}

/** Accounts per app by situation, for people. */
export function printGraphSummary(out: Output, summary: GraphSummary, indent = 2): void {
  out.table(
    [
      ['app', 'accounts', ...SITUATIONS],
      ...Object.entries(summary.apps).map(([appId, counts]) => [
        appId,
        String(counts.accounts),
        ...SITUATIONS.map((s) => String(counts[s])),
      ]),
    ],
    indent,
  );
  const p = summary.people;
  out.line(
    `\n${' '.repeat(indent)}${p.total} people: ${p.withAccounts} with accounts, ${p.withoutAccounts} without any`,
  );
}

/** Findings per rule, most common first. */
export function countByRule(rows: readonly Pick<Finding, 'rule'>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.rule] = (counts[row.rule] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/** The most severe findings as a table, then the counts per rule. */
export function printTopFindings(out: Output, findings: readonly Finding[], top: number): void {
  if (findings.length === 0) {
    out.line('   none');
    return;
  }
  const shown = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity)).slice(0, top);
  out.table(
    shown.map((f) => [f.severity, f.rule, f.appId, f.title]),
    3,
  );
  if (findings.length > shown.length) out.line(`   … and ${findings.length - shown.length} more`);
  out.line(`   ${findings.length} in all: ${countText(countByRule(findings))}`);
}

/** `3 succeeded, 1 failed` from counts by state; `none` when empty. */
export const countText = (counts: Record<string, number | undefined>): string =>
  Object.entries(counts)
    .map(([k, n]) => `${n} ${k.replaceAll('_', ' ')}`)
    .join(', ') || 'none';

/** One op as apply finishes it. */
export function opLine(r: OpReport): string {
  const what = r.error ? `${r.text} — ${r.error}` : r.text;
  return `${r.state.padEnd(9)} ${String(r.seq).padStart(4)} ${r.appId} ${r.kind}: ${what}`;
}

export function printApplyCounts(out: Output, result: ApplyResult, indent = 2): void {
  out.table(
    Object.entries(result.byApp).map(([app, counts]) => [app, countText(counts)]),
    indent,
  );
}

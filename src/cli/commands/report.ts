/** @module `roster report`: the identity graph's findings as a table, JSON, or a CSV for an access review. */

import { type Command, Option } from 'commander';
import { type FindingRow, listFindings, requireSynced } from '../../app/index.js';
import { type EvidenceValue, FINDING_RULES, SEVERITIES, type Severity } from '../../identity/index.js';
import { createOutput, type Output } from '../output.js';
import { countByRule } from '../render.js';
import { withRoster } from '../session.js';

const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export const REPORT_CSV_HEADER = [
  'severity',
  'rule',
  'app',
  'account_id',
  'account_email',
  'person_id',
  'person_email',
  'title',
  'evidence',
] as const;

/** A finding with the addresses a reviewer reads, beside the ids. */
export type ReportRow = FindingRow;

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('findings: leavers with access, orphans, disputed matches, privileged and dormant accounts…')
    .argument(
      '[finding...]',
      `only these findings, by rule or finding id; rules: ${FINDING_RULES.join(', ')}`,
    )
    .addOption(new Option('--format <format>', 'how to print them').choices(FORMATS).default('table'))
    .addOption(
      new Option('--min-severity <severity>', 'leave out findings less severe than this')
        .choices(SEVERITIES)
        .default('info'),
    )
    .option('--app <id>', 'only findings in this app')
    .option('--json', 'the same as --format json')
    .action(async (wanted: string[], options: ReportOptions, command: Command) => {
      const format: Format = options.json ? 'json' : options.format;
      const out = createOutput({ json: format === 'json' });
      const result = await withRoster(command, async (roster) => {
        await requireSynced(roster);
        return listFindings(roster, {
          rules: wanted,
          minSeverity: options.minSeverity,
          ...(options.app ? { appId: options.app } : {}),
        });
      });
      const rows = result.findings;
      if (format === 'csv') process.stdout.write(reportCsv(rows));
      else if (format === 'json') {
        out.result({
          findings: rows,
          counts: result.counts,
          asOf: result.asOf,
          staleAfterApply: result.staleAfterApply,
        });
      } else {
        printTable(out, rows);
        const synced = Object.entries(result.asOf).filter(([, at]) => at !== null);
        out.line(`\nAs of the last syncs: ${synced.map(([app, at]) => `${app} ${at}`).join(', ')}`);
      }
      if (result.staleAfterApply.length > 0) {
        out.warn(
          `changes were applied to ${result.staleAfterApply.join(', ')} after their last sync: ` +
            'run `roster sync` to see what they hold now',
        );
      }
    });
}

interface ReportOptions {
  format: Format;
  minSeverity: Severity;
  app?: string;
  json?: boolean;
}

/** `status: leaver; roles: Admin, Owner` — evidence on one line. */
export function evidenceText(evidence: Record<string, EvidenceValue>): string {
  return Object.entries(evidence)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');
}

/** RFC 4180: CRLF after every record, fields with a comma, quote or line break quoted, quotes doubled. */
export function reportCsv(rows: readonly ReportRow[]): string {
  const records = [
    [...REPORT_CSV_HEADER],
    ...rows.map((r) => [
      r.severity,
      r.rule,
      r.appId,
      r.accountId,
      r.accountEmail ?? '',
      r.employeeId ?? '',
      r.personEmail ?? '',
      r.title,
      evidenceText(r.evidence),
    ]),
  ];
  return records.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  // Names and emails come from the apps: a leading = + - @ would run as a formula when a reviewer opens the
  // file in a spreadsheet, so it is defused with a leading apostrophe (OWASP's CSV injection advice).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function printTable(out: Output, rows: readonly ReportRow[]): void {
  if (rows.length === 0) {
    out.line('No findings.');
    return;
  }
  out.table([
    ['severity', 'rule', 'app', 'account', 'person', 'title'],
    ...rows.map((r) => [
      r.severity,
      r.rule,
      r.appId,
      r.accountEmail ?? r.accountId,
      r.personEmail ?? r.employeeId ?? '',
      r.title,
    ]),
  ]);
  out.line();
  out.line(
    `${rows.length} findings: ${Object.entries(countByRule(rows))
      .map(([rule, n]) => `${n} ${rule}`)
      .join(', ')}`,
  );
}

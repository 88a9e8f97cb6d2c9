/** @module `roster report`: the identity graph's findings as a table, JSON, or a CSV for an access review. */

import { type Command, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { AccessReviewRow, FindingRow } from '../../app/index.js';
import type { EvidenceValue, Severity } from '../../identity/index.js';
import { FINDING_RULES, SEVERITIES } from '../choices.js';
import { createOutput, type Output, setExitCode } from '../output.js';
import { withRoster } from '../session.js';

const FORMATS = ['table', 'json', 'csv', 'access-review'] as const;
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
    .option('--bom', 'start CSV with a UTF-8 byte order mark, so Excel shows "Björn" right')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when any finding is this severe or more (for CI)').choices(
        SEVERITIES,
      ),
    )
    .option('--json', 'the same as --format json')
    .action(async (wanted: string[], options: ReportOptions, command: Command) => {
      const format: Format = options.json ? 'json' : options.format;
      const out = createOutput({ json: format === 'json' });
      // The core loads when the command runs, not for `roster --help`.
      const [{ accessReviewRows, listFindings, requireSynced }, { compareSeverity }, { countByRule }] =
        await Promise.all([
          import('../../app/index.js'),
          import('../../identity/index.js'),
          import('../render.js'),
        ]);
      if (format === 'access-review') {
        // Every account × entitlement with owner, manager, activity and findings, and an empty decision column.
        const sheet = await withRoster(command, async (roster) => {
          await requireSynced(roster);
          return accessReviewRows(roster, options.app ? { appId: options.app } : {});
        });
        process.stdout.write(accessReviewCsv(sheet, options.bom ?? false));
        return;
      }
      const result = await withRoster(command, async (roster) => {
        await requireSynced(roster);
        return listFindings(roster, {
          rules: wanted,
          minSeverity: options.minSeverity,
          ...(options.app ? { appId: options.app } : {}),
        });
      });
      const rows = result.findings;
      if (format === 'csv') process.stdout.write(reportCsv(rows, options.bom ?? false));
      else if (format === 'json') {
        out.result(
          {
            findings: rows,
            counts: result.counts,
            asOf: result.asOf,
            staleAfterApply: result.staleAfterApply,
          },
          { asOf: result.asOf },
        );
      } else {
        printTable(out, rows, countByRule);
        const synced = Object.entries(result.asOf).filter(([, at]) => at !== null);
        out.line(`\nAs of the last syncs: ${synced.map(([app, at]) => `${app} ${at}`).join(', ')}`);
      }
      if (result.staleAfterApply.length > 0) {
        out.warn(
          `changes were applied to ${result.staleAfterApply.join(', ')} after their last sync: ` +
            'run `roster sync` to see what they hold now',
        );
      }
      if (options.failOn) {
        const failing = rows.filter((r) => compareSeverity(r.severity, options.failOn as Severity) <= 0);
        if (failing.length > 0) {
          out.warn(`${failing.length} finding(s) at or above ${options.failOn} (--fail-on)`);
          setExitCode(1);
        }
      }
    });
}

interface ReportOptions {
  format: Format;
  minSeverity: Severity;
  app?: string;
  bom?: boolean;
  failOn?: Severity;
  json?: boolean;
}

/** `status: leaver; roles: Admin, Owner` — evidence on one line. */
export function evidenceText(evidence: Record<string, EvidenceValue>): string {
  return Object.entries(evidence)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');
}

/**
 * RFC 4180 through csv-stringify: CRLF records, quoting where needed, and formulas defused (a name from an app
 * that starts with = + - @ would run in a reviewer's spreadsheet: OWASP's CSV injection advice).
 */
function csv(records: readonly (readonly unknown[])[], bom: boolean): string {
  return stringify(records as unknown[][], { record_delimiter: 'windows', escape_formulas: true, bom });
}

export function reportCsv(rows: readonly ReportRow[], bom = false): string {
  return csv(
    [
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
    ],
    bom,
  );
}

export const ACCESS_REVIEW_HEADER = [
  'app',
  'account_id',
  'account_email',
  'account_status',
  'person_id',
  'person_email',
  'person_name',
  'manager',
  'department',
  'entitlement_kind',
  'entitlement',
  'privileged',
  'last_activity',
  'findings',
  'decision',
] as const;

function accessReviewCsv(rows: readonly AccessReviewRow[], bom: boolean): string {
  return csv(
    [
      [...ACCESS_REVIEW_HEADER],
      ...rows.map((r) => [
        r.app,
        r.accountId,
        r.accountEmail,
        r.accountStatus,
        r.personId,
        r.personEmail,
        r.personName,
        r.manager,
        r.department,
        r.entitlementKind,
        r.entitlement,
        r.privileged ? 'yes' : 'no',
        r.lastActivity,
        r.findings,
        '',
      ]),
    ],
    bom,
  );
}

function printTable(
  out: Output,
  rows: readonly ReportRow[],
  countByRule: (rows: readonly ReportRow[]) => Record<string, number>,
): void {
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

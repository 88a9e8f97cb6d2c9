/** @module `roster report`: the identity graph's findings as a table, JSON, or a CSV for an access review. */

import { type Command, Option } from 'commander';
import type { RosterConfig } from '../../config/schema.js';
import {
  compareSeverity,
  type EvidenceValue,
  type Finding,
  filterBySeverity,
  SEVERITIES,
  type Severity,
} from '../../identity/index.js';
import type { Store } from '../../store/store.js';
import { createOutput, type Output } from '../output.js';
import { knownApp, withGraph } from './graph.js';

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
export interface ReportRow extends Finding {
  accountEmail: string | null;
  personEmail: string | null;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('findings: leavers with access, orphans, disputed matches, privileged and dormant accounts…')
    .argument('[finding...]', 'only these findings, by rule (e.g. leaver_with_access) or finding id')
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
      await withGraph(command, async ({ store, config, graph }) => {
        const appId = options.app === undefined ? undefined : knownApp(config, options.app);
        const selected = selectFindings(graph.findings, {
          wanted,
          minSeverity: options.minSeverity,
          appId,
        });
        const rows = await withAddresses(store, config, selected);
        if (format === 'csv') process.stdout.write(reportCsv(rows));
        else if (format === 'json') out.result({ findings: rows, counts: countBy(rows) });
        else printTable(out, rows);
      });
    });
}

interface ReportOptions {
  format: Format;
  minSeverity: Severity;
  app?: string;
  json?: boolean;
}

function selectFindings(
  findings: readonly Finding[],
  filter: { wanted: readonly string[]; minSeverity: Severity; appId: string | undefined },
): Finding[] {
  const wanted = new Set(filter.wanted);
  return filterBySeverity(findings, filter.minSeverity)
    .filter((f) => filter.appId === undefined || f.appId === filter.appId)
    .filter((f) => wanted.size === 0 || wanted.has(f.rule) || wanted.has(f.id))
    .sort((a, b) => compareSeverity(a.severity, b.severity));
}

async function withAddresses(
  store: Store,
  config: RosterConfig,
  findings: readonly Finding[],
): Promise<ReportRow[]> {
  const accountEmails = new Map<string, string | null>();
  for (const app of config.apps) {
    if (!findings.some((f) => f.appId === app.id)) continue;
    for (const a of await store.listAccounts({ appId: app.id })) {
      accountEmails.set(`${a.appId}\u0000${a.id}`, a.email ?? a.login);
    }
  }
  const personEmails = new Map((await store.listPeople()).map((p) => [p.employeeId, p.email]));
  return findings.map((f) => ({
    ...f,
    accountEmail: accountEmails.get(`${f.appId}\u0000${f.accountId}`) ?? null,
    personEmail: f.employeeId === null ? null : (personEmails.get(f.employeeId) ?? null),
  }));
}

/** Findings per rule, most common first. */
export function countBy(rows: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.rule] = (counts[row.rule] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
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
    `${rows.length} findings: ${Object.entries(countBy(rows))
      .map(([rule, n]) => `${n} ${rule}`)
      .join(', ')}`,
  );
}

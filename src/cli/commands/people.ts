/** @module `roster import` and `roster people`: bring the HR export into the store, list who it says works here. */

import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import { PERSON_STATUSES, type RosterConfig } from '../../config/schema.js';
import type { PersonStatus } from '../../core/types.js';
import { type ImportResult, importPeople } from '../../sources/import.js';
import { summarizeRowErrors } from '../../sources/people.js';
import { openStore } from '../../store/open.js';
import { createOutput, type Output } from '../output.js';

/** How many skipped rows and warnings are listed for people before "and N more". */
const LISTED = 20;

export function registerPeopleCommands(program: Command): void {
  program
    .command('import')
    .description('read the HR export named by source: in roster.yaml into the store (all or nothing)')
    .option('--skip-invalid', 'import the valid rows and list the invalid ones, instead of refusing the file')
    .option('--force', 'import even when it would drop more active people than source.maxDropShare allows')
    .option('--json', 'print the result as JSON')
    .action(async (options: ImportCommandOptions, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const result = await runImport(config, {
        skipInvalid: options.skipInvalid ?? false,
        force: options.force ?? false,
        out,
      });
      out.result(result);
    });

  program
    .command('people')
    .description('the people the last import holds')
    .addOption(new Option('--status <status>', 'only people with this status').choices(PERSON_STATUSES))
    .option('--json', 'print the people as JSON')
    .action(async (options: { status?: PersonStatus; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const store = await openStore(config.store);
      try {
        const people = await store.listPeople(options.status ? { status: options.status } : {});
        out.result(people);
        if (people.length === 0) {
          out.line(options.status ? `No ${options.status} people.` : 'No people yet: run `roster import`.');
          return;
        }
        out.table([
          ['employee_id', 'email', 'name', 'status', 'department', 'title'],
          ...people.map((p) => [
            p.employeeId,
            p.email,
            `${p.firstName} ${p.lastName}`.trim(),
            p.status,
            p.department ?? '',
            p.title ?? '',
          ]),
        ]);
        out.line(`\n${people.length} ${people.length === 1 ? 'person' : 'people'}`);
      } finally {
        await store.close();
      }
    });
}

interface ImportCommandOptions {
  skipInvalid?: boolean;
  force?: boolean;
  json?: boolean;
}

/** Import the configured source and tell people what happened; used by `import`, `sync` and `demo`. */
export async function runImport(
  config: RosterConfig,
  options: { skipInvalid?: boolean; force?: boolean; out: Output },
): Promise<ImportResult> {
  const store = await openStore(config.store);
  try {
    const result = await importPeople({
      store,
      config,
      skipInvalid: options.skipInvalid ?? false,
      force: options.force ?? false,
    });
    printImport(options.out, result);
    return result;
  } finally {
    await store.close();
  }
}

function printImport(out: Output, result: ImportResult): void {
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
    listErrors(out, summarizeRowErrors(result.errors, Number.POSITIVE_INFINITY));
  }
  if (result.warnings.length > 0) {
    out.line(`${result.warnings.length} ${result.warnings.length === 1 ? 'warning' : 'warnings'}:`);
    listErrors(out, summarizeRowErrors(result.warnings, Number.POSITIVE_INFINITY));
  }
  if (result.unusedColumns.length > 0) {
    out.line(`Columns Roster does not read (kept as attributes): ${result.unusedColumns.join(', ')}.`);
  }
}

function listErrors(out: Output, lines: string[]): void {
  for (const line of lines.slice(0, LISTED)) out.line(`  ${line}`);
  if (lines.length > LISTED) out.line(`  and ${lines.length - LISTED} more (--json lists them all)`);
}

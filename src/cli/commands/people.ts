/** @module `roster import` and `roster people`: bring the HR export into the store, list who it says works here. */

import { type Command, Option } from 'commander';
import type { PersonStatus } from '../../core/types.js';
import { PERSON_STATUSES } from '../choices.js';
import { createOutput } from '../output.js';
import { withRoster } from '../session.js';

// The core and the renderers load when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');

export function registerPeopleCommands(program: Command): void {
  program
    .command('import')
    .description('read the HR export named by source: in roster.yaml into the store (all or nothing)')
    .option('--skip-invalid', 'import the valid rows and list the invalid ones, instead of refusing the file')
    .option('--force', 'import even when it would drop more active people than source.maxDropShare allows')
    .option('--json', 'print the result as JSON')
    .action(async (options: { skipInvalid?: boolean; force?: boolean; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const [{ importPeople }, { printImport }] = await Promise.all([app(), import('../render.js')]);
      const result = await withRoster(command, (roster) =>
        importPeople(roster, { skipInvalid: options.skipInvalid ?? false, force: options.force ?? false }),
      );
      printImport(out, result);
      out.result(result);
    });

  program
    .command('people')
    .description('the people the last import holds')
    .addOption(new Option('--status <status>', 'only people with this status').choices(PERSON_STATUSES))
    .option('--json', 'print the people as JSON')
    .action(async (options: { status?: PersonStatus; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { listPeople } = await app();
      const people = await withRoster(command, (roster) =>
        listPeople(roster, options.status ? { status: options.status } : {}),
      );
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
    });
}

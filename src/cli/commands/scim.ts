/** @module `roster scim holds|release|reject`: the removals the SCIM facade held past its threshold. */

import type { Command } from 'commander';
import type { ScimHold } from '../../app/index.js';
import { createOutput } from '../output.js';
import { withRoster } from '../session.js';

// The core loads when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');

export function registerScimCommands(program: Command): void {
  const scim = program
    .command('scim')
    .description('the SCIM facade: removals held past the threshold (roster.yaml scim.hold)');

  scim
    .command('holds')
    .description(
      'held deactivations and deletions waiting for a person (--all: released, rejected, done too)',
    )
    .option('--all', 'every held removal, not only the waiting ones')
    .option('--json', 'print the holds as JSON')
    .action(async (flags: { all?: boolean; json?: boolean }, command: Command) => {
      const out = createOutput({ json: flags.json ?? false });
      const holds = await withRoster(command, async (roster) =>
        (await app()).listScimHolds(roster, { all: flags.all ?? false }),
      );
      out.result(holds);
      if (holds.length === 0) out.line('no held removals');
      else
        out.table([
          ['plan', 'state', 'change', 'asked by', 'held at'],
          ...holds.map((h) => [h.planId, h.state, h.key, h.requestedBy ?? '-', h.createdAt]),
        ]);
    });

  const decide = (name: 'release' | 'reject', what: string, run: 'releaseScimHold' | 'rejectScimHold') =>
    scim
      .command(`${name} <plan>`)
      .description(what)
      .requiredOption('--by <name>', 'who decides (recorded in the audit log)')
      .option('--json', 'print the hold as JSON')
      .action(async (plan: string, flags: { by: string; json?: boolean }, command: Command) => {
        const out = createOutput({ json: flags.json ?? false });
        const hold: ScimHold = await withRoster(command, async (roster) => (await app())[run](roster, plan), {
          actor: flags.by,
        });
        out.result(hold);
        out.line(`plan ${hold.planId} (${hold.key}) is ${hold.state}, by ${flags.by}`);
      });

  decide('release', "release a held removal: it runs on the IdP's next retry", 'releaseScimHold');
  decide('reject', 'reject a held removal: the account stays, and the IdP is told so', 'rejectScimHold');
}

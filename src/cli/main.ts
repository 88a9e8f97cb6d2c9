/** @module The `roster` command: parses arguments and hands each subcommand to its module. */

import { Command, CommanderError, Option } from 'commander';
import { registerApplyCommands } from './commands/apply.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerGraphCommands } from './commands/graph.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReportCommand } from './commands/report.js';
import { registerReviewCommands } from './commands/review.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { registerScimCommands } from './commands/scim.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerWorkerCommand } from './commands/worker.js';
import { reportError, takeExitCode } from './output.js';
import { defaultConfigPath, LOG_LEVELS } from './session.js';

/** The exit codes, as `--help` and the README list them. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success (plan --detailed-exitcode: nothing to change)
  1  report --fail-on: findings at or above that severity; otherwise an internal error (a bug: please report it)
  2  usage or input error: unknown command, option or finding, bad roster.yaml, invalid HR export, a plan
     with errors (plan --detailed-exitcode: changes to apply)
  3  an app rejected the credentials
  4  not found: no roster.yaml, plan, person or account by that name, or nothing synced yet
  5  conflict: a stale or blocked plan, a plan with errors, an apply already running, a broken audit chain
  6  an app kept rate-limiting
  7  an app or the store was unavailable, an app sync failed, or apply left ops failed
`;

const EXAMPLES = `
Examples:
  $ roster demo                                   the whole loop on local sandboxes
  $ roster init && roster config show             start a roster.yaml, check what it resolves to
  $ roster sync && roster report --min-severity high
  $ roster plan --detailed-exitcode               in CI: 0 nothing to do, 2 changes, 1 error
  $ roster plan --person ana@acme.com && roster apply latest
  $ roster accounts --json | jq '.data[0]'

roster.yaml: --config, else $ROSTER_CONFIG, else the nearest roster.yaml in this folder or above it.
Log level: --log-level, else $ROSTER_LOG_LEVEL (JSON lines on stderr; default: error).
`;

export function buildProgram(): Command {
  const program = new Command('roster')
    .description(
      'Keep SaaS accounts in line with who actually works at the company.\n' +
        'Syncs each app through its own API, ties accounts to people from HR, plans and applies changes safely.',
    )
    .version('0.1.0')
    .option('-c, --config <path>', 'the roster.yaml to use', defaultConfigPath())
    .addOption(
      new Option('--log-level <level>', 'how much to log on stderr')
        .choices(LOG_LEVELS)
        .env('ROSTER_LOG_LEVEL')
        .default('error'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXAMPLES}${EXIT_CODES_HELP}`)
    .exitOverride();
  program.commandsGroup('Set up:');
  registerConfigCommands(program);
  registerSandboxCommands(program);
  program.commandsGroup('Read the apps and the people:');
  registerPeopleCommands(program);
  registerSyncCommands(program);
  program.commandsGroup('The identity graph:');
  registerGraphCommands(program);
  registerReportCommand(program);
  registerMcpCommand(program);
  program.commandsGroup('Change the apps:');
  registerPlanCommand(program);
  registerApplyCommands(program);
  registerReviewCommands(program);
  program.commandsGroup('Try it:');
  registerDemoCommand(program);
  program.commandsGroup('Run as a service:');
  registerServeCommand(program);
  registerTokenCommands(program);
  registerScimCommands(program);
  registerWorkerCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Commander's own ways out that are not errors. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  takeExitCode();
  try {
    await program.parseAsync(argv as string[]);
    return takeExitCode();
  } catch (error) {
    // A usage error (unknown command or option, missing argument) is the caller's mistake: exit 2.
    if (error instanceof CommanderError) return CLEAN_EXITS.has(error.code) ? 0 : 2;
    return reportError(error, argv.includes('--json'));
  }
}

/** @module The `roster` command: parses arguments and hands each subcommand to its module. */

import { Command, CommanderError } from 'commander';
import { registerApplyCommands } from './commands/apply.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerGraphCommands } from './commands/graph.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReportCommand } from './commands/report.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerTokenCommands } from './commands/tokens.js';
import { reportError, takeExitCode } from './output.js';

export function buildProgram(): Command {
  const program = new Command('roster')
    .description(
      'Keep SaaS accounts in line with who actually works at the company.\n' +
        'Syncs each app through its own API, ties accounts to people from HR, plans and applies changes safely.',
    )
    .version('0.1.0')
    .option('-c, --config <path>', 'the roster.yaml to use', 'roster.yaml')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerConfigCommands(program);
  registerSandboxCommands(program);
  registerPeopleCommands(program);
  registerSyncCommands(program);
  registerPlanCommand(program);
  registerApplyCommands(program);
  registerGraphCommands(program);
  registerReportCommand(program);
  registerDemoCommand(program);
  registerServeCommand(program);
  registerTokenCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  takeExitCode();
  try {
    await program.parseAsync(argv as string[]);
    return takeExitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    return reportError(error, argv.includes('--json'));
  }
}

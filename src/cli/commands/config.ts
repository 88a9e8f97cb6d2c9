/** @module `roster init` and `roster config show`: write a commented roster.yaml, print the resolved one. */

import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { RosterError } from '../../core/errors.js';
import { SCHEMA_FILE_NAME } from '../choices.js';
import { createOutput } from '../output.js';

// What each command needs loads when it runs, not for `roster --help`.
const jsonSchema = () => import('../../config/json-schema.js');

export function registerConfigCommands(program: Command): void {
  program
    .command('init')
    .description('write a commented roster.yaml to start from (secrets as ${ENV_VAR} references)')
    .option('--force', 'overwrite an existing file')
    .action(async (options: { force?: boolean }, command: Command) => {
      const [{ initTemplate }, { rosterJsonSchemaText }] = await Promise.all([
        import('../../config/template.js'),
        jsonSchema(),
      ]);
      const path = command.optsWithGlobals<{ config: string }>().config;
      if (existsSync(path) && !options.force) {
        throw new RosterError('conflict', `${path} already exists`, {
          where: path,
          fix: 'edit it, or run `roster init --force` to overwrite it',
        });
      }
      writeFileSync(path, initTemplate(), { mode: 0o600 });
      // The template's first line points editors at this file: generated, so always written afresh.
      const schema = join(dirname(path), SCHEMA_FILE_NAME);
      writeFileSync(schema, rosterJsonSchemaText());
      createOutput({ json: false }).line(
        `Wrote ${path} (and ${schema}, for completion in your editor). ` +
          'Set the environment variables it names, then run `roster config show`.',
      );
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('schema')
    .description('print the JSON Schema of roster.yaml, for completion and checks in an editor')
    .addHelpText(
      'after',
      `\nExample:\n  roster config schema > ${SCHEMA_FILE_NAME}\n` +
        `  # then, on the first line of roster.yaml:\n  # yaml-language-server: $schema=./${SCHEMA_FILE_NAME}`,
    )
    .action(async () => {
      const { rosterJsonSchemaText } = await jsonSchema();
      process.stdout.write(rosterJsonSchemaText());
    });
  config
    .command('show')
    .description('print the resolved roster.yaml with every secret masked')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const path = command.optsWithGlobals<{ config: string }>().config;
      const out = createOutput({ json: options.json ?? false });
      const [{ stringify }, { loadConfig }, { maskSecrets }, { checkSourceFile }] = await Promise.all([
        import('yaml'),
        import('../../config/load.js'),
        import('../../config/mask.js'),
        import('../../sources/source-file.js'),
      ]);
      const loaded = await loadConfig(path);
      const masked = maskSecrets(loaded);
      out.result(masked);
      if (!out.json) process.stdout.write(stringify(masked));
      // Showing the config does not need the HR export; a missing one is said, on stderr, for what comes next.
      const source = await checkSourceFile(loaded);
      if (source !== null) out.warn(`roster: warning: ${source.describe()}`);
    });
}

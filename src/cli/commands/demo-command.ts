/** @module `roster demo` (= `npm start`): its options; the loop itself (demo.ts) loads when the command runs. */

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { parseInteger } from '../args.js';
import { FAULT_PROFILE_NAMES } from '../choices.js';
import { createOutput } from '../output.js';

interface DemoOptions {
  seed: number;
  people: number;
  profile: FaultProfileName;
  dir: string;
  json?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the sandboxes with the sample company and run every stage of Roster on them')
    .option('--seed <n>', 'seed of the sample company', parseInteger, 42)
    .option('--people <n>', 'people in the sample company', parseInteger, 200)
    .addOption(
      new Option('--profile <name>', 'sandbox fault profile').choices(FAULT_PROFILE_NAMES).default('clean'),
    )
    .option('--dir <path>', 'where the demo writes its roster.yaml, HR export and store', '.roster/demo')
    .option('--json', 'print a JSON summary')
    .action(async (options: DemoOptions) => {
      const out = createOutput({ json: options.json ?? false });
      const dir = resolve(options.dir);
      mkdirSync(dir, { recursive: true });
      const [{ startFleet }, { runDemo }] = await Promise.all([
        import('../../sandbox/fleet.js'),
        import('./demo.js'),
      ]);
      const fleet = await startFleet({
        seed: options.seed,
        people: options.people,
        profile: options.profile,
      });
      try {
        out.result(await runDemo({ fleet, dir, out, profile: options.profile }));
      } finally {
        await fleet.close();
      }
    });
}

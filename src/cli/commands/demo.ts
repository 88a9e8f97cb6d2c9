/** @module `roster demo` (= `npm start`): the whole loop on the sample company, as far as it is built. */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import { hrToCsv } from '../../sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { FAULT_PROFILE_NAMES, type FaultProfileName } from '../../sandbox/kit/faults.js';
import { createOutput } from '../output.js';
import { parseInteger } from './sandbox.js';
import { runSync } from './sync.js';

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
      const fleet = await startFleet({
        seed: options.seed,
        people: options.people,
        profile: options.profile,
      });
      try {
        const { company } = fleet;
        writeFileSync(resolve(dir, 'hr.csv'), hrToCsv(company.hr));
        writeFileSync(
          resolve(dir, 'roster.yaml'),
          fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
        );
        const leavers = company.hr.filter((p) => p.status === 'leaver').length;
        out.line(`Roster demo — sample company "${company.domain}" (seed ${company.seed})`);
        out.line();
        out.line(
          `1. Source of truth: ${company.hr.length} people (${company.hr.length - leavers} active, ${leavers} leavers)`,
        );
        out.line(`   written to ${resolve(dir, 'hr.csv')}`);
        out.line();
        out.line(`2. Apps: ${fleet.sandboxes.length} sandboxes on 127.0.0.1 (profile ${options.profile})`);
        out.table(
          fleet.sandboxes.map((s) => [
            s.title,
            s.baseUrl,
            Object.entries(s.summary())
              .map(([k, v]) => `${v} ${k}`)
              .join(', '),
          ]),
          3,
        );
        out.line(`   roster.yaml for them: ${resolve(dir, 'roster.yaml')}`);
        out.line();
        out.line('3. Drift planted in the apps (what the identity graph must find):');
        out.table(
          Object.entries(company.planted).map(([kind, keys]) => [kind, String(keys.length)]),
          3,
        );
        out.line();
        out.line('4. Sync: every app read through its own API into the store');
        const config = await loadConfig(resolve(dir, 'roster.yaml'), { env: {} });
        rmSync(resolve(dir, 'roster.db'), { force: true });
        const synced = await runSync(config, { out });
        out.line();
        out.line('Next stages (identity graph, plan, apply) run here as they are built.');
        out.result({
          seed: company.seed,
          people: company.hr.length,
          leavers,
          dir,
          sandboxes: fleet.sandboxes.map((s) => ({ app: s.type, baseUrl: s.baseUrl, summary: s.summary() })),
          planted: Object.fromEntries(Object.entries(company.planted).map(([k, v]) => [k, v.length])),
          sync: synced,
        });
      } finally {
        await fleet.close();
      }
    });
}

interface DemoOptions {
  seed: number;
  people: number;
  profile: FaultProfileName;
  dir: string;
  json?: boolean;
}

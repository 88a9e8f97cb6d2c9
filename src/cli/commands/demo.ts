/** @module `roster demo` (= `npm start`): the whole loop on the sample company, as far as it is built. */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import { compareSeverity, type Finding, refreshGraph, SEVERITIES } from '../../identity/index.js';
import { hrToCsv } from '../../sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { FAULT_PROFILE_NAMES, type FaultProfileName } from '../../sandbox/kit/faults.js';
import { openStore } from '../../store/open.js';
import { createOutput, type Output } from '../output.js';
import { printSummary } from './graph.js';
import { runImport } from './people.js';
import { countBy } from './report.js';
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
        const config = await loadConfig(resolve(dir, 'roster.yaml'), { env: {} });
        rmSync(resolve(dir, 'roster.db'), { force: true });
        out.line('4. Import: the HR export validated into the store');
        const imported = await runImport(config, { out });
        out.line();
        out.line('5. Sync: every app read through its own API into the store');
        const synced = await runSync(config, { out });
        out.line();
        out.line('6. Identity graph: every account tied to a person, or flagged');
        const store = await openStore(config.store);
        const graph = await refreshGraph({ store, config }).finally(() => store.close());
        printSummary(out, graph.summary, 3);
        out.line();
        out.line('7. Findings, most severe first');
        printTopFindings(out, graph.findings);
        out.line();
        out.line(
          'Next stages (plan, apply) run here as they are built. Explore with `roster -c ' +
            `${resolve(dir, 'roster.yaml')} report\` or \`graph --person <email>\`.`,
        );
        out.result({
          seed: company.seed,
          people: company.hr.length,
          leavers,
          dir,
          sandboxes: fleet.sandboxes.map((s) => ({ app: s.type, baseUrl: s.baseUrl, summary: s.summary() })),
          planted: Object.fromEntries(Object.entries(company.planted).map(([k, v]) => [k, v.length])),
          import: imported,
          sync: synced,
          graph: graph.summary,
          findings: {
            total: graph.findings.length,
            bySeverity: Object.fromEntries(
              SEVERITIES.map((s) => [s, graph.findings.filter((f) => f.severity === s).length]),
            ),
            byRule: countBy(graph.findings),
            top: graph.findings.slice(0, TOP_FINDINGS),
          },
        });
      } finally {
        await fleet.close();
      }
    });
}

/** How many findings the demo lists; the counts per rule cover the rest. */
const TOP_FINDINGS = 10;

function printTopFindings(out: Output, findings: readonly Finding[]): void {
  if (findings.length === 0) {
    out.line('   none');
    return;
  }
  const top = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity)).slice(0, TOP_FINDINGS);
  out.table(
    top.map((f) => [f.severity, f.rule, f.appId, f.title]),
    3,
  );
  if (findings.length > top.length) out.line(`   … and ${findings.length - top.length} more`);
  out.line(
    `   ${findings.length} in all: ${Object.entries(countBy(findings))
      .map(([rule, n]) => `${n} ${rule}`)
      .join(', ')}`,
  );
}

interface DemoOptions {
  seed: number;
  people: number;
  profile: FaultProfileName;
  dir: string;
  json?: boolean;
}

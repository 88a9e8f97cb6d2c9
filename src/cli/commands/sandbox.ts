/** @module `roster sandbox start`: the five seed apps' simulators on 127.0.0.1, and a roster.yaml for them. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { RosterError } from '../../core/errors.js';
import { SEED_APP_TYPES, type SeedAppType } from '../../core/types.js';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { parseInteger } from '../args.js';
import { FAULT_PROFILE_NAMES } from '../choices.js';
import { createOutput } from '../output.js';

export function registerSandboxCommands(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('local simulators of the seed apps, for trying Roster safely');
  sandbox
    .command('start')
    .description('start the sandboxes with a generated sample company; Ctrl-C stops them')
    .option('--apps <list>', `comma-separated apps (${SEED_APP_TYPES.join(', ')})`, SEED_APP_TYPES.join(','))
    .addOption(new Option('--profile <name>', 'fault profile').choices(FAULT_PROFILE_NAMES).default('clean'))
    .option('--seed <n>', 'seed for the company and the faults (same seed, same run)', parseInteger, 42)
    .option('--people <n>', 'people in the sample company', parseInteger, 200)
    .option('--port <n>', 'first port (each app takes the next); 0 picks free ports', parseInteger, 0)
    .option(
      '--undocumented <list>',
      'comma-separated conveniences beyond the guides to serve (src/sandbox/README.md); none by default',
    )
    .option('--no-write-config', 'do not write roster.yaml and the HR export')
    .option('--json', 'print the endpoints as JSON')
    .action(async (options: SandboxStartOptions, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const configPath = resolve(command.optsWithGlobals<{ config: string }>().config);
      // The sandboxes load when the command runs, not for `roster --help`.
      const [{ hrToCsv }, { fleetConfigYaml, startFleet }, { writePrivateFile }] = await Promise.all([
        import('../../sandbox/company.js'),
        import('../../sandbox/fleet.js'),
        import('../../store/private-file.js'),
      ]);
      const fleet = await startFleet({
        apps: parseApps(options.apps),
        profile: options.profile,
        seed: options.seed,
        people: options.people,
        basePort: options.port,
        undocumented: options.undocumented
          ? options.undocumented
              .split(',')
              .map((f) => f.trim())
              .filter(Boolean)
          : [],
      });
      const hrPath = resolve(dirname(configPath), 'hr.csv');
      if (options.writeConfig) {
        mkdirSync(dirname(configPath), { recursive: true });
        writeFileSync(hrPath, hrToCsv(fleet.company.hr));
        // It holds the sandboxes' tokens: created 0600, and an existing wider file is named in a warning.
        writePrivateFile(
          configPath,
          fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
          'the sandboxes’ tokens',
          (message) => out.warn(`roster: warning: ${message}`),
        );
      }
      out.result({
        profile: options.profile,
        seed: options.seed,
        config: options.writeConfig ? configPath : null,
        hr: options.writeConfig ? hrPath : null,
        sandboxes: fleet.sandboxes.map((s) => ({
          app: s.type,
          baseUrl: s.baseUrl,
          admin: `${s.origin}/__admin`,
          credentials: maskedCredentials(s.credentials),
          undocumented: s.undocumented,
          summary: s.summary(),
        })),
      });
      out.line(
        `Sandboxes up (profile ${options.profile}, seed ${options.seed}, ${fleet.company.hr.length} people):`,
      );
      out.table(
        fleet.sandboxes.map((s) => [
          s.title,
          s.baseUrl,
          credentialText(s.credentials),
          Object.entries(s.summary())
            .map(([k, v]) => `${v} ${k}`)
            .join(', '),
        ]),
      );
      if (options.writeConfig)
        out.line(`\nWrote ${configPath} (the full credentials, readable by you only) and ${hrPath}.`);
      out.line(
        'Admin API of each sandbox at <origin>/__admin (state, requests, faults, clock). Ctrl-C stops.',
      );
      await new Promise<void>((done) => {
        const stop = () => fleet.close().then(done, done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

interface SandboxStartOptions {
  apps: string;
  profile: FaultProfileName;
  seed: number;
  people: number;
  port: number;
  undocumented?: string;
  writeConfig: boolean;
  json?: boolean;
}

/** A secret shown only by its first characters: enough to tell two apart, never enough to use. */
const hint = (secret: string) => `${secret.slice(0, 4)}…`;

/** Credentials as the terminal may show them; the full ones are in roster.yaml (0600) and the admin API. */
function maskedCredentials(c: { token: string; username?: string; password?: string; tenant?: string }) {
  return {
    token: hint(c.token),
    ...(c.tenant ? { tenant: c.tenant } : {}),
    ...(c.username ? { username: c.username, password: hint(c.password ?? '') } : {}),
  };
}

function credentialText(c: { token: string; username?: string; password?: string; tenant?: string }): string {
  const m = maskedCredentials(c);
  const parts = [`token ${m.token}`];
  if (m.tenant) parts.push(`tenant ${m.tenant}`);
  if (m.username) parts.push(`basic ${m.username}:${m.password ?? ''}`);
  return parts.join(', ');
}

export function parseApps(list: string): SeedAppType[] {
  const apps = list
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const app of apps) {
    if (!(SEED_APP_TYPES as readonly string[]).includes(app)) {
      throw new RosterError('invalid_input', `unknown app "${app}"`, {
        where: '--apps',
        fix: `use some of: ${SEED_APP_TYPES.join(', ')}`,
      });
    }
  }
  return apps as SeedAppType[];
}

/** @module Test support over the whole fleet: a user's folder (HR export + roster.yaml) next to running sandboxes. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { APP_DEPARTMENTS, hrToCsv } from './company.js';
import { type Fleet, fleetConfigYaml } from './fleet.js';

/**
 * A folder holding what a user would have next to running sandboxes: the HR export and a roster.yaml pointing at
 * the fleet (with `policy` added when given). Returns the `-c <roster.yaml>` arguments and the file's path.
 */
export function fleetWorkspace(
  fleet: Fleet,
  options: { policy?: object; edit?: (yaml: string) => string; prefix?: string } = {},
): { dir: string; file: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'roster-ws-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const yaml = fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' });
  const doc = parse((options.edit ?? ((y: string) => y))(yaml)) as Record<string, unknown>;
  const file = join(dir, 'roster.yaml');
  writeFileSync(file, stringify(options.policy ? { ...doc, policy: options.policy } : doc));
  return { dir, file, args: ['-c', file] };
}

/**
 * The Process Street birthright policy tests share: an account for everyone active in its departments and in
 * Design (who have none yet, so the plan invites them); Roster manages accounts only.
 */
export const OPS_TOOLS_POLICY = {
  rules: [
    {
      name: 'ops tools',
      when: { department: [...APP_DEPARTMENTS['process-street'], 'Design'], status: 'active' },
      apps: { 'process-street': {} },
    },
  ],
  managed: { 'process-street': ['account'] },
};

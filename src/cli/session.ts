/** @module One command's Roster context: roster.yaml from --config, the store it names, the OS user as actor. */

import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openRoster, type Roster } from '../app/context.js';
import { loadConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';

/** The roster.yaml this command reads (the global --config). */
export function configPath(command: Command): string {
  return command.optsWithGlobals<{ config: string }>().config;
}

export async function loadCommandConfig(command: Command): Promise<RosterConfig> {
  return loadConfig(configPath(command));
}

/** The OS user running the command: what the audit log names unless `--by` says otherwise. */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Opens the context for one command, runs it, and always closes the store and connectors. */
export async function withRoster<T>(
  command: Command,
  run: (roster: Roster) => Promise<T>,
  options: { actor?: string | undefined } = {},
): Promise<T> {
  const roster = await openRoster(await loadCommandConfig(command), { actor: options.actor ?? osUser() });
  try {
    return await run(roster);
  } finally {
    await roster.close();
  }
}

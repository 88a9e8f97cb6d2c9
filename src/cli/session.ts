/** @module One command's Roster context: roster.yaml from --config, the store it names, the OS user as actor. */

import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Roster } from '../app/context.js';
import type { RosterConfig } from '../config/schema.js';
import type { HttpLogger } from '../connectors/http/index.js';

/** The roster.yaml this command reads (the global --config). */
export function configPath(command: Command): string {
  return command.optsWithGlobals<{ config: string }>().config;
}

export async function loadCommandConfig(command: Command): Promise<RosterConfig> {
  // Loaded on use, as everything heavy here: `roster --help` must not load the core (issue 17, cold start).
  const { loadConfig } = await import('../config/load.js');
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
  const { logLevel } = command.optsWithGlobals<{ logLevel: (typeof LOG_LEVELS)[number] }>();
  const { openRoster } = await import('../app/context.js');
  const roster = await openRoster(await loadCommandConfig(command), {
    actor: options.actor ?? osUser(),
    connectors: { logger: await stderrLogger(logLevel) },
  });
  try {
    return await run(roster);
  } finally {
    await roster.close();
  }
}

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * Where roster.yaml is when --config does not say: $ROSTER_CONFIG, else the nearest roster.yaml in the working
 * folder or above it (as git finds .git), else ./roster.yaml, so the error can say to run `roster init`.
 */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.ROSTER_CONFIG) return env.ROSTER_CONFIG;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, 'roster.yaml');
    if (existsSync(candidate)) return relative(cwd, candidate) || 'roster.yaml';
    if (dirname(dir) === dir) return 'roster.yaml';
  }
}

/** JSON log lines on stderr at the chosen level; the HTTP client redacts every secret before a line is written. */
export async function stderrLogger(level: (typeof LOG_LEVELS)[number] = 'error'): Promise<HttpLogger> {
  const { pino } = await import('pino');
  // Through process.stderr, so a line lands in order with the rest of what the command prints.
  const logger: HttpLogger = pino(
    { level, base: { name: 'roster' } },
    { write: (line: string) => process.stderr.write(line) },
  );
  return logger;
}

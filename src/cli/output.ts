/** @module How the CLI speaks: plain lines for people, one JSON document with --json, errors on stderr. */

import { ERROR_CODE_TABLE, isRosterError } from '../core/errors.js';

export interface Output {
  readonly json: boolean;
  /** A line for people; silent in --json mode. */
  line(text?: string): void;
  /** The one JSON document of a --json run. */
  result(value: unknown): void;
  /** Aligned columns for people. */
  table(rows: readonly (readonly string[])[], indent?: number): void;
  warn(text: string): void;
}

export function createOutput(options: { json: boolean }): Output {
  const write = (text: string) => process.stdout.write(text);
  return {
    json: options.json,
    line(text = '') {
      if (!options.json) write(`${text}\n`);
    },
    result(value) {
      if (options.json) write(`${JSON.stringify(value, null, 2)}\n`);
    },
    table(rows, indent = 2) {
      if (options.json || rows.length === 0) return;
      const widths: number[] = [];
      for (const row of rows) {
        for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
      }
      for (const row of rows) {
        const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)));
        write(`${' '.repeat(indent)}${cells.join('  ').trimEnd()}\n`);
      }
    },
    warn(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

/** Print an error for people (or as JSON) and give the exit code its code maps to. */
export function reportError(error: unknown, json: boolean): number {
  if (isRosterError(error)) {
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, where: error.where, fix: error.fix } }, null, 2)}\n`,
      );
    } else {
      process.stderr.write(`roster: ${error.describe()}\n`);
    }
    return ERROR_CODE_TABLE[error.code].exit;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message } }, null, 2)}\n`);
  else process.stderr.write(`roster: internal error: ${message}\n`);
  return ERROR_CODE_TABLE.internal.exit;
}

let exitCode = 0;

/** A command that printed its result but did not fully succeed sets the exit code here (main returns it). */
export function setExitCode(code: number): void {
  exitCode = Math.max(exitCode, code);
}

/** The exit code set since the last call, and reset it. */
export function takeExitCode(): number {
  const code = exitCode;
  exitCode = 0;
  return code;
}

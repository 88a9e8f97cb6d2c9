/** @module How the CLI speaks: plain lines for people, one JSON document with --json, errors on stderr. */

import { ERROR_CODE_TABLE, isRosterError } from '../core/errors.js';

export interface Output {
  readonly json: boolean;
  /** A line for people; silent in --json mode. */
  line(text?: string): void;
  /** The one JSON document of a --json run: the data in the envelope (see JSON_SCHEMA_VERSION). */
  result(value: unknown, meta?: { asOf?: unknown }): void;
  /** Aligned columns for people. */
  table(rows: readonly (readonly string[])[], indent?: number): void;
  warn(text: string): void;
}

/** ANSI colours by severity word; only on a terminal, and never when NO_COLOR is set (no-color.org). */
const SEVERITY_COLOURS: Record<string, string> = { high: '31', medium: '33', low: '36', info: '2' };

export interface OutputOptions {
  json: boolean;
  /** Columns to fit tables in; default: the terminal's width, or none (no truncation) when not a terminal. */
  width?: number | null;
  colour?: boolean;
}

/** Cuts `text` to `width` characters, the last one an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export function createOutput(options: OutputOptions): Output {
  const write = (text: string) => process.stdout.write(text);
  const tty = process.stdout.isTTY === true;
  const width = options.width !== undefined ? options.width : tty ? (process.stdout.columns ?? 100) : null;
  const colour = options.colour ?? (tty && !process.env.NO_COLOR);
  const paint = (cell: string, padded: string) => {
    const code = colour ? SEVERITY_COLOURS[cell] : undefined;
    return code ? `\x1b[${code}m${padded}\x1b[0m` : padded;
  };
  return {
    json: options.json,
    line(text = '') {
      if (!options.json) write(`${text}\n`);
    },
    result(value, meta = {}) {
      if (options.json) write(`${JSON.stringify(envelope({ ...meta, data: value }), null, 2)}\n`);
    },
    table(rows, indent = 2) {
      if (options.json || rows.length === 0) return;
      const widths: number[] = [];
      for (const row of rows) {
        for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
      }
      // On a terminal a row never wraps to column 0: the widest columns give way first, cut with an ellipsis.
      if (width !== null) {
        const budget = width - indent - 2 * (widths.length - 1);
        while (widths.reduce((a, b) => a + b, 0) > budget) {
          const widest = widths.indexOf(Math.max(...widths));
          if ((widths[widest] ?? 0) <= 4) break;
          widths[widest] = (widths[widest] ?? 0) - 1;
        }
      }
      for (const row of rows) {
        const cells = row.map((cell, i) => {
          const w = widths[i] ?? 0;
          const shown = width === null ? cell : truncate(cell, w);
          return paint(cell, i === row.length - 1 ? shown : shown.padEnd(w));
        });
        const line = `${' '.repeat(indent)}${cells.join('  ').trimEnd()}`;
        write(`${line}\n`);
      }
    },
    warn(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

/**
 * Every --json document is one object: `{ schemaVersion, generatedAt, asOf?, data }`, or `{ schemaVersion,
 * generatedAt, error }` when the command failed. `data` is never a bare array at the top level of the document, and
 * a field is only ever added within a schema version; a change that removes or retypes one raises it.
 */
export const JSON_SCHEMA_VERSION = 1;

function envelope(body: { asOf?: unknown; data?: unknown; error?: unknown }): Record<string, unknown> {
  return { schemaVersion: JSON_SCHEMA_VERSION, generatedAt: new Date().toISOString(), ...body };
}

/** Print an error for people (or as JSON) and give the exit code its code maps to. */
export function reportError(error: unknown, json: boolean): number {
  if (isRosterError(error)) {
    if (json) {
      process.stdout.write(
        `${JSON.stringify(envelope({ error: { code: error.code, message: error.message, where: error.where, fix: error.fix } }), null, 2)}\n`,
      );
    } else {
      process.stderr.write(`roster: ${error.describe()}\n`);
    }
    return ERROR_CODE_TABLE[error.code].exit;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    process.stdout.write(`${JSON.stringify(envelope({ error: { code: 'internal', message } }), null, 2)}\n`);
  } else process.stderr.write(`roster: internal error: ${message}\n`);
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

/** @module Files that hold secrets or everyone's access (roster.db, a roster.yaml with tokens): created 0600, wider ones named. */

import { closeSync, existsSync, openSync, statSync, writeFileSync } from 'node:fs';

/** Owner read and write only. */
export const PRIVATE_MODE = 0o600;

/** Where warnings go when the caller gives no writer: stderr, one line each. */
export const stderrWarning = (message: string): void => {
  process.stderr.write(`roster: warning: ${message}\n`);
};

/**
 * The warning for a file that group or others may read or write, or null when it is private (or absent).
 * Windows has no such modes, so nothing is said there.
 */
export function widerThanPrivate(path: string, holds: string): string | null {
  if (process.platform === 'win32' || !existsSync(path)) return null;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  return `${path} is readable or writable by others (mode ${mode.toString(8).padStart(3, '0')}) and holds ${holds}; run: chmod 600 ${path}`;
}

/** Creates an empty file with mode 0600 unless it exists; says so (through warn) when an existing one is wider. */
export function ensurePrivateFile(path: string, holds: string, warn: (message: string) => void): void {
  if (!existsSync(path)) {
    // 'wx' fails if another process created it meanwhile; then it is theirs and is checked below like any other.
    try {
      closeSync(openSync(path, 'wx', PRIVATE_MODE));
      return;
    } catch {
      // fall through to the check
    }
  }
  const wider = widerThanPrivate(path, holds);
  if (wider !== null) warn(wider);
}

/** Writes a file that holds secrets: created 0600; an existing wider file is rewritten and named in a warning. */
export function writePrivateFile(
  path: string,
  text: string,
  holds: string,
  warn: (message: string) => void,
): void {
  const wider = widerThanPrivate(path, holds);
  // `mode` applies only when the file is created; an existing file keeps its mode, hence the warning.
  writeFileSync(path, text, { mode: PRIVATE_MODE });
  if (wider !== null) warn(wider);
}

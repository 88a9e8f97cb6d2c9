/** @module Test helper for optional endpoints: a logger that keeps what it was told, to assert on fallbacks. */

import type { HttpLogger } from '../http/index.js';

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn';
  fields: object;
  message: string;
}

/** An HttpLogger whose lines (children's included) land in `lines`. */
export function captureLogger(): HttpLogger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const make = (): HttpLogger => ({
    child: () => make(),
    debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  });
  return Object.assign(make(), { lines });
}

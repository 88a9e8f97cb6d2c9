/** @module Argument parsers shared by commands. */

import { RosterError } from '../core/errors.js';

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new RosterError('invalid_input', `"${value}" is not a whole number`, {
      fix: 'give a number like 200',
    });
  }
  return n;
}

/** @module The truncation guard: refuses an import that would drop too large a share of the active people. */

import { RosterError } from '../core/errors.js';

export interface CheckDropOptions {
  /** Employee ids of the people active before this import, or just how many there were. */
  previousActive: Iterable<string> | number;
  /** Employee ids of the people active in this import, or how many (a count cannot see hires masking leavers). */
  nextActive: Iterable<string> | number;
  /** The smallest share of the previously active people whose loss is refused: 0.3 refuses a drop of 30%. */
  maxDropShare: number;
  /** The export's name for the message (`hr.csv`). */
  file?: string;
}

export type CheckDropResult =
  | { ok: true; dropped: number; previous: number; share: number }
  | { ok: false; dropped: number; previous: number; share: number; error: RosterError };

/**
 * Compare two imports' active people. A half-exported file reads as a mass termination, and the plan that
 * follows would deactivate everyone missing from it; this is the check that stops it before any plan.
 */
export function checkDrop(options: CheckDropOptions): CheckDropResult {
  const { maxDropShare, file = 'the source' } = options;
  if (!(maxDropShare > 0 && maxDropShare <= 1)) {
    throw new RosterError('invalid_input', `maxDropShare is ${maxDropShare}, not a share between 0 and 1`, {
      where: 'source.maxDropShare',
      fix: 'set it to a share such as 0.3 (30%)',
    });
  }
  const { previous, dropped } = count(options.previousActive, options.nextActive);
  const share = previous === 0 ? 0 : dropped / previous;
  if (share < maxDropShare) return { ok: true, dropped, previous, share };
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  const error = new RosterError(
    'conflict',
    `this import would drop ${dropped} of ${previous} active people (${percent(share)}), at or above the ` +
      `${percent(maxDropShare)} limit: run with --force if that is right, or check that ${file} is the complete export`,
    {
      where: file,
      fix: `run with --force if ${dropped} people really left, or check that ${file} is the complete export`,
      details: { dropped, previous, share, maxDropShare },
    },
  );
  return { ok: false, dropped, previous, share, error };
}

function count(previous: Iterable<string> | number, next: Iterable<string> | number) {
  if (typeof previous === 'number' || typeof next === 'number') {
    const before = typeof previous === 'number' ? previous : new Set(previous).size;
    const after = typeof next === 'number' ? next : new Set(next).size;
    return { previous: before, dropped: Math.max(0, before - after) };
  }
  const before = new Set(previous);
  const after = new Set(next);
  let dropped = 0;
  for (const id of before) if (!after.has(id)) dropped++;
  return { previous: before.size, dropped };
}

/** @module When to retry and how long to wait: full-jitter backoff, Retry-After, and the ambiguity rule for writes. */

import { isRosterError } from '../../core/errors.js';

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 15_000 };

/** Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)), attempt counting from 0. */
export function backoffDelay(attempt: number, backoff: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Reads Retry-After (RFC 9110: delta-seconds or an HTTP-date) as milliseconds from `nowMs`, or null when
 * absent or unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** The wait before the next attempt: the app's Retry-After when it sent one (capped at 4x capMs), else backoff. */
export function retryDelay(input: {
  attempt: number;
  retryAfterMs: number | null;
  backoff: BackoffOptions;
  random: () => number;
}): number {
  if (input.retryAfterMs !== null) return Math.min(input.retryAfterMs, input.backoff.capMs * 4);
  return backoffDelay(input.attempt, input.backoff, input.random);
}

/** One failed attempt, as far as retrying is concerned. */
export type AttemptFailure =
  | { kind: 'status'; status: number }
  | { kind: 'timeout' }
  | { kind: 'reset' }
  /** The request never left: connection refused, connect timeout, unreachable host. */
  | { kind: 'not_sent' }
  /** A success status whose body could not be read (malformed JSON): the request was carried out. */
  | { kind: 'unreadable' }
  /** A body bigger than the client reads: the request was carried out, its answer is unusable. */
  | { kind: 'too_large' }
  /** A 3xx: never followed, and not an answer either. */
  | { kind: 'redirect'; status: number }
  | { kind: 'other' };

/**
 * What to do after a failed attempt. `retry`: safe and worth it. `ambiguous`: a write may have been carried
 * out, so it must not be repeated blindly. `fail`: retrying cannot help.
 */
export function retryDecision(failure: AttemptFailure, idempotent: boolean): 'retry' | 'ambiguous' | 'fail' {
  switch (failure.kind) {
    case 'not_sent':
      return 'retry';
    case 'timeout':
    case 'reset':
      return idempotent ? 'retry' : 'ambiguous';
    case 'status': {
      // 429 and 503 are answered before the request is processed, so even a write may be repeated.
      if (failure.status === 429 || failure.status === 503) return 'retry';
      // A 500 is usually a passing fault of the app; a read can simply ask again, a write may have happened.
      if (failure.status === 500 || failure.status === 502 || failure.status === 504) {
        return idempotent ? 'retry' : 'ambiguous';
      }
      return 'fail';
    }
    case 'unreadable':
    case 'too_large':
      return idempotent ? 'fail' : 'ambiguous';
    case 'redirect':
      // A 303 after a POST is how some APIs say "created, look here": the write may have happened.
      return idempotent ? 'fail' : 'ambiguous';
    case 'other':
      return 'fail';
  }
}

/** True for the error the client throws when a write may or may not have been carried out. */
export function isAmbiguous(error: unknown): boolean {
  return isRosterError(error) && error.details['ambiguous'] === true;
}

export interface AmbiguityCheckResult<T> {
  value: T;
  /** True when an attempt's answer was lost and the object was found by the lookup instead. */
  recovered: boolean;
  /** How many times `attempt` ran. */
  attempts: number;
}

/**
 * Runs a write whose answer may be lost. On an ambiguous failure it asks `lookup` whether the write took
 * effect: if so, that object is the result; if not, the write is tried again, up to `maxAttempts` in all.
 * Any other failure, and an ambiguous one on the last attempt, is thrown as it came.
 */
export async function withAmbiguityCheck<T>(options: {
  attempt: () => Promise<T>;
  lookup: () => Promise<T | null | undefined>;
  maxAttempts?: number;
}): Promise<AmbiguityCheckResult<T>> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  for (let attempts = 1; ; attempts++) {
    try {
      return { value: await options.attempt(), recovered: false, attempts };
    } catch (error) {
      if (!isAmbiguous(error)) throw error;
      const found = await options.lookup();
      if (found !== null && found !== undefined) return { value: found, recovered: true, attempts };
      if (attempts >= maxAttempts) throw error;
    }
  }
}

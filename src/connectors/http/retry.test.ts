import { describe, expect, it } from 'vitest';
import { RosterError } from '../../core/errors.js';
import { backoffDelay, parseRetryAfter, retryDecision, retryDelay, withAmbiguityCheck } from './retry.js';

const backoff = { baseMs: 250, capMs: 15_000 };

describe('backoff and Retry-After', () => {
  it('full jitter spans zero to the capped exponential ceiling', () => {
    expect(backoffDelay(0, backoff, () => 0)).toBe(0);
    expect(backoffDelay(3, backoff, () => 0.999)).toBe(1998);
    expect(backoffDelay(20, backoff, () => 0.5)).toBe(7500);
  });

  it('reads delta-seconds and HTTP-dates, and ignores what it cannot read', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-3', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('Retry-After wins over backoff but never beyond four times capMs', () => {
    expect(retryDelay({ attempt: 0, retryAfterMs: 2000, backoff, random: () => 0 })).toBe(2000);
    expect(retryDelay({ attempt: 0, retryAfterMs: 3_600_000, backoff, random: () => 0 })).toBe(60_000);
  });
});

describe('which failures are retried', () => {
  it('writes are repeated only when the failure proves nothing was done', () => {
    expect(retryDecision({ kind: 'status', status: 429 }, false)).toBe('retry');
    expect(retryDecision({ kind: 'status', status: 503 }, false)).toBe('retry');
    expect(retryDecision({ kind: 'not_sent' }, false)).toBe('retry');
    expect(retryDecision({ kind: 'status', status: 502 }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'status', status: 504 }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'timeout' }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'reset' }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'reset' }, true)).toBe('retry');
    expect(retryDecision({ kind: 'unreadable' }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'unreadable' }, true)).toBe('fail');
    expect(retryDecision({ kind: 'status', status: 500 }, true)).toBe('retry');
    expect(retryDecision({ kind: 'status', status: 500 }, false)).toBe('ambiguous');
    expect(retryDecision({ kind: 'status', status: 501 }, true)).toBe('fail');
    expect(retryDecision({ kind: 'status', status: 409 }, true)).toBe('fail');
  });
});

describe('withAmbiguityCheck', () => {
  const ambiguous = () => new RosterError('unavailable', 'lost', { details: { ambiguous: true } });

  it('retries the write when the lookup finds nothing, and stops at maxAttempts', async () => {
    let calls = 0;
    let lookups = 0;
    const result = await withAmbiguityCheck({
      attempt: async () => {
        calls += 1;
        if (calls < 3) throw ambiguous();
        return 'made';
      },
      lookup: async () => {
        lookups += 1;
        return null;
      },
      maxAttempts: 3,
    });
    expect(result).toEqual({ value: 'made', recovered: false, attempts: 3 });
    expect(lookups).toBe(2);

    const failing = withAmbiguityCheck({
      attempt: async () => {
        throw ambiguous();
      },
      lookup: async () => null,
      maxAttempts: 2,
    });
    await expect(failing).rejects.toMatchObject({ code: 'unavailable', details: { ambiguous: true } });
  });

  it('a failure that is not ambiguous is thrown without a lookup', async () => {
    let lookups = 0;
    const run = withAmbiguityCheck({
      attempt: async () => {
        throw new RosterError('conflict', 'exists');
      },
      lookup: async () => {
        lookups += 1;
        return 'x';
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'conflict' });
    expect(lookups).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';

describe('circuit breaker', () => {
  it('lets exactly one probe through after the cooldown', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, () => now);
    breaker.failure();
    expect(breaker.failure()).toBe(true);
    expect(breaker.check()).toEqual({ allowed: false, retryAt: 100, failures: 2 });
    now = 100;
    expect(breaker.check().allowed).toBe(true);
    expect(breaker.check().allowed).toBe(false);
    breaker.success();
    expect(breaker.status.state).toBe('closed');
    expect(breaker.check().allowed).toBe(true);
  });

  it('a success in between resets the count of consecutive failures', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, () => 0);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.status).toEqual({ state: 'closed', failures: 1 });
  });
});

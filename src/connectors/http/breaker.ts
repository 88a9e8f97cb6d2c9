/** @module The circuit breaker: stop calling an app that keeps failing, then let one probe through after a cooldown. */

export interface BreakerOptions {
  /** Consecutive `unavailable` failures that open the circuit. */
  failureThreshold: number;
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 8, cooldownMs: 15_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerVerdict = { allowed: true } | { allowed: false; retryAt: number; failures: number };

/**
 * Closed: calls pass and consecutive failures are counted. Open: calls fail fast until the cooldown ends.
 * Half-open: exactly one probe passes; its success closes the circuit, its failure opens it again.
 * Only failures that say the app is unwell count; any other answer (a 4xx included) proves it is up.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly options: BreakerOptions;
  private readonly now: () => number;

  constructor(options: BreakerOptions, now: () => number) {
    this.options = options;
    this.now = now;
  }

  get status(): { state: BreakerState; failures: number } {
    return { state: this.state, failures: this.failures };
  }

  /** Asks to make a call. In half-open state the one caller allowed through is the probe. */
  check(): BreakerVerdict {
    if (this.state === 'closed') return { allowed: true };
    const retryAt = this.openedAt + this.options.cooldownMs;
    if (this.state === 'open' && this.now() >= retryAt) {
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return { allowed: true };
    }
    return { allowed: false, retryAt, failures: this.failures };
  }

  /** The app answered (any status that is not a sign of it being down). */
  success(): void {
    this.state = 'closed';
    this.failures = 0;
    this.probing = false;
  }

  /** The app is unwell: 5xx, reset, timeout. Returns true when this failure opened the circuit. */
  failure(): boolean {
    this.failures += 1;
    // A request that was in flight when the circuit opened does not push the cooldown further out.
    if (this.state === 'open') return false;
    if (this.state === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.state = 'open';
      this.openedAt = this.now();
      this.probing = false;
      return true;
    }
    return false;
  }

  /** A call let through ended without an outcome about the app (cancelled): free the probe place. */
  abandon(): void {
    this.probing = false;
  }
}

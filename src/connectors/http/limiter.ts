/** @module Adaptive concurrency (AIMD): how many requests one client keeps in flight, and the FIFO queue for the rest. */

export interface ConcurrencyOptions {
  initial: number;
  min: number;
  max: number;
}

export const DEFAULT_CONCURRENCY: ConcurrencyOptions = { initial: 4, min: 1, max: 32 };

/**
 * What the HTTP client asks before each request and tells after it. The in-process AdaptiveLimiter is the
 * default; cluster mode injects one whose window lives in Redis, shared by every worker (src/cluster/budget.ts).
 */
export interface RequestLimiter {
  readonly limit: number;
  acquire(): Promise<Slot>;
  success(): void;
  /** A 429 or a timeout on this slot; `retryAfterMs` is what the app asked for, when it said. */
  overload(slot: Pick<Slot, 'epoch'>, retryAfterMs?: number | null): boolean;
}

/** A place in flight. Release it once the answer is read; releasing twice is harmless. */
export interface Slot {
  release(): void;
  /** The limiter's decrease epoch when this slot was granted. */
  readonly epoch: number;
}

/**
 * Additive increase, multiplicative decrease: +1 after `limit` successes in a row of the current limit,
 * halved on an overload signal (429, timeout). A burst of overloads from requests that were all in flight
 * before the last decrease halves the limit once, not once each: they report the same congestion.
 */
export class AdaptiveLimiter implements RequestLimiter {
  private current: number;
  private inFlight = 0;
  private successes = 0;
  private epoch = 0;
  private readonly queue: (() => void)[] = [];
  private readonly options: ConcurrencyOptions;

  constructor(options: ConcurrencyOptions) {
    const min = Math.max(1, Math.floor(options.min));
    const max = Math.max(min, Math.floor(options.max));
    this.options = { min, max, initial: Math.min(max, Math.max(min, Math.floor(options.initial))) };
    this.current = this.options.initial;
  }

  get limit(): number {
    return this.current;
  }

  get active(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Waits, first come first served, until fewer than `limit` requests are in flight. */
  acquire(): Promise<Slot> {
    return new Promise((resolve) => {
      const grant = () => {
        this.inFlight += 1;
        let released = false;
        resolve({
          epoch: this.epoch,
          release: () => {
            if (released) return;
            released = true;
            this.inFlight -= 1;
            this.drain();
          },
        });
      };
      if (this.queue.length === 0 && this.inFlight < this.current) grant();
      else this.queue.push(grant);
    });
  }

  /** The app answered: after `limit` of these the limit grows by one, up to max. */
  success(): void {
    this.successes += 1;
    if (this.successes >= this.current) {
      this.successes = 0;
      if (this.current < this.options.max) {
        this.current += 1;
        this.drain();
      }
    }
  }

  /** The app pushed back (429 or a timeout): halve, down to min. Returns whether the limit changed. */
  overload(slot: Pick<Slot, 'epoch'>): boolean {
    this.successes = 0;
    if (slot.epoch !== this.epoch) return false;
    this.epoch += 1;
    const next = Math.max(this.options.min, Math.floor(this.current / 2));
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.current) this.queue.shift()!();
  }
}

/** @module Background work of the server: one run per key at a time (a trigger during a run joins it), drained on shutdown. */

import { RosterError } from '../core/errors.js';

export interface JobInfo {
  key: string;
  startedAt: string;
}

export class Jobs {
  private readonly running = new Map<string, { promise: Promise<unknown>; info: JobInfo }>();
  private stopping = false;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  /**
   * Starts fn under key unless a run with that key is in flight, in which case that run is returned:
   * overlapping triggers coalesce into the run already going.
   */
  start<T>(key: string, fn: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing.promise as Promise<T>, joined: true };
    if (this.stopping) {
      throw new RosterError('unavailable', 'the server is shutting down and takes no new work', {
        fix: 'retry against the restarted server',
      });
    }
    const promise = (async () => {
      try {
        return await fn();
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, { promise, info: { key, startedAt: this.clock().toISOString() } });
    // The caller may not wait; a failure is recorded by fn itself (sync runs, op outcomes), not lost here.
    promise.catch(() => undefined);
    return { promise, joined: false };
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  list(): JobInfo[] {
    return [...this.running.values()].map((r) => r.info);
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Takes no new work and waits for what is in flight to end. */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running.values()].map((r) => r.promise));
    }
  }
}

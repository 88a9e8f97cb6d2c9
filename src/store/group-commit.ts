/**
 * @module Group commit: small write transactions that arrive together (ops finishing and starting side by side)
 * share one commit, each caller still answered only once its writes are durable.
 */

import type { Store } from './store.js';

interface Unit {
  fn: (tx: Store) => Promise<unknown>;
  /** The write is one statement: alone in its batch, it runs as that statement's own transaction. */
  single: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs each `write` as if in a transaction of its own, but gathers the writes queued in one turn of the event
 * loop (and while a commit is under way) into one transaction. A write's promise settles after that transaction
 * committed, so nothing a caller does next (an upstream call after an intent, a report after an outcome) runs
 * before its record is durable. When one write of a batch throws, the batch is rolled back whole and each of its
 * writes runs again in a transaction of its own: the others commit, the failing one fails alone.
 *
 * A write's function must only use the store it is given, and must be safe to run again after a rollback (it
 * may run twice: once in the rolled-back batch, once alone).
 */
export class GroupCommit {
  private queue: Unit[] = [];
  /** A batch is waiting for its turns to pass before it starts. */
  private scheduled = false;
  /** Batches started and not yet committed (or rolled back). */
  private inFlight = 0;
  private readonly turns: number;
  private readonly parallel: number;

  /**
   * `gatherTurns`: how many turns of the event loop a batch waits for writes before it commits (default 1: the
   * writes queued by the callbacks of the turn the first one came in). Callers whose writers each wait on the
   * network in between (an apply's ops, one write pending each) gather more per commit by waiting one more turn:
   * the answers that landed meanwhile join it, for a turn's latency.
   *
   * `parallel`: how many batches may be in flight at once (default: the store's parallelTransactions). With one,
   * writes that come while a batch commits wait for it; with more (a Postgres pool), they start a batch of their
   * own on another connection, so a batch's round trips to the server overlap the others'.
   */
  constructor(
    private readonly store: Store,
    options: { gatherTurns?: number; parallel?: number } = {},
  ) {
    this.turns = Math.max(1, Math.floor(options.gatherTurns ?? 1));
    this.parallel = Math.max(1, Math.floor(options.parallel ?? store.parallelTransactions ?? 1));
  }

  /**
   * `single`: the write makes one statement (and no more writes, say, on a refusal, only reads). When no other write
   * joins its batch it then runs without a transaction around it: the statement is its own, durable as it
   * returns, and a begin and a commit fewer (on Postgres, two round trips). Batched with others, it runs in
   * their transaction like any write.
   *
   * On a store that runs transactions side by side (Postgres), a single write joins no batch: it runs at once, as
   * its own statement. In a batch it waited for the batch's turns and for the round trips of the batch's other
   * statements, where alone it costs one round trip; and the commit the batch would share is one the server's
   * own flush shares between concurrent commits anyway. Apply's id record is such a write, between an op's create
   * and its read-back (bench:apply, the app 2 ms away, Postgres: its wait 1.08 → 0.70 ms at the median, 77 → 80 %
   * of the raw loop's throughput). With one connection (SQLite), batching it still spares a commit.
   */
  write<T>(fn: (tx: Store) => Promise<T>, options: { single?: boolean } = {}): Promise<T> {
    if (options.single && this.parallel > 1) return fn(this.store);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn,
        single: options.single ?? false,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      // A later turn: writes queued by the other callbacks of this one (and of the turns between) join the commit.
      this.schedule(this.turns);
    });
  }

  /** Starts a batch after `turns` turns, unless one is waiting already or every slot is taken. */
  private schedule(turns: number): void {
    if (this.scheduled || this.inFlight >= this.parallel || this.queue.length === 0) return;
    this.scheduled = true;
    this.afterTurns(turns, () => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private afterTurns(turns: number, fn: () => void): void {
    setImmediate(() => (turns > 1 ? this.afterTurns(turns - 1, fn) : fn()));
  }

  private async flush(): Promise<void> {
    const units = this.queue;
    if (units.length === 0) return;
    this.queue = [];
    this.inFlight++;
    try {
      if (units.length === 1) await this.alone(units[0] as Unit);
      else await this.together(units);
    } finally {
      this.inFlight--;
      // Writes that came while this batch committed go next, together.
      this.schedule(1);
    }
  }

  private async together(units: Unit[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.store.transaction(
        async (tx) => {
          const out: unknown[] = [];
          for (const unit of units) out.push(await unit.fn(tx));
          return out;
        },
        { rerunnable: true },
      );
    } catch {
      for (const unit of units) await this.alone(unit);
      return;
    }
    for (const [i, unit] of units.entries()) unit.resolve(results[i]);
  }

  private async alone(unit: Unit): Promise<void> {
    try {
      unit.resolve(
        await (unit.single ? unit.fn(this.store) : this.store.transaction(unit.fn, { rerunnable: true })),
      );
    } catch (error) {
      unit.reject(error);
    }
  }
}

/**
 * @module Audit events that may be written a moment late, in batches: one transaction for every event queued
 * within a few milliseconds (or N of them), each still chained and hashed one by one, and every queued event
 * written before the queue closes. For events that record that something was asked (a SCIM request answered);
 * an op's intent and outcome are never queued here: they are written with the op, before the answer.
 */

import type { AuditInput, Store } from '../store/store.js';

export interface AuditQueue {
  /** Queues an event; it is written within `maxDelayMs`, or at once when the batch is full. */
  append(event: AuditInput): void;
  /** Writes every event queued so far; resolves once they are in the store. */
  flush(): Promise<void>;
  /** Flushes and stops the timer (a graceful shutdown: nothing queued is lost). Appends after close write at once. */
  close(): Promise<void>;
}

export interface AuditQueueOptions {
  /** The longest an event waits before its batch is written (ms, default 5). */
  maxDelayMs?: number;
  /** The most events one transaction writes (default 100). */
  maxBatch?: number;
  /** Told of a batch that could not be written (after one retry), with how many events it held. */
  onError?: (error: unknown, lost: number) => void;
  /**
   * How a batch is written: the store's own transaction by default, or a group commit shared with other writes
   * (the SCIM facade's op records), so a batch rides on a commit that happens anyway.
   */
  transaction?: (fn: (tx: Store) => Promise<void>) => Promise<void>;
}

export function auditQueue(store: Store, options: AuditQueueOptions = {}): AuditQueue {
  const maxDelayMs = options.maxDelayMs ?? 5;
  const maxBatch = Math.max(1, options.maxBatch ?? 100);
  // A batch only appends its events: it may run again (see TransactionOptions).
  const transaction = options.transaction ?? ((fn) => store.transaction(fn, { rerunnable: true }));
  let queued: AuditInput[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  // Batches are written one after another, in the order queued, so the chain keeps the order of requests.
  let writing: Promise<void> = Promise.resolve();

  const write = async (batch: AuditInput[]): Promise<void> => {
    const once = () =>
      transaction(async (tx) => {
        for (const event of batch) await tx.appendAudit(event);
      });
    try {
      await once();
    } catch {
      // A transaction lost to a busy database or a chain race is all-or-nothing: once more, then report.
      try {
        await once();
      } catch (error) {
        options.onError?.(error, batch.length);
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (queued.length > 0) {
      const batch = queued;
      queued = [];
      writing = writing.then(() => write(batch));
    }
    return writing;
  };

  return {
    append(event) {
      queued.push(event);
      if (closed || queued.length >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), maxDelayMs);
        // A queued event does not keep the process alive by itself; close() is what writes the last ones.
        timer.unref();
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../store/group-commit.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/store.js';
import { auditQueue } from './audit-batch.js';

describe('the audit queue writes events in batches and loses none', () => {
  let store: Store;
  let transactions: number;
  beforeEach(async () => {
    const opened = await openSqliteStore(':memory:');
    transactions = 0;
    // Counts the transactions the queue opens, through the store it is given.
    store = new Proxy(opened, {
      get(target, key, receiver) {
        if (key === 'transaction')
          return (fn: (tx: Store) => Promise<unknown>) => {
            transactions++;
            return target.transaction(fn);
          };
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  });
  afterEach(() => store.close());

  const event = (i: number) => ({ actor: 'okta', kind: 'scim.request', subject: `GET /Users/${i}` });

  it('a batch given a group commit rides on its commit with other writes, not one of its own', async () => {
    const writes = new GroupCommit(store);
    const queue = auditQueue(store, { maxDelayMs: 60_000, transaction: (fn) => writes.write(fn) });
    queue.append(event(1));
    const other = writes.write((tx) => tx.appendAudit({ actor: 'roster', kind: 'op.intent', subject: 'x' }));
    await Promise.all([queue.flush(), other]);
    expect(transactions).toBe(1);
    expect(await store.verifyAudit()).toEqual({ ok: true, count: 2 });
  });

  it('events queued together are written in one transaction, in order, each chained', async () => {
    const queue = auditQueue(store, { maxDelayMs: 60_000 });
    for (let i = 0; i < 10; i++) queue.append(event(i));
    expect(await store.listAudit()).toEqual([]);
    await queue.flush();
    expect(transactions).toBe(1);
    expect((await store.listAudit()).map((e) => e.subject)).toEqual(
      Array.from({ length: 10 }, (_, i) => `GET /Users/${i}`),
    );
    expect(await store.verifyAudit()).toEqual({ ok: true, count: 10 });
  });

  it('a full batch is written without waiting for the delay', async () => {
    const queue = auditQueue(store, { maxDelayMs: 60_000, maxBatch: 4 });
    for (let i = 0; i < 9; i++) queue.append(event(i));
    await queue.flush();
    expect(transactions).toBe(3);
    expect(await store.listAudit()).toHaveLength(9);
  });

  it('closing writes what is queued (a graceful shutdown loses nothing), and later events are written at once', async () => {
    const queue = auditQueue(store, { maxDelayMs: 60_000 });
    queue.append(event(1));
    queue.append(event(2));
    await queue.close();
    expect((await store.listAudit()).map((e) => e.subject)).toEqual(['GET /Users/1', 'GET /Users/2']);
    queue.append(event(3));
    await queue.flush();
    expect(await store.listAudit()).toHaveLength(3);
  });

  it('a batch the store refuses twice is reported with how many events it held', async () => {
    const lost: number[] = [];
    const queue = auditQueue(store, { onError: (_e, n) => lost.push(n) });
    await store.close();
    queue.append(event(1));
    queue.append(event(2));
    await queue.flush();
    expect(lost).toEqual([2]);
    store = await openSqliteStore(':memory:');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';
import type { KyselyStore } from './kysely-store.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

describe('group commit', () => {
  let store: KyselyStore;
  let transactions: number;

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    transactions = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) => {
      transactions++;
      return transaction(fn);
    };
  });
  afterEach(() => store.close());

  const append = (kind: string) => (tx: Store) => tx.appendAudit({ actor: 'test', kind, data: {} });

  it('writes queued together share one transaction, and each caller gets its own result', async () => {
    const group = new GroupCommit(store);
    const events = await Promise.all(['a', 'b', 'c'].map((kind) => group.write(append(kind))));
    expect(events.map((e) => e.kind)).toEqual(['a', 'b', 'c']);
    expect(transactions).toBe(1);
    expect((await store.listAudit({})).map((e) => e.kind)).toEqual(['a', 'b', 'c']);
    expect(await store.verifyAudit()).toEqual({ ok: true, count: 3 });
  });

  it('a write is answered only after its transaction committed', async () => {
    const steps: string[] = [];
    const transaction = store.transaction.bind(store);
    store.transaction = async (fn) => {
      const result = await transaction(fn);
      steps.push('committed');
      return result;
    };
    const group = new GroupCommit(store);
    await Promise.all(
      ['a', 'b'].map((kind) =>
        group
          .write(async (tx) => {
            steps.push(`wrote ${kind}`);
            return append(kind)(tx);
          })
          .then(() => steps.push(`answered ${kind}`)),
      ),
    );
    expect(steps).toEqual(['wrote a', 'wrote b', 'committed', 'answered a', 'answered b']);
  });

  it('one failing write fails alone: the others of its batch still commit, once each', async () => {
    const group = new GroupCommit(store);
    const results = await Promise.allSettled([
      group.write(append('kept-1')),
      group.write(async (tx) => {
        await append('undone')(tx);
        throw new Error('refused');
      }),
      group.write(append('kept-2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('refused'));
    expect((await store.listAudit({})).map((e) => e.kind)).toEqual(['kept-1', 'kept-2']);
    expect(await store.verifyAudit()).toEqual({ ok: true, count: 2 });
  });

  it('gathering over two turns, a write queued on the next turn joins the same commit', async () => {
    const group = new GroupCommit(store, { gatherTurns: 2 });
    const first = group.write(append('a'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const second = group.write(append('b'));
    expect((await Promise.all([first, second])).map((e) => e.kind)).toEqual(['a', 'b']);
    expect(transactions).toBe(1);
  });

  it('gathering over one turn (the default), a write queued on the next turn commits on its own', async () => {
    const group = new GroupCommit(store);
    const first = group.write(append('a'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const second = group.write(append('b'));
    await Promise.all([first, second]);
    expect(transactions).toBe(2);
  });

  it('writes that arrive while a batch commits go in the next one', async () => {
    const group = new GroupCommit(store);
    const first = group.write(append('a'));
    await first;
    const later = await Promise.all([group.write(append('b')), group.write(append('c'))]);
    expect(later.map((e) => e.seq)).toEqual([2, 3]);
    expect(transactions).toBe(2);
  });
});

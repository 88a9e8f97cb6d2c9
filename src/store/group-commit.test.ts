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

  /** Appends an event and answers its kind (what each caller gets back from its own write). */
  const append = (kind: string) => async (tx: Store) => {
    await tx.appendAudit({ actor: 'test', kind, data: {} });
    return kind;
  };

  it('writes queued together share one transaction, and each caller gets its own result', async () => {
    const group = new GroupCommit(store);
    const events = await Promise.all(['a', 'b', 'c'].map((kind) => group.write(append(kind))));
    expect(events).toEqual(['a', 'b', 'c']);
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
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
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

  it('a one-statement write alone in its batch runs with no transaction around it; batched, in the batch’s', async () => {
    const group = new GroupCommit(store);
    const one = async (tx: Store) => {
      await tx.upsertApp({ id: 'alone', type: 'scim', baseUrl: 'http://x' });
      return 'one';
    };
    expect(await group.write(one, { single: true })).toBe('one');
    expect(transactions).toBe(0);
    expect(await store.getApp({ id: 'alone' })).not.toBeNull();
    expect(await Promise.all([group.write(one, { single: true }), group.write(append('a'))])).toEqual([
      'one',
      'a',
    ]);
    expect(transactions).toBe(1);
  });

  it('writes that arrive while a batch commits go in the next one', async () => {
    const group = new GroupCommit(store);
    const first = group.write(append('a'));
    await first;
    await Promise.all([group.write(append('b')), group.write(append('c'))]);
    expect((await store.listAudit({})).map((e) => `${e.seq}:${e.kind}`)).toEqual(['1:a', '2:b', '3:c']);
    expect(transactions).toBe(2);
  });
});

describe('group commit, batches side by side', () => {
  /** A store whose transactions end when the test says: each batch's writes, in the order batches began. */
  function heldStore(parallelTransactions: number) {
    const batches: string[][] = [];
    const ends: (() => void)[] = [];
    let inFlight = 0;
    let most = 0;
    const store = {
      parallelTransactions,
      async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
        const batch: string[] = [];
        batches.push(batch);
        inFlight++;
        most = Math.max(most, inFlight);
        const value = await fn({ note: (kind: string) => batch.push(kind) } as unknown as Store);
        await new Promise<void>((resolve) => ends.push(resolve));
        inFlight--;
        return value;
      },
    } as unknown as Store;
    return { store, batches, ends, most: () => most };
  }
  const note = (kind: string) => async (tx: Store) => {
    (tx as unknown as { note: (k: string) => void }).note(kind);
    return kind;
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await turn();
  };

  it('writes that come while a batch commits start a second one, up to the store’s parallel transactions', async () => {
    const held = heldStore(2);
    const group = new GroupCommit(held.store);
    const a = group.write(note('a'));
    await turns(3);
    // a's batch is in flight: b and c start the second batch, on a connection of their own.
    const bc = [group.write(note('b')), group.write(note('c'))];
    await turns(3);
    // Both slots taken: d waits for one.
    const d = group.write(note('d'));
    await turns(3);
    expect(held.batches).toEqual([['a'], ['b', 'c']]);
    held.ends.shift()?.();
    expect(await a).toBe('a');
    await turns(3);
    expect(held.batches).toEqual([['a'], ['b', 'c'], ['d']]);
    for (const end of held.ends.splice(0)) end();
    expect(await Promise.all(bc)).toEqual(['b', 'c']);
    held.ends.shift()?.();
    expect(await d).toBe('d');
    expect(held.most()).toBe(2);
  });

  it('with more than one, a one-statement write joins no batch: it runs at once, as its own statement', async () => {
    const held = heldStore(2);
    let alone = 0;
    const single = async (tx: Store) => {
      // Given the store itself, not a batch's transaction.
      if (tx === held.store) alone++;
      return 'single';
    };
    const group = new GroupCommit(held.store);
    const a = group.write(note('a'));
    const s = group.write(single, { single: true });
    // Answered while the batch beside it is held open (batched, it would still be waiting after these turns).
    expect(await Promise.race([s, turns(10).then(() => 'still waiting')])).toBe('single');
    expect(alone).toBe(1);
    await turns(3);
    expect(held.batches).toEqual([['a']]);
    held.ends.shift()?.();
    expect(await a).toBe('a');
  });

  it('with one (SQLite’s), writes that come while a batch commits wait for it, then go together', async () => {
    const held = heldStore(1);
    const group = new GroupCommit(held.store);
    const a = group.write(note('a'));
    await turns(3);
    const bc = [group.write(note('b')), group.write(note('c'))];
    await turns(3);
    expect(held.batches).toEqual([['a']]);
    held.ends.shift()?.();
    await a;
    await turns(3);
    expect(held.batches).toEqual([['a'], ['b', 'c']]);
    held.ends.shift()?.();
    expect(await Promise.all(bc)).toEqual(['b', 'c']);
    expect(held.most()).toBe(1);
  });
});

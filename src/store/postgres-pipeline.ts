/**
 * @module A pg pool whose connections send what needs no answer of its own in the round trip of the statement
 * after it: a transaction's `begin`, and statements marked {@link WITH_NEXT} (the audit chain's lock). Each round
 * trip to Postgres is a socket write and a wake-up on both sides; at one facade write's dozen statements they were
 * the largest item of Roster's CPU (`writev`, 31 % of a PATCH's samples) and what the server spent most on.
 *
 * The statements go out together in one write (pg's pipeline mode, the socket corked around them), each still its
 * own protocol exchange in order: the server runs them one after the other, each with its own snapshot (so a
 * statement after a lock sees what the lock waited for), and a failure in any aborts the transaction as it would
 * have step by step. The difference is only where a failure is reported: with the statement it went out with.
 */

import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * A statement text starting with this comment is a write whose answer nobody reads, which matters only to the
 * statements after it in its transaction (a lock): it is sent with the next statement, and answered at once with
 * no rows. Sent with the `commit` when none follows; dropped with the transaction when nothing was sent, or by a
 * rollback.
 */
export const WITH_NEXT = '/* with next */ ';

interface Held {
  text: string;
  values: readonly unknown[];
}

type Result = PostgresQueryResult<unknown>;

const answered = (command: string): Promise<Result> =>
  Promise.resolve({ command: command as Result['command'], rowCount: 0, rows: [] });

/** pg's client with what its types leave out: the socket it writes to. */
type PipelineClient = pg.PoolClient & { connection: { stream: { cork(): void; uncork(): void } } };

/** One pooled connection: holds `begin` and {@link WITH_NEXT} statements until a statement that needs an answer. */
class Connection implements PostgresPoolClient {
  /** What waits to go out with the next statement, in order. */
  #held: Held[] = [];
  /** A transaction is open: begun, not yet committed or rolled back. */
  #open = false;
  /** Whether it has reached the server (a `begin` still held has not). */
  #sent = false;

  constructor(readonly client: PipelineClient) {}

  query<R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query(
    text: string | PostgresCursor<unknown>,
    values: readonly unknown[] = [],
  ): Promise<Result> | PostgresCursor<unknown> {
    // Streaming needs the dialect's cursor option, which the store does not set.
    if (typeof text !== 'string') throw new Error('cursors are not supported on a pipelined connection');
    if (text === 'begin') {
      this.#held = [{ text, values }];
      this.#open = true;
      this.#sent = false;
      return answered('BEGIN');
    }
    if (this.#open && text.startsWith(WITH_NEXT)) {
      this.#held.push({ text, values });
      return answered('SELECT');
    }
    if (text === 'commit' || text === 'rollback') {
      const sent = this.#sent;
      // A rollback drops what waits; a commit sends it (a lock then guards nothing, but costs no round trip).
      const held = sent && text === 'commit' ? this.#held : [];
      this.#held = [];
      this.#open = false;
      this.#sent = false;
      // Nothing of the transaction reached the server: there is nothing to end.
      if (!sent) return answered(text === 'commit' ? 'COMMIT' : 'ROLLBACK');
      return this.#send(held, { text, values }, text === 'commit');
    }
    if (this.#open) this.#sent = true;
    const held = this.#held;
    this.#held = [];
    return this.#send(held, { text, values }, false);
  }

  /** `last` alone, or after `held` in one write. */
  #send(held: readonly Held[], last: Held, commit: boolean): Promise<Result> {
    if (held.length === 0) return this.client.query(last.text, last.values as unknown[]) as Promise<Result>;
    return this.#together(held, last, commit);
  }

  /** Sends `held` and `last` in one write; answers `last`'s result, or the first failure among them. */
  async #together(held: readonly Held[], last: Held, commit: boolean): Promise<Result> {
    const { stream } = this.client.connection;
    const sent: Promise<Result>[] = [];
    stream.cork();
    try {
      for (const h of [...held, last]) {
        sent.push(this.client.query(h.text, h.values as unknown[]) as Promise<Result>);
      }
    } finally {
      stream.uncork();
    }
    const results = await Promise.allSettled(sent);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    const result = (results[results.length - 1] as PromiseFulfilledResult<Result>).value;
    // A commit after a failed statement answers ROLLBACK, not an error; the failure above is thrown first, and
    // this can only be reached if the server rolled back for a reason none of the statements reported.
    if (commit && (result.command as string) !== 'COMMIT') {
      throw new Error(`the transaction was not committed (the server answered ${String(result.command)})`);
    }
    return result;
  }

  release(): void {
    this.#held = [];
    this.#open = false;
    this.#sent = false;
    this.client.release();
  }
}

/**
 * The pool Kysely takes: `pool`'s connections (created with `pipeline: true`), each wrapped once. Kysely keys its
 * own connection objects by the client it is given, so the same client must come back as the same wrapper.
 */
export function pipelinedPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, Connection>();
  return {
    async connect() {
      const client = await pool.connect();
      let connection = wrapped.get(client);
      if (connection === undefined) {
        connection = new Connection(client as PipelineClient);
        wrapped.set(client, connection);
      }
      return connection;
    },
    end: () => pool.end(),
  };
}

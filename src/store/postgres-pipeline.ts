/**
 * @module The store's Postgres connections, each statement costing the server and the socket as little as it can:
 *
 * - **Prepared once.** A statement text the store runs again and again is a named prepared statement: each
 *   connection parses and plans it once, where an unnamed one is parsed, analysed and planned on every run. Under
 *   SCIM PATCHes that was 40 % of the server's CPU (perf, on Postgres 15); the store runs a few dozen such texts.
 * - **Sent together.** What needs no answer of its own goes out with the statement after it, in one socket write
 *   and one round trip: a transaction's `begin`, and statements marked {@link WITH_NEXT} (the audit chain's lock, writes whose answer nobody reads).
 *   The statements still run one after the other, each its own exchange (pg's pipeline mode) with its own snapshot,
 *   so a statement after a lock sees what the lock waited for; a failure in any aborts the transaction as it would
 *   have step by step, and is reported with the statement it went out with.
 */

import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { WITH_NEXT } from './kysely/context.js';

interface Held {
  text: string;
  values: readonly unknown[];
}

type Result = PostgresQueryResult<unknown>;

const answered = (command: string): Promise<Result> =>
  Promise.resolve({ command: command as Result['command'], rowCount: 0, rows: [] });

/** Runs of one text before it is prepared: a text seen once (a list of one length, a one-off query) is not. */
const PREPARE_AFTER = 3;
/** Texts prepared at most, per pool: each is held by every connection of the pool, on the server. */
const MAX_PREPARED = 200;
/** Longer texts are left unnamed (many-row inserts: each length its own text, rarely run twice). */
const MAX_PREPARED_LENGTH = 8_000;
/** Texts counted towards PREPARE_AFTER at most, before the count starts again. */
const MAX_COUNTED = 500;

/**
 * Which statement texts run as named prepared statements, for every connection of one pool: those run
 * PREPARE_AFTER times, up to MAX_PREPARED of them. Statements without parameters (`begin`, `commit`) keep the
 * simple protocol.
 */
class PreparedNames {
  constructor(private readonly enabled: boolean) {}

  #names = new Map<string, string>();
  #counts = new Map<string, number>();
  #generation = 0;

  nameOf(text: string, values: readonly unknown[]): string | undefined {
    if (!this.enabled) return undefined;
    const name = this.#names.get(text);
    if (name !== undefined || values.length === 0) return name;
    if (this.#names.size >= MAX_PREPARED || text.length > MAX_PREPARED_LENGTH) return undefined;
    const runs = (this.#counts.get(text) ?? 0) + 1;
    if (runs < PREPARE_AFTER) {
      if (this.#counts.size >= MAX_COUNTED) this.#counts.clear();
      this.#counts.set(text, runs);
      return undefined;
    }
    this.#counts.delete(text);
    const named = `roster_${this.#generation}_${this.#names.size + 1}`;
    this.#names.set(text, named);
    return named;
  }

  /**
   * The schema changed under a prepared statement (another process migrated the database): its connection's
   * server refuses to run it again. Every text gets a new name, prepared anew on its next run.
   */
  renew(): void {
    this.#generation++;
    this.#names.clear();
    this.#counts.clear();
  }
}

/** Postgres's answer to a prepared statement whose result's columns changed since it was planned. */
const isStalePlan = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '0A000' &&
  String((error as { message?: unknown }).message).includes('cached plan must not change result type');

/** pg's client with what its types leave out: the socket it writes to. */
type PipelineClient = pg.PoolClient & { connection: { stream: { cork(): void; uncork(): void } } };

/**
 * One pooled connection: holds `begin` and, in a transaction, {@link WITH_NEXT} statements until a statement that
 * needs an answer, or the commit when none does. A rollback drops them; a transaction that sent nothing else sends
 * nothing at all.
 */
class Connection implements PostgresPoolClient {
  /** What waits to go out with the next statement, in order. */
  #held: Held[] = [];
  /** A transaction is open: begun, not yet committed or rolled back. */
  #open = false;
  /** Whether it has reached the server (a `begin` still held has not). */
  #sent = false;

  constructor(
    readonly client: PipelineClient,
    private readonly names: PreparedNames,
  ) {}

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
      const held = this.#held;
      const sent = this.#sent;
      this.#held = [];
      this.#open = false;
      this.#sent = false;
      // A rollback drops what waits, and a transaction that sent nothing has nothing to roll back.
      if (text === 'rollback') return sent ? this.#run({ text, values }) : answered('ROLLBACK');
      // A commit sends what waits (its own `begin` too, if still held), unless that is only its `begin`.
      if (!sent && held.length <= 1) return answered('COMMIT');
      return this.#send(held, { text, values }, true);
    }
    if (this.#open) this.#sent = true;
    const held = this.#held;
    this.#held = [];
    return this.#send(held, { text, values }, false);
  }

  /** `last` alone, or after `held` in one write. */
  #send(held: readonly Held[], last: Held, commit: boolean): Promise<Result> {
    if (held.length === 0) return this.#run(last);
    return this.#together(held, last, commit);
  }

  /** One statement, prepared where its text is (see PreparedNames). */
  #run(statement: Held): Promise<Result> {
    const values = statement.values as unknown[];
    const name = this.names.nameOf(statement.text, values);
    if (name === undefined) return this.client.query(statement.text, values) as Promise<Result>;
    return this.#named(name, statement.text, values).catch((error: unknown) => {
      if (!isStalePlan(error)) throw error;
      this.names.renew();
      // Outside a transaction nothing else was lost: run it again, prepared anew. In one, the transaction is
      // aborted: the caller's error, and its next try prepares anew.
      if (this.#open) throw error;
      return this.client.query(statement.text, values) as Promise<Result>;
    });
  }

  /**
   * A named statement. Made from its text as a string and named after: pg copies a query given as an object
   * property by property (`defineProperties`), which cost 1.7 % of a SCIM PATCH's CPU on Postgres.
   */
  #named(name: string, text: string, values: unknown[]): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const query = new pg.Query(text, values) as pg.Query & {
        name: string;
        callback: (error: Error | null, result: Result) => void;
      };
      query.name = name;
      query.callback = (error, result) => (error ? reject(error) : resolve(result));
      this.client.query(query);
    });
  }

  /** Sends `held` and `last` in one write; answers `last`'s result, or the first failure among them. */
  async #together(held: readonly Held[], last: Held, commit: boolean): Promise<Result> {
    const { stream } = this.client.connection;
    const sent: Promise<Result>[] = [];
    stream.cork();
    try {
      for (const h of [...held, last]) {
        sent.push(this.#run(h));
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
 * The pool Kysely takes: `pool`'s connections (created with `pipeline: true`), each wrapped once; `prepared`
 * false: no statement is prepared (a pooler in between cannot keep them). Kysely keys its
 * own connection objects by the client it is given, so the same client must come back as the same wrapper.
 */
export function pipelinedPool(pool: pg.Pool, options: { prepared?: boolean } = {}): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, Connection>();
  const names = new PreparedNames(options.prepared ?? true);
  return {
    async connect() {
      const client = await pool.connect();
      let connection = wrapped.get(client);
      if (connection === undefined) {
        connection = new Connection(client as PipelineClient, names);
        wrapped.set(client, connection);
      }
      return connection;
    },
    end: () => pool.end(),
  };
}

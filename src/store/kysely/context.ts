/** @module What every area of the SQL store shares: the database handle, the dialect, the clock and transactions. */

import { type Compilable, CompiledQuery, type Insertable, type Kysely, PostgresAdapter } from 'kysely';
import type { Database } from '../schema.js';
import type { Change, WatchHandlers } from '../store.js';
import { lockQueuedAudit, type QueuedAudit, writeQueuedAudit } from './audit-log.js';
import { type ChangeKind, type QueuedChanges, writeQueuedChanges } from './changes.js';

/** What differs between SQL engines, and nothing else. */
export interface StoreDialect {
  /** Where the data lives, for error messages (a file path, a host/database). */
  where: string;
  /** Most bound parameters one statement may carry. */
  maxParams: number;
  isForeignKeyViolation(error: unknown): boolean;
  isUniqueViolation(error: unknown): boolean;
  /**
   * Makes concurrent audit appends take turns, held until the caller's transaction ends; without it racing
   * writers fall back on the chain's key (seq) refusing all but one of them, and retry, which many writers can exhaust.
   */
  lockAuditTail?(db: Kysely<Database>): Promise<void>;
  /**
   * Statements held for a transaction's commit go out with it, in one round trip (Postgres's pipelined
   * connections). A transaction that may be run again then sends what it would otherwise wait on an answer for
   * (its audit events after the tail it last knew, an op's outcome under the claim it last knew) with its commit,
   * unanswered, guarded to fail the transaction when that no longer holds (`refused` knows that error): it is then
   * run again, every statement answered (see {@link Sql.write}).
   */
  withCommit?: { refused(error: unknown): boolean };
  /** Hears of changes other processes commit on a channel (Postgres: LISTEN on a connection of its own). */
  listen?(channel: string, handlers: WatchHandlers): { close(): Promise<void> };
  /** Write transactions that can run side by side (default 1: one connection). */
  parallelTransactions?: number;
  /** Queues writers that rewrite the stored findings (two graph refreshes at once would insert the same keys). */
  lockGraphFindings?(db: Kysely<Database>): Promise<void>;
  /**
   * Runs a compiled statement at once on the connection the caller's handle uses (`bound`: a transaction's),
   * past the query builder's executor, answering its rows; undefined when it cannot now (the caller then takes
   * the ordinary path). An engine with one in-process connection (SQLite) can; a pool of them cannot.
   */
  runNow?<R>(sql: string, parameters: readonly unknown[], bound: boolean): R[] | undefined;
  /**
   * One write transaction whose writes run on a thread of their own while this one reads and computes (a SQLite
   * file store; see sqlite-write-thread.ts for what its reads and writes may rely on). `from`: the accounts from
   * which a graph's first pass takes it (below, the thread's start costs more than it saves).
   */
  writeThread?: {
    from: number;
    run<T>(fn: (db: Db, dialect: StoreDialect) => Promise<T>): Promise<T>;
  };
}

export type Db = Kysely<Database>;

/** Whether the handle is Postgres's, which takes rows as one array per column (`unnest`) in one statement. */
export function isPostgres(s: Sql): boolean {
  return s.db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Rows one statement of column arrays carries on Postgres: its parameters stay few whatever the count. */
export const COLUMN_CHUNK = 10_000;

/**
 * Rows a page of a whole-table read takes on Postgres, where each page is a round trip and a plan: a first pass
 * read 250k accounts in 4.0 s in pages of 2,000 (SQLite's size, see graph.ts), in 2.7 s in pages of 10,000.
 */
export const POSTGRES_PAGE = 10_000;

/** The last event of the audit chain: what the next append links to. */
export interface AuditTail {
  seq: number;
  hash: string;
}

/**
 * The audit tail each store last committed, by its dialect object (one per opened store). A hint, never trusted:
 * an append after it is refused by the chain's key (seq) when another writer has appended since.
 */
const committedTails = new WeakMap<StoreDialect, AuditTail>();
/** The tail a transaction appended, made the store's hint only once that transaction has committed. */
const pendingTails = new WeakMap<Db, AuditTail>();
/**
 * The tail the store's last append in flight will leave once its transaction commits (its events sent, its commit
 * not yet answered). A transaction on another connection that appends meanwhile chains after it: its append waits
 * for that one's commit anyway (the dialect's tail lock), and then finds the chain ending where it expected. Chained
 * after the last commit instead, it would find its seqs taken and read the tail again under the lock: with two
 * transactions side by side on Postgres, that was the case for 6 in 10 audited SCIM writes. The guard on the
 * append (see audit-log.ts) checks the event it links to, so an append after a transaction that rolled back writes
 * nothing, and reads the tail as before.
 */
const inflightTails = new WeakMap<StoreDialect, AuditTail>();

/** The transactions that send what they can with their commit (see StoreDialect.withCommit). */
const ridingTransactions = new WeakSet<Db>();

/** The changes each transaction has recorded and not yet written, by its handle. */
const queuedChanges = new WeakMap<Db, QueuedChanges[]>();

/** The transactions that hold the dialect's audit tail lock (taken before their first append was written). */
const lockedTails = new WeakSet<Db>();

/** The audit events each transaction has appended and not yet written, by its handle. */
const queuedAudit = new WeakMap<Db, QueuedAudit[]>();

/** Statements built once per store dialect, by key: the SQL text and which named value each parameter is. */
const builtStatements = new WeakMap<StoreDialect, Map<string, { sql: string; names: string[] }>>();

/**
 * A write whose answer nobody reads starts with this comment (see {@link Sql.insertRows} and {@link Sql.runBuilt}'s
 * `answerless`). An engine whose statements are round trips may send it with the next statement of its transaction
 * (Postgres: postgres-pipeline.ts), where a failure of it is then reported, and fails the transaction as it would
 * have; it answers no rows and no count. Elsewhere, and outside a transaction, it is a comment.
 */
export const WITH_NEXT = '/* with next */ ';

/**
 * A query whose text starts with this comment may answer each row as an array of its column values in select
 * order (the SQLite driver does); an engine that ignores it answers objects, which {@link Sql.arrayRows} turns
 * into the same arrays.
 */
export const ARRAY_ROWS = '/* array rows */ ';

/** One-row statement texts run row by row ({@link Sql.runEachNow}) per store dialect, by key. */
const eachStatements = new WeakMap<StoreDialect, Map<string, string>>();

/** Insert statement texts per store dialect, keyed by table, columns and row count. */
const insertStatements = new WeakMap<StoreDialect, Map<string, string>>();
type TableName = keyof Database & string;

/** The dialect's own map in a cache kept per store dialect (created empty on first use). */
function perDialect<V>(caches: WeakMap<StoreDialect, Map<string, V>>, dialect: StoreDialect): Map<string, V> {
  let cache = caches.get(dialect);
  if (cache === undefined) {
    cache = new Map();
    caches.set(dialect, cache);
  }
  return cache;
}

/** One database handle (or one transaction on it) with the dialect and clock every area function needs. */
export class Sql {
  constructor(
    readonly db: Db,
    readonly dialect: StoreDialect,
    readonly clock: () => Date,
  ) {}

  now(): string {
    return this.clock().toISOString();
  }

  /** The time `ms` from now, as stored (leases). */
  later(ms: number): string {
    return new Date(this.clock().getTime() + ms).toISOString();
  }

  /**
   * Runs fn in a transaction, or in the caller's when this handle is already bound to one. `rerunnable`: fn only
   * uses the handle it is given, and may run again after a rollback; what it would wait on an answer for may then
   * go out with its commit where the engine can (see StoreDialect.withCommit), and when that is refused, fn runs
   * once more in a transaction of its own whose every statement is answered.
   */
  async write<T>(fn: (tx: Sql) => Promise<T>, options: { rerunnable?: boolean } = {}): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    const riding = this.dialect.withCommit;
    if (options.rerunnable !== true || riding === undefined) return this.#transaction(fn, false);
    try {
      return await this.#transaction(fn, true);
    } catch (error) {
      if (!riding.refused(error)) throw error;
      this.forgetAuditTail();
      return this.#transaction(fn, false);
    }
  }

  /**
   * Whether this handle's transaction sends what it can with its commit, unanswered and guarded by
   * `roster_refused` (migration 0032; see {@link Sql.write}).
   */
  ridesCommit(): boolean {
    return ridingTransactions.has(this.db);
  }

  async #transaction<T>(fn: (tx: Sql) => Promise<T>, riding: boolean): Promise<T> {
    let appended: AuditTail | undefined;
    let handle: Db | undefined;
    let result: T;
    try {
      result = await this.db.transaction().execute(async (trx) => {
        handle = trx;
        if (riding) ridingTransactions.add(trx);
        const tx = new Sql(trx, this.dialect, this.clock);
        const value = await fn(tx);
        await tx.writeQueued();
        appended = pendingTails.get(trx);
        return value;
      });
    } catch (error) {
      // Rolled back: its append never becomes a hint, which would let the next append link to an event that is
      // not there (an append already chained after it finds so, and reads the tail).
      const sent = handle && pendingTails.get(handle);
      if (sent !== undefined && inflightTails.get(this.dialect) === sent) inflightTails.delete(this.dialect);
      throw error;
    }
    // Committed: the chain now ends where this transaction left it, unless a later commit has moved it on.
    if (appended !== undefined) {
      if ((committedTails.get(this.dialect)?.seq ?? 0) < appended.seq)
        committedTails.set(this.dialect, appended);
      if (inflightTails.get(this.dialect) === appended) inflightTails.delete(this.dialect);
    }
    return result;
  }

  /**
   * Where this handle believes the audit chain ends: its transaction's own last append, else the store's last
   * append in flight, else its last commit.
   */
  auditTailHint(): AuditTail | undefined {
    return pendingTails.get(this.db) ?? inflightTails.get(this.dialect) ?? committedTails.get(this.dialect);
  }

  /** Notes an append as it is sent, before it is answered (see inflightTails). */
  sendingAudit(tail: AuditTail): void {
    if (!this.db.isTransaction) return;
    pendingTails.set(this.db, tail);
    inflightTails.set(this.dialect, tail);
  }

  /** Notes that the append sent with `tail` was refused, having written nothing: it is no hint. */
  refusedAudit(tail: AuditTail): void {
    if (!this.db.isTransaction) return;
    if (pendingTails.get(this.db) === tail) pendingTails.delete(this.db);
    if (inflightTails.get(this.dialect) === tail) inflightTails.delete(this.dialect);
  }

  /** Notes an append (in a transaction: kept for its commit; outside one, the statement has committed). */
  appendedAudit(tail: AuditTail): void {
    if (this.db.isTransaction) pendingTails.set(this.db, tail);
    else committedTails.set(this.dialect, tail);
  }

  /**
   * Whether this handle's transaction holds the dialect's tail lock (see StoreDialect.lockAuditTail), taken before
   * it first wrote its events and held until it ends: writing more (after an audit read of its own wrote the first)
   * need not take it again (on Postgres, a round trip).
   */
  holdsAuditTail(): boolean {
    return this.db.isTransaction && (lockedTails.has(this.db) || pendingTails.has(this.db));
  }

  /** Notes that this handle's transaction has taken the dialect's tail lock (held until it ends). */
  tookAuditTail(): void {
    if (this.db.isTransaction) lockedTails.add(this.db);
  }

  /** Whether this handle's transaction has audit events queued and not yet written. */
  hasQueuedAudit(): boolean {
    return queuedAudit.has(this.db);
  }

  /**
   * Writes what this handle's transaction queued to write at its end: the audit events it appended and the changes
   * it recorded. Every transaction runs it last, before its commit: the change counter and the chain's tail, which
   * every writer takes in turn, are then held only from here to the commit. The chain's lock is taken first, when
   * both are due: the counter is then taken by a writer that already holds the chain, and nobody holds one while
   * waiting for the other.
   */
  async writeQueued(): Promise<void> {
    await lockQueuedAudit(this);
    await writeQueuedAudit(this);
    await writeQueuedChanges(this);
  }

  /** Queues an event this handle's transaction appended, for {@link writeQueuedAudit} at its end. */
  queueAudit(event: QueuedAudit): void {
    const queue = queuedAudit.get(this.db);
    if (queue === undefined) queuedAudit.set(this.db, [event]);
    else queue.push(event);
  }

  /**
   * Queues changes this handle's transaction recorded, for {@link writeQueuedChanges} at its end: merged with those
   * it recorded before for the same kind and app (the later change of a key wins, as a second upsert would).
   */
  queueChanges(kind: ChangeKind, appId: string | null, changes: ReadonlyMap<string, Change>): void {
    let queue = queuedChanges.get(this.db);
    if (queue === undefined) {
      queue = [];
      queuedChanges.set(this.db, queue);
    }
    const same = queue.find((q) => q.kind === kind && q.appId === appId);
    if (same === undefined) queue.push({ kind, appId, changes: new Map(changes) });
    else for (const [key, change] of changes) same.changes.set(key, change);
  }

  /** How many kinds and apps this handle's transaction has changes queued for. */
  queuedChangeGroups(): number {
    return queuedChanges.get(this.db)?.length ?? 0;
  }

  /** The changes queued in this handle's transaction and not yet written, now taken (none: empty). */
  takeQueuedChanges(): QueuedChanges[] {
    const queue = queuedChanges.get(this.db);
    if (queue === undefined) return [];
    queuedChanges.delete(this.db);
    return queue;
  }

  /** The events queued in this handle's transaction and not yet written, now taken (none: empty). */
  takeQueuedAudit(): QueuedAudit[] {
    const queue = queuedAudit.get(this.db);
    if (queue === undefined) return [];
    queuedAudit.delete(this.db);
    return queue;
  }

  /** Forgets the hint (an append found it stale). */
  forgetAuditTail(): void {
    if (this.db.isTransaction) pendingTails.delete(this.db);
    inflightTails.delete(this.dialect);
    committedTails.delete(this.dialect);
  }

  /**
   * Inserts rows in as few statements as the dialect's parameter limit allows. Rows of one shape share one
   * statement text, built by Kysely once per shape: building a thousand-row insert anew for every page of a
   * sync cost more than running it. `answerless`: the caller reads nothing back ({@link WITH_NEXT}).
   */
  async insertRows<T extends TableName>(
    table: T,
    rows: readonly Insertable<Database[T]>[],
    options: { answerless?: boolean } = {},
  ): Promise<void> {
    const first = rows[0];
    if (first === undefined) return;
    const columns = Object.keys(first);
    const chunk = Math.max(1, Math.floor(this.dialect.maxParams / columns.length));
    for (let i = 0; i < rows.length; i += chunk) {
      const slice = rows.slice(i, i + chunk) as Record<string, unknown>[];
      const parameters: unknown[] = [];
      for (const row of slice) for (const column of columns) parameters.push(row[column] ?? null);
      const text = this.insertSql(table, columns, slice.length);
      await this.execute(options.answerless ? WITH_NEXT + text : text, parameters);
    }
  }

  /**
   * Inserts `count` rows given as parameter values, column by column, in as few statements as insertRows: for
   * tables written tens of thousands of rows at once (a plan's ops), where an object per row is the cost.
   * `fill(i, out)` pushes row i's values, one per column, in `columns` order.
   */
  async insertValues<T extends TableName>(
    table: T,
    columns: readonly (keyof Database[T] & string)[],
    count: number,
    fill: (i: number, out: unknown[]) => void,
  ): Promise<void> {
    const chunk = Math.max(1, Math.floor(this.dialect.maxParams / columns.length));
    for (let i = 0; i < count; i += chunk) {
      const rows = Math.min(chunk, count - i);
      const parameters: unknown[] = [];
      for (let r = i; r < i + rows; r++) fill(r, parameters);
      if (parameters.length !== rows * columns.length) {
        throw new Error(
          `insert into ${table}: ${parameters.length} values for ${rows} rows of ${columns.length}`,
        );
      }
      await this.execute(this.insertSql(table, columns, rows), parameters);
    }
  }

  private insertSql(table: TableName, columns: readonly string[], count: number): string {
    const cache = perDialect(insertStatements, this.dialect);
    const key = `${table}\u0000${columns.join(',')}\u0000${count}`;
    let text = cache.get(key);
    if (text === undefined) {
      // Nulls, not undefined: Kysely writes DEFAULT for undefined, which would shift the parameters.
      const template = Object.fromEntries(columns.map((c) => [c, null]));
      text = this.db
        .insertInto(table)
        .values(Array.from({ length: count }, () => template) as never)
        .compile().sql;
      cache.set(key, text);
    }
    return text;
  }

  /**
   * Runs a statement Kysely builds and compiles once per dialect and `key`, binding `values` by name: the few
   * writes every op makes cost more to build than to run. `build` receives a stand-in for each value (so it must
   * use every value as a bound parameter, and nothing else may vary under one key). `answerless`: a write whose
   * answer the caller does not read ({@link WITH_NEXT}), the same for every run under one key.
   */
  async runBuilt<R, V extends Record<string, unknown>>(
    key: string,
    values: V,
    build: (v: { readonly [K in keyof V]: never }) => Compilable<R>,
    options: { answerless?: boolean } = {},
  ): Promise<R[]> {
    const cache = perDialect(builtStatements, this.dialect);
    let built = cache.get(key);
    if (built === undefined) {
      const standIns = Object.fromEntries(Object.keys(values).map((name) => [name, `\u0000${name}`]));
      const compiled = build(standIns as { readonly [K in keyof V]: never }).compile();
      const names = compiled.parameters.map((p) => {
        const name = typeof p === 'string' && p.startsWith('\u0000') ? p.slice(1) : undefined;
        if (name === undefined || !(name in values)) {
          throw new Error(`statement ${key}: a parameter is not one of its named values (${String(p)})`);
        }
        return name;
      });
      built = { sql: options.answerless ? WITH_NEXT + compiled.sql : compiled.sql, names };
      cache.set(key, built);
    }
    return this.execute<R>(
      built.sql,
      built.names.map((name) => values[name]),
    );
  }

  /**
   * Runs a one-row statement once per row, directly on this handle's connection, where the dialect runs
   * statements so (SQLite): for writes of hundreds of thousands of rows (a graph pass's links and findings), where
   * a prepared one-row statement costs SQLite less than multi-row VALUES lists and no row object is built.
   * `build` makes the statement (once per dialect and key) with `width` parameters; `fill(i, out)` writes row i's
   * values into `out` in that order. False, having written nothing, where the dialect cannot (a pool: Postgres);
   * the caller then writes the rows its ordinary way.
   */
  runEachNow(
    key: string,
    width: number,
    count: number,
    build: () => Compilable<unknown>,
    fill: (i: number, out: unknown[]) => void,
  ): boolean {
    const runNow = this.dialect.runNow;
    if (runNow === undefined) return false;
    if (count === 0) return true;
    const cache = perDialect(eachStatements, this.dialect);
    let text = cache.get(key);
    if (text === undefined) {
      const query = build().compile();
      if (query.parameters.length !== width) {
        throw new Error(`statement ${key} takes ${query.parameters.length} values, not ${width}`);
      }
      text = query.sql;
      cache.set(key, text);
    }
    // One array, refilled for each row: the statement binds its values before the next row is written into it.
    const values: unknown[] = new Array(width);
    for (let i = 0; i < count; i++) {
      fill(i, values);
      if (runNow.call(this.dialect, text, values, this.db.isTransaction) === undefined) {
        // Only the first row can find the connection taken: inside a transaction it stays this caller's.
        if (i === 0) return false;
        throw new Error(`statement ${key} lost its connection half-way`);
      }
    }
    return true;
  }

  /** Runs SQL text written for this handle's engine, with its parameters in order, and answers its rows. */
  run<R>(sql: string, parameters: unknown[]): Promise<R[]> {
    return this.execute<R>(sql, parameters);
  }

  /** Runs SQL text compiled earlier: directly where the dialect can (see {@link StoreDialect.runNow}), else via Kysely. */
  private async execute<R>(sql: string, parameters: unknown[]): Promise<R[]> {
    const now = this.dialect.runNow?.<R>(sql, parameters, this.db.isTransaction);
    if (now !== undefined) return now;
    return (await this.db.executeQuery<R>(CompiledQuery.raw(sql, parameters))).rows;
  }

  /** Runs a compiled select and returns its rows as arrays of column values, in the select's column order. */
  async arrayRows(query: { sql: string; parameters: readonly unknown[] }): Promise<unknown[][]> {
    const rows = await this.execute<unknown>(ARRAY_ROWS + query.sql, [...query.parameters]);
    if (rows.length === 0 || Array.isArray(rows[0])) return rows as unknown[][];
    return rows.map((row) => Object.values(row as Record<string, unknown>));
  }

  /**
   * Every row of a read as array rows, page after page in key order, each page handed to `each` before the next
   * is read: a whole table's rows are then never held at once, and each page's die young to the collector. `page`
   * builds the read of up to `size` rows after the key `after` (none: from the start); the key is each row's first
   * value.
   */
  async eachKeyPage(
    size: number,
    page: (after: string | undefined) => { sql: string; parameters: readonly unknown[] },
    each: (row: unknown[]) => void,
  ): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.arrayRows(page(after));
      for (const row of rows) each(row);
      if (rows.length < size) return;
      after = (rows[rows.length - 1] as unknown[])[0] as string;
    }
  }

  /** How many values one `in (...)` list may hold. */
  get inListSize(): number {
    return Math.max(1, this.dialect.maxParams - 10);
  }
}

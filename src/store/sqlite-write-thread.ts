/**
 * @module A write transaction whose writes run on a thread of their own: for a graph's first pass, whose million
 * link and finding writes took as long as everything it computes. This thread reads and computes; a worker
 * thread's connection holds the write lock and runs the writes, in order, in one transaction, as they are handed
 * over. The transaction commits whole or not at all, as any other.
 *
 * What the caller gives up, and why it is only offered to a first pass: its reads see the store as it was when the
 * transaction began, not its own writes (the writes are on the other connection, uncommitted until the end), and a
 * write answers no count and no rows. A write's failure surfaces at the commit, which then fails and rolls back.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Sqlite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { Database } from './schema.js';
import { type BusyPolicy, busyError, isBusy, type SqliteStatements } from './sqlite-driver.js';

/**
 * The worker: its own connection to the file; `begin` takes the write lock (waiting for another writer as long as
 * the store's policy allows: only this thread blocks), `writes` runs a batch, `commit` and `rollback` end the
 * transaction. A write that fails rolls the transaction back at once (releasing the lock), and every later batch
 * is dropped until the commit reports the failure. CommonJS run with eval, so it loads the same better-sqlite3
 * the store does, built or not.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.waitMs);
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
const statements = new Map();
const prepared = (sql) => {
  let stmt = statements.get(sql);
  if (stmt === undefined) { stmt = db.prepare(sql); statements.set(sql, stmt); }
  return stmt;
};
let failed = null;
const failure = (error) => ({ message: String(error && error.message), code: error && error.code });
const fail = (error) => {
  failed = failure(error);
  if (db.inTransaction) db.exec('rollback');
};
const runBatch = (batch) => {
  for (const op of batch) {
    const stmt = prepared(op.sql);
    const { width, values } = op;
    if (width === 0) { for (let r = 0; r < op.rows; r++) stmt.run(); continue; }
    const args = new Array(width);
    for (let at = 0; at < values.length; at += width) {
      for (let i = 0; i < width; i++) args[i] = values[at + i];
      stmt.run(...args);
    }
  }
};
parentPort.on('message', (m) => {
  const reply = (error) => parentPort.postMessage({ id: m.id, error: error ?? undefined });
  try {
    switch (m.op) {
      case 'begin':
        failed = null;
        db.exec('begin immediate');
        return reply();
      case 'writes':
        if (failed === null) runBatch(m.batch);
        return;
      case 'commit':
        if (failed !== null) return reply(failed);
        db.exec('commit');
        return reply();
      case 'rollback':
        if (db.inTransaction) db.exec('rollback');
        return reply();
      case 'close':
        db.close();
        parentPort.close();
        return;
    }
  } catch (error) {
    if (m.op === 'writes') return fail(error);
    if (db.inTransaction) db.exec('rollback');
    reply(failure(error));
  }
});
`;

/** Values queued before they are handed to the thread: each hand-over is one copy, so not row by row. */
const BATCH_VALUES = 1 << 16;

/** A statement run `rows` times, with `width` values each, read in order from `values`. */
interface Op {
  sql: string;
  width: number;
  rows: number;
  values: unknown[];
}

interface Failure {
  message: string;
  code?: string;
}

/** The worker thread and the writes queued for it. */
class WriteThread {
  private batch: Op[] = [];
  private queued = 0;
  private last: Op | undefined;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 0;
  /** Why the thread cannot go on (it exited or threw); every request after it fails with it. */
  private dead: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly policy: BusyPolicy,
  ) {
    worker.on('message', (m: { id: number; error?: Failure }) => {
      const waiter = this.waiting.get(m.id);
      if (waiter === undefined) return;
      this.waiting.delete(m.id);
      if (m.error === undefined) waiter.resolve();
      else waiter.reject(this.toError(m.error));
    });
    worker.on('error', (error) => this.stop(error));
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => {
        this.stop(new Error('the store write thread exited'));
        resolve();
      });
    });
  }

  static open(path: string, policy: BusyPolicy): WriteThread {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { module, path, waitMs: policy.waitMs } });
    return new WriteThread(worker, policy);
  }

  private toError(failure: Failure): Error {
    const error = Object.assign(
      new Error(failure.message),
      failure.code === undefined ? {} : { code: failure.code },
    );
    return isBusy(error) ? busyError(this.policy, error) : error;
  }

  private stop(error: Error): void {
    this.dead ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.dead);
    this.waiting.clear();
  }

  /** Queues one run of `sql` with `values` (copied: a caller may refill its array for the next row). */
  write(sql: string, values: readonly unknown[]): void {
    let op = this.last;
    if (op === undefined || op.sql !== sql || op.width !== values.length) {
      op = { sql, width: values.length, rows: 0, values: [] };
      this.batch.push(op);
      this.last = op;
    }
    op.rows++;
    for (let i = 0; i < values.length; i++) op.values.push(values[i]);
    this.queued += values.length + 1;
    if (this.queued >= BATCH_VALUES) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.worker.postMessage({ op: 'writes', batch: this.batch });
    this.batch = [];
    this.last = undefined;
    this.queued = 0;
  }

  /** Hands over what is queued, then `op`; settles when the thread has done both. */
  request(op: 'begin' | 'commit' | 'rollback'): Promise<void> {
    if (op === 'rollback') {
      this.batch = [];
      this.last = undefined;
      this.queued = 0;
    } else this.flush();
    if (this.dead !== null) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ op, id });
    });
  }

  async close(): Promise<void> {
    if (this.dead === null) this.worker.postMessage({ op: 'close' });
    await this.exited;
  }
}

const READ = /^\s*select\b/i;
const CTE = /^\s*with\b/i;

/**
 * This thread's side: reads run on the store's own connection (inside a read transaction begun once the thread
 * holds the write lock, so they see exactly what the write transaction began from); writes are queued for the thread.
 */
class ThreadedConnection implements DatabaseConnection {
  constructor(
    private readonly sqlite: Sqlite.Database,
    private readonly statements: SqliteStatements,
    private readonly thread: WriteThread,
  ) {}

  /** Whether each statement text is a read, decided once per text (a pass runs a few texts a million times). */
  private readonly reads = new Map<string, boolean>();

  private isRead(sql: string): boolean {
    let read = this.reads.get(sql);
    if (read !== undefined) return read;
    const text = sql.startsWith('/*') ? sql.slice(sql.indexOf('*/') + 2) : sql;
    read = READ.test(text) || (CTE.test(text) && this.sqlite.prepare(sql).readonly);
    if (!read && /\breturning\b/i.test(text)) {
      throw new Error(
        'a write on the store write thread answers no rows: it cannot run a statement with returning',
      );
    }
    this.reads.set(sql, read);
    return read;
  }

  /** A read's rows (run here), or none for a write (queued for the thread). */
  rows<R>(sql: string, parameters: readonly unknown[]): R[] {
    if (this.isRead(sql)) return this.statements.run<R>(sql, parameters).rows;
    this.thread.write(sql, parameters);
    return [];
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return { rows: this.rows<R>(query.sql, query.parameters) };
  }

  // biome-ignore lint/correctness/useYield: nothing here streams; a caller that tries is told so.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the store write thread does not stream rows');
  }

  async begin(): Promise<void> {
    await this.thread.request('begin');
    try {
      this.sqlite.exec('begin');
      // The read transaction's snapshot is taken at its first read: now, while the thread holds the write lock and
      // nobody else can commit, so it is the state the thread's transaction began from.
      this.sqlite.prepare('select count(*) from sqlite_master').pluck().get();
    } catch (error) {
      await this.thread.request('rollback').catch(() => undefined);
      if (this.sqlite.inTransaction) this.sqlite.exec('rollback');
      throw error;
    }
  }

  async commit(): Promise<void> {
    await this.thread.request('commit');
    this.sqlite.exec('commit');
  }

  async rollback(): Promise<void> {
    // A thread that cannot answer (it failed, or exited) has no transaction left: closing its connection, or its
    // end, rolled it back. The error that led here is the one the caller hears.
    await this.thread.request('rollback').catch(() => undefined);
    if (this.sqlite.inTransaction) this.sqlite.exec('rollback');
  }
}

class ThreadedDriver implements Driver {
  constructor(private readonly connection: ThreadedConnection) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    await this.connection.begin();
  }
  async commitTransaction(): Promise<void> {
    await this.connection.commit();
  }
  async rollbackTransaction(): Promise<void> {
    await this.connection.rollback();
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/** A transaction's handle whose writes run on the thread, and how a statement runs at once on it (see StoreDialect.runNow). */
export interface ThreadedHandle {
  db: Kysely<Database>;
  runNow<R>(sql: string, parameters: readonly unknown[]): R[];
}

/**
 * Runs fn in one write transaction whose writes run on a worker thread's connection to `path` (see the module's
 * note for what fn's reads and writes may rely on). `hold` must keep the store's own connection from anyone else
 * while it runs the function it is given: this thread's reads use that connection's read transaction.
 */
export async function inWriteThread<T>(
  sqlite: Sqlite.Database,
  statements: SqliteStatements,
  path: string,
  policy: BusyPolicy,
  hold: (use: () => Promise<T>) => Promise<T>,
  fn: (handle: ThreadedHandle) => Promise<T>,
): Promise<T> {
  return hold(async () => {
    const thread = WriteThread.open(path, policy);
    const connection = new ThreadedConnection(sqlite, statements, thread);
    const db = new Kysely<Database>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new ThreadedDriver(connection),
        createIntrospector: (k) => new SqliteIntrospector(k),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
    try {
      return await db
        .transaction()
        .execute((trx) => fn({ db: trx, runNow: (sql, parameters) => connection.rows(sql, parameters) }));
    } finally {
      await thread.close();
    }
  });
}

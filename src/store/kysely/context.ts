/** @module What every area of the SQL store shares: the database handle, the dialect, the clock and transactions. */

import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../schema.js';

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
   * writers fall back on the unique prev_hash and retry, which many writers can exhaust.
   */
  lockAuditTail?(db: Kysely<Database>): Promise<void>;
}

export type Db = Kysely<Database>;
type TableName = keyof Database & string;

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

  /** Runs fn in a transaction, or in the caller's when this handle is already bound to one. */
  write<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new Sql(trx, this.dialect, this.clock)));
  }

  /** Inserts rows in as few statements as the dialect's parameter limit allows. */
  async insertRows<T extends TableName>(table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
    const first = rows[0];
    if (first === undefined) return;
    const perRow = Object.keys(first).length;
    const chunk = Math.max(1, Math.floor(this.dialect.maxParams / perRow));
    for (let i = 0; i < rows.length; i += chunk) {
      const values = rows.slice(i, i + chunk) as Insertable<Database[TableName]>[];
      await this.db
        .insertInto(table as TableName)
        .values(values as never)
        .execute();
    }
  }

  /** How many values one `in (...)` list may hold. */
  get inListSize(): number {
    return Math.max(1, this.dialect.maxParams - 10);
  }
}

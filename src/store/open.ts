/** @module Opening the store a URL names: the scheme picks the implementation. */

import { RosterError } from '../core/errors.js';
import type { KyselyStoreOptions } from './kysely-store.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './store.js';

/** Options either implementation understands; each ignores the ones that are not its own. */
export type OpenStoreOptions = KyselyStoreOptions & SqliteStoreOptions & PostgresStoreOptions;

/**
 * `sqlite:./roster.db`, a plain path or `:memory:` open the embedded SQLite store;
 * `postgres://…` or `postgresql://…` open the cluster store.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgresStore(url, options);
  if (scheme !== undefined && scheme !== 'sqlite') {
    throw new RosterError('invalid_input', `unknown store scheme "${scheme}://"`, {
      where: 'store url',
      fix: 'use sqlite:./roster.db, a file path, :memory:, or postgres://user@host:5432/database',
    });
  }
  return openSqliteStore(url, options);
}

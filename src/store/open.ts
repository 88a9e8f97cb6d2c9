/** @module Opening the store a URL names: the scheme picks the implementation. */

import { RosterError } from '../core/errors.js';
import type { KyselyStoreOptions } from './kysely-store.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * `sqlite:./roster.db`, a plain path or `:memory:` open the embedded SQLite store;
 * `postgres://…` is reserved for the cluster store, which is not built yet.
 */
export async function openStore(url: string, options: KyselyStoreOptions = {}): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new RosterError('invalid_input', 'the Postgres store is not built yet; use SQLite for now', {
      where: 'store url',
      fix: 'set the store to sqlite:./roster.db (the embedded default); Postgres support comes in a later release',
    });
  }
  if (scheme !== undefined && scheme !== 'sqlite') {
    throw new RosterError('invalid_input', `unknown store scheme "${scheme}://"`, {
      where: 'store url',
      fix: 'use sqlite:./roster.db, a file path, or :memory:',
    });
  }
  return openSqliteStore(url, options);
}

/** @module Re-exports the store: its contract, the SQLite and Postgres implementations and opening one by URL. */

export { KyselyStore, type KyselyStoreOptions, type StoreDialect } from './kysely-store.js';
export { MIGRATIONS } from './migrations/index.js';
export { type OpenStoreOptions, openStore } from './open.js';
export { maskPostgresUrl, openPostgresStore, type PostgresStoreOptions } from './postgres.js';
export { normalizeEmail } from './rows.js';
export type { Database } from './schema.js';
export { openSqliteStore, type SqliteStoreOptions, sqlitePath } from './sqlite.js';
export type * from './store.js';

/** @module Re-exports the store's migrations. */

export { appliedMigrations, MIGRATIONS, migrateTo, migrateToLatest } from './provider.js';

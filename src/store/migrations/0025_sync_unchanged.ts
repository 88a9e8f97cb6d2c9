/** @module Migration 0025: a full sync recognises unchanged accounts by a hash and stages kept ids and grants as lists. */

import type { Kysely, Migration } from 'kysely';

export const migration0025: Migration = {
  async up(db: Kysely<unknown>) {
    // A full sync hashes each account the app answers and compares it with this column: an equal hash means the
    // stored row is what that record gives, so the row is neither read back nor written. Any other writer of the
    // row leaves it null (no claim), and such a row is compared column by column as before.
    for (const table of ['accounts', 'staged_accounts']) {
      await db.schema.alterTable(table).addColumn('row_hash', 'text').execute();
    }
    // The grants a staged batch adds to its run, as one JSON list per batch: a row per grant in staged_grants cost
    // a b-tree insert each and the commit compared them in SQL; the commit now reads the lists and the snapshot's
    // grants once and writes only the difference.
    // Likewise the ids of the accounts a batch kept (seen exactly as the snapshot holds them): a row each in
    // staged_kept_accounts cost more than everything else staging such an account does.
    await db.schema
      .createTable('staged_kept_lists')
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addColumn('batch', 'integer', (c) => c.notNull())
      .addColumn('ids', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('staged_kept_lists_pk', ['run_id', 'batch'])
      .execute();
    await db.schema
      .createTable('staged_grant_lists')
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addColumn('batch', 'integer', (c) => c.notNull())
      .addColumn('grants', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('staged_grant_lists_pk', ['run_id', 'batch'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('staged_grant_lists').execute();
    await db.schema.dropTable('staged_kept_lists').execute();
    for (const table of ['accounts', 'staged_accounts']) {
      await db.schema.alterTable(table).dropColumn('row_hash').execute();
    }
  },
};

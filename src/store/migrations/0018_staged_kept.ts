/** @module Migration 0018: a full sync stages only the accounts that changed; the unchanged ones are kept by id. */

import type { Kysely, Migration } from 'kysely';

export const migration0018: Migration = {
  async up(db: Kysely<unknown>) {
    // An account a staged page shows as the snapshot already holds it is recorded here by id alone: the commit
    // must know it was seen (it is not removed, its grants are valid), and copying its whole row through the
    // staging table and back was most of what a sync with little changed wrote.
    await db.schema
      .createTable('staged_kept_accounts')
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('staged_kept_accounts_pk', ['run_id', 'id'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('staged_kept_accounts').execute();
  },
};

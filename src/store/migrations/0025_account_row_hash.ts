/** @module Migration 0025: each synced account keeps a hash of the record it was written from. */

import type { Kysely, Migration } from 'kysely';

export const migration0025: Migration = {
  async up(db: Kysely<unknown>) {
    // A full sync hashes each account the app answers and compares it with this column: an equal hash means the
    // stored row is what that record gives, so the row is neither read back nor written. Any other writer of the
    // row leaves it null (no claim), and such a row is compared column by column as before.
    for (const table of ['accounts', 'staged_accounts']) {
      await db.schema.alterTable(table).addColumn('row_hash', 'text').execute();
    }
  },

  async down(db: Kysely<unknown>) {
    for (const table of ['accounts', 'staged_accounts']) {
      await db.schema.alterTable(table).dropColumn('row_hash').execute();
    }
  },
};

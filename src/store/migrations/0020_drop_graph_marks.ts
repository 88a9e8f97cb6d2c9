/** @module Migration 0020: drops the per-scope graph marks, written by every snapshot write but read by nothing. */

import type { Kysely, Migration } from 'kysely';

export const migration0020: Migration = {
  async up(db: Kysely<unknown>) {
    // The graph runs from the change set (0007, 0017) since; `graph_state.marks` stays, written empty.
    await db.schema.dropTable('graph_marks').ifExists().execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema
      .createTable('graph_marks')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .execute();
  },
};

/** @module Migration 0008: change marks the identity graph reads to recompute only what changed since it last ran. */

import type { Kysely, Migration } from 'kysely';

export const migration0008: Migration = {
  async up(db: Kysely<unknown>) {
    // One counter per scope (`people`, `app:<id>`), bumped in the same transaction as the write it marks.
    await db.schema
      .createTable('graph_marks')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .execute();
    // What the graph last ran from: the marks it read before loading, and its settings' fingerprint.
    await db.schema
      .createTable('graph_state')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('marks', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('graph_state').execute();
    await db.schema.dropTable('graph_marks').execute();
  },
};

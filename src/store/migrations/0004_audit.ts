/** @module Migration 0004: the hash-chained audit log. */

import type { Kysely, Migration } from 'kysely';

export const migration0004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'integer', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('subject', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    // Two writers that read the same tail cannot both append after it: the second insert conflicts.
    await db.schema
      .createIndex('audit_events_prev')
      .on('audit_events')
      .column('prev_hash')
      .unique()
      .execute();
    await db.schema.createIndex('audit_events_app').on('audit_events').columns(['app_id', 'seq']).execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_events').execute();
  },
};

/** @module Migration 0028: the audit chain is kept unforked by its seq alone; the unique index on prev_hash goes. */

import type { Kysely, Migration } from 'kysely';

/**
 * Every append takes seq = the tail's seq + 1 and prev_hash = the tail's hash, so two writers that read the same
 * tail also collide on the primary key: the unique index on prev_hash never refused an append the key did not.
 * It cost what no other index of an append does: its key is a hash, so each append wrote a random page of it, and
 * once the log was large that page was rarely cached. A commit of two events on a log of 1M events took 143–162 µs
 * with it and 36 µs without (better-sqlite3 alone, this machine); the log only grows.
 */
export const migration0028: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('audit_events_prev').ifExists().execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_events_prev')
      .on('audit_events')
      .column('prev_hash')
      .unique()
      .execute();
  },
};

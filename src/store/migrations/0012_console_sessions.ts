/** @module Migration 0012: the web console's sessions — a hashed session id tied to the API token it was exchanged for. */

import type { Kysely, Migration } from 'kysely';

export const migration0012: Migration = {
  async up(db: Kysely<unknown>) {
    // Only the sha256 of a session id is kept, like tokens: a copied database opens no session.
    await db.schema
      .createTable('console_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('token_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('console_sessions_expiry')
      .on('console_sessions')
      .column('expires_at')
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('console_sessions').execute();
  },
};

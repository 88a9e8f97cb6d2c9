/** @module Migration 0014: indexes for looking one app's accounts up by address and by login, case-insensitively. */

import { type Kysely, type Migration, sql } from 'kysely';

export const migration0014: Migration = {
  async up(db: Kysely<unknown>) {
    // The SCIM facade answers `userName eq "…"` and checks userName's uniqueness with one indexed read, not by
    // rendering every account: per app, by the normalized address, or by the login lower-cased.
    await db.schema
      .createIndex('accounts_app_email')
      .on('accounts')
      .columns(['app_id', 'email_normalized'])
      .execute();
    await sql`create index accounts_app_login_lower on accounts (app_id, lower(login))`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('accounts_app_login_lower').execute();
    await db.schema.dropIndex('accounts_app_email').execute();
  },
};

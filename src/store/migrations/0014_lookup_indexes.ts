/**
 * @module Migration 0014: indexes for looking one app's accounts up by address and by login, case-insensitively,
 * and for reading the plans of a time window.
 */

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
    // The facade's removal hold finds its held plans by status and when they last moved (the window's
    // removals are read by created_at, indexed since 0005): with a plan per facade write, scanning the latest
    // plans instead grows with traffic.
    await db.schema
      .createIndex('plans_status_updated')
      .on('plans')
      .columns(['status', 'updated_at'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('plans_status_updated').execute();
    await db.schema.dropIndex('accounts_app_login_lower').execute();
    await db.schema.dropIndex('accounts_app_email').execute();
  },
};

/**
 * @module Migration 0030: the accounts' externalId indexed within their app, for an IdP that matches users by it.
 */

import type { Kysely, Migration } from 'kysely';

/**
 * Entra ID can match a user by externalId (its objectId) rather than userName: `filter=externalId eq "…"`, once per
 * user of a provisioning cycle. The index on external_id alone lost to the app's own indexes: SQLite's planner,
 * weighing one equality against another, walked every account of the app (56 ms a lookup at 200k accounts). With
 * the app first, both equalities are the index's, and no other query read external_id alone, so it replaces that
 * index rather than joining it (a sync writes as many index entries per account as before).
 */
export const migration0030: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('accounts_app_external_id')
      .on('accounts')
      .columns(['app_id', 'external_id'])
      .execute();
    await db.schema.dropIndex('accounts_external_id').ifExists().execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.createIndex('accounts_external_id').on('accounts').column('external_id').execute();
    await db.schema.dropIndex('accounts_app_external_id').ifExists().execute();
  },
};

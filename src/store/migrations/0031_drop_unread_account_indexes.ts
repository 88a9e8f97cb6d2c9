/**
 * @module Migration 0031: the two indexes of accounts that no query reads any more, dropped: every account a sync
 * or the SCIM facade writes paid for them.
 */

import type { Kysely, Migration } from 'kysely';

/**
 * `accounts_login` (login as written) has been read by nothing since lookups compare logins lower-cased within their
 * app (`accounts_app_login_lower`, 0014); `accounts_email` (the address across apps) only by a lookup of an address
 * in every app, which now reads each app's `accounts_app_email` instead. Two of the six B-trees each account row
 * is written to: 200k accounts of one app written into an empty snapshot took 0.66 of the wall time and 0.68 of
 * the CPU without them (`npm run bench:account-writes`, both in one process).
 */
export const migration0031: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('accounts_email').ifExists().execute();
    await db.schema.dropIndex('accounts_login').ifExists().execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.createIndex('accounts_email').on('accounts').column('email_normalized').execute();
    await db.schema.createIndex('accounts_login').on('accounts').column('login').execute();
  },
};

/**
 * @module Migration 0029: partial indexes over the plans the policy made and the plans that remove someone, so
 * neither is looked for among every SCIM facade write.
 */

import { type Kysely, type Migration, sql } from 'kysely';

/**
 * An IdP provisioning through the facade writes a plan per write, tens of thousands an hour. The newest policy
 * plan (`plan show latest`, `roster report`) was found by walking back past every facade plan newer than it (30 ms
 * behind 200k of them, read whole), and the removal hold read every plan of its window to find the few that remove
 * someone. Each index holds only the plans its reads look for, so a facade write that removes nobody writes neither
 * (measured with better-sqlite3 alone: 95 µs per insert and commit with them, 96 µs without).
 *
 * The conditions are the store's filters (`facadePlans(false)`, `removals`) as literal text: a planner uses a
 * partial index only for a query holding its condition, and the queries spell it the same way.
 */
export const migration0029: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('plans_policy_created')
      .on('plans')
      .columns(['created_at', 'id'])
      .where(sql.ref('summary'), 'not like', '%"source":"scim"%')
      .execute();
    await db.schema
      .createIndex('plans_removing_created')
      .on('plans')
      .columns(['created_at', 'id'])
      .where((eb) =>
        eb.or(Array.from({ length: 9 }, (_, i) => eb(sql.ref('summary'), 'like', `%"removals":${i + 1}%`))),
      )
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('plans_removing_created').ifExists().execute();
    await db.schema.dropIndex('plans_policy_created').ifExists().execute();
  },
};

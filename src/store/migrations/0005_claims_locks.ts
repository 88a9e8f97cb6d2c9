/** @module Migration 0005: op claims with leases, the plan lock, task ops' tasks, one open task per key. */

import { type Kysely, type Migration, sql } from 'kysely';

export const migration0005: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('ops').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('ops').addColumn('claim_expires_at', 'text').execute();
    await db.schema.alterTable('ops').addColumn('task_id', 'text').execute();
    await db.schema.createIndex('ops_task').on('ops').column('task_id').execute();

    await db.schema.alterTable('tasks').addColumn('key', 'text').execute();
    // Partial and unique: two writers opening the same task at once cannot both succeed, closed ones pile up freely.
    await db.schema
      .createIndex('tasks_open_key')
      .on('tasks')
      .column('key')
      .unique()
      .where(sql.ref('status'), '=', 'open')
      .execute();
    await db.schema.createIndex('tasks_created').on('tasks').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('plan_locks')
      .addColumn('plan_id', 'text', (c) => c.primaryKey().references('plans.id').onDelete('cascade'))
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('acquired_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('plans_created').on('plans').columns(['created_at', 'id']).execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('plans_created').execute();
    await db.schema.dropTable('plan_locks').execute();
    await db.schema.dropIndex('tasks_created').execute();
    await db.schema.dropIndex('tasks_open_key').execute();
    await db.schema.alterTable('tasks').dropColumn('key').execute();
    await db.schema.dropIndex('ops_task').execute();
    await db.schema.alterTable('ops').dropColumn('task_id').execute();
    await db.schema.alterTable('ops').dropColumn('claim_expires_at').execute();
    await db.schema.alterTable('ops').dropColumn('claimed_by').execute();
  },
};

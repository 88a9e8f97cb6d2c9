/** @module Migration 0003: the identity graph's links, and plans with their ops and manual tasks. */

import type { Kysely, Migration } from 'kysely';

export const migration0003: Migration = {
  async up(db: Kysely<unknown>) {
    // No foreign key to accounts or people: a manual decision must outlive a snapshot swap or an HR re-import.
    await db.schema
      .createTable('links')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('employee_id', 'text')
      .addColumn('situation', 'text', (c) => c.notNull())
      .addColumn('method', 'text')
      .addColumn('confidence', 'real', (c) => c.notNull())
      .addColumn('candidates', 'text', (c) => c.notNull())
      .addColumn('manual', 'integer', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('links_pk', ['app_id', 'account_id'])
      .execute();
    await db.schema.createIndex('links_employee').on('links').column('employee_id').execute();

    await db.schema
      .createTable('plans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('state_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ops')
      .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('intent_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('outcome', 'text')
      .addColumn('error', 'text')
      .addColumn('depends_on', 'text', (c) => c.notNull())
      .addColumn('requires_approval', 'integer', (c) => c.notNull())
      .addColumn('approved_by', 'text')
      .addColumn('approved_at', 'text')
      .addPrimaryKeyConstraint('ops_pk', ['plan_id', 'seq'])
      .execute();
    await db.schema.createIndex('ops_status').on('ops').columns(['plan_id', 'status']).execute();

    await db.schema
      .createTable('tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('plan_id', 'text', (c) => c.references('plans.id').onDelete('set null'))
      .addColumn('op_seq', 'integer')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('instructions', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('closed_by', 'text')
      .execute();
    await db.schema.createIndex('tasks_status').on('tasks').columns(['status', 'app_id']).execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('tasks').execute();
    await db.schema.dropTable('ops').execute();
    await db.schema.dropTable('plans').execute();
    await db.schema.dropTable('links').execute();
  },
};

/** @module Migration 0001: people from the source of truth, their imports, and the apps Roster manages. */

import type { Kysely, Migration } from 'kysely';

export const migration0001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source_path', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();

    await db.schema
      .createTable('people')
      .addColumn('employee_id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('email_normalized', 'text', (c) => c.notNull())
      .addColumn('aliases', 'text', (c) => c.notNull())
      .addColumn('first_name', 'text', (c) => c.notNull())
      .addColumn('last_name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('department', 'text')
      .addColumn('title', 'text')
      .addColumn('manager_email', 'text')
      .addColumn('start_date', 'text')
      .addColumn('end_date', 'text')
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('import_id', 'text', (c) => c.notNull().references('imports.id'))
      .execute();
    await db.schema.createIndex('people_email').on('people').column('email_normalized').execute();

    await db.schema
      .createTable('person_emails')
      .addColumn('email_normalized', 'text', (c) => c.notNull())
      .addColumn('employee_id', 'text', (c) =>
        c.notNull().references('people.employee_id').onDelete('cascade'),
      )
      .addColumn('is_primary', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('person_emails_pk', ['email_normalized', 'employee_id'])
      .execute();
    await db.schema.createIndex('person_emails_employee').on('person_emails').column('employee_id').execute();

    await db.schema
      .createTable('apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('apps').execute();
    await db.schema.dropTable('person_emails').execute();
    await db.schema.dropTable('people').execute();
    await db.schema.dropTable('imports').execute();
  },
};

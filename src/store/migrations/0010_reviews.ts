/** @module Migration 0010: access reviews — campaigns, their frozen items and decisions; tokens that belong to a person. */

import type { Kysely, Migration } from 'kysely';

export const migration0010: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('reviews')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('revoke_when', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('closed_by', 'text')
      .addColumn('plan_ids', 'text', (c) => c.notNull())
      .execute();

    // The subject is frozen JSON: what was reviewed stays what it was, whatever later syncs find.
    await db.schema
      .createTable('review_items')
      .addColumn('review_id', 'text', (c) => c.notNull().references('reviews.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('reviewer', 'text', (c) => c.notNull())
      .addColumn('reviewer_reason', 'text', (c) => c.notNull())
      .addColumn('history', 'text', (c) => c.notNull())
      .addColumn('decision', 'text')
      .addColumn('change_to', 'text')
      .addColumn('comment', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('reminded_at', 'text')
      .addColumn('escalated_at', 'text')
      .addColumn('plan_id', 'text')
      .addColumn('op_seq', 'integer')
      .addColumn('verified_at', 'text')
      .addColumn('verified_by', 'text')
      .addPrimaryKeyConstraint('review_items_pk', ['review_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('review_items_reviewer')
      .on('review_items')
      .columns(['reviewer', 'review_id'])
      .execute();

    // A reviewer's token answers for a person: the API shows it that person's items only.
    await db.schema.alterTable('api_tokens').addColumn('person', 'text').execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('api_tokens').dropColumn('person').execute();
    await db.schema.dropTable('review_items').execute();
    await db.schema.dropTable('reviews').execute();
  },
};

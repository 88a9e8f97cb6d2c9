/** @module Migration 0006: what `roster serve` keeps — API tokens, scheduler state, webhook dedupe, notifications. */

import type { Kysely, Migration } from 'kysely';

export const migration0006: Migration = {
  async up(db: Kysely<unknown>) {
    // Only the sha256 of a token is kept: a stolen database cannot be replayed against the API.
    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    // One row per scheduled job (an app's sync, the people import): survives restarts, shows the next run.
    await db.schema
      .createTable('schedule_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('next_run_at', 'text')
      .addColumn('last_run_at', 'text')
      .addColumn('last_status', 'text')
      .addColumn('last_error', 'text')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('quarantined_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    // A redelivered webhook carries the same event id: the primary key turns the second one away.
    await db.schema
      .createTable('webhook_events')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addPrimaryKeyConstraint('webhook_events_pk', ['app_id', 'event_id'])
      .execute();

    // One row per (sink, thing worth saying): the dedupe key makes a second run say nothing new.
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('sink', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema
      .createIndex('notifications_dedupe')
      .on('notifications')
      .columns(['sink', 'dedupe_key'])
      .unique()
      .execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of ['notifications', 'webhook_events', 'schedule_jobs', 'api_tokens']) {
      await db.schema.dropTable(table).execute();
    }
  },
};

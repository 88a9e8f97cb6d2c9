/** @module Migration 0017: findings kept between graph runs, the accounts whose links moved since, and the graph's change-set generation. */

import { type Kysely, type Migration, sql } from 'kysely';

export const migration0017: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per finding, so a run recomputes only the accounts whose inputs changed and an unchanged run
    // reads them back instead of computing them.
    await db.schema
      .createTable('graph_findings')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('employee_id', 'text')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('graph_findings_pk', ['app_id', 'account_id', 'rule'])
      .execute();
    // Accounts whose link correlation changed (with the owner they had before) since findings last ran:
    // `updateLinks` moves the links without computing findings, and these tell the next findings run where.
    await db.schema
      .createTable('graph_dirty')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('employee_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('graph_dirty_pk', ['app_id', 'account_id', 'employee_id'])
      .execute();
    // The change-set generation the links were last brought up to (the per-scope marks are no longer read),
    // and what the stored findings were computed from (generation, settings, "now", summary) as JSON.
    await db.schema
      .alterTable('graph_state')
      .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(-1))
      .execute();
    await db.schema.alterTable('graph_state').addColumn('findings', 'text').execute();
    // A graph state written before this migration carries no generation: the next run recomputes everything.
    await sql`update graph_state set generation = -1`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('graph_state').dropColumn('findings').execute();
    await db.schema.alterTable('graph_state').dropColumn('generation').execute();
    await db.schema.dropTable('graph_dirty').execute();
    await db.schema.dropTable('graph_findings').execute();
  },
};

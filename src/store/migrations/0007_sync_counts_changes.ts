/** @module Migration 0007: staged row counts kept as pages arrive, and the change set sync and import leave behind. */

import { type Kysely, type Migration, sql } from 'kysely';

export const migration0007: Migration = {
  async up(db: Kysely<unknown>) {
    // Counted as pages are staged (a per-page count(*) of the staging tables grew with the run: quadratic).
    for (const column of ['accounts', 'entitlements', 'grants']) {
      await db.schema
        .alterTable('staged_progress')
        .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    }
    // A run staged by an older Roster and resumed by this one starts from the rows it really holds.
    await sql`update staged_progress set
        accounts = (select count(*) from staged_accounts s where s.run_id = staged_progress.run_id),
        entitlements = (select count(*) from staged_entitlements s where s.run_id = staged_progress.run_id),
        grants = (select count(*) from staged_grants s where s.run_id = staged_progress.run_id)
      where resource = ''`.execute(db);

    // The change set: the last change of each account and person, stamped with the generation that made it.
    // Generations come from one counter row, whose row lock orders concurrent writers on Postgres: a reader
    // that has seen generation g has seen every change stamped g or lower.
    await db.schema
      .createTable('change_counter')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .execute();
    await sql`insert into change_counter (id, generation) values (1, 0)`.execute(db);
    await db.schema
      .createTable('changes')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('change', 'text', (c) => c.notNull())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('changes_pk', ['kind', 'app_id', 'key'])
      .execute();
    await db.schema.createIndex('changes_generation').on('changes').column('generation').execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('changes').execute();
    await db.schema.dropTable('change_counter').execute();
    for (const column of ['accounts', 'entitlements', 'grants']) {
      await db.schema.alterTable('staged_progress').dropColumn(column).execute();
    }
  },
};

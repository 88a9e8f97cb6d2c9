/** @module Migration 0002: sync runs, checkpoints, each app's snapshot (accounts, entitlements, grants) and its staging area. */

import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

type Table = CreateTableBuilder<string, string>;

function accountColumns(t: Table): Table {
  return t
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_normalized', 'text')
    .addColumn('login', 'text')
    .addColumn('external_id', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('display_name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull())
    .addColumn('last_login_at', 'text')
    .addColumn('created_at', 'text')
    .addColumn('updated_at', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('raw', 'text')
    .addColumn('sync_run_id', 'text');
}

function entitlementColumns(t: Table): Table {
  return t
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('privileged', 'integer', (c) => c.notNull())
    .addColumn('raw', 'text')
    .addColumn('sync_run_id', 'text');
}

function grantColumns(t: Table): Table {
  return t
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('entitlement_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('sync_run_id', 'text')
    .addColumn('granted_by', 'text', (c) => c.notNull());
}

export const migration0002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sync_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('requests', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('sync_runs_app').on('sync_runs').columns(['app_id', 'started_at']).execute();

    await db.schema
      .createTable('sync_checkpoints')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('watermark', 'text')
      .addColumn('run_id', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sync_checkpoints_pk', ['app_id', 'resource'])
      .execute();

    await accountColumns(db.schema.createTable('accounts'))
      .addPrimaryKeyConstraint('accounts_pk', ['app_id', 'id'])
      .addForeignKeyConstraint('accounts_app', ['app_id'], 'apps', ['id'], (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('accounts_email').on('accounts').column('email_normalized').execute();
    await db.schema.createIndex('accounts_external_id').on('accounts').column('external_id').execute();
    await db.schema.createIndex('accounts_login').on('accounts').column('login').execute();

    await entitlementColumns(db.schema.createTable('entitlements'))
      .addPrimaryKeyConstraint('entitlements_pk', ['app_id', 'id'])
      .addForeignKeyConstraint('entitlements_app', ['app_id'], 'apps', ['id'], (c) => c.onDelete('cascade'))
      .execute();

    // A grant must name an account and an entitlement of the same snapshot: a dangling one fails the swap.
    await grantColumns(db.schema.createTable('grants'))
      .addPrimaryKeyConstraint('grants_pk', ['app_id', 'entitlement_id', 'account_id'])
      .addForeignKeyConstraint(
        'grants_account',
        ['app_id', 'account_id'],
        'accounts',
        ['app_id', 'id'],
        (c) => c.onDelete('cascade'),
      )
      .addForeignKeyConstraint(
        'grants_entitlement',
        ['app_id', 'entitlement_id'],
        'entitlements',
        ['app_id', 'id'],
        (c) => c.onDelete('cascade'),
      )
      .execute();
    await db.schema.createIndex('grants_account').on('grants').columns(['app_id', 'account_id']).execute();

    await accountColumns(db.schema.createTable('staged_accounts'))
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('staged_accounts_pk', ['run_id', 'id'])
      .execute();
    await entitlementColumns(db.schema.createTable('staged_entitlements'))
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('staged_entitlements_pk', ['run_id', 'id'])
      .execute();
    await grantColumns(db.schema.createTable('staged_grants'))
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('staged_grants_pk', ['run_id', 'entitlement_id', 'account_id'])
      .execute();
    await db.schema
      .createTable('staged_progress')
      .addColumn('run_id', 'text', (c) => c.notNull().references('sync_runs.id').onDelete('cascade'))
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('batches', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('staged_progress_pk', ['run_id', 'resource'])
      .execute();
  },

  async down(db: Kysely<unknown>) {
    for (const table of [
      'staged_progress',
      'staged_grants',
      'staged_entitlements',
      'staged_accounts',
      'grants',
      'entitlements',
      'accounts',
      'sync_checkpoints',
      'sync_runs',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

/** @module The ordered, versioned list of migrations and running them to the latest version. */

import { type Kysely, type Migration, Migrator } from 'kysely';
import { RosterError } from '../../core/errors.js';
import type { AppliedMigration } from '../store.js';
import { migration0001 } from './0001_people_apps.js';
import { migration0002 } from './0002_sync_snapshots.js';
import { migration0003 } from './0003_links_plans.js';
import { migration0004 } from './0004_audit.js';
import { migration0005 } from './0005_claims_locks.js';
import { migration0006 } from './0006_server.js';
import { migration0007 } from './0007_sync_counts_changes.js';
import { migration0008 } from './0008_graph_marks.js';
import { migration0010 } from './0010_reviews.js';
import { migration0012 } from './0012_console_sessions.js';
import { migration0014 } from './0014_lookup_indexes.js';
import { migration0017 } from './0017_graph_findings.js';
import { migration0018 } from './0018_staged_kept.js';
import { migration0020 } from './0020_drop_graph_marks.js';
import { migration0025 } from './0025_sync_unchanged.js';
import { migration0027 } from './0027_idp_managed.js';
import { migration0028 } from './0028_audit_chain_by_seq.js';
import { migration0029 } from './0029_plan_source_indexes.js';
import { migration0030 } from './0030_accounts_app_external_id.js';
import { migration0031 } from './0031_drop_unread_account_indexes.js';
import { migration0032 } from './0032_refused_with_commit.js';
import { migration0033 } from './0033_api_tokens_notify.js';
import { migration0034 } from './0034_partial_null_indexes.js';

/** Names sort in the order they run; a released migration is never edited, only followed by a new one. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_people_apps': migration0001,
  '0002_sync_snapshots': migration0002,
  '0003_links_plans': migration0003,
  '0004_audit': migration0004,
  '0005_claims_locks': migration0005,
  '0006_server': migration0006,
  '0007_sync_counts_changes': migration0007,
  '0008_graph_marks': migration0008,
  '0010_reviews': migration0010,
  '0012_console_sessions': migration0012,
  '0014_lookup_indexes': migration0014,
  '0017_graph_findings': migration0017,
  '0018_staged_kept': migration0018,
  '0020_drop_graph_marks': migration0020,
  '0025_sync_unchanged': migration0025,
  '0027_idp_managed': migration0027,
  '0028_audit_chain_by_seq': migration0028,
  '0029_plan_source_indexes': migration0029,
  '0030_accounts_app_external_id': migration0030,
  '0031_drop_unread_account_indexes': migration0031,
  '0032_refused_with_commit': migration0032,
  '0033_api_tokens_notify': migration0033,
  '0034_partial_null_indexes': migration0034,
};

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => ({ ...MIGRATIONS }) } });
}

/** Runs every migration not yet applied, in order; returns the names it ran (none on a re-open). */
export async function migrateToLatest(db: Kysely<unknown>, where: string): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    throw new RosterError('internal', `could not bring the store's schema up to date: ${String(error)}`, {
      cause: error,
      where,
      fix: 'if this database was written by a newer Roster, upgrade Roster; otherwise restore it from a backup',
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Runs the migrations up to and including `name` only (tests and staged upgrades). */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  const { error } = await migrator(db).migrateTo(name);
  if (error !== undefined) {
    throw new RosterError('internal', `could not migrate the store to ${name}: ${String(error)}`, {
      cause: error,
    });
  }
}

/** The migrations this database has applied, in order, with when. */
export async function appliedMigrations(db: Kysely<unknown>): Promise<AppliedMigration[]> {
  const all = await migrator(db).getMigrations();
  return all
    .filter((m) => m.executedAt !== undefined)
    .map((m) => ({ name: m.name, executedAt: (m.executedAt as Date).toISOString() }));
}

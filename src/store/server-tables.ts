/** @module The tables `roster serve` adds (migration 0005) as Kysely sees them, and reaching them from a Store. */

import type { Kysely } from 'kysely';
import { RosterError } from '../core/errors.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './store.js';

export interface ApiTokensTable {
  id: string;
  name: string;
  scope: string;
  hash: string;
  prefix: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The person (email) a reviewer's token answers for (migration 0010). */
  person: string | null;
}

export interface ScheduleJobsTable {
  id: string;
  kind: string;
  app_id: string | null;
  next_run_at: string | null;
  last_run_at: string | null;
  last_status: string | null;
  last_error: string | null;
  consecutive_failures: number;
  runs: number;
  failures: number;
  quarantined_at: string | null;
  updated_at: string;
}

export interface WebhookEventsTable {
  app_id: string;
  event_id: string;
  kind: string;
  received_at: string;
  outcome: string | null;
}

export interface NotificationsTable {
  id: string;
  sink: string;
  dedupe_key: string;
  event: string;
  payload: string;
  status: string;
  attempts: number;
  created_at: string;
  delivered_at: string | null;
  error: string | null;
}

export interface ConsoleSessionsTable {
  id_hash: string;
  token_id: string;
  created_at: string;
  expires_at: string;
}

export interface ServerDatabase {
  api_tokens: ApiTokensTable;
  schedule_jobs: ScheduleJobsTable;
  webhook_events: WebhookEventsTable;
  notifications: NotificationsTable;
  console_sessions: ConsoleSessionsTable;
}

/**
 * The SQL handle behind a Store, typed for the server's tables. Both shipped stores (SQLite, Postgres) are
 * KyselyStores; the server's tables live beside the core ones so one backup holds everything.
 */
export function serverDb(store: Store): Kysely<ServerDatabase> {
  if (!(store instanceof KyselyStore)) {
    throw new RosterError('internal', 'roster serve needs a SQL store (SQLite or Postgres)', {
      fix: 'set store: to sqlite:./roster.db or a postgres:// URL',
    });
  }
  return store.db as unknown as Kysely<ServerDatabase>;
}

/** Whether an error is a unique-key violation, in either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

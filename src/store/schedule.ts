/** @module Scheduler state of `roster serve`: per job, its next run, last outcome, failures and quarantine. */

import type { Selectable } from 'kysely';
import { type ScheduleJobsTable, serverDb } from './server-tables.js';
import type { Store } from './store.js';

export type ScheduleJobKind = 'sync' | 'people' | 'reviews';

export interface ScheduleJobState {
  id: string;
  kind: ScheduleJobKind;
  appId: string | null;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: 'succeeded' | 'failed' | null;
  lastError: string | null;
  consecutiveFailures: number;
  runs: number;
  failures: number;
  quarantinedAt: string | null;
  updatedAt: string;
}

export interface ScheduleStore {
  list(): Promise<ScheduleJobState[]>;
  get(id: string): Promise<ScheduleJobState | null>;
  put(state: ScheduleJobState): Promise<void>;
}

function toState(row: Selectable<ScheduleJobsTable>): ScheduleJobState {
  return {
    id: row.id,
    kind: row.kind === 'people' || row.kind === 'reviews' ? row.kind : 'sync',
    appId: row.app_id,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    lastStatus: row.last_status === 'succeeded' || row.last_status === 'failed' ? row.last_status : null,
    lastError: row.last_error,
    consecutiveFailures: Number(row.consecutive_failures),
    runs: Number(row.runs),
    failures: Number(row.failures),
    quarantinedAt: row.quarantined_at,
    updatedAt: row.updated_at,
  };
}

export function scheduleStore(store: Store): ScheduleStore {
  const db = serverDb(store);
  return {
    async list() {
      return (await db.selectFrom('schedule_jobs').selectAll().orderBy('id').execute()).map(toState);
    },
    async get(id) {
      const row = await db.selectFrom('schedule_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toState(row) : null;
    },
    async put(s) {
      const row: ScheduleJobsTable = {
        id: s.id,
        kind: s.kind,
        app_id: s.appId,
        next_run_at: s.nextRunAt,
        last_run_at: s.lastRunAt,
        last_status: s.lastStatus,
        last_error: s.lastError,
        consecutive_failures: s.consecutiveFailures,
        runs: s.runs,
        failures: s.failures,
        quarantined_at: s.quarantinedAt,
        updated_at: s.updatedAt,
      };
      const { id: _id, ...rest } = row;
      await db
        .insertInto('schedule_jobs')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(rest))
        .execute();
    },
  };
}

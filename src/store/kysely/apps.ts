/** @module Apps, sync runs and checkpoints: what Roster manages and how far each sync got. */

import { randomUUID } from 'node:crypto';
import { RosterError } from '../../core/errors.js';
import { toJsonColumn } from '../json.js';
import { rowToApp, rowToCheckpoint, rowToSyncRun } from '../rows.js';
import type { AppRecord, Checkpoint, SyncRun } from '../store.js';
import type { Sql } from './context.js';

export async function upsertApp(
  s: Sql,
  input: { id: string; type: AppRecord['type']; baseUrl: string },
): Promise<AppRecord> {
  const now = s.now();
  await s.db
    .insertInto('apps')
    .values({ id: input.id, type: input.type, base_url: input.baseUrl, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ type: input.type, base_url: input.baseUrl, updated_at: now }),
    )
    .execute();
  return (await getApp(s, { id: input.id }))!;
}

export async function getApp(s: Sql, input: { id: string }): Promise<AppRecord | null> {
  const row = await s.db.selectFrom('apps').selectAll().where('id', '=', input.id).executeTakeFirst();
  return row === undefined ? null : rowToApp(row);
}

export async function listApps(s: Sql): Promise<AppRecord[]> {
  return (await s.db.selectFrom('apps').selectAll().orderBy('id').execute()).map(rowToApp);
}

export async function requireApp(s: Sql, appId: string): Promise<void> {
  if ((await getApp(s, { id: appId })) === null) {
    throw new RosterError('not_found', `app ${appId} is not in the store`, {
      where: s.dialect.where,
      fix: 'register the app (upsertApp) before syncing it',
      details: { appId },
    });
  }
}

// ---- sync runs and checkpoints

export async function startSyncRun(
  s: Sql,
  input: { appId: string; mode: SyncRun['mode'] },
): Promise<SyncRun> {
  await requireApp(s, input.appId);
  const run: SyncRun = {
    id: randomUUID(),
    appId: input.appId,
    mode: input.mode,
    status: 'running',
    startedAt: s.now(),
    finishedAt: null,
    counts: {},
    requests: {},
    error: null,
  };
  await s.db
    .insertInto('sync_runs')
    .values({
      id: run.id,
      app_id: run.appId,
      mode: run.mode,
      status: run.status,
      started_at: run.startedAt,
      finished_at: null,
      counts: '{}',
      requests: '{}',
      error: null,
    })
    .execute();
  return run;
}

export async function finishSyncRun(
  s: Sql,
  input: {
    id: string;
    status: 'succeeded' | 'failed';
    counts?: Record<string, number>;
    requests?: Record<string, number>;
    error?: string | null;
  },
): Promise<SyncRun> {
  const result = await s.db
    .updateTable('sync_runs')
    .set({
      status: input.status,
      finished_at: s.now(),
      counts: toJsonColumn(input.counts ?? {}),
      requests: toJsonColumn(input.requests ?? {}),
      error: input.error ?? null,
    })
    .where('id', '=', input.id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    const run = await requireRun(s, input.id);
    throw new RosterError('conflict', `sync run ${input.id} already finished (${run.status})`, {
      details: { runId: input.id, status: run.status },
    });
  }
  return requireRun(s, input.id);
}

export async function getSyncRun(s: Sql, input: { id: string }): Promise<SyncRun | null> {
  const row = await s.db.selectFrom('sync_runs').selectAll().where('id', '=', input.id).executeTakeFirst();
  return row === undefined ? null : rowToSyncRun(row);
}

export async function listSyncRuns(
  s: Sql,
  input: {
    appId: string;
    status?: SyncRun['status'];
    limit?: number;
  },
): Promise<SyncRun[]> {
  let query = s.db
    .selectFrom('sync_runs')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(input.limit ?? 50);
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  return (await query.execute()).map(rowToSyncRun);
}

export async function requireRun(s: Sql, id: string): Promise<SyncRun> {
  const run = await getSyncRun(s, { id });
  if (run === null) {
    throw new RosterError('not_found', `sync run ${id} is not in the store`, { details: { runId: id } });
  }
  return run;
}

export async function getCheckpoint(
  s: Sql,
  input: { appId: string; resource: string },
): Promise<Checkpoint | null> {
  const row = await s.db
    .selectFrom('sync_checkpoints')
    .selectAll()
    .where('app_id', '=', input.appId)
    .where('resource', '=', input.resource)
    .executeTakeFirst();
  return row === undefined ? null : rowToCheckpoint(row);
}

export async function putCheckpoint(
  s: Sql,
  input: {
    appId: string;
    resource: string;
    cursor: string | null;
    watermark: string | null;
    runId: string | null;
  },
): Promise<Checkpoint> {
  const row = {
    app_id: input.appId,
    resource: input.resource,
    cursor: input.cursor,
    watermark: input.watermark,
    run_id: input.runId,
    updated_at: s.now(),
  };
  await s.db
    .insertInto('sync_checkpoints')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['app_id', 'resource']).doUpdateSet({
        cursor: row.cursor,
        watermark: row.watermark,
        run_id: row.run_id,
        updated_at: row.updated_at,
      }),
    )
    .execute();
  return rowToCheckpoint(row);
}

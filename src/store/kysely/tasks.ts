/** @module Manual tasks: what a person must do in an app whose API cannot; one open task per key. */

import { randomUUID } from 'node:crypto';
import { RosterError } from '../../core/errors.js';
import { rowToTask } from '../rows.js';
import type { TaskRecord } from '../store.js';
import type { Sql } from './context.js';

interface TaskInput {
  planId?: string | null;
  opSeq?: number | null;
  appId: string;
  kind: string;
  instructions: string;
  key?: string | null;
}

export async function createTask(s: Sql, input: TaskInput): Promise<TaskRecord> {
  const task: TaskRecord = {
    id: randomUUID(),
    planId: input.planId ?? null,
    opSeq: input.opSeq ?? null,
    appId: input.appId,
    kind: input.kind,
    instructions: input.instructions,
    status: 'open',
    createdAt: s.now(),
    closedAt: null,
    closedBy: null,
    key: input.key ?? null,
  };
  await s.db
    .insertInto('tasks')
    .values({
      id: task.id,
      plan_id: task.planId,
      op_seq: task.opSeq,
      app_id: task.appId,
      kind: task.kind,
      instructions: task.instructions,
      status: task.status,
      created_at: task.createdAt,
      closed_at: null,
      closed_by: null,
      key: task.key,
    })
    .execute();
  return task;
}

async function openTaskWithKey(s: Sql, key: string): Promise<TaskRecord | null> {
  const row = await s.db
    .selectFrom('tasks')
    .selectAll()
    .where('key', '=', key)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return row === undefined ? null : rowToTask(row);
}

export async function ensureTask(
  s: Sql,
  input: TaskInput & { key: string },
): Promise<{ task: TaskRecord; created: boolean }> {
  const open = await openTaskWithKey(s, input.key);
  if (open !== null) return { task: open, created: false };
  try {
    // Called outside a transaction (on Postgres a refused insert would abort the caller's), so a lost race
    // costs only this insert.
    return { task: await createTask(s, input), created: true };
  } catch (error) {
    // Another writer opened the same task between our read and insert: the partial unique index refused ours.
    if (!s.dialect.isUniqueViolation(error)) throw error;
    const raced = await openTaskWithKey(s, input.key);
    if (raced === null) throw error;
    return { task: raced, created: false };
  }
}

export async function closeTask(
  s: Sql,
  input: {
    id: string;
    status: 'done' | 'cancelled';
    closedBy: string;
  },
): Promise<TaskRecord> {
  return s.write(async (tx) => {
    const now = tx.now();
    const result = await tx.db
      .updateTable('tasks')
      .set({ status: input.status, closed_at: now, closed_by: input.closedBy })
      .where('id', '=', input.id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    const row = await tx.db.selectFrom('tasks').selectAll().where('id', '=', input.id).executeTakeFirst();
    if (row === undefined) {
      throw new RosterError('not_found', `task ${input.id} is not in the store`, {
        details: { taskId: input.id },
      });
    }
    const task = rowToTask(row);
    if (result.numUpdatedRows === 0n && task.status !== input.status) {
      throw new RosterError('conflict', `task ${input.id} is already ${task.status}`, {
        details: { taskId: input.id, status: task.status },
      });
    }
    // The task ops that opened or joined this task finish with it, in the same transaction.
    await tx.db
      .updateTable('ops')
      .set({ status: input.status === 'done' ? 'succeeded' : 'skipped', finished_at: now })
      .where('task_id', '=', input.id)
      .where('status', '=', 'task_open')
      .execute();
    return task;
  });
}

export async function listTasks(
  s: Sql,
  input: { status?: TaskRecord['status']; appId?: string } = {},
): Promise<TaskRecord[]> {
  let query = s.db.selectFrom('tasks').selectAll().orderBy('created_at').orderBy('id');
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
  return (await query.execute()).map(rowToTask);
}

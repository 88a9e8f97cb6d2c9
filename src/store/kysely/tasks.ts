/** @module Manual tasks: what a person must do in an app whose API cannot. */

import { randomUUID } from 'node:crypto';
import { RosterError } from '../../core/errors.js';
import { rowToTask } from '../rows.js';
import type { TaskRecord } from '../store.js';
import type { Sql } from './context.js';

export async function createTask(
  s: Sql,
  input: {
    planId?: string | null;
    opSeq?: number | null;
    appId: string;
    kind: string;
    instructions: string;
  },
): Promise<TaskRecord> {
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
    })
    .execute();
  return task;
}

export async function closeTask(
  s: Sql,
  input: {
    id: string;
    status: 'done' | 'cancelled';
    closedBy: string;
  },
): Promise<TaskRecord> {
  const result = await s.db
    .updateTable('tasks')
    .set({ status: input.status, closed_at: s.now(), closed_by: input.closedBy })
    .where('id', '=', input.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  const row = await s.db.selectFrom('tasks').selectAll().where('id', '=', input.id).executeTakeFirst();
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
  return task;
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

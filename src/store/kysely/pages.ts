/** @module Paged listings for the API: keyset pages in each table's key order, behind an opaque cursor. */

import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import type { Account, Person } from '../../core/types.js';
import {
  normalizeEmail,
  rowToAccount,
  rowToAudit,
  rowToOp,
  rowToPerson,
  rowToPlan,
  rowToTask,
} from '../rows.js';
import type { Database } from '../schema.js';
import type {
  AuditEvent,
  OpKind,
  OpRecord,
  OpStatus,
  Page,
  PageInput,
  PlanRecord,
  PlanStatus,
  StoredAccount,
  StoredPerson,
  TaskRecord,
  TaskStatus,
} from '../store.js';
import type { Sql } from './context.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

type Key = (string | number)[];

/** base64url of `{ q, k }`: which listing it belongs to and the last key served. Opaque to callers. */
export function encodeCursor(listing: string, key: Key): string {
  return Buffer.from(JSON.stringify({ q: listing, k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(listing: string, cursor: string, arity: number): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const value = parsed as { q?: unknown; k?: unknown } | null;
  const ok =
    value !== null &&
    typeof value === 'object' &&
    value.q === listing &&
    Array.isArray(value.k) &&
    value.k.length === arity &&
    value.k.every((x) => typeof x === 'string' || typeof x === 'number');
  if (!ok) {
    throw new RosterError('invalid_input', `the cursor is not one this ${listing} listing handed out`, {
      where: 'cursor',
      fix: `pass the nextCursor of the previous ${listing} page unchanged, or leave it out for the first page`,
    });
  }
  return value.k as Key;
}

function limitOf(input: PageInput): number {
  const limit = input.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RosterError('invalid_input', `limit ${limit} is out of range`, {
      where: 'limit',
      fix: `give a whole number from 1 to ${MAX_LIMIT}`,
    });
  }
  return limit;
}

/** Rows strictly after `key` in the order of `columns` (ascending): (a > x) or (a = x and b > y) ... */
function after<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, columns: readonly string[], key: Key) {
  const ref = (c: string) => sql.ref(c);
  const ors = columns.map((column, i) =>
    eb.and([...columns.slice(0, i).map((c, j) => eb(ref(c), '=', key[j])), eb(ref(column), '>', key[i])]),
  );
  return eb.or(ors);
}

/** Runs a keyset page: `limit + 1` rows to know whether another page follows. */
async function page<Row, T>(
  input: PageInput,
  listing: string,
  columns: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: the table differs per listing; each caller fixes it.
  base: SelectQueryBuilder<Database, any, Row>,
  keyOf: (row: Row) => Key,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const limit = limitOf(input);
  let query = base;
  if (input.cursor != null) {
    const key = decodeCursor(listing, input.cursor, columns.length);
    query = query.where((eb) => after(eb, columns, key));
  }
  for (const column of columns) query = query.orderBy(sql.ref(column));
  const rows = await query.limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(listing, keyOf(last)) : null,
  };
}

export function pagePeople(
  s: Sql,
  input: PageInput & { status?: Person['status']; department?: string },
): Promise<Page<StoredPerson>> {
  let base = s.db.selectFrom('people').selectAll();
  if (input.status !== undefined) base = base.where('status', '=', input.status);
  if (input.department !== undefined) base = base.where('department', '=', input.department);
  return page(input, 'people', ['employee_id'], base, (r) => [r.employee_id], rowToPerson);
}

export function pageAccounts(
  s: Sql,
  input: PageInput & { appId?: string; status?: Account['status']; email?: string },
): Promise<Page<StoredAccount>> {
  let base = s.db.selectFrom('accounts').selectAll();
  if (input.appId !== undefined) base = base.where('app_id', '=', input.appId);
  if (input.status !== undefined) base = base.where('status', '=', input.status);
  if (input.email !== undefined) base = base.where('email_normalized', '=', normalizeEmail(input.email));
  return page(input, 'accounts', ['app_id', 'id'], base, (r) => [r.app_id, r.id], rowToAccount);
}

export function pagePlans(s: Sql, input: PageInput & { status?: PlanStatus }): Promise<Page<PlanRecord>> {
  let base = s.db.selectFrom('plans').selectAll();
  if (input.status !== undefined) base = base.where('status', '=', input.status);
  return page(input, 'plans', ['created_at', 'id'], base, (r) => [r.created_at, r.id], rowToPlan);
}

export function pageOps(
  s: Sql,
  input: PageInput & { planId?: string; appId?: string; status?: OpStatus; kind?: OpKind },
): Promise<Page<OpRecord>> {
  let base = s.db.selectFrom('ops').selectAll();
  if (input.planId !== undefined) base = base.where('plan_id', '=', input.planId);
  if (input.appId !== undefined) base = base.where('app_id', '=', input.appId);
  if (input.status !== undefined) base = base.where('status', '=', input.status);
  if (input.kind !== undefined) base = base.where('kind', '=', input.kind);
  return page(input, 'ops', ['plan_id', 'seq'], base, (r) => [r.plan_id, r.seq], rowToOp);
}

export function pageTasks(
  s: Sql,
  input: PageInput & { status?: TaskStatus; appId?: string; planId?: string },
): Promise<Page<TaskRecord>> {
  let base = s.db.selectFrom('tasks').selectAll();
  if (input.status !== undefined) base = base.where('status', '=', input.status);
  if (input.appId !== undefined) base = base.where('app_id', '=', input.appId);
  if (input.planId !== undefined) base = base.where('plan_id', '=', input.planId);
  return page(input, 'tasks', ['created_at', 'id'], base, (r) => [r.created_at, r.id], rowToTask);
}

export function pageAudit(
  s: Sql,
  input: PageInput & { appId?: string; kind?: string; subject?: string; actor?: string },
): Promise<Page<AuditEvent>> {
  let base = s.db.selectFrom('audit_events').selectAll();
  if (input.appId !== undefined) base = base.where('app_id', '=', input.appId);
  if (input.kind !== undefined) base = base.where('kind', '=', input.kind);
  if (input.subject !== undefined) base = base.where('subject', '=', input.subject);
  if (input.actor !== undefined) base = base.where('actor', '=', input.actor);
  return page(input, 'audit', ['seq'], base, (r) => [Number(r.seq)], rowToAudit);
}

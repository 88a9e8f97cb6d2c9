/** @module Paged listings for the API: keyset pages in each table's key order, behind an opaque cursor, and their totals. */

import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import type { Person } from '../../core/types.js';
import {
  normalizeEmail,
  rowToAccount,
  rowToAudit,
  rowToLink,
  rowToOp,
  rowToPerson,
  rowToPlan,
  rowToTask,
} from '../rows.js';
import type { Database } from '../schema.js';
import type {
  AccountListing,
  AuditEvent,
  OpKind,
  OpRecord,
  OpStatus,
  Page,
  PageInput,
  PlanRecord,
  PlanStatus,
  StoredAccount,
  StoredLink,
  StoredPerson,
  TaskRecord,
  TaskStatus,
} from '../store.js';
import { writeQueuedAudit } from './audit-log.js';
import type { Sql } from './context.js';
import { facadePlans } from './plans.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

type Key = (string | number)[];

/** Which way a listing runs along its key: `asc` from the first key, `desc` from the last. */
export type PageOrder = 'asc' | 'desc';

/**
 * base64url of `{ q, o, k }`: which listing it belongs to, which way it runs and the last key served. Opaque to
 * callers.
 */
export function encodeCursor(listing: string, order: PageOrder, key: Key): string {
  return Buffer.from(JSON.stringify({ q: listing, o: order, k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(listing: string, order: PageOrder, cursor: string, arity: number): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const value = parsed as { q?: unknown; o?: unknown; k?: unknown } | null;
  const ok =
    value !== null &&
    typeof value === 'object' &&
    value.q === listing &&
    (value.o === undefined || value.o === 'asc' || value.o === 'desc') &&
    Array.isArray(value.k) &&
    value.k.length === arity &&
    value.k.every((x) => typeof x === 'string' || typeof x === 'number');
  if (!ok) {
    throw new RosterError('invalid_input', `the cursor is not one this ${listing} listing handed out`, {
      where: 'cursor',
      fix: `pass the nextCursor of the previous ${listing} page unchanged, or leave it out for the first page`,
    });
  }
  // A cursor without an order was handed out before listings had one, when every listing ran ascending.
  const from = value.o ?? 'asc';
  if (from !== order) {
    throw new RosterError(
      'invalid_input',
      `the cursor is from the ${listing} listing in ${from} order, not ${order}`,
      {
        where: 'cursor',
        fix: `page on in ${from} order, or leave the cursor out to start the ${order} listing from its first page`,
      },
    );
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

/**
 * Rows strictly past `key` in the order of `columns`, all ascending or all descending: (a > x) or (a = x and b > y)
 * ..., with `<` descending.
 */
function past<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  columns: readonly string[],
  key: Key,
  order: PageOrder,
) {
  const ref = (c: string) => sql.ref(c);
  const beyond = order === 'desc' ? '<' : '>';
  const ors = columns.map((column, i) =>
    eb.and([...columns.slice(0, i).map((c, j) => eb(ref(c), '=', key[j])), eb(ref(column), beyond, key[i])]),
  );
  return eb.or(ors);
}

/** How many rows a listing's query keeps: the total its pages add up to. */
// biome-ignore lint/suspicious/noExplicitAny: the table differs per listing; each caller fixes it.
async function countOf(base: SelectQueryBuilder<Database, any, unknown>): Promise<number> {
  const row = await base
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Runs a keyset page: `limit + 1` rows to know whether another page follows. Descending, every key column runs
 * descending, so one index on the key serves both orders (read backwards).
 */
async function page<Row, T>(
  input: PageInput & { order?: PageOrder },
  listing: string,
  columns: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: the table differs per listing; each caller fixes it.
  base: SelectQueryBuilder<Database, any, Row>,
  keyOf: (row: Row) => Key,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const limit = limitOf(input);
  const order = input.order ?? 'asc';
  let query = base;
  if (input.cursor != null) {
    const key = decodeCursor(listing, order, input.cursor, columns.length);
    query = query.where((eb) => past(eb, columns, key, order));
  }
  for (const column of columns) query = query.orderBy(sql.ref(column), order);
  const rows = await query.limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(listing, order, keyOf(last)) : null,
  };
}

/** What a listing of people filters on: one status, one department. */
interface PeopleFilter {
  status?: Person['status'];
  department?: string;
}

/** The people a filter keeps, as a condition (everyone without one). */
function peopleFilter(filter: PeopleFilter) {
  return (eb: ExpressionBuilder<Database, 'people'>) => {
    const all: Expression<SqlBool>[] = [];
    if (filter.status !== undefined) all.push(eb('status', '=', filter.status));
    if (filter.department !== undefined) all.push(eb('department', '=', filter.department));
    return eb.and(all);
  };
}

/** People by employee id, in either order. */
export function pagePeople(
  s: Sql,
  input: PageInput & PeopleFilter & { order?: PageOrder },
): Promise<Page<StoredPerson>> {
  const base = s.db.selectFrom('people').selectAll().where(peopleFilter(input));
  return page(input, 'people', ['employee_id'], base, (r) => [r.employee_id], rowToPerson);
}

/** How many people a filter keeps: the total the people listing pages through. */
export function countPeople(s: Sql, filter: PeopleFilter = {}): Promise<number> {
  return countOf(s.db.selectFrom('people').where(peopleFilter(filter)));
}

/** The accounts a filter keeps, as a condition (every account without one). */
function accountFilter(filter: AccountListing) {
  return (eb: ExpressionBuilder<Database, 'accounts'>) => {
    const all: Expression<SqlBool>[] = [];
    if (filter.appId !== undefined) all.push(eb('app_id', '=', filter.appId));
    // No app named is no account (an empty `in` list is not SQL).
    if (filter.appIds !== undefined)
      all.push(filter.appIds.length === 0 ? sql<SqlBool>`1 = 0` : eb('app_id', 'in', filter.appIds));
    if (filter.status !== undefined) all.push(eb('status', '=', filter.status));
    if (filter.email !== undefined) all.push(eb('email_normalized', '=', normalizeEmail(filter.email)));
    if (filter.admin !== undefined) all.push(eb('is_admin', '=', filter.admin ? 1 : 0));
    // A probe of the links' key per account.
    if (filter.situation !== undefined) {
      const situation = filter.situation;
      all.push(
        eb.exists(
          eb
            .selectFrom('links')
            .select('links.account_id')
            .whereRef('links.app_id', '=', 'accounts.app_id')
            .whereRef('links.account_id', '=', 'accounts.id')
            .where('links.situation', '=', situation),
        ),
      );
    }
    return eb.and(all);
  };
}

/** Accounts by (app, id), in either order. */
export function pageAccounts(
  s: Sql,
  input: PageInput & AccountListing & { order?: PageOrder },
): Promise<Page<StoredAccount>> {
  const base = s.db.selectFrom('accounts').selectAll().where(accountFilter(input));
  return page(input, 'accounts', ['app_id', 'id'], base, (r) => [r.app_id, r.id], rowToAccount);
}

/** How many accounts a filter keeps: the total the accounts listing pages through. */
export function countAccounts(s: Sql, filter: AccountListing = {}): Promise<number> {
  return countOf(s.db.selectFrom('accounts').where(accountFilter(filter)));
}

/** What a listing of links filters on: one app, one person, one situation, decided by a person or computed. */
interface LinkFilter {
  appId?: string;
  employeeId?: string;
  situation?: StoredLink['situation'];
  manual?: boolean;
}

/** The links a filter keeps, as a condition (every link without one). */
function linkFilter(filter: LinkFilter) {
  return (eb: ExpressionBuilder<Database, 'links'>) => {
    const all: Expression<SqlBool>[] = [];
    if (filter.appId !== undefined) all.push(eb('app_id', '=', filter.appId));
    if (filter.employeeId !== undefined) all.push(eb('employee_id', '=', filter.employeeId));
    if (filter.situation !== undefined) all.push(eb('situation', '=', filter.situation));
    if (filter.manual !== undefined) all.push(eb('manual', '=', filter.manual ? 1 : 0));
    return eb.and(all);
  };
}

/** Links by (app, account), in either order. */
export function pageLinks(
  s: Sql,
  input: PageInput & LinkFilter & { order?: PageOrder },
): Promise<Page<StoredLink>> {
  const base = s.db.selectFrom('links').selectAll().where(linkFilter(input));
  return page(input, 'links', ['app_id', 'account_id'], base, (r) => [r.app_id, r.account_id], rowToLink);
}

/** How many links a filter keeps: the total the links listing pages through. */
export function countLinks(s: Sql, filter: LinkFilter = {}): Promise<number> {
  return countOf(s.db.selectFrom('links').where(linkFilter(filter)));
}

/** What a listing of plans filters on: one status, and the SCIM facade's plans or (false) the others. */
interface PlanFilter {
  status?: PlanStatus;
  facade?: boolean;
}

/** The plans a filter keeps, as a condition (every plan without one). */
function planFilter(filter: PlanFilter) {
  return (eb: ExpressionBuilder<Database, 'plans'>) => {
    const all: Expression<SqlBool>[] = [];
    if (filter.status !== undefined) all.push(eb('status', '=', filter.status));
    if (filter.facade !== undefined) all.push(facadePlans(filter.facade)(eb));
    return eb.and(all);
  };
}

/** Plans by (created_at, id): oldest first, or newest first (`desc`); one status, the facade's or the others. */
export function pagePlans(
  s: Sql,
  input: PageInput & PlanFilter & { order?: PageOrder },
): Promise<Page<PlanRecord>> {
  const base = s.db.selectFrom('plans').selectAll().where(planFilter(input));
  return page(input, 'plans', ['created_at', 'id'], base, (r) => [r.created_at, r.id], rowToPlan);
}

/** How many plans a filter keeps: the total the plans listing pages through. */
export function countPlans(s: Sql, filter: PlanFilter = {}): Promise<number> {
  return countOf(s.db.selectFrom('plans').where(planFilter(filter)));
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

export async function pageAudit(
  s: Sql,
  input: PageInput & { appId?: string; kind?: string; subject?: string; actor?: string },
): Promise<Page<AuditEvent>> {
  // A transaction's own events, appended and not yet written, are read as written.
  await writeQueuedAudit(s);
  let base = s.db.selectFrom('audit_events').selectAll();
  if (input.appId !== undefined) base = base.where('app_id', '=', input.appId);
  if (input.kind !== undefined) base = base.where('kind', '=', input.kind);
  if (input.subject !== undefined) base = base.where('subject', '=', input.subject);
  if (input.actor !== undefined) base = base.where('actor', '=', input.actor);
  return page(input, 'audit', ['seq'], base, (r) => [Number(r.seq)], rowToAudit);
}

/** Refuses an offset or a limit that is not a whole number ≥ 0, naming the read (`what`) that was given it. */
export function checkSlice(what: string, offset: number, limit: number): void {
  for (const [name, n] of [
    ['offset', offset],
    ['limit', limit],
  ] as const) {
    if (!Number.isInteger(n) || n < 0)
      throw new RosterError('invalid_input', `${what}: ${name} must be a whole number ≥ 0, not ${n}`);
  }
}

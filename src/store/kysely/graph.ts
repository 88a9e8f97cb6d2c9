/**
 * @module What the identity graph reads and records in the store: the change-set generation and settings it last
 * ran from, and accounts read lean (no raw payload).
 */

import { z } from 'zod';
import type { Account } from '../../core/types.js';
import { attributeRecord, isAttributeRecord, parseEnum, parseJsonColumn } from '../json.js';
import { ACCOUNT_STATUSES } from '../rows.js';
import type { GraphFindingsState, GraphState } from '../store.js';
import { isPostgres, POSTGRES_PAGE, type Sql } from './context.js';

export async function graphState(s: Sql): Promise<GraphState | null> {
  const row = await s.db.selectFrom('graph_state').selectAll().where('id', '=', 'graph').executeTakeFirst();
  if (row === undefined) return null;
  return {
    config: row.config,
    generation: Number(row.generation),
    findings:
      row.findings === null ? null : parseJsonColumn(findingsState, row.findings, 'graph_state.findings'),
    updatedAt: row.updated_at,
  };
}

const findingsState = z.object({
  generation: z.number(),
  config: z.string(),
  now: z.string(),
  summary: z.unknown(),
}) as z.ZodType<GraphFindingsState>;

export async function saveGraphState(
  s: Sql,
  input: {
    config: string;
    generation?: number;
    findings?: GraphFindingsState | null;
  },
): Promise<void> {
  const row = {
    // The per-scope marks this column held are gone (the change set replaced them); it stays, written empty.
    marks: '{}',
    config: input.config,
    generation: input.generation ?? -1,
    updated_at: s.now(),
    ...(input.findings === undefined
      ? {}
      : { findings: input.findings === null ? null : JSON.stringify(input.findings) }),
  };
  await s.db
    .insertInto('graph_state')
    .values({ id: 'graph', ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/**
 * An account's columns the graph reads, but its app: every row of one read is the caller's app, and a string of
 * its id made per row was a fourteenth of what SQLite reads and makes (a fifth of a full read's cost, measured).
 */
const GRAPH_ACCOUNT_COLUMNS = [
  'id',
  'email',
  'login',
  'external_id',
  'first_name',
  'last_name',
  'display_name',
  'status',
  'is_admin',
  'last_login_at',
  'created_at',
  'updated_at',
  'attributes',
] as const;

/**
 * Each status as the one string the code holds: an account keeps that, not the copy its row was read into, which
 * the collector then drops young instead of moving it with the account (a million times on a first pass).
 */
const STATUSES = new Map<string, Account['status']>(ACCOUNT_STATUSES.map((s) => [s, s]));

/** An account's attributes column; where it names the row only when it is refused (it runs once per account). */
function attributesOf(text: string, appId: string, id: string): Account['attributes'] {
  try {
    const value: unknown = JSON.parse(text);
    if (isAttributeRecord(value)) return value;
  } catch {
    // Not JSON: parseJsonColumn below says so, naming the row.
  }
  return parseJsonColumn(attributeRecord, text, `accounts[${appId}/${id}].attributes`);
}

/** One row of GRAPH_ACCOUNT_COLUMNS, in that order, of app `appId`. */
function toGraphAccount(r: unknown[], appId: string): Account {
  const id = r[0] as string;
  const status = r[7] as string;
  return {
    appId,
    id,
    email: r[1] as string | null,
    login: r[2] as string | null,
    externalId: r[3] as string | null,
    firstName: r[4] as string | null,
    lastName: r[5] as string | null,
    displayName: r[6] as string | null,
    status: STATUSES.get(status) ?? parseEnum(ACCOUNT_STATUSES, status, `accounts[${appId}/${id}].status`),
    isAdmin: r[8] !== 0,
    lastLoginAt: r[9] as string | null,
    createdAt: r[10] as string | null,
    updatedAt: r[11] as string | null,
    attributes: attributesOf(r[12] as string, appId, id),
  };
}

/**
 * Rows one read of a whole app's accounts takes at a time. Each page's rows become accounts while they are still
 * young to the collector, which then never copies them: one read of every row (200k) cost a quarter more CPU,
 * most of it in copying rows that were about to be dropped (measured on 1M accounts).
 */
const ACCOUNT_PAGE = 2000;

export async function listGraphAccounts(
  s: Sql,
  input: { appId: string; ids?: readonly string[] },
): Promise<Account[]> {
  const query = () =>
    s.db.selectFrom('accounts').select(GRAPH_ACCOUNT_COLUMNS).where('app_id', '=', input.appId).orderBy('id');
  const ids = input.ids;
  const accounts: Account[] = [];
  if (ids === undefined) {
    // Rows as arrays (see ARRAY_ROWS), page after page in id order (the key's own order).
    const page = isPostgres(s) ? POSTGRES_PAGE : ACCOUNT_PAGE;
    await s.eachKeyPage(
      page,
      (after) => (after === undefined ? query() : query().where('id', '>', after)).limit(page).compile(),
      (row) => accounts.push(toGraphAccount(row, input.appId)),
    );
    return accounts;
  }
  for (let i = 0; i < ids.length; i += s.inListSize) {
    const slice = ids.slice(i, i + s.inListSize);
    for (const r of await s.arrayRows(query().where('id', 'in', slice).compile()))
      accounts.push(toGraphAccount(r, input.appId));
  }
  return accounts;
}

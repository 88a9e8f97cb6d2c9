/**
 * @module What the identity graph reads and records in the store: change marks writers bump, the marks it last ran
 * from, and accounts read lean (no raw payload).
 */

import { sql } from 'kysely';
import { z } from 'zod';
import type { Account } from '../../core/types.js';
import {
  attributeRecord,
  numberRecord,
  parseEnumOf,
  parseJsonColumn,
  parseJsonColumnOf,
  toJsonColumn,
} from '../json.js';
import { ACCOUNT_STATUSES } from '../rows.js';
import type { GraphFindingsState, GraphState } from '../store.js';
import type { Db, Sql } from './context.js';

export { appScope, PEOPLE_SCOPE } from '../graph-scopes.js';

/** Bumps each scope's generation; call it inside the transaction of the write it marks, so both land or neither. */
export async function markChanged(s: { db: Db }, scopes: readonly string[]): Promise<void> {
  for (const scope of new Set(scopes)) {
    await s.db
      .insertInto('graph_marks')
      .values({ scope, generation: 1 })
      .onConflict((oc) =>
        oc.column('scope').doUpdateSet({ generation: sql<number>`graph_marks.generation + 1` }),
      )
      .execute();
  }
}

/** Every scope's current generation; a scope never written is absent (read it as 0). */
export async function graphMarks(s: Sql): Promise<Record<string, number>> {
  const rows = await s.db.selectFrom('graph_marks').select(['scope', 'generation']).execute();
  return Object.fromEntries(rows.map((r) => [r.scope, Number(r.generation)]));
}

export async function graphState(s: Sql): Promise<GraphState | null> {
  const row = await s.db.selectFrom('graph_state').selectAll().where('id', '=', 'graph').executeTakeFirst();
  if (row === undefined) return null;
  return {
    marks: parseJsonColumn(numberRecord, row.marks, 'graph_state.marks'),
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
    marks?: Record<string, number>;
    config: string;
    generation?: number;
    findings?: GraphFindingsState | null;
  },
): Promise<void> {
  const row = {
    marks: toJsonColumn(input.marks ?? {}),
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

// Not app_id: every row is the asked app's, and one string for all of them is lighter than a copy per row.
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

export async function listGraphAccounts(
  s: Sql,
  input: { appId: string; ids?: readonly string[] },
): Promise<Account[]> {
  const rows = [];
  const ids = input.ids;
  const step = ids === undefined ? 1 : s.inListSize;
  for (let i = 0; i < (ids?.length ?? 1); i += step) {
    let query = s.db.selectFrom('accounts').select(GRAPH_ACCOUNT_COLUMNS).where('app_id', '=', input.appId);
    if (ids !== undefined) query = query.where('id', 'in', ids.slice(i, i + step));
    for (const row of await query.orderBy('id').execute()) rows.push(row);
  }
  const accounts: Account[] = new Array(rows.length);
  const appId = input.appId;
  const statusWhere = (r: { id: string }) => `accounts[${appId}/${r.id}].status`;
  const attributesWhere = (r: { id: string }) => `accounts[${appId}/${r.id}].attributes`;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as (typeof rows)[number];
    accounts[i] = {
      appId,
      id: r.id,
      email: r.email,
      login: r.login,
      externalId: r.external_id,
      firstName: r.first_name,
      lastName: r.last_name,
      displayName: r.display_name,
      status: parseEnumOf(ACCOUNT_STATUSES, r.status, statusWhere, r),
      isAdmin: r.is_admin !== 0,
      lastLoginAt: r.last_login_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      attributes: parseJsonColumnOf(attributeRecord, r.attributes, attributesWhere, r),
    };
  }
  return accounts;
}

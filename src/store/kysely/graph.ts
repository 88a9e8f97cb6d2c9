/**
 * @module What the identity graph reads and records in the store: the change-set generation and settings it last
 * ran from, and accounts read lean (no raw payload).
 */

import { z } from 'zod';
import type { Account } from '../../core/types.js';
import { attributeRecord, parseEnum, parseJsonColumn } from '../json.js';
import { ACCOUNT_STATUSES } from '../rows.js';
import type { GraphFindingsState, GraphState } from '../store.js';
import type { Sql } from './context.js';

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

const GRAPH_ACCOUNT_COLUMNS = [
  'app_id',
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
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as (typeof rows)[number];
    accounts[i] = {
      appId: r.app_id,
      id: r.id,
      email: r.email,
      login: r.login,
      externalId: r.external_id,
      firstName: r.first_name,
      lastName: r.last_name,
      displayName: r.display_name,
      status: parseEnum(ACCOUNT_STATUSES, r.status, `accounts[${r.app_id}/${r.id}].status`),
      isAdmin: r.is_admin !== 0,
      lastLoginAt: r.last_login_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      attributes: parseJsonColumn(attributeRecord, r.attributes, `accounts[${r.app_id}/${r.id}].attributes`),
    };
  }
  return accounts;
}

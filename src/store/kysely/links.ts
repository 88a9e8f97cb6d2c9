/** @module The identity graph's links: correlation results, a person's decisions, pruning. */

import type { Link } from '../../core/types.js';
import { toJsonColumn } from '../json.js';
import { rowToLink } from '../rows.js';
import type { StoredLink } from '../store.js';
import type { Sql } from './context.js';

export async function upsertLinks(
  s: Sql,
  input: { links: Link[] },
): Promise<{ written: number; keptManual: number }> {
  const now = s.now();
  return s.write(async (tx) => {
    const appIds = [...new Set(input.links.map((l) => l.appId))];
    const manual = new Set<string>();
    for (const appId of appIds) {
      const rows = await tx.db
        .selectFrom('links')
        .select('account_id')
        .where('app_id', '=', appId)
        .where('manual', '=', 1)
        .execute();
      for (const r of rows) manual.add(`${appId}\u0000${r.account_id}`);
    }
    const rows = input.links
      .filter((l) => !manual.has(`${l.appId}\u0000${l.accountId}`))
      .map((l) => ({
        app_id: l.appId,
        account_id: l.accountId,
        employee_id: l.employeeId,
        situation: l.situation,
        method: l.method,
        confidence: l.confidence,
        candidates: toJsonColumn(l.candidates),
        manual: 0,
        decided_by: null,
        decided_at: null,
        updated_at: now,
      }));
    const chunk = Math.floor(tx.dialect.maxParams / 11);
    for (let i = 0; i < rows.length; i += chunk) {
      await tx.db
        .insertInto('links')
        .values(rows.slice(i, i + chunk))
        .onConflict((oc) =>
          oc.columns(['app_id', 'account_id']).doUpdateSet((eb) => ({
            employee_id: eb.ref('excluded.employee_id'),
            situation: eb.ref('excluded.situation'),
            method: eb.ref('excluded.method'),
            confidence: eb.ref('excluded.confidence'),
            candidates: eb.ref('excluded.candidates'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
    return { written: rows.length, keptManual: input.links.length - rows.length };
  });
}

export async function decideLink(
  s: Sql,
  input: {
    appId: string;
    accountId: string;
    employeeId: string | null;
    decidedBy: string;
  },
): Promise<StoredLink> {
  const now = s.now();
  const decided = {
    employee_id: input.employeeId,
    situation: input.employeeId === null ? 'unmatched' : 'linked',
    method: 'manual',
    confidence: 1,
    manual: 1,
    decided_by: input.decidedBy,
    decided_at: now,
    updated_at: now,
  };
  await s.db
    .insertInto('links')
    .values({ app_id: input.appId, account_id: input.accountId, candidates: '[]', ...decided })
    .onConflict((oc) => oc.columns(['app_id', 'account_id']).doUpdateSet(decided))
    .execute();
  const row = await s.db
    .selectFrom('links')
    .selectAll()
    .where('app_id', '=', input.appId)
    .where('account_id', '=', input.accountId)
    .executeTakeFirstOrThrow();
  return rowToLink(row);
}

export async function undecideLink(s: Sql, input: { appId: string; accountId: string }): Promise<void> {
  await s.db
    .deleteFrom('links')
    .where('app_id', '=', input.appId)
    .where('account_id', '=', input.accountId)
    .where('manual', '=', 1)
    .execute();
}

export async function pruneLinks(s: Sql, input: { appId: string }): Promise<{ removed: number }> {
  const result = await s.db
    .deleteFrom('links')
    .where('app_id', '=', input.appId)
    .where('manual', '=', 0)
    .where('account_id', 'not in', (eb) =>
      eb.selectFrom('accounts').select('id').where('app_id', '=', input.appId),
    )
    .executeTakeFirst();
  return { removed: Number(result.numDeletedRows) };
}

export async function listLinks(
  s: Sql,
  input: { appId?: string; employeeId?: string; situation?: StoredLink['situation'] } = {},
): Promise<StoredLink[]> {
  let query = s.db.selectFrom('links').selectAll().orderBy('app_id').orderBy('account_id');
  if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
  if (input.employeeId !== undefined) query = query.where('employee_id', '=', input.employeeId);
  if (input.situation !== undefined) query = query.where('situation', '=', input.situation);
  return (await query.execute()).map(rowToLink);
}

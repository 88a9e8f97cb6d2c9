/** @module Each app's snapshot (accounts, entitlements, grants): whole swaps, batch checks, reads. */

import { RosterError } from '../../core/errors.js';
import {
  accountToRow,
  entitlementToRow,
  normalizeEmail,
  rowToAccount,
  rowToEntitlement,
  rowToGrant,
} from '../rows.js';
import type {
  SnapshotAccount,
  SnapshotCounts,
  SnapshotEntitlement,
  SnapshotGrant,
  StoredAccount,
  StoredEntitlement,
  StoredGrant,
} from '../store.js';
import { requireApp } from './apps.js';
import type { Sql } from './context.js';
import { appScope, markChanged } from './graph.js';

const grantKey = (entitlementId: string, accountId: string): string => `${entitlementId}\u0000${accountId}`;

export async function replaceSnapshot(
  s: Sql,
  input: {
    appId: string;
    runId: string | null;
    accounts: SnapshotAccount[];
    entitlements: SnapshotEntitlement[];
    grants: SnapshotGrant[];
  },
): Promise<SnapshotCounts> {
  checkBatch(input.appId, input.accounts, input.entitlements, input.grants);
  await requireApp(s, input.appId);
  const { appId, runId } = input;
  await s.write(async (tx) => {
    const roster = await rosterGrantKeys(tx, appId);
    await clearSnapshot(tx, appId);
    await tx.insertRows(
      'accounts',
      input.accounts.map((a) => accountToRow(a, runId)),
    );
    await tx.insertRows(
      'entitlements',
      input.entitlements.map((e) => entitlementToRow(e, runId)),
    );
    const grants = input.grants.map((g) => ({
      app_id: appId,
      entitlement_id: g.entitlementId,
      account_id: g.accountId,
      sync_run_id: runId,
      granted_by:
        g.grantedBy === 'roster' || roster.has(grantKey(g.entitlementId, g.accountId))
          ? 'roster'
          : 'external',
    }));
    try {
      await tx.insertRows('grants', grants);
    } catch (error) {
      if (!s.dialect.isForeignKeyViolation(error)) throw error;
      throw danglingGrant(appId, input.accounts, input.entitlements, input.grants, error);
    }
    await markChanged(tx, [appScope(appId)]);
  });
  return {
    accounts: input.accounts.length,
    entitlements: input.entitlements.length,
    grants: input.grants.length,
  };
}

export async function rosterGrantKeys(s: Sql, appId: string): Promise<Set<string>> {
  const rows = await s.db
    .selectFrom('grants')
    .select(['entitlement_id', 'account_id'])
    .where('app_id', '=', appId)
    .where('granted_by', '=', 'roster')
    .execute();
  return new Set(rows.map((r) => grantKey(r.entitlement_id, r.account_id)));
}

export async function clearSnapshot(s: Sql, appId: string): Promise<void> {
  await s.db.deleteFrom('grants').where('app_id', '=', appId).execute();
  await s.db.deleteFrom('accounts').where('app_id', '=', appId).execute();
  await s.db.deleteFrom('entitlements').where('app_id', '=', appId).execute();
}

export async function listAccounts(s: Sql, input: { appId: string }): Promise<StoredAccount[]> {
  const rows = await s.db
    .selectFrom('accounts')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('id')
    .execute();
  return rows.map(rowToAccount);
}

export async function getAccount(
  s: Sql,
  input: { appId: string; id: string },
): Promise<StoredAccount | null> {
  const row = await s.db
    .selectFrom('accounts')
    .selectAll()
    .where('app_id', '=', input.appId)
    .where('id', '=', input.id)
    .executeTakeFirst();
  return row === undefined ? null : rowToAccount(row);
}

export async function findAccountsByEmail(s: Sql, input: { email: string }): Promise<StoredAccount[]> {
  const rows = await s.db
    .selectFrom('accounts')
    .selectAll()
    .where('email_normalized', '=', normalizeEmail(input.email))
    .orderBy('app_id')
    .orderBy('id')
    .execute();
  return rows.map(rowToAccount);
}

export async function listEntitlements(s: Sql, input: { appId: string }): Promise<StoredEntitlement[]> {
  const rows = await s.db
    .selectFrom('entitlements')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('id')
    .execute();
  return rows.map(rowToEntitlement);
}

export async function listGrants(
  s: Sql,
  input: { appId: string; accountId?: string },
): Promise<StoredGrant[]> {
  let query = s.db
    .selectFrom('grants')
    .selectAll()
    .where('app_id', '=', input.appId)
    .orderBy('account_id')
    .orderBy('entitlement_id');
  if (input.accountId !== undefined) query = query.where('account_id', '=', input.accountId);
  return (await query.execute()).map(rowToGrant);
}

/** Rejects a batch that names another app or repeats an id, before anything is written. */
export function checkBatch(
  appId: string,
  accounts: readonly SnapshotAccount[],
  entitlements: readonly SnapshotEntitlement[],
  grants: readonly SnapshotGrant[],
): void {
  const check = (kind: string, items: readonly { appId: string }[], key: (item: never) => string) => {
    const seen = new Set<string>();
    for (const item of items) {
      const id = key(item as never);
      if (item.appId !== appId) {
        throw new RosterError('invalid_input', `${kind} ${id} belongs to app ${item.appId}, not ${appId}`, {
          where: `app ${appId}`,
          details: { appId, otherAppId: item.appId, id },
        });
      }
      if (seen.has(id)) {
        throw new RosterError(
          'invalid_input',
          `${kind} ${id} appears twice in one snapshot of app ${appId}`,
          {
            where: `app ${appId}`,
            fix: 'de-duplicate the page (an app that re-orders between pages can repeat a row)',
            details: { appId, id },
          },
        );
      }
      seen.add(id);
    }
  };
  check('account', accounts, (a: SnapshotAccount) => a.id);
  check('entitlement', entitlements, (e: SnapshotEntitlement) => e.id);
  check('grant', grants, (g: SnapshotGrant) => `${g.entitlementId} → ${g.accountId}`);
}

function danglingGrant(
  appId: string,
  accounts: readonly SnapshotAccount[],
  entitlements: readonly SnapshotEntitlement[],
  grants: readonly SnapshotGrant[],
  cause: unknown,
): RosterError {
  const accountIds = new Set(accounts.map((a) => a.id));
  const entitlementIds = new Set(entitlements.map((e) => e.id));
  const bad = grants.find((g) => !accountIds.has(g.accountId) || !entitlementIds.has(g.entitlementId));
  const missing =
    bad === undefined
      ? 'a row'
      : accountIds.has(bad.accountId)
        ? `entitlement ${bad.entitlementId}`
        : `account ${bad.accountId}`;
  return new RosterError(
    'invalid_input',
    `grant ${bad?.entitlementId} → ${bad?.accountId} names ${missing}, which is not in the snapshot`,
    {
      cause,
      where: `app ${appId}`,
      fix: 'include every account and entitlement a grant refers to, or leave the grant out',
      details: { appId, entitlementId: bad?.entitlementId, accountId: bad?.accountId },
    },
  );
}

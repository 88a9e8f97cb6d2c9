/** @module The staging area of a resumable sync: pages staged as they come, progress per resource, one swap at the end. */

import { RosterError } from '../../core/errors.js';
import { accountToRow, entitlementToRow } from '../rows.js';
import type {
  SnapshotAccount,
  SnapshotCounts,
  SnapshotEntitlement,
  SnapshotGrant,
  StagedProgress,
} from '../store.js';
import { getSyncRun, requireRun } from './apps.js';
import type { Sql } from './context.js';
import { appScope, markChanged } from './graph.js';
import { checkBatch, clearSnapshot, rosterGrantKeys } from './snapshots.js';

/** The row key of a staged run's `''` progress entry, which counts every batch whatever its resources. */
const WHOLE_RUN = '';
export async function stageBatch(
  s: Sql,
  input: {
    runId: string;
    accounts?: SnapshotAccount[];
    entitlements?: SnapshotEntitlement[];
    grants?: SnapshotGrant[];
    cursors?: Record<string, string | null>;
  },
): Promise<StagedProgress> {
  const run = await requireRun(s, input.runId);
  if (run.status !== 'running') {
    throw new RosterError('conflict', `sync run ${run.id} is ${run.status}; only a running sync can stage`, {
      details: { runId: run.id, status: run.status },
    });
  }
  const accounts = input.accounts ?? [];
  const entitlements = input.entitlements ?? [];
  const grants = input.grants ?? [];
  checkBatch(run.appId, accounts, entitlements, grants);
  const runId = run.id;
  return s.write(async (tx) => {
    // Re-staging a row replaces it, so a page replayed after a crash does not duplicate anything.
    for (let i = 0; i < accounts.length; i += tx.inListSize) {
      const ids = accounts.slice(i, i + tx.inListSize).map((a) => a.id);
      await tx.db.deleteFrom('staged_accounts').where('run_id', '=', runId).where('id', 'in', ids).execute();
    }
    for (let i = 0; i < entitlements.length; i += tx.inListSize) {
      const ids = entitlements.slice(i, i + tx.inListSize).map((e) => e.id);
      await tx.db
        .deleteFrom('staged_entitlements')
        .where('run_id', '=', runId)
        .where('id', 'in', ids)
        .execute();
    }
    await tx.insertRows(
      'staged_accounts',
      accounts.map((a) => ({ ...accountToRow(a, runId), run_id: runId })),
    );
    await tx.insertRows(
      'staged_entitlements',
      entitlements.map((e) => ({ ...entitlementToRow(e, runId), run_id: runId })),
    );
    const grantRows = grants.map((g) => ({
      run_id: runId,
      app_id: run.appId,
      entitlement_id: g.entitlementId,
      account_id: g.accountId,
      sync_run_id: runId,
      granted_by: g.grantedBy ?? 'external',
    }));
    const chunk = Math.floor(tx.dialect.maxParams / 6);
    for (let i = 0; i < grantRows.length; i += chunk) {
      await tx.db
        .insertInto('staged_grants')
        .values(grantRows.slice(i, i + chunk))
        .onConflict((oc) => oc.columns(['run_id', 'entitlement_id', 'account_id']).doNothing())
        .execute();
    }
    await bumpProgress(tx, runId, WHOLE_RUN, null, false);
    for (const [resource, cursor] of Object.entries(input.cursors ?? {})) {
      if (resource === WHOLE_RUN) {
        throw new RosterError('invalid_input', 'a staged cursor needs a resource name', {
          fix: 'key cursors by resource: { users: "page-3" }',
        });
      }
      await bumpProgress(tx, runId, resource, cursor, true);
    }
    return (await stagedProgress(tx, { runId }))!;
  });
}

export async function bumpProgress(
  s: Sql,
  runId: string,
  resource: string,
  cursor: string | null,
  setCursor: boolean,
) {
  const now = s.now();
  const existing = await s.db
    .selectFrom('staged_progress')
    .select(['batches', 'cursor'])
    .where('run_id', '=', runId)
    .where('resource', '=', resource)
    .executeTakeFirst();
  if (existing === undefined) {
    await s.db
      .insertInto('staged_progress')
      .values({ run_id: runId, resource, cursor: setCursor ? cursor : null, batches: 1, updated_at: now })
      .execute();
    return;
  }
  await s.db
    .updateTable('staged_progress')
    .set({ batches: existing.batches + 1, cursor: setCursor ? cursor : existing.cursor, updated_at: now })
    .where('run_id', '=', runId)
    .where('resource', '=', resource)
    .execute();
}

export async function stagedProgress(s: Sql, input: { runId: string }): Promise<StagedProgress | null> {
  const run = await getSyncRun(s, { id: input.runId });
  if (run === null) return null;
  const progress = await s.db
    .selectFrom('staged_progress')
    .select(['resource', 'cursor', 'batches'])
    .where('run_id', '=', input.runId)
    .orderBy('resource')
    .execute();
  const whole = progress.find((p) => p.resource === WHOLE_RUN);
  if (whole === undefined) return null;
  const count = async (table: 'staged_accounts' | 'staged_entitlements' | 'staged_grants') => {
    const row = await s.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('run_id', '=', input.runId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    runId: run.id,
    appId: run.appId,
    accounts: await count('staged_accounts'),
    entitlements: await count('staged_entitlements'),
    grants: await count('staged_grants'),
    batches: whole.batches,
    cursors: Object.fromEntries(
      progress.filter((p) => p.resource !== WHOLE_RUN).map((p) => [p.resource, p.cursor]),
    ),
  };
}

export async function commitStaged(s: Sql, input: { runId: string }): Promise<SnapshotCounts> {
  const run = await requireRun(s, input.runId);
  if (run.status !== 'running') {
    throw new RosterError('conflict', `sync run ${run.id} is ${run.status}; only a running sync can commit`, {
      details: { runId: run.id, status: run.status },
    });
  }
  const { appId } = run;
  const runId = run.id;
  return s.write(async (tx) => {
    const progress = await stagedProgress(tx, { runId });
    if (progress === null) {
      throw new RosterError('conflict', `sync run ${runId} has staged nothing to commit`, {
        details: { runId },
      });
    }
    await checkStagedGrants(tx, runId, appId);
    const roster = await rosterGrantKeys(tx, appId);
    await clearSnapshot(tx, appId);
    await tx.db
      .insertInto('accounts')
      .columns(ACCOUNT_COLUMNS)
      .expression(tx.db.selectFrom('staged_accounts').select(ACCOUNT_COLUMNS).where('run_id', '=', runId))
      .execute();
    await tx.db
      .insertInto('entitlements')
      .columns(ENTITLEMENT_COLUMNS)
      .expression(
        tx.db.selectFrom('staged_entitlements').select(ENTITLEMENT_COLUMNS).where('run_id', '=', runId),
      )
      .execute();
    await tx.db
      .insertInto('grants')
      .columns(GRANT_COLUMNS)
      .expression(tx.db.selectFrom('staged_grants').select(GRANT_COLUMNS).where('run_id', '=', runId))
      .execute();
    for (const key of roster) {
      const [entitlementId, accountId] = key.split('\u0000') as [string, string];
      await tx.db
        .updateTable('grants')
        .set({ granted_by: 'roster' })
        .where('app_id', '=', appId)
        .where('entitlement_id', '=', entitlementId)
        .where('account_id', '=', accountId)
        .execute();
    }
    await discardStaged(tx, { runId });
    await markChanged(tx, [appScope(appId)]);
    return { accounts: progress.accounts, entitlements: progress.entitlements, grants: progress.grants };
  });
}

/** Checked before the swap, not left to the foreign key, so the error can name the grant on every dialect. */
export async function checkStagedGrants(s: Sql, runId: string, appId: string): Promise<void> {
  const dangling = await s.db
    .selectFrom('staged_grants as g')
    .leftJoin('staged_accounts as a', (j) =>
      j.onRef('a.run_id', '=', 'g.run_id').onRef('a.id', '=', 'g.account_id'),
    )
    .leftJoin('staged_entitlements as e', (j) =>
      j.onRef('e.run_id', '=', 'g.run_id').onRef('e.id', '=', 'g.entitlement_id'),
    )
    .select(['g.entitlement_id', 'g.account_id', 'a.id as account', 'e.id as entitlement'])
    .where('g.run_id', '=', runId)
    .where((eb) => eb.or([eb('a.id', 'is', null), eb('e.id', 'is', null)]))
    .limit(1)
    .executeTakeFirst();
  if (dangling === undefined) return;
  const missing =
    dangling.account === null ? `account ${dangling.account_id}` : `entitlement ${dangling.entitlement_id}`;
  throw new RosterError(
    'invalid_input',
    `staged grant ${dangling.entitlement_id} → ${dangling.account_id} names ${missing}, which was not staged`,
    {
      where: `app ${appId}, sync run ${runId}`,
      fix: 'stage every account and entitlement a grant refers to, or leave the grant out',
      details: { appId, runId, entitlementId: dangling.entitlement_id, accountId: dangling.account_id },
    },
  );
}

export async function discardStaged(s: Sql, input: { runId: string }): Promise<void> {
  await s.write(async (tx) => {
    for (const table of [
      'staged_grants',
      'staged_accounts',
      'staged_entitlements',
      'staged_progress',
    ] as const) {
      await tx.db.deleteFrom(table).where('run_id', '=', input.runId).execute();
    }
  });
}

const ACCOUNT_COLUMNS = [
  'app_id',
  'id',
  'email',
  'email_normalized',
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
  'raw',
  'sync_run_id',
] as const;
const ENTITLEMENT_COLUMNS = ['app_id', 'id', 'kind', 'name', 'privileged', 'raw', 'sync_run_id'] as const;
const GRANT_COLUMNS = ['app_id', 'entitlement_id', 'account_id', 'sync_run_id', 'granted_by'] as const;

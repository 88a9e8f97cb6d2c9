/** @module Migration 0027: the accounts an IdP manages through the SCIM facade, marked where the facade writes them. */

import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Until now the mark was derived on every plan by reading every succeeded op of every facade plan: a query that
 * grew with each write an IdP ever sent. The facade now marks an account in the very transaction that records its
 * op's outcome; the marks facade plans already made are carried over here, derived the same way one last time.
 */
export const migration0027: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('idp_managed_accounts')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      // The facade plan that first wrote the account, and when.
      .addColumn('plan_id', 'text', (c) => c.notNull())
      .addColumn('marked_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('idp_managed_accounts_pk', ['app_id', 'account_id'])
      .execute();
    const { rows } = await sql<{
      plan_id: string;
      app_id: string;
      target: string;
      outcome: string | null;
      finished_at: string | null;
      created_at: string;
    }>`select ops.plan_id, ops.app_id, ops.target, ops.outcome, ops.finished_at, plans.created_at
       from ops join plans on plans.id = ops.plan_id
       where ops.status = 'succeeded' and plans.summary like '%"source":"scim"%'
       order by plans.created_at, ops.seq`.execute(db);
    const marked = new Map<
      string,
      { plan_id: string; app_id: string; account_id: string; marked_at: string }
    >();
    for (const row of rows) {
      const id = markedAccountOf(row.target, row.outcome);
      const key = `${row.app_id}\u0000${id}`;
      if (id !== null && !marked.has(key))
        marked.set(key, {
          plan_id: row.plan_id,
          app_id: row.app_id,
          account_id: id,
          marked_at: row.finished_at ?? row.created_at,
        });
    }
    const all = [...marked.values()];
    for (let i = 0; i < all.length; i += 200)
      await db
        .insertInto('idp_managed_accounts' as never)
        .values(all.slice(i, i + 200) as never)
        .execute();
  },

  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('idp_managed_accounts').execute();
  },
};

/** The account a succeeded facade op was about: the id the app answered with, else the one it targeted. */
function markedAccountOf(target: string, outcome: string | null): string | null {
  const answered = outcome ? (JSON.parse(outcome) as { accountId?: unknown }).accountId : undefined;
  if (typeof answered === 'string') return answered;
  const targeted = (JSON.parse(target) as { account?: { id?: unknown } | null }).account?.id;
  return typeof targeted === 'string' ? targeted : null;
}

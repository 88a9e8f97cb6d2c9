/** @module The accounts an IdP manages through the SCIM facade: marked with the op that wrote them, read by planning. */

import type { Sql } from './context.js';

/**
 * Marks accounts as the IdP's, inside the caller's transaction (the facade's: the one that records the op's
 * outcome, so the mark and the write it stands for commit together). A mark already there is kept as it was:
 * it names the plan that first wrote the account.
 */
export async function markIdpManaged(
  s: Sql,
  input: { appId: string; accountIds: readonly string[]; planId: string },
): Promise<void> {
  const at = s.now();
  for (const accountId of new Set(input.accountIds)) {
    await s.runBuilt(
      'idpManaged.mark',
      { app_id: input.appId, account_id: accountId, plan_id: input.planId, marked_at: at },
      (v) =>
        s.db
          .insertInto('idp_managed_accounts')
          .values(v)
          .onConflict((oc) => oc.columns(['app_id', 'account_id']).doNothing()),
      // Nothing read back: on Postgres it goes out with the transaction's next statement.
      { answerless: true },
    );
  }
}

/** The ids of the app's accounts an IdP manages through the facade. */
export async function idpManagedAccountIds(s: Sql, input: { appId: string }): Promise<string[]> {
  const rows = await s.db
    .selectFrom('idp_managed_accounts')
    .select('account_id')
    .where('app_id', '=', input.appId)
    .execute();
  return rows.map((r) => r.account_id);
}

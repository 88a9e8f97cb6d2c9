/** @module Test support for carrying on facade writes: one a stopped server cut short, as it leaves the store. */

import { expect } from 'vitest';
import { createPlanBegun, type Roster } from '../../app/index.js';
import { definitionOf } from '../../connectors/registry.js';
import { newOwner } from '../../reconcile/apply/run-op.js';
import { toOpInputs } from '../../reconcile/plan.js';
import type { Store } from '../../store/store.js';
import { buildProfile } from './discovery.js';
import { createOps } from './ops.js';

/** An owner that ran on this host in a process that is gone: its pid is past any this host gives out. */
export const deadOwnerHere = () => newOwner('op').replace(/:\d+\//, `:${2 ** 22 + 4321}/`);

/** An owner on another host: whether it is alive nothing here can tell. */
export const OWNER_ELSEWHERE = 'op@another-host:41/abcdef12';

/**
 * What a server killed after a create made inactive, before the deactivation that follows it, leaves: the plan,
 * its create succeeded under `owner`, the deactivation not begun, nothing in the snapshot. No op holds a claim: the
 * plan's body names its owner. `store` is the one `roster` writes through.
 */
export async function cutShort(
  roster: Roster,
  store: Store,
  appId: string,
  email: string,
  owner = deadOwnerHere(),
): Promise<{ planId: string; accountId: string }> {
  const connector = roster.connector(appId);
  const profile = buildProfile({
    appId,
    title: connector.title,
    manifest: connector.manifest,
    traits: definitionOf(roster.app(appId).type)?.traits ?? { attributeMap: {} },
    baseUrl: `https://roster.test/scim/v2/${appId}`,
  });
  const request = { method: 'POST', path: '/Users', tokenName: 'okta' };
  const ops = createOps(profile, { email, firstName: 'Cut', lastName: 'Short' }, false, request);
  expect(ops.map((o) => o.kind)).toEqual(['create', 'deactivate']);
  const { plan } = await store.transaction((tx) =>
    createPlanBegun(tx, roster, {
      owner,
      stateHash: `scim:${email}`,
      summary: { total: 2, source: 'scim', removals: 1 },
      body: { source: 'scim', requestedBy: 'scim:okta', owner, ops },
      ops: toOpInputs(ops),
    }),
  );
  const { account: made } = await connector.accounts.create!({ account: ops[0]!.input! });
  await store.finishOp({
    planId: plan.id,
    seq: 1,
    status: 'succeeded',
    outcome: { accountId: made.id, already: false, verified: true },
    owner,
  });
  expect(await store.getAccount({ appId, id: made.id })).toBeNull();
  return { planId: plan.id, accountId: made.id };
}

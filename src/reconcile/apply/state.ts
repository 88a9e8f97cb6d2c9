/** @module Staleness: recomputes the state hash a plan was computed from, as the store holds it now. */

import type { RosterConfig } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import { type StateInputs, stateHashOf } from '../plan.js';
import { defaultPolicy, type Policy } from '../policy.js';

/** The inputs `computePlan` hashed, read again for the same apps (same order of reads, same shape). */
export async function currentStateInputs(input: {
  store: Store;
  config: Pick<RosterConfig, 'policy'>;
  apps: readonly string[];
}): Promise<StateInputs> {
  const { store } = input;
  const syncRuns: Record<string, string | null> = {};
  for (const appId of input.apps) {
    const [run] = await store.listSyncRuns({ appId, status: 'succeeded', limit: 1 });
    syncRuns[appId] = run?.id ?? null;
  }
  const links = await store.listLinks();
  const imports = await store.listImports({ limit: 20 });
  return {
    syncRuns,
    importId: imports.find((i) => i.status === 'applied')?.id ?? null,
    linksUpdatedAt: links.reduce<string | null>(
      (max, l) => (max === null || l.updatedAt > max ? l.updatedAt : max),
      null,
    ),
    policy: (input.config.policy as Policy | undefined) ?? defaultPolicy(),
  };
}

export async function currentStateHash(input: {
  store: Store;
  config: Pick<RosterConfig, 'policy'>;
  apps: readonly string[];
}): Promise<string> {
  return stateHashOf(await currentStateInputs(input));
}

/**
 * The hash a plan that is already applying is checked against: the people import and the policy as they are
 * now, the snapshots and links as the plan saw them. Its own partial work shows up in later syncs and links, so
 * those do not make it stale; a new HR import or a changed policy does.
 */
export async function resumeStateHash(input: {
  store: Store;
  config: Pick<RosterConfig, 'policy'>;
  apps: readonly string[];
  planned: StateInputs;
}): Promise<string> {
  const now = await currentStateInputs(input);
  return stateHashOf({
    ...now,
    syncRuns: input.planned.syncRuns,
    linksUpdatedAt: input.planned.linksUpdatedAt,
  });
}

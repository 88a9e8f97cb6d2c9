/**
 * @module How the server calls the application core: each request runs the use cases in a Roster context on the
 * server's one store, acting as the request's token.
 */

import { type OpenRosterOptions, type Roster, withRoster } from '../app/index.js';
import type { ServerContext } from './context.js';

/** Runs use cases as `actor` (a token's name, or "scheduler") on the server's store. */
export function asActor<T>(
  ctx: ServerContext,
  actor: string,
  work: (roster: Roster) => Promise<T>,
  options: Pick<OpenRosterOptions, 'sharedConnector'> = {},
): Promise<T> {
  return withRoster(ctx.config, { actor, store: ctx.store, now: ctx.clock, ...options }, work);
}

export {
  cancelPlan,
  completeTask,
  importPeople,
  type ReconcileResult,
  type ResyncResult,
  reconcile,
  remindReviews,
  resyncAccount,
  syncApps,
} from '../app/index.js';

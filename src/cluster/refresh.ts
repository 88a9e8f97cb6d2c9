/**
 * @module The identity graph's refresh in cluster mode, a job of its own that the syncs ending together share: what
 * a sync hands on (the change set's head), and how whoever waited on the sync waits for the graph to catch up.
 */

import type { Store } from '../store/store.js';
import type { ClusterQueues } from './queue.js';

/** Whether the stored links and findings were brought up to `generation` or later (findings are recorded last). */
export async function graphCaughtUp(store: Store, generation: number): Promise<boolean> {
  const state = await store.graphState();
  return state !== null && state.generation >= generation && (state.findings?.generation ?? -1) >= generation;
}

/**
 * Waits until the graph has caught up with `generation` (true), or until no refresh is left that could bring it
 * there (false: the refresh failed for good; a plan still brings the links up to date itself, so nothing reads
 * stale links, but the stored findings are older).
 */
export async function waitForGraph(
  store: Store,
  queues: Pick<ClusterQueues, 'refreshPending'>,
  generation: number,
  pollMs = 250,
): Promise<boolean> {
  for (;;) {
    // Pending is read first: a refresh that ends between the two reads has written the state the second one sees.
    const pending = await queues.refreshPending();
    if (await graphCaughtUp(store, generation)) return true;
    if (!pending) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

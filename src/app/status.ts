/** @module appStatus: each configured app's last sync (how it ended, what it saw), its snapshot age and what its API can do. */

import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { AppType } from '../core/types.js';
import type { SyncRun } from '../store/store.js';
import { type Roster, selectApps } from './context.js';

export interface AppStatus {
  appId: string;
  type: AppType;
  /** The latest sync run that finished (succeeded or failed); null: never synced. */
  lastSync: SyncRun | null;
  /** When the snapshot plans and findings read was taken (the latest successful sync); null: none yet. */
  snapshotAt: string | null;
  /** A sync running now, if any. */
  running: boolean;
  manifest: CapabilityManifest;
}

/** One row per app (all, or the ones named), in roster.yaml order. Building a connector makes no request. */
export async function appStatus(
  roster: Roster,
  filter: { apps?: readonly string[] } = {},
): Promise<AppStatus[]> {
  const manifests = roster.manifests();
  const rows: AppStatus[] = [];
  for (const appId of selectApps(roster, filter.apps)) {
    const runs = await roster.store.listSyncRuns({ appId, limit: 20 });
    const [succeeded] = await roster.store.listSyncRuns({ appId, status: 'succeeded', limit: 1 });
    rows.push({
      appId,
      type: roster.app(appId).type,
      lastSync: runs.find((r) => r.status !== 'running') ?? null,
      snapshotAt: succeeded?.finishedAt ?? null,
      running: runs.some((r) => r.status === 'running'),
      manifest: manifests[appId] as CapabilityManifest,
    });
  }
  return rows;
}

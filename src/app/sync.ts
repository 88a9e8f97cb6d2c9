/**
 * @module syncApps: people first, then every app through its connector, then what a new snapshot settles — manual
 * tasks it shows done are closed and the identity graph is brought up to date, so whatever runs next reads links
 * that match the snapshots.
 */

import type { GraphResult } from '../identity/graph.js';
import { closeSatisfiedTasks } from '../reconcile/apply/tasks.js';
import type { ImportResult } from '../sources/import.js';
import type { TaskRecord } from '../store/store.js';
import { type AppSyncResult, type SyncProgress, syncApps as syncConnectors } from '../sync/sync.js';
import { type Roster, selectApps } from './context.js';
import { refreshGraph } from './graph.js';
import { type ImportOptions, importPeople } from './people.js';

export type { AppSyncResult, SyncProgress };

export interface SyncAppsOptions {
  /** Only these apps (ids from roster.yaml); all when empty. */
  apps?: readonly string[] | undefined;
  /** List everything even where the app can list changes only. */
  full?: boolean | undefined;
  /** Commit a full sync even when it would remove more of an app's accounts than its maxDropShare. */
  acceptDrop?: boolean | undefined;
  /** Import the HR export first (default); `false` syncs the apps only. A refused import stops before any app. */
  people?: ImportOptions | false;
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncAppsResult {
  import: ImportResult | null;
  apps: AppSyncResult[];
  /** Manual tasks the new snapshots show done, now closed. */
  tasksClosed: TaskRecord[];
  graph: GraphResult;
}

export async function syncApps(roster: Roster, options: SyncAppsOptions = {}): Promise<SyncAppsResult> {
  const synced = await syncSnapshots(roster, options);
  const graph = await refreshGraph(roster);
  return { ...synced, graph };
}

/**
 * The sync without the graph: people, apps and the tasks they show done. For cluster mode, where the graph is
 * refreshed by a job of its own that several syncs share; whatever plans next brings the links up to date itself.
 */
export async function syncSnapshots(
  roster: Roster,
  options: SyncAppsOptions = {},
): Promise<Omit<SyncAppsResult, 'graph'>> {
  const appIds = selectApps(roster, options.apps);
  const imported = options.people === false ? null : await importPeople(roster, options.people ?? {});
  const apps = await syncConnectors({
    store: roster.store,
    connectors: appIds.map((id) => roster.connector(id)),
    full: options.full,
    acceptDrop: options.acceptDrop ?? false,
    configPaths: Object.fromEntries(roster.config.apps.map((app, i) => [app.id, `apps[${i}]`])),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const tasksClosed = await closeSatisfiedTasks({ store: roster.store });
  return { import: imported, apps, tasksClosed };
}

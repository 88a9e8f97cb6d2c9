/** @module app_status: each app's last sync and how it ended, how old its snapshot is, and what its API lets Roster do. */

import { z } from 'zod';
import { appStatus } from '../../app/index.js';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import { reply } from '../reply.js';
import { READ_ONLY, type ToolContext } from './context.js';

const capabilities = z.object({
  accounts: z.record(z.string(), z.boolean()).describe('list, get, create, update, deactivate, delete...'),
  entitlements: z
    .record(z.string(), z.record(z.string(), z.boolean()))
    .describe('per kind (role, group, team, course): list, grant, revoke'),
  incremental: z.boolean().describe('whether a sync can read changes only'),
  notes: z.record(z.string(), z.string()).describe('why each missing operation is missing'),
});

const statusOutput = z.object({
  apps: z.array(
    z.object({
      appId: z.string(),
      type: z.string(),
      healthy: z.boolean().describe('the latest finished sync succeeded'),
      running: z.boolean().describe('a sync is running now'),
      lastSync: z
        .object({
          status: z.string(),
          mode: z.string(),
          startedAt: z.string(),
          finishedAt: z.string().nullable(),
          counts: z.record(z.string(), z.number()),
          error: z.string().nullable(),
        })
        .nullable(),
      snapshotAt: z.string().nullable().describe('when the data findings and plans read was taken'),
      capabilities,
    }),
  ),
});

export function registerAppTools({ server, roster, secrets }: ToolContext): void {
  server.registerTool(
    'app_status',
    {
      title: 'App status',
      description:
        'Each configured app (or one): its last sync — when, full or incremental, succeeded or failed and why, what ' +
        "it read — when the snapshot Roster answers from was taken, and what the app's API lets Roster do " +
        '(create, deactivate, grant...) with the reason for each thing it cannot.',
      inputSchema: z.strictObject({
        app: z
          .string()
          .trim()
          .min(1)
          .optional()
          .describe('one app id from roster.yaml; all apps when left out'),
      }),
      outputSchema: statusOutput,
      annotations: READ_ONLY,
    },
    (input) =>
      reply(secrets, async () => {
        const rows = await appStatus(roster, input.app ? { apps: [input.app] } : {});
        const apps = rows.map((row) => ({
          appId: row.appId,
          type: row.type,
          healthy: row.lastSync?.status === 'succeeded',
          running: row.running,
          lastSync: row.lastSync
            ? {
                status: row.lastSync.status,
                mode: row.lastSync.mode,
                startedAt: row.lastSync.startedAt,
                finishedAt: row.lastSync.finishedAt,
                counts: row.lastSync.counts,
                error: row.lastSync.error,
              }
            : null,
          snapshotAt: row.snapshotAt,
          capabilities: capabilitiesOf(row.manifest),
        }));
        return {
          structured: { apps },
          summary: apps
            .map((a) => {
              const sync = a.lastSync
                ? `last sync ${a.lastSync.status} at ${a.lastSync.finishedAt ?? a.lastSync.startedAt}${a.lastSync.error ? ` (${a.lastSync.error})` : ''}`
                : 'never synced';
              const can = Object.entries(a.capabilities.accounts)
                .filter(([, yes]) => yes)
                .map(([op]) => op);
              return `- ${a.appId} (${a.type}): ${sync}; accounts: ${can.join(', ')}`;
            })
            .join('\n'),
        };
      }),
  );
}

function capabilitiesOf(manifest: CapabilityManifest): z.infer<typeof capabilities> {
  return {
    accounts: { ...manifest.accounts },
    entitlements: Object.fromEntries(
      Object.entries(manifest.entitlements).map(([kind, ops]) => [kind, { ...ops }]),
    ),
    incremental: manifest.incremental,
    notes: Object.fromEntries(
      Object.entries(manifest.notes).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
}

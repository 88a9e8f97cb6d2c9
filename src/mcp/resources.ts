/** @module MCP resources: the findings summary, the policy (read-only, secrets masked) and each app's entitlement catalogue. */

import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { listEntitlements, listFindings, type Roster, requireSynced } from '../app/index.js';
import { maskSecrets, redact } from '../config/mask.js';
import { defaultPolicy } from '../reconcile/policy.js';
import { type Secrets, scrub } from './reply.js';

export const FINDINGS_SUMMARY_URI = 'roster://findings/summary';
export const POLICY_URI = 'roster://policy';
export const CATALOGUE_TEMPLATE = 'roster://apps/{appId}/entitlements';

export function registerResources(server: McpServer, roster: Roster, secrets: Secrets): void {
  /** JSON contents, secrets scrubbed; a failure is re-raised with its message scrubbed, never as it came. */
  const json = async (uri: URL, read: () => Promise<unknown>): Promise<ReadResourceResult> => {
    try {
      const value = scrub(JSON.parse(JSON.stringify(await read())) as unknown, secrets);
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
      };
    } catch (error) {
      throw new Error(redact(error instanceof Error ? error.message : String(error), secrets));
    }
  };

  server.registerResource(
    'findings-summary',
    FINDINGS_SUMMARY_URI,
    {
      title: 'Findings summary',
      description:
        'How many findings there are per rule, severity and app, and what date each app is read as of.',
      mimeType: 'application/json',
    },
    (uri) =>
      json(uri, async () => {
        await requireSynced(roster);
        const { findings, counts, asOf, staleAfterApply } = await listFindings(roster);
        const tally = (key: (f: (typeof findings)[number]) => string) => {
          const out: Record<string, number> = {};
          for (const f of findings) out[key(f)] = (out[key(f)] ?? 0) + 1;
          return out;
        };
        return {
          total: findings.length,
          byRule: counts,
          bySeverity: tally((f) => f.severity),
          byApp: tally((f) => f.appId),
          asOf,
          staleAfterApply,
        };
      }),
  );

  server.registerResource(
    'policy',
    POLICY_URI,
    {
      title: 'Policy (read-only)',
      description:
        "Who should have what in which app (roster.yaml's policy), with any secret masked. Read-only: a person edits roster.yaml.",
      mimeType: 'application/json',
    },
    (uri) => json(uri, async () => maskSecrets(roster.config).policy ?? defaultPolicy()),
  );

  server.registerResource(
    'entitlements',
    new ResourceTemplate(CATALOGUE_TEMPLATE, {
      list: () => ({
        resources: roster.config.apps.map((app) => ({
          uri: CATALOGUE_TEMPLATE.replace('{appId}', encodeURIComponent(app.id)),
          name: `${app.id} entitlements`,
          mimeType: 'application/json',
        })),
      }),
      complete: {
        appId: (value) => roster.config.apps.map((a) => a.id).filter((id) => id.startsWith(value)),
      },
    }),
    {
      title: "An app's entitlement catalogue",
      description:
        "An app's roles, groups, teams and courses, which are privileged, and how many accounts hold each.",
      mimeType: 'application/json',
    },
    (uri, variables) =>
      json(uri, async () => {
        const appId = decodeURIComponent(String(variables.appId));
        const rows = await listEntitlements(roster, { appId: roster.app(appId, 'appId').id });
        return rows.map((e) => ({
          id: e.id,
          kind: e.kind,
          name: e.name,
          privileged: e.privileged,
          holders: e.holders,
        }));
      }),
  );
}

/** @module MCP prompts for the common jobs: an access review of one app, and an offboarding check of one person. */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Roster } from '../app/index.js';
import { READ_AND_PROPOSE_ONLY } from './guard.js';

export function registerPrompts(server: McpServer, roster: Roster): void {
  const appIds = roster.config.apps.map((a) => a.id);

  server.registerPrompt(
    'access_review',
    {
      title: 'Access review of one app',
      description: 'Who has access to one app, who should not, and what to propose.',
      argsSchema: { app: z.string().describe(`the app id: ${appIds.join(', ')}`) },
    },
    ({ app }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Review who has access to ${app}.`,
              `1. Call app_status with app "${app}": say when its data was synced and whether the last sync failed.`,
              `2. Read the resource roster://apps/${encodeURIComponent(app)}/entitlements: name the privileged roles and groups and how many hold them.`,
              `3. Call findings with app "${app}" and severity "high", then again with "medium" (follow nextOffset): list leavers with access, orphans and disputed matches first, then admins.`,
              '4. Call explain_finding for the ones you are unsure of, and person_access for anyone whose access looks wrong.',
              '5. For leavers with access, call propose_change (action fix_finding); for orphans and disputes say who must decide them with `roster link`.',
              `Finish with a short table: account, person, problem, proposed plan id or the person's next step. ${READ_AND_PROPOSE_ONLY}`,
            ].join('\n'),
          },
        },
      ],
    }),
  );

  server.registerPrompt(
    'offboarding_check',
    {
      title: 'Offboarding check of one person',
      description: 'Whether someone who is leaving still has access anywhere, and the plan to remove it.',
      argsSchema: { person: z.string().describe('employee id or email') },
    },
    ({ person }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: [
              `Check the offboarding of ${person}.`,
              `1. Call person_access with person "${person}": their HR status and end date, every account they hold and why.`,
              `2. Call findings with person "${person}".`,
              `3. Call propose_change with action "offboard" and person "${person}", and show the diff it returns. If the answer notes they are still active in HR, say that HR must record the leave first.`,
              `4. Call plan_status on the plan id to show which ops wait for a person's approval.`,
              READ_AND_PROPOSE_ONLY,
            ].join('\n'),
          },
        },
      ],
    }),
  );
}

/**
 * @module The Roster MCP server: read and propose tools, resources and prompts over one Roster context, whatever
 * the transport (stdio for desktop assistants, streamable HTTP under `roster serve`). The context's actor names
 * the assistant in every plan it proposes and in the audit log.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Roster } from '../app/index.js';
import { secretsOf } from '../config/mask.js';
import { READ_AND_PROPOSE_ONLY } from './guard.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerAppTools } from './tools/apps.js';
import { registerFindingTools } from './tools/findings.js';
import { registerPeopleTools } from './tools/people.js';
import { registerPlanTools } from './tools/plans.js';

/** The actor a stdio session acts as; over HTTP it is `assistant via <token name>`. */
export const STDIO_ACTOR = 'assistant via mcp';

export function assistantActor(tokenName: string): string {
  return `assistant via ${tokenName}`;
}

const INSTRUCTIONS =
  'Roster ties every SaaS account to a person from the HR export and says who has access to what and why. ' +
  'Start with search_people or findings; person_access explains one person; app_status says how fresh the data ' +
  `is. ${READ_AND_PROPOSE_ONLY}`;

export interface McpServerOptions {
  /** Why this session may not propose plans (a read-only token); omitted: it may. */
  proposeRefusal?: string | undefined;
}

/** A server with every Roster tool, resource and prompt registered on the given context. */
export function createMcpServer(roster: Roster, options: McpServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'roster', version: '0.1.0' }, { instructions: INSTRUCTIONS });
  const ctx = {
    server,
    roster,
    secrets: secretsOf(roster.config),
    proposeRefusal: options.proposeRefusal ?? null,
  };
  registerPeopleTools(ctx);
  registerFindingTools(ctx);
  registerAppTools(ctx);
  registerPlanTools(ctx);
  registerResources(server, roster, ctx.secrets);
  registerPrompts(server, roster);
  return server;
}

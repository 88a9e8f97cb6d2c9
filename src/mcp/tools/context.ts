/** @module What every Roster MCP tool is given: the Roster context it runs in and the secrets no answer may carry. */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Roster } from '../../app/index.js';
import type { Secrets } from '../reply.js';

export interface ToolContext {
  server: McpServer;
  roster: Roster;
  secrets: Secrets;
  /**
   * Why this session may not propose (an HTTP token whose scope does not let it plan), or null when it may.
   * Reading is open to every session; approving and applying to none.
   */
  proposeRefusal: string | null;
}

/** Hints for clients: a tool that only reads. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

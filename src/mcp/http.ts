/**
 * @module MCP over streamable HTTP (mounted at /mcp by `roster serve`): each POST is one stateless exchange, run
 * in a Roster context whose actor is the assistant and its token (`assistant via <token name>`).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Roster } from '../app/index.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * Answers one MCP POST. Stateless, with JSON responses (no SSE stream): a Roster tool call is a request and its
 * answer, so no session has to outlive the request, and any API process can answer the next one.
 */
export async function handleMcpPost(input: {
  roster: Roster;
  req: IncomingMessage;
  res: ServerResponse;
  /** The JSON body, already parsed by the web framework. */
  body: unknown;
  options?: McpServerOptions;
}): Promise<void> {
  const server = createMcpServer(input.roster, input.options);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  input.res.on('close', () => {
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(input.req, input.res, input.body);
}

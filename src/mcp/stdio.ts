/** @module `roster mcp`'s transport: the MCP server on stdin/stdout until the client closes stdin. */

import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Roster } from '../app/index.js';
import { createMcpServer } from './server.js';

/**
 * Serves MCP on the streams until stdin ends (the assistant quit or restarted the server). Stdout carries the
 * protocol only: logs go to stderr.
 */
export async function serveStdio(
  roster: Roster,
  io: { stdin: Readable; stdout: Writable } = {
    stdin: process.stdin,
    stdout: process.stdout,
  },
): Promise<void> {
  const server = createMcpServer(roster);
  const ended = new Promise<void>((resolve) => {
    io.stdin.once('end', resolve);
    io.stdin.once('close', resolve);
  });
  await server.connect(new StdioServerTransport(io.stdin, io.stdout));
  await ended;
  await server.close();
}

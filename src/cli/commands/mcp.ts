/** @module `roster mcp`: Roster as an MCP server on stdin/stdout for a desktop assistant (read and propose only). */

import type { Command } from 'commander';
import { STDIO_ACTOR } from '../choices.js';
import { withRoster } from '../session.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description(
      'serve Roster to an AI assistant over MCP on stdin/stdout: it can read and propose plans, never approve or apply',
    )
    .addHelpText(
      'after',
      `
Add it to the assistant's MCP config, e.g. {"mcpServers": {"roster": {"command": "npx",
  "args": ["roster", "mcp", "--config", "/path/to/roster.yaml"]}}}
Plans it proposes name "${STDIO_ACTOR}" as requestedBy and in the audit log; a person approves them with
\`roster approve\` and applies them with \`roster apply\`.
Over the network, \`roster serve\` answers MCP at /mcp (streamable HTTP) for a Bearer API token: any scope
reads, operate and up propose (as "assistant via <token name>"), none approves or applies.`,
    )
    // Stdout is the protocol channel: nothing else may be printed there, so there is no --json and no progress.
    .action(async (_options: unknown, command: Command) => {
      const { serveStdio } = await import('../../mcp/index.js');
      await withRoster(command, (roster) => serveStdio(roster), { actor: STDIO_ACTOR });
    });
}

/** @module `roster serve`: run Roster as a service (HTTP API, scheduler, webhooks) until SIGTERM or SIGINT. */

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RosterError } from '../../core/errors.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the HTTP API (OpenAPI at /openapi.json, docs at /docs) with the scheduler, until SIGTERM',
    )
    .option('--port <port>', 'TCP port to listen on', toPort, 8080)
    .option('--host <host>', 'address to listen on (0.0.0.0 to accept other machines)', '127.0.0.1')
    .action(async (options: { port: number; host: string }, command: Command) => {
      const configPath = resolve(command.optsWithGlobals<{ config: string }>().config);
      // Fastify and the rest of the server load when the command runs, not for `roster --help`.
      const [{ loadConfig }, { startServer, stopOnSignals }] = await Promise.all([
        import('../../config/load.js'),
        import('../../server/serve.js'),
      ]);
      const config = await loadConfig(configPath);
      const server = await startServer({
        config,
        configPath,
        host: options.host,
        port: options.port,
        // JSON lines on stdout, one per event, each request's carrying its request id.
        logger: { level: process.env['ROSTER_LOG_LEVEL'] ?? 'info' },
      });
      await stopOnSignals(server);
      server.app.log.info('stopped');
    });
}

function toPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RosterError('invalid_input', `"${value}" is not a TCP port`, {
      where: '--port',
      fix: 'give a number from 1 to 65535 (0: any free port)',
    });
  }
  return port;
}

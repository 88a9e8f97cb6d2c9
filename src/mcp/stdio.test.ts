import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STDIO_ACTOR } from './server.js';
import { startWorld, toolSuite, type World } from './testkit.js';

/** The built `roster` (npm ci builds it through `prepare`; after editing, `npm run build`). */
const ROSTER = join(resolve(import.meta.dirname, '../..'), 'bin/roster.js');

let world: World;
let client: Client;
let stderr = '';

beforeAll(async () => {
  if (!existsSync(join(resolve(import.meta.dirname, '../..'), 'dist/mcp/stdio.js'))) {
    throw new Error('dist/ has no MCP server: run `npm run build` first (npm ci does it)');
  }
  world = await startWorld();
  // The real entry point in a child process, as a desktop assistant starts it.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [ROSTER, '-c', world.configPath, 'mcp'],
    cwd: world.dir,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  client = new Client({ name: 'roster-stdio-test', version: '1.0.0' });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await world?.close();
});

describe('`roster mcp` over stdio', () => {
  it('introduces itself and says it reads and proposes only', () => {
    expect(client.getServerVersion()?.name).toBe('roster');
    expect(client.getInstructions()).toMatch(/cannot approve or apply a plan/);
  });

  toolSuite({ world: () => world, client: () => client, actor: STDIO_ACTOR });

  it('prints nothing but the protocol: stderr stays empty at the default log level', () => {
    expect(stderr).toBe('');
  });
});

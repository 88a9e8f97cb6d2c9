import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { roster } from './testkit.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('roster serve', () => {
  it('serves until SIGTERM, then exits 0; tokens made by the CLI work against it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-serve-cli-'));
    const config = join(dir, 'roster.yaml');
    writeFileSync(join(dir, 'hr.csv'), 'employee_id,email,first_name,last_name,status\n');
    writeFileSync(
      config,
      stringify({ store: 'sqlite:./roster.db', source: { type: 'csv', path: 'hr.csv' }, apps: [] }),
    );
    const made = await roster('-c', config, 'tokens', 'create', '--name', 'ops', '--scope', 'read', '--json');
    expect(made.code, made.stderr).toBe(0);
    const { token } = (JSON.parse(made.stdout) as { data: { token: string } }).data;
    const listed = await roster('-c', config, 'tokens', 'list', '--json');
    expect(listed.stdout).not.toContain(token);

    const port = await freePort();
    const previous = process.env['ROSTER_LOG_LEVEL'];
    process.env['ROSTER_LOG_LEVEL'] = 'silent';
    const serving = roster('-c', config, 'serve', '--port', String(port));
    try {
      let ready: Response | null = null;
      for (let i = 0; i < 300 && ready === null; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
        if (ready === null) await new Promise((r) => setTimeout(r, 20));
      }
      expect(ready?.status).toBe(200);
      const apps = await fetch(`http://127.0.0.1:${port}/apps`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(apps.status).toBe(200);
    } finally {
      process.emit('SIGTERM', 'SIGTERM');
      const done = await serving;
      if (previous === undefined) delete process.env['ROSTER_LOG_LEVEL'];
      else process.env['ROSTER_LOG_LEVEL'] = previous;
      expect(done.code, done.stderr).toBe(0);
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 30_000);
});

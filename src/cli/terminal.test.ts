import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { roster } from './testkit.js';

const BIN = resolve(import.meta.dirname, '../../bin/roster.js');
let fleet: Fleet;
let config: string;

/** Runs the built `roster` under `script`, so its stdout is a real terminal `cols` wide. */
function onTerminal(args: string, cols: number, env: Record<string, string> = {}): string {
  const command = `stty cols ${cols} rows 50; node ${BIN} -c ${config} ${args}`;
  return execFileSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', ...env },
    timeout: 60_000,
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences are what is being removed
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

beforeAll(async () => {
  fleet = await startFleet({ apps: ['targetprocess'], seed: 9, people: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'roster-tty-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  writeFileSync(
    join(dir, 'roster.yaml'),
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
  );
  config = join(dir, 'roster.yaml');
  expect((await roster('-c', config, 'sync')).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('on a terminal', () => {
  it('a table fits the terminal width, cut with an ellipsis, never wrapped', () => {
    const lines = plain(onTerminal('accounts', 60))
      .split('\n')
      .filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(60);
    expect(lines.some((l) => l.includes('…'))).toBe(true);
  });

  it('severities are coloured, unless NO_COLOR is set', () => {
    expect(onTerminal('report', 120)).toContain('\x1b[31mhigh');
    expect(onTerminal('report', 120, { NO_COLOR: '1' })).not.toContain('\x1b[');
  });

  it('piped, nothing is cut or coloured', async () => {
    const run = await roster('-c', config, 'accounts');
    expect(run.stdout).not.toContain('…');
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('sandbox start never prints a token in full; roster.yaml holds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-sandbox-start-'));
    const file = join(dir, 'roster.yaml');
    const child = spawn(
      'node',
      [BIN, '-c', file, 'sandbox', 'start', '--apps', 'process-street', '--people', '10'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Ctrl-C stops')) done();
        });
        child.once('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
      });
      const token = /token: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
      expect(token.length).toBeGreaterThan(10);
      expect(out).not.toContain(token);
      expect(out).toContain(`token ${token.slice(0, 4)}…`);
      expect(out).toContain(file);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('apply on a terminal asks first, showing what the plan holds; "n" changes nothing', async () => {
    const planned = await roster('-c', config, 'plan');
    expect(planned.code, planned.stderr).toBe(0);
    const before = fleet.get('targetprocess').requests().length;
    const command = `stty cols 120 rows 50; node ${BIN} -c ${config} apply latest`;
    let output = '';
    try {
      execFileSync('script', ['-qec', command, '/dev/null'], {
        input: 'n\n',
        encoding: 'utf8',
        timeout: 60_000,
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? '');
    }
    const text = plain(output);
    expect(text).toMatch(/Plan [0-9a-f-]+: \d+ ops\n\s+targetprocess: \d+ /);
    expect(text).toContain('Apply it to the apps? [y/N]');
    expect(text).toContain('apply cancelled');
    expect(
      fleet
        .get('targetprocess')
        .requests()
        .slice(before)
        .filter((r) => r.method !== 'GET'),
    ).toEqual([]);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/load.js';
import { hrToCsv } from '../sandbox/company.js';
import { fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { buildProgram } from './main.js';
import { jsonData, roster } from './testkit.js';

const dir = () => mkdtempSync(join(tmpdir(), 'roster-cli-'));
afterEach(() => vi.unstubAllEnvs());

describe('roster CLI', () => {
  it('demo starts the five sandboxes on the sample company and writes a roster.yaml that loads', async () => {
    const where = dir();
    const { code, stdout } = await roster('demo', '--json', '--people', '80', '--dir', where);
    expect(code).toBe(0);
    const summary = jsonData(stdout) as { people: number; sandboxes: { app: string }[] };
    expect(summary.people).toBe(80);
    expect(summary.sandboxes.map((s) => s.app)).toHaveLength(5);
    expect(readFileSync(join(where, 'hr.csv'), 'utf8').split('\r\n')[0]).toContain('employee_id,email');
    const config = await loadConfig(join(where, 'roster.yaml'), { env: {} });
    expect(config.apps).toHaveLength(5);
  });

  it('init writes a commented roster.yaml and refuses to overwrite it without --force', async () => {
    const path = join(dir(), 'roster.yaml');
    expect((await roster('-c', path, 'init')).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('# ');
    const again = await roster('-c', path, 'init');
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--force');
    expect((await roster('-c', path, 'init', '--force')).code).toBe(0);
  });

  it('config show prints the resolved config with every secret masked', async () => {
    const path = join(dir(), 'roster.yaml');
    writeFileSync(
      path,
      [
        'store: sqlite:./r.db',
        'source: { type: csv, path: hr.csv }',
        'apps:',
        '  - id: ps',
        '    type: process-street',
        '    baseUrl: https://api.process.st/api/v1',
        '    auth: { type: bearer, token: "${PS_TOKEN}" }',
      ].join('\n'),
    );
    vi.stubEnv('PS_TOKEN', 'ps-secret-value-123');
    const { code, stdout } = await roster('-c', path, 'config', 'show', '--json');
    expect(code).toBe(0);
    expect(stdout).not.toContain('ps-secret-value-123');
    expect(jsonData<{ apps: { auth: { token: string } }[] }>(stdout).apps[0]?.auth.token).toBe('********');
  });

  it('a config error names the file and line and exits 2', async () => {
    const path = join(dir(), 'roster.yaml');
    writeFileSync(path, 'apps:\n  - id: x\n    type: nope\n');
    const { code, stderr } = await roster('-c', path, 'config', 'show');
    expect(code).toBe(2);
    expect(stderr).toContain('roster.yaml:');
  });

  it('a missing config says to run roster init', async () => {
    const { code, stderr } = await roster('-c', join(dir(), 'absent.yaml'), 'config', 'show');
    expect(code).toBe(4);
    expect(stderr).toContain('roster init');
  });

  it('an unknown sandbox app is refused with the list of known ones', async () => {
    const { code, stderr } = await roster('sandbox', 'start', '--apps', 'jira', '--no-write-config');
    expect(code).toBe(2);
    expect(stderr).toContain('targetprocess');
  });

  it('every command and subcommand has a description and a --help that explains it', async () => {
    const paths: string[][] = [];
    const walk = (command: Command, prefix: string[]) => {
      for (const sub of command.commands) {
        const path = [...prefix, sub.name()];
        expect(sub.description(), path.join(' ')).toMatch(/\w{3,}/);
        if (sub.commands.length > 0) walk(sub, path);
        else paths.push(path);
      }
    };
    walk(buildProgram(), []);
    expect(paths.length).toBeGreaterThanOrEqual(10);
    for (const path of paths) {
      const { code, stdout } = await roster(...path, '--help');
      expect(code, path.join(' ')).toBe(0);
      expect(stdout).toContain(`Usage: roster ${path.join(' ')}`);
    }
  });

  it('an unknown command exits non-zero', async () => {
    const { code, stderr } = await roster('frobnicate');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('roster sync', () => {
  it('syncs every app, and a rejected token fails that app with the fix while the others succeed', async () => {
    const where = dir();
    const fleet = await startFleet({ seed: 4, people: 40 });
    try {
      const yaml = fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }).replace(
        fleet.get('process-street').credentials.token,
        'not-the-token',
      );
      writeFileSync(join(where, 'roster.yaml'), yaml);
      writeFileSync(join(where, 'hr.csv'), hrToCsv(fleet.company.hr));
      const { code, stdout } = await roster('-c', join(where, 'roster.yaml'), 'sync', '--json');
      const { apps } = jsonData(stdout) as {
        apps: { appId: string; status: string; error: { fix: string } }[];
      };
      expect(code).toBe(3);
      expect(apps.filter((a) => a.status === 'succeeded')).toHaveLength(4);
      const failed = apps.find((a) => a.appId === 'process-street');
      expect(failed?.error.fix).toContain('apps[1].auth');
      expect(stdout).not.toContain('not-the-token');
      const connectors = await roster('-c', join(where, 'roster.yaml'), 'connectors', '--json');
      expect(jsonData(connectors.stdout)).toHaveLength(5);
    } finally {
      await fleet.close();
    }
  });
});

describe('roster config and the HR export', () => {
  const write = (where: string, lines: string[]) => {
    const path = join(where, 'roster.yaml');
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };

  it('config schema prints the JSON Schema that init writes beside roster.yaml and points editors at', async () => {
    const { code, stdout } = await roster('config', 'schema');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as {
      $schema: string;
      properties: { source: { properties: { dateFormat: { enum: string[] } } } };
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.properties.source.properties.dateFormat.enum).toContain('DD.MM.YYYY');

    const where = dir();
    expect((await roster('-c', join(where, 'roster.yaml'), 'init')).code).toBe(0);
    expect(readFileSync(join(where, 'roster.schema.json'), 'utf8')).toBe(stdout);
    expect(readFileSync(join(where, 'roster.yaml'), 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./roster.schema.json',
    );
  });

  it('config show works without the HR export and warns which file is missing and how to fix it', async () => {
    const where = dir();
    const path = write(where, ['source:', '  type: csv', '  path: exports/hr.csv', 'apps: []']);
    const { code, stdout, stderr } = await roster('-c', path, 'config', 'show');
    expect(code).toBe(0);
    expect(stdout).toContain('source:');
    const missing = join(where, 'exports/hr.csv');
    expect(stderr).toBe(
      `roster: warning: ${path}:3: source.path: the HR export ${missing} does not exist\n` +
        `  fix: export the people from your HR system to ${missing}, or set source.path in ${path} to where the export is\n`,
    );
  });

  it('import without the HR export fails naming the file, the roster.yaml line and the fix', async () => {
    const where = dir();
    const path = write(where, ['store: sqlite:./r.db', 'source: { type: csv, path: hr.csv }', 'apps: []']);
    const { code, stderr } = await roster('-c', path, 'import');
    expect(code).toBe(4);
    expect(stderr).toContain(`${path}:2: source.path: the HR export ${join(where, 'hr.csv')} does not exist`);
    expect(stderr).toContain('fix: export the people from your HR system');
  });

  it('an unclosed [ and an alias bomb are config errors with file, line and fix, not internal errors', async () => {
    const where = dir();
    const bracket = write(where, ['source: { type: csv, path: hr.csv }', 'apps: [', 'identity: {}']);
    const unclosed = await roster('-c', bracket, 'config', 'show');
    expect(unclosed.code).toBe(2);
    expect(unclosed.stderr).toContain(`${bracket}:2 YAML syntax error: the [ on this line opens a list`);
    expect(unclosed.stderr).not.toContain('line this key up');

    const lol = Array.from({ length: 9 }, () => '*a').join(', ');
    const bomb = write(where, [
      'source: { type: csv, path: hr.csv }',
      'apps: []',
      'x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      `y: &b [${lol}]`,
      `z: &c [${lol.replaceAll('*a', '*b')}]`,
      `w: [${lol.replaceAll('*a', '*c')}]`,
    ]);
    const exploded = await roster('-c', bomb, 'config', 'show');
    expect(exploded.code).toBe(2);
    expect(exploded.stderr).toContain(`${bomb}:5 *b repeats an anchor that itself repeats anchors`);
    expect(exploded.stderr).not.toContain('internal error');
  });

  it('import says a date-format problem once, with the count and the source.dateFormat fix', async () => {
    const where = dir();
    const rows = Array.from({ length: 338 }, (_, i) => `E${i},p${i}@acme.com,P,${i},active,09/04/2024`);
    writeFileSync(
      join(where, 'hr.csv'),
      ['employee_id,email,first_name,last_name,status,start_date', ...rows].join('\n'),
    );
    const path = write(where, ['store: sqlite:./r.db', 'source: { type: csv, path: hr.csv }', 'apps: []']);
    const refused = await roster('-c', path, 'import');
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n').filter((line) => line.includes('09/04/2024'))).toHaveLength(1);
    expect(refused.stderr).toContain('(and 337 more rows like it');
    expect(refused.stderr).toContain('fix: set source.dateFormat in roster.yaml');
    expect(refused.stderr).not.toContain('--skip-invalid');

    write(where, [
      'store: sqlite:./r.db',
      'source: { type: csv, path: hr.csv, dateFormat: MM/DD/YYYY }',
      'apps: []',
    ]);
    const imported = await roster('-c', path, 'import');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('338 people');
    expect((await roster('-c', path, 'import')).stdout).toContain('is unchanged since the last import');
  });
});

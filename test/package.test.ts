import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Runs a command and returns its stdout; a non-zero exit fails the test with what it printed. */
function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
}

describe('the published package', () => {
  it('packs without tests or CI files, installs into an empty prefix, and runs `roster demo` from another folder', () => {
    const work = mkdtempSync(join(tmpdir(), 'roster-pack-'));
    // `npm ci` built dist/ through `prepare` (as `prepack` does for a publish); packing without scripts keeps
    // this test from rebuilding dist/ under the tests that run the built CLI at the same time.
    const packed = JSON.parse(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
    ) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/app/index.js');
    expect(files).toContain('LICENSE');
    const unwanted = files.filter((f) => /\.test\.|testkit|^\.ci\/|^src\/|^test\/|\.csv$|\.map$/.test(f));
    expect(unwanted).toEqual([]);

    // Installed as a user would, from the npm cache the CI's `npm ci` filled; the native SQLite module already
    // built for this checkout is reused rather than compiled again.
    const prefix = join(work, 'prefix');
    mkdirSync(prefix);
    run(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(work, packed[0]?.filename ?? ''),
      ],
      work,
    );
    const installed = join(prefix, 'node_modules');
    cpSync(join(root, 'node_modules/better-sqlite3/build'), join(installed, 'better-sqlite3/build'), {
      recursive: true,
    });
    expect(existsSync(join(installed, 'vitest'))).toBe(false);
    const shipped = readdirSync(join(installed, 'roster/dist'), { recursive: true }).map(String);
    expect(shipped.filter((f) => /testkit|\.test\./.test(f))).toEqual([]);

    const bin = join(installed, '.bin/roster');
    const elsewhere = mkdtempSync(join(tmpdir(), 'roster-user-'));
    expect(run(bin, ['--help'], elsewhere)).toMatch(/Usage: roster/);
    const demo = (
      JSON.parse(run(bin, ['demo', '--json', '--people', '40', '--dir', 'demo'], elsewhere)) as {
        data: unknown;
      }
    ).data as {
      apply: { status: string };
      replan: { byKind: Record<string, number> };
    };
    // 40 people may need no manual task: then the plan is applied outright.
    expect(['applied', 'tasks_open']).toContain(demo.apply.status);
    expect(Object.keys(demo.replan.byKind).filter((k) => k !== 'task')).toEqual([]);
    expect(existsSync(join(elsewhere, 'demo/roster.db'))).toBe(true);
  }, 300_000);
});

/**
 * @module Benchmark: `roster --help` cold start against `node -e 0`, spawned alternately in one run. Prints the
 * medians, their ratio, and how many modules (ES and CommonJS, Node's own left out) the help loads. Needs the
 * compiled CLI (`npm run bench:cold-start` builds it first).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 21);
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'roster.js');
/** What issue 17 asks of `roster --help`. */
const GOAL_SECONDS = 0.25;

/** Preloaded with --import: counts every module file loaded, through the ESM hooks and CommonJS's compile. */
const COUNTER = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const Module = createRequire(import.meta.url)('node:module');
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
port1.unref();
const hooks = 'let port; export function initialize(d) { port = d.port; }' +
  'export async function load(url, context, next) { if (!url.startsWith("node:")) port.postMessage(url); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) { seen.add('file://' + filename); return compile.call(this, content, filename); };
process.on('exit', () => process.stderr.write('modules: ' + seen.size + '\\n'));
`;

const print = (line: string) => process.stdout.write(`${line}\n`);

function seconds(args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function modulesLoaded(counter: string, args: readonly string[]): number {
  const run = spawnSync(process.execPath, ['--import', counter, ...args], { cwd: ROOT, encoding: 'utf8' });
  const match = /modules: (\d+)/.exec(run.stderr);
  if (!match) throw new Error(`no module count from node ${args.join(' ')}: ${run.stderr}`);
  return Number(match[1]);
}

function main(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error(
      'the CLI is not compiled: run `npm run build` (or `npm run bench:cold-start`, which does)',
    );
  }
  const help = [BIN, '--help'];
  const empty = ['-e', '0'];
  // Warm the file cache, then alternate so both see the same machine load.
  seconds(help);
  seconds(empty);
  const roster: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    roster.push(seconds(help));
    node.push(seconds(empty));
  }
  const dir = mkdtempSync(join(tmpdir(), 'roster-cold-start-'));
  const counter = join(dir, 'count-modules.mjs');
  writeFileSync(counter, COUNTER);
  const modules = { roster: modulesLoaded(counter, help), node: modulesLoaded(counter, empty) };
  rmSync(dir, { recursive: true, force: true });
  const r = median(roster);
  const n = median(node);
  print(`cold start, ${RUNS} runs each, alternating; medians`);
  print('| what | median | modules loaded |');
  print('|---|---|---|');
  print(`| roster --help | ${r.toFixed(3)} s | ${modules.roster} |`);
  print(`| node -e 0 (baseline) | ${n.toFixed(3)} s | ${modules.node} |`);
  print(
    `ratio: ${(r / n).toFixed(2)}× node -e 0; roster --help above the bare node: ${(r - n).toFixed(3)} s`,
  );
  print(
    `goal: roster --help ≤ ${GOAL_SECONDS} s: ${r <= GOAL_SECONDS ? 'met' : 'NOT met'} on this machine now`,
  );
}

main();

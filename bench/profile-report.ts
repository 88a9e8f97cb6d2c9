/**
 * @module Reads a CPU profile (`.cpuprofile`, as `profiled` or `node --cpu-prof` write it) and prints where the
 * time went, in two views:
 *  - areas: each sample is charged to the innermost frame in Roster's own code (a folder of `src/`: the store, the HTTP
 *    client, a sandbox, the executor…), so a library's time counts towards the part of Roster that called it.
 *    A sample with no frame of Roster's is charged to the package or Node module it ran in (undici parsing an
 *    answer, fastify routing a request) or to V8 itself (the collector, idle).
 *  - functions: self time, the costliest first.
 *
 *   npm run bench:profile-report -- FILE.cpuprofile [--top 30] [--area store]
 *
 * `--area` lists the costliest functions of one area only (as the areas view names it), e.g. what inside the
 * store an apply spends.
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Roster's own scripts, as sources, as built (`dist/`) or as built for the benchmarks (`dist-bench/src/`): the last
 * such folder in the path, so a checkout that itself sits under some `src/` is read right.
 */
const ROSTER_SCRIPT = /^.*\/(?:dist-bench\/src|dist|src)\/(.+)$/;
/** Areas split one level further: by app. */
const BY_APP = new Set(['connectors', 'sandbox']);

/** Roster's area of a script: `store`, `reconcile`, `connectors/http`, `sandbox/targetprocess`…, or null. */
function rosterArea(url: string): string | null {
  if (url.includes('/node_modules/')) return null;
  const path = ROSTER_SCRIPT.exec(url)?.[1];
  if (path === undefined) return null;
  const folders = path.split('/').slice(0, -1);
  if (folders.length === 0) return '(top level)';
  return folders.slice(0, BY_APP.has(folders[0]!) ? 2 : 1).join('/');
}

/** Where a sample with no frame of Roster's ran: a package, a Node module, or V8 (collector, idle, program). */
function outsideArea(frame: CallFrame): string {
  const { url } = frame;
  const pkg = url.split('/node_modules/')[1];
  if (pkg !== undefined) {
    const [scope, name] = pkg.split('/');
    return `package ${scope?.startsWith('@') ? `${scope}/${name}` : scope}`;
  }
  if (url.startsWith('node:')) return `node ${url.slice('node:'.length).split('/')[0]}`;
  if (url === '') return `V8 ${frame.functionName || '(native)'}`;
  return 'other scripts';
}

/** A function as a profile names it: name, then the file's last two path parts and line (none for V8's own). */
function describe(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (f.url === '') return `${name} (native)`;
  return `${name} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
}

function report(profile: CpuProfile, top: number, only: string | undefined): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const us = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    total += us;
  }

  // Charged to the innermost frame of Roster's on the sample's stack, else to where the sample itself ran.
  const areaOfNode = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const area = rosterArea(byId.get(at)!.callFrame.url);
      if (area !== null) return area;
    }
    return outsideArea(byId.get(id)!.callFrame);
  };

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const area = areaOfNode(id);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (only !== undefined && area !== only) continue;
    const name = describe(byId.get(id)!.callFrame);
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  if (only !== undefined && !areas.has(only)) {
    process.stderr.write(
      `no area "${only}" in this profile; its areas: ${[...areas.keys()].sort().join(', ')}\n`,
    );
    process.exit(2);
  }
  const line = (us: number, what: string) =>
    `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${what}`;
  const costliest = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);

  // One write: a reader that stops early (`| head`) then cuts nothing off half-way.
  const out = [
    `${(total / 1000).toFixed(1)} ms sampled`,
    '',
    "areas (a sample charged to Roster's innermost frame):",
    ...costliest(areas).map(([area, us]) => line(us, area)),
    '',
    `functions by self time${only === undefined ? '' : ` in ${only}`}:`,
    ...costliest(functions).map(([name, us]) => line(us, name)),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

const usage = 'usage: npm run bench:profile-report -- FILE.cpuprofile [--top 25] [--area store]';
const parse = () =>
  parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, area: { type: 'string' } } });
let args: ReturnType<typeof parse>;
try {
  args = parse();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}
const [file] = args.positionals;
const top = Number(args.values.top ?? 25);
if (file === undefined || args.positionals.length > 1 || !Number.isInteger(top) || top < 1) {
  process.stderr.write(`${usage} (--top: a whole number above 0)\n`);
  process.exit(2);
}
let profile: CpuProfile;
try {
  profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
} catch (error) {
  process.stderr.write(`${file}: not a readable CPU profile (${(error as Error).message})\n`);
  process.exit(2);
}
if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
  process.stderr.write(
    `${file}: not a CPU profile (no nodes, samples and timeDeltas); write one with BENCH_PROFILE\n`,
  );
  process.exit(2);
}
report(profile, top, args.values.area);

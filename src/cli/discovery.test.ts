import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import { fleetWorkspace, OPS_TOOLS_POLICY } from '../sandbox/testkit.js';
import { defaultConfigPath } from './session.js';
import { jsonData, roster } from './testkit.js';

const BIN = resolve(import.meta.dirname, '../../bin/roster.js');
let fleet: Fleet;
let dir: string;

beforeAll(async () => {
  fleet = await startFleet({ apps: ['process-street'], seed: 3, people: 80 });
  const policy = OPS_TOOLS_POLICY;
  ({ dir } = fleetWorkspace(fleet, { policy }));
  expect((await roster('-c', join(dir, 'roster.yaml'), 'sync')).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});
afterEach(() => vi.unstubAllEnvs());

describe('finding roster.yaml, one person, and a closed pipe', () => {
  it('roster.yaml comes from $ROSTER_CONFIG, else the nearest one up from the working folder', () => {
    const nested = join(dir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    expect(resolve(nested, defaultConfigPath({}, nested))).toBe(join(dir, 'roster.yaml'));
    expect(defaultConfigPath({ ROSTER_CONFIG: '/etc/roster/roster.yaml' }, nested)).toBe(
      '/etc/roster/roster.yaml',
    );
    const nowhere = mkdtempSync(join(tmpdir(), 'roster-nowhere-'));
    expect(defaultConfigPath({}, nowhere)).toBe('roster.yaml');
  });

  it('plan --person plans only that person, and apply carries it out: the joiner who starts today', async () => {
    const c = ['-c', join(dir, 'roster.yaml')];
    const everyone = jsonData<{ ops: { kind: string; person: { email: string } | null }[] }>(
      (await roster(...c, 'plan', '--json')).stdout,
    );
    const invites = everyone.ops.filter((o) => o.kind === 'create');
    expect(invites.length).toBeGreaterThan(1);
    const email = invites[0]?.person?.email ?? '';
    const one = await roster(...c, 'plan', '--person', email, '--json');
    expect(one.code, one.stderr).toBe(0);
    const plan = jsonData<{ id: string; ops: { person: { email: string } | null }[] }>(one.stdout);
    expect(plan.ops.length).toBeGreaterThan(0);
    expect(plan.ops.every((o) => o.person?.email === email)).toBe(true);
    const applied = await roster(...c, 'apply', plan.id, '--yes', '--hold', '0');
    expect(applied.code, applied.stderr).toBe(0);
    // What the app holds: the one person was invited, nobody else.
    const ps = fleet.get('process-street');
    const invited = ps
      .requests()
      .filter(
        (r) => r.method === 'POST' && r.url.includes('/members') && r.status !== null && r.status < 300,
      );
    expect(invited.map((r) => (r.body as { email?: string }).email?.toLowerCase())).toEqual([
      email.toLowerCase(),
    ]);
  });

  it('a reader that goes away (`| head`) ends the command quietly, exit 0, no stack trace', () => {
    // `true` exits before roster writes a byte, so every write meets a closed pipe (EPIPE).
    const err = join(dir, 'stderr.txt');
    const status = execFileSync(
      'bash',
      ['-c', `node ${BIN} -c ${join(dir, 'roster.yaml')} accounts 2>${err} | true; echo \${PIPESTATUS[0]}`],
      { encoding: 'utf8' },
    );
    expect(status.trim()).toBe('0');
    expect(readFileSync(err, 'utf8')).toBe('');
  });

  it('a closed pipe keeps the command’s own exit code: findings at --fail-on still fail the run', async () => {
    const config = join(dir, 'roster.yaml');
    const direct = await roster('-c', config, 'report', '--fail-on', 'info');
    expect(direct.code).toBe(1);
    const status = execFileSync(
      'bash',
      ['-c', `node ${BIN} -c ${config} report --fail-on info 2>/dev/null | true; echo \${PIPESTATUS[0]}`],
      { encoding: 'utf8' },
    );
    expect(status.trim()).toBe('1');
  });
});

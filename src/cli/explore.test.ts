import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortId } from '../core/ids.js';
import { APP_DEPARTMENTS } from '../sandbox/company.js';
import { type Fleet, startFleet } from '../sandbox/fleet.js';
import type { PsState } from '../sandbox/process-street/state.js';
import { fleetWorkspace } from '../sandbox/testkit.js';
import { jsonData, roster } from './testkit.js';

const policy = {
  rules: [
    {
      name: 'ops tools',
      when: { department: [...APP_DEPARTMENTS['process-street']], status: 'active' },
      apps: { 'process-street': {} },
    },
  ],
  managed: { 'process-street': ['account'] },
};

let fleet: Fleet;
let c: string[];

beforeAll(async () => {
  fleet = await startFleet({ apps: ['process-street'], seed: 5, people: 30 });
  c = fleetWorkspace(fleet, { policy }).args;
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('finding your way, and exit codes a script can trust', () => {
  it('a read command on a store no sync filled says so and how to fill it, instead of "No findings."', async () => {
    const run = await roster(...c, 'report');
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/no app has been synced.*\n.*roster sync/);
    expect(run.stdout).not.toContain('No findings.');
  });

  it('usage errors exit 2: an unknown option, an unknown command, a misspelt finding with a guess', async () => {
    expect((await roster(...c, 'plan', '--bogus')).code).toBe(2);
    expect((await roster('frobnicate')).code).toBe(2);
    expect((await roster(...c, 'sync')).code).toBe(0);
    const misspelt = await roster(...c, 'report', 'leaver_with_acess');
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain('did you mean "leaver_with_access"?');
  });

  it('entitlements lists the groups the app holds', async () => {
    const run = await roster(...c, 'entitlements', '--app', 'process-street', '--json');
    expect(run.code, run.stderr).toBe(0);
    const rows = jsonData(run.stdout) as { kind: string; name: string }[];
    const ps = fleet.get('process-street').state as PsState;
    const groups = ps.organizations.get(ps.organizationId)?.groups.map((g) => g.name) ?? [];
    expect(groups.length).toBeGreaterThan(0);
    expect(
      rows
        .filter((r) => r.kind === 'group')
        .map((r) => r.name)
        .sort(),
    ).toEqual([...groups].sort());
  });

  it('explain says how an account is tied to a person and which rule gives it', async () => {
    const person = fleet.company.hr.find(
      (p) => p.status === 'active' && APP_DEPARTMENTS['process-street'].includes(p.department),
    );
    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    const held = members.find((m) => m.email.toLowerCase() === person?.email.toLowerCase());
    if (!person || !held)
      throw new Error('the sample company has an ops person with a Process Street account');
    const run = await roster(...c, 'explain', person.email, '--json');
    expect(run.code, run.stderr).toBe(0);
    const explained = jsonData(run.stdout) as {
      accounts: { appId: string; account: { id: string }; rules: string[]; link: { method: string } }[];
    };
    expect(explained.accounts).toEqual([
      expect.objectContaining({
        appId: 'process-street',
        account: expect.objectContaining({ id: held.id }),
        rules: ['ops tools'],
      }),
    ]);
    expect((await roster(...c, 'explain', 'nobody@nowhere.test')).code).toBe(4);
  });

  it('plan --detailed-exitcode exits 2 with changes; approve of nothing is an error; plans and plan show find it by a part of its id', async () => {
    const planned = await roster(...c, 'plan', '--detailed-exitcode', '--json');
    expect(planned.code).toBe(2);
    const id = (jsonData(planned.stdout) as { id: string }).id;
    // Its first characters past the time it was made, and its last eight (the console's label for it).
    for (const part of [id.slice(0, 23), shortId(id)]) {
      const shown = await roster(...c, 'plan', 'show', part, '--json');
      expect(shown.code, shown.stderr).toBe(0);
      expect((jsonData(shown.stdout) as { plan: { id: string } }).plan.id).toBe(id);
    }
    expect((await roster(...c, 'plans')).stdout).toContain(id);
    expect((await roster(...c, 'approve', 'latest', '--by', 'ana')).code).toBe(0);
    const approve = await roster(...c, 'approve', 'latest', '--by', 'ana');
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain('no op waiting for an approval');
  });

  it('--log-level debug logs one JSON line per HTTP request on stderr, and never a secret', async () => {
    const run = await roster(...c, '--log-level', 'debug', 'sync', '--json');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as { msg: string; method?: string; url?: string; status?: number; appId?: string },
      );
    const answered = lines.filter((l) => l.msg === 'answered');
    expect(answered.length).toBeGreaterThan(0);
    for (const l of answered)
      expect(l).toMatchObject({ appId: 'process-street', method: 'GET', status: 200 });
    expect(answered.map((l) => l.url).join(' ')).toContain('/members');
    expect(run.stderr).not.toContain(fleet.get('process-street').credentials.token);
  });

  it('report warns while the snapshot predates the last apply, and stops once a sync catches up', async () => {
    expect((await roster(...c, 'plan')).code).toBe(0);
    await roster(...c, 'approve', 'latest', '--by', 'ana');
    const applied = await roster(...c, 'apply', 'latest', '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    const stale = await roster(...c, 'report');
    expect(stale.stderr).toContain('changes were applied to process-street after their last sync');
    expect(stale.stdout).toMatch(/As of the last syncs: process-street \d{4}-/);
    expect((await roster(...c, 'sync')).code).toBe(0);
    expect((await roster(...c, 'report')).stderr).toBe('');
  });

  it('connectors works without a roster.yaml: every connector type and what it can do', async () => {
    const run = await roster(
      '-c',
      join(mkdtempSync(join(tmpdir(), 'roster-none-')), 'roster.yaml'),
      'connectors',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const catalogue = jsonData(run.stdout) as {
      type: string;
      manifest: { accounts: Record<string, boolean> };
    }[];
    expect(catalogue.map((c) => c.type)).toEqual([
      'targetprocess',
      'process-street',
      'thought-industries',
      'customer-directory',
      'stackspot-scim',
      'scim',
    ]);
    expect(catalogue.find((c) => c.type === 'customer-directory')?.manifest.accounts.create).toBe(false);
    expect(catalogue.find((c) => c.type === 'targetprocess')?.manifest.accounts.create).toBe(true);
  });

  it('report --format access-review: every account × entitlement with owner, manager and a decision column; --bom; --fail-on', async () => {
    const run = await roster(...c, 'report', '--format', 'access-review', '--bom');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith('\uFEFFapp,account_id,')).toBe(true);
    const rows = parseCsv(run.stdout.slice(1), { columns: true }) as Record<string, string>[];
    const ps = fleet.get('process-street').state as PsState;
    const members = ps.organizations.get(ps.organizationId)?.members ?? [];
    // Every member is on the sheet, and the decision column is there, empty, for a reviewer to fill.
    expect(new Set(rows.map((r) => r.account_id))).toEqual(new Set(members.map((m) => m.id)));
    expect(rows.every((r) => r.decision === '')).toBe(true);
    const owned = rows.find((r) => r.person_email !== '');
    const person = fleet.company.hr.find((p) => p.email.toLowerCase() === owned?.person_email);
    expect(owned?.manager).toBe(person?.manager_email.toLowerCase() ?? '');

    const all = jsonData((await roster(...c, 'report', '--json')).stdout) as {
      findings: { severity: string }[];
    };
    expect(all.findings.length).toBeGreaterThan(0);
    const failing = await roster(...c, 'report', '--fail-on', 'info');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/finding\(s\) at or above info/);
    const highs = all.findings.filter((f) => f.severity === 'high').length;
    expect((await roster(...c, 'report', '--fail-on', 'high')).code).toBe(highs > 0 ? 1 : 0);
  });
});

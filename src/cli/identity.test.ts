import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { jsonData, roster } from './testkit.js';

const dir = () => mkdtempSync(join(tmpdir(), 'roster-identity-cli-'));
const HEADER = 'employee_id,email,first_name,last_name,status';
const rows = (count: number) =>
  Array.from({ length: count }, (_, i) => `E${i + 1},p${i + 1}@acme.com,P,${i},active`);

/** A roster.yaml with no apps and an HR export of these rows; returns the `-c` arguments. */
function hrOnly(where: string, lines: string[]): string[] {
  writeFileSync(
    join(where, 'roster.yaml'),
    'store: sqlite:./roster.db\nsource: { type: csv, path: hr.csv }\napps: []\n',
  );
  writeFileSync(join(where, 'hr.csv'), `${[HEADER, ...lines].join('\n')}\n`);
  return ['-c', join(where, 'roster.yaml')];
}

describe('roster import', () => {
  it('rejects a file with a bad row, naming file:line for each, and changes nothing', async () => {
    const where = dir();
    const config = hrOnly(where, rows(3));
    expect((await roster(...config, 'import')).code).toBe(0);
    hrOnly(where, [...rows(3), 'E4,nope,P,4,active', 'E5,p5@acme.com,P,5,retired']);
    const { code, stderr } = await roster(...config, 'import');
    expect(code).toBe(2);
    expect(stderr).toContain('hr.csv:5 email: "nope" is not an email address');
    expect(stderr).toContain('hr.csv:6 status: "retired" is not a known status');
    expect(stderr).toContain('--skip-invalid');
    const people = jsonData((await roster(...config, 'people', '--json')).stdout) as {
      employeeId: string;
    }[];
    expect(people.map((p) => p.employeeId)).toEqual(['E1', 'E2', 'E3']);
  });

  it('--skip-invalid imports the valid rows and lists the skipped ones', async () => {
    const where = dir();
    const config = hrOnly(where, [...rows(3), 'E4,nope,P,4,active']);
    const { code, stdout } = await roster(...config, 'import', '--skip-invalid');
    expect(code).toBe(0);
    expect(stdout).toContain('1 invalid row skipped');
    expect(stdout).toContain('hr.csv:5 email');
    const json = await roster(...config, 'import', '--skip-invalid', '--json');
    const result = jsonData(json.stdout) as { status: string; counts: { people: number; skipped: number } };
    expect(result).toMatchObject({ status: 'unchanged', counts: { people: 3, skipped: 1 } });
  });

  it('the drop guard refuses a truncated export with the numbers, and --force imports it', async () => {
    const where = dir();
    const config = hrOnly(where, rows(20));
    expect((await roster(...config, 'import')).code).toBe(0);
    hrOnly(where, rows(12));
    const refused = await roster(...config, 'import');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('would drop 8 of 20 active people (40%)');
    expect(refused.stderr).toContain('--force');
    const sync = await roster(...config, 'sync');
    expect(sync.code).toBe(5);
    expect(sync.stderr).toContain('would drop 8 of 20');
    const forced = await roster(...config, 'import', '--force', '--json');
    expect(forced.code).toBe(0);
    expect(jsonData(forced.stdout)).toMatchObject({
      status: 'applied',
      counts: { people: 12, dropped: 8 },
    });
  });
});

describe('identity commands on the synced sandboxes', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ seed: 7, people: 40 });
  });
  afterAll(async () => {
    await fleet.close();
  });

  /** A fresh store synced from the shared sandboxes; returns the `-c` arguments. */
  async function synced(): Promise<string[]> {
    const where = dir();
    writeFileSync(
      join(where, 'roster.yaml'),
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    );
    writeFileSync(join(where, 'hr.csv'), hrToCsv(fleet.company.hr));
    const config = ['-c', join(where, 'roster.yaml')];
    const { code, stdout } = await roster(...config, 'sync', '--json');
    expect(code).toBe(0);
    expect(jsonData<{ import: { status: string } }>(stdout).import.status).toBe('applied');
    return config;
  }

  interface AccountRow {
    appId: string;
    account: { id: string; email: string | null };
    situation: string;
    owner: { employeeId: string; email: string } | null;
    method: string | null;
  }

  it("graph --person shows one person's accounts in several apps, with entitlements", async () => {
    const config = await synced();
    const accounts = jsonData(
      (await roster(...config, 'accounts', '--situation', 'linked', '--json')).stdout,
    ) as AccountRow[];
    const apps = new Map<string, Set<string>>();
    for (const a of accounts) {
      if (a.owner) apps.set(a.owner.email, (apps.get(a.owner.email) ?? new Set()).add(a.appId));
    }
    const [email, where] = [...apps].sort((a, b) => b[1].size - a[1].size)[0]!;
    expect(where.size).toBeGreaterThan(1);
    const { code, stdout } = await roster(...config, 'graph', '--person', email.toUpperCase(), '--json');
    expect(code).toBe(0);
    const view = jsonData(stdout) as {
      person: { email: string };
      accounts: { appId: string; entitlements: string[] }[];
    };
    expect(view.person.email).toBe(email);
    expect(new Set(view.accounts.map((a) => a.appId))).toEqual(where);
    // --json prints each account as stored, the app's raw record and the sync that read it included.
    const first = accounts[0] as unknown as { account: { raw?: unknown; syncRunId?: unknown } };
    expect(first.account.raw).toEqual(expect.any(Object));
    expect(first.account.syncRunId).toEqual(expect.any(String));
    const human = await roster(...config, 'graph', '--person', email);
    expect(human.stdout).toContain(`in ${where.size} apps`);
    const missing = await roster(...config, 'graph', '--person', 'nobody@nowhere.example');
    expect(missing.code).toBe(4);
  });

  it('report --format csv parses back as RFC 4180 CSV under the access-review header', async () => {
    const config = await synced();
    const { code, stdout } = await roster(...config, 'report', '--format', 'csv');
    expect(code).toBe(0);
    expect(stdout.endsWith('\r\n')).toBe(true);
    const records = parse(stdout, { relax_column_count: false }) as string[][];
    expect(records[0]).toEqual([
      'severity',
      'rule',
      'app',
      'account_id',
      'account_email',
      'person_id',
      'person_email',
      'title',
      'evidence',
    ]);
    expect(records.length).toBeGreaterThan(1);
    const json = jsonData((await roster(...config, 'report', '--json')).stdout) as {
      findings: { rule: string; severity: string; appId: string; accountId: string }[];
    };
    expect(records.slice(1).map((r) => [r[0], r[1], r[2], r[3]])).toEqual(
      json.findings.map((f) => [f.severity, f.rule, f.appId, f.accountId]),
    );
    const leavers = parse(
      (await roster(...config, 'report', 'leaver_with_access', '--min-severity', 'high', '--format', 'csv'))
        .stdout,
    ) as string[][];
    expect(leavers.length).toBeGreaterThan(1);
    expect(new Set(leavers.slice(1).map((r) => r[1]))).toEqual(new Set(['leaver_with_access']));
  });

  it('a manual link survives a re-sync, and unlink hands the account back to correlation', async () => {
    const config = await synced();
    const unmatched = jsonData(
      (await roster(...config, 'accounts', '--situation', 'unmatched', '--json')).stdout,
    ) as AccountRow[];
    const target = unmatched[0]!;
    const owner = fleet.company.hr.find((p) => p.status === 'active')!;
    const link = await roster(
      ...config,
      'link',
      target.appId,
      target.account.id,
      owner.email,
      '--by',
      'alice',
    );
    expect(link.code).toBe(0);
    expect(link.stdout).toContain('decided by alice');
    expect((await roster(...config, 'sync')).code).toBe(0);
    const after = jsonData(
      (await roster(...config, 'accounts', '--app', target.appId, '--json')).stdout,
    ) as AccountRow[];
    expect(after.find((a) => a.account.id === target.account.id)).toMatchObject({
      situation: 'linked',
      method: 'manual',
      owner: { employeeId: owner.employee_id },
    });
    const unlink = await roster(...config, 'unlink', target.appId, target.account.id, '--json');
    expect(unlink.code).toBe(0);
    expect(jsonData<{ link: { situation: string } }>(unlink.stdout).link.situation).toBe(target.situation);
    expect((await roster(...config, 'unlink', target.appId, target.account.id)).code).toBe(4);
  });

  it('link refuses an account the last sync did not see', async () => {
    const config = await synced();
    const app = fleet.sandboxes[0]!.type;
    const { code, stderr } = await roster(
      ...config,
      'link',
      app,
      'no-such-account',
      fleet.company.hr[0]!.email,
    );
    expect(code).toBe(4);
    expect(stderr).toContain('roster sync');
  });
});

describe('roster demo', () => {
  it('imports the HR export, builds the graph and reports the findings summary', async () => {
    const { code, stdout } = await roster('demo', '--json', '--people', '60', '--dir', dir());
    expect(code).toBe(0);
    const summary = jsonData(stdout) as {
      import: { status: string; counts: { people: number } };
      graph: { apps: Record<string, { accounts: number; linked: number }> };
      findings: { total: number; byRule: Record<string, number>; bySeverity: Record<string, number> };
    };
    expect(summary.import).toMatchObject({ status: 'applied', counts: { people: 60 } });
    expect(Object.keys(summary.graph.apps)).toHaveLength(5);
    expect(summary.findings.total).toBeGreaterThan(0);
    expect(Object.values(summary.findings.byRule).reduce((a, b) => a + b, 0)).toBe(summary.findings.total);
    expect(summary.findings.byRule['leaver_with_access']).toBeGreaterThan(0);
  });
});

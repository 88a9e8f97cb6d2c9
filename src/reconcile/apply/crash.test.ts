import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { jsonData } from '../../cli/testkit.js';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import type { CapabilityManifest, Connector } from '../../connectors/sdk/types.js';
import { refreshGraph } from '../../identity/index.js';
import { APP_DEPARTMENTS, hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { createRng } from '../../sandbox/kit/rng.js';
import { parsePeople } from '../../sources/index.js';
import { openStore } from '../../store/open.js';
import { syncApps } from '../../sync/sync.js';
import { computePlan } from '../plan.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const KILL_POINTS = 20;
let fleet: Fleet;
let dir: string;
let config: RosterConfig;
const fast = { http: { backoff: { baseMs: 2, capMs: 20 }, timeoutMs: 3000, maxRetries: 12 } };

/** Enough rules that the sample company's plan runs to a few hundred ops: teams and courses for everyone. */
const policy = {
  rules: [
    {
      name: 'engineering tools',
      when: { department: APP_DEPARTMENTS.targetprocess, status: 'active' },
      apps: { targetprocess: { teams: ['Platform', 'Mobile'] } },
    },
    {
      name: 'academy',
      when: { department: APP_DEPARTMENTS['thought-industries'], status: 'active' },
      apps: {
        'thought-industries': { courses: ['Security Awareness', 'Code of Conduct', 'Negotiation Basics'] },
      },
    },
  ],
  safety: {
    maxDeactivations: { count: 1000, share: 1 },
    approval: { delete: false, privileged: false, opsPerApp: 10_000 },
  },
};

/**
 * Runs the built `roster` in a child process. Asynchronously: the sandboxes answer from this process's event
 * loop, so a synchronous exec would leave every request of the child unanswered.
 */
function roster(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'node',
      [join(ROOT, 'bin/roster.js'), '-c', 'roster.yaml', ...args],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const status = error ? ((error as { code?: number }).code ?? 1) : 0;
        done({ status: typeof status === 'number' ? status : 1, stdout, stderr });
      },
    );
  });
}

/** Starts `roster apply --yes` and SIGKILLs it once the audit log holds `after` events (or it ends first). */
function applyUntilKilled(after: number): Promise<'killed' | 'finished'> {
  return new Promise((done) => {
    const child = spawn(
      'node',
      [join(ROOT, 'bin/roster.js'), '-c', 'roster.yaml', 'apply', '--yes', '--hold', '0'],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    let killed = false;
    const db = new Database(join(dir, 'roster.db'), { readonly: true, fileMustExist: true });
    const timer = setInterval(() => {
      const { n } = db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number };
      if (n >= after && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      db.close();
      done(killed ? 'killed' : 'finished');
    });
  });
}

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(config.store);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function syncAndPlan(): Promise<Awaited<ReturnType<typeof computePlan>>> {
  const connectors = config.apps.map((app) => connectorFor(app, fast));
  const manifests: Record<string, CapabilityManifest> = {};
  try {
    return await withStore(async (store) => {
      const results = await syncApps({ store, connectors, full: true });
      for (const r of results) expect(r.status, r.appId).toBe('succeeded');
      for (const c of connectors) manifests[c.appId] = c.manifest;
      await refreshGraph({ store, config, now: fleet.company.asOf });
      return computePlan({ store, config, manifests, now: new Date(fleet.company.asOf) });
    });
  } finally {
    await Promise.all(connectors.map((c) => c.close()));
  }
}

/** Emails held by more than one live account, per app: apply must never add to them. */
async function duplicateEmails(): Promise<string[]> {
  const dupes: string[] = [];
  for (const app of config.apps) {
    const connector: Connector = connectorFor(app, fast);
    try {
      const seen = new Map<string, number>();
      let pageToken: string | null = null;
      do {
        const page = await connector.accounts.list!({ pageToken });
        for (const a of page.items) {
          if (a.status === 'deleted' || !a.email) continue;
          seen.set(a.email.toLowerCase(), (seen.get(a.email.toLowerCase()) ?? 0) + 1);
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== null);
      for (const [email, n] of seen) if (n > 1) dupes.push(`${app.id}:${email}`);
    } finally {
      await connector.close();
    }
  }
  return dupes.sort();
}

beforeAll(async () => {
  fleet = await startFleet({ apps: ['targetprocess', 'thought-industries'], seed: 5, people: 260 });
  dir = mkdtempSync(join(tmpdir(), 'roster-crash-'));
  writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
  const doc = parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }));
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...doc, policy }));
  config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  const { people } = parsePeople({ text: hrToCsv(fleet.company.hr), format: 'csv', file: 'hr.csv' });
  await withStore((store) => store.replacePeople({ sourcePath: 'hr.csv', hash: 'sample', people }));
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

describe('apply survives kill -9', () => {
  it('finishes the plan after 20 seeded SIGKILLs with no op done twice, the apps in the desired state and the audit chain whole', async () => {
    const before = await duplicateEmails();
    const planned = await syncAndPlan();
    expect(planned.body.blocked).toBeNull();
    expect(planned.ops.length).toBeGreaterThan(200);

    // Kill points spread over the run: each audit-event count is reached by a fresh child carrying on.
    const rng = createRng(99);
    const total = planned.ops.length * 2;
    const points = Array.from({ length: KILL_POINTS }, () => 1 + Math.floor(rng.next() * total)).sort(
      (a, b) => a - b,
    );
    let kills = 0;
    for (const point of points) if ((await applyUntilKilled(point)) === 'killed') kills++;
    expect(kills).toBeGreaterThanOrEqual(KILL_POINTS - 2);

    const final = await roster(['apply', planned.plan.id, '--resume', '--yes', '--hold', '0', '--json']);
    expect(final.stderr).toBe('');
    const applied = jsonData(final.stdout) as {
      status: string;
      ops: { state: string; ref: string; error: string }[];
    };
    expect(applied.ops.filter((o) => o.state !== 'succeeded').map((o) => `${o.ref}: ${o.error}`)).toEqual([]);
    expect(applied.status).toBe('applied');

    await withStore(async (store) => {
      const ops = await store.listOps({ planId: planned.plan.id });
      expect(ops.filter((o) => o.status !== 'succeeded')).toEqual([]);
      const events = [];
      for (let after = 0; ; ) {
        const page = await store.listAudit({ afterSeq: after, limit: 1000 });
        if (page.length === 0) break;
        events.push(...page);
        after = page[page.length - 1]!.seq;
      }
      for (const op of ops) {
        const mine = events.filter((e) => e.data.planId === planned.plan.id && e.data.seq === op.seq);
        expect(
          mine.map((e) => e.kind),
          `op ${op.seq}`,
        ).toEqual(['op.intent', 'op.succeeded']);
      }
      expect((await store.verifyAudit()).ok).toBe(true);
    });

    expect(await duplicateEmails()).toEqual(before);
    const again = await syncAndPlan();
    expect(again.body.ops.filter((o) => o.kind !== 'task' && o.kind !== 'wait')).toEqual([]);

    // The first plan was computed from state that has moved on (the re-sync): apply refuses it.
    const stale = await roster(['apply', planned.plan.id, '--yes']);
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).toMatch(/stale.*re-plan/);
  }, 240_000);

  it('a truncated HR file yields a plan the safety limits block, and apply refuses it saying why', async () => {
    const { people } = parsePeople({ text: hrToCsv(fleet.company.hr), format: 'csv', file: 'hr.csv' });
    const kept = people.slice(0, 5);
    const planned = await withStore(async (store) => {
      await store.replacePeople({ sourcePath: 'hr.csv', hash: 'truncated', people: kept });
      return undefined;
    }).then(() => syncAndPlanStrict());
    expect(planned.body.blocked).not.toBeNull();
    const refused = await roster(['apply', planned.plan.id, '--yes']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/blocked by the safety limits.*truncated HR file/);
    expect(refused.stderr).toContain('--override-safety');
  }, 60_000);
});

/** The plan under the default safety limits (the test policy lifts them for the big run). */
async function syncAndPlanStrict(): Promise<Awaited<ReturnType<typeof computePlan>>> {
  const strict = {
    ...policy,
    leavers: { action: 'deactivate', graceDays: 0 },
    orphans: 'deactivate',
    managed: Object.fromEntries(config.apps.map((a) => [a.id, ['account']])),
    safety: { maxDeactivations: { count: 25, share: 0.2 }, approval: policy.safety.approval },
  };
  writeFileSync(join(dir, 'roster.yaml'), stringify({ ...parse(readConfigText()), policy: strict }));
  config = await loadConfig(join(dir, 'roster.yaml'), { env: {} });
  return syncAndPlan();
}

function readConfigText(): string {
  return stringify({
    ...parse(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' })),
  });
}

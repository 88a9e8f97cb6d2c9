/** @module `roster demo` (= `npm start`): the whole loop on the sample company, from HR export to a verified apply. */

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import type { SeedAppType } from '../../core/types.js';
import { compareSeverity, type Finding, refreshGraph, SEVERITIES } from '../../identity/index.js';
import { type ApplyResult, applyPlan, type OpState, planOpOf } from '../../reconcile/apply/index.js';
import { type ComputedPlan, computePlan, type PlanSummary } from '../../reconcile/plan.js';
import type { AppGrant, ManagedKind } from '../../reconcile/policy.js';
import { renderPlan } from '../../reconcile/render.js';
import { APP_DEPARTMENTS, hrToCsv } from '../../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import { FAULT_PROFILE_NAMES, type FaultProfileName } from '../../sandbox/kit/faults.js';
import { ADMIN_PREFIX } from '../../sandbox/kit/server.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { createOutput, type Output } from '../output.js';
import { approvePlan } from './apply.js';
import { printSummary } from './graph.js';
import { runImport } from './people.js';
import { countBy } from './report.js';
import { parseInteger } from './sandbox.js';
import { runSync } from './sync.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the sandboxes with the sample company and run every stage of Roster on them')
    .option('--seed <n>', 'seed of the sample company', parseInteger, 42)
    .option('--people <n>', 'people in the sample company', parseInteger, 200)
    .addOption(
      new Option('--profile <name>', 'sandbox fault profile').choices(FAULT_PROFILE_NAMES).default('clean'),
    )
    .option('--dir <path>', 'where the demo writes its roster.yaml, HR export and store', '.roster/demo')
    .option('--json', 'print a JSON summary')
    .action(async (options: DemoOptions) => {
      const out = createOutput({ json: options.json ?? false });
      const dir = resolve(options.dir);
      mkdirSync(dir, { recursive: true });
      const fleet = await startFleet({
        seed: options.seed,
        people: options.people,
        profile: options.profile,
      });
      try {
        const { company } = fleet;
        writeFileSync(resolve(dir, 'hr.csv'), hrToCsv(company.hr));
        writeFileSync(
          resolve(dir, 'roster.yaml'),
          fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
        );
        const leavers = company.hr.filter((p) => p.status === 'leaver').length;
        out.line(`Roster demo — sample company "${company.domain}" (seed ${company.seed})`);
        out.line();
        out.line(
          `1. Source of truth: ${company.hr.length} people (${company.hr.length - leavers} active, ${leavers} leavers)`,
        );
        out.line(`   written to ${resolve(dir, 'hr.csv')}`);
        out.line();
        out.line(`2. Apps: ${fleet.sandboxes.length} sandboxes on 127.0.0.1 (profile ${options.profile})`);
        out.table(
          fleet.sandboxes.map((s) => [
            s.title,
            s.baseUrl,
            Object.entries(s.summary())
              .map(([k, v]) => `${v} ${k}`)
              .join(', '),
          ]),
          3,
        );
        out.line(`   roster.yaml for them: ${resolve(dir, 'roster.yaml')}`);
        out.line();
        out.line('3. Drift planted in the apps (what the identity graph must find):');
        out.table(
          Object.entries(company.planted).map(([kind, keys]) => [kind, String(keys.length)]),
          3,
        );
        out.line();
        const config = await loadConfig(resolve(dir, 'roster.yaml'), { env: {} });
        rmSync(resolve(dir, 'roster.db'), { force: true });
        out.line('4. Import: the HR export validated into the store');
        const imported = await runImport(config, { out });
        out.line();
        out.line('5. Sync: every app read through its own API into the store');
        const synced = await runSync(config, { out });
        out.line();
        out.line('6. Identity graph: every account tied to a person, or flagged');
        const store = await openStore(config.store);
        const graph = await refreshGraph({ store, config }).finally(() => store.close());
        printSummary(out, graph.summary, 3);
        out.line();
        out.line('7. Findings, most severe first');
        printTopFindings(out, graph.findings);
        out.line();
        const loop = await runLoop({ fleet, dir, out, findingsBefore: countBy(graph.findings) });
        out.line();
        out.line(
          `Explore with \`roster -c ${resolve(dir, 'roster.yaml')} report\`, \`graph --person <email>\`, ` +
            '`tasks` or `audit --verify`.',
        );
        out.result({
          seed: company.seed,
          people: company.hr.length,
          leavers,
          dir,
          sandboxes: fleet.sandboxes.map((s) => ({ app: s.type, baseUrl: s.baseUrl, summary: s.summary() })),
          planted: Object.fromEntries(Object.entries(company.planted).map(([k, v]) => [k, v.length])),
          import: imported,
          sync: synced,
          graph: graph.summary,
          findings: {
            total: graph.findings.length,
            bySeverity: Object.fromEntries(
              SEVERITIES.map((s) => [s, graph.findings.filter((f) => f.severity === s).length]),
            ),
            byRule: countBy(graph.findings),
            top: graph.findings.slice(0, TOP_FINDINGS),
          },
          ...loop,
        });
      } finally {
        await fleet.close();
      }
    });
}

/** How many findings the demo lists; the counts per rule cover the rest. */
const TOP_FINDINGS = 10;

function printTopFindings(out: Output, findings: readonly Finding[]): void {
  if (findings.length === 0) {
    out.line('   none');
    return;
  }
  const top = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity)).slice(0, TOP_FINDINGS);
  out.table(
    top.map((f) => [f.severity, f.rule, f.appId, f.title]),
    3,
  );
  if (findings.length > top.length) out.line(`   … and ${findings.length - top.length} more`);
  out.line(
    `   ${findings.length} in all: ${Object.entries(countBy(findings))
      .map(([rule, n]) => `${n} ${rule}`)
      .join(', ')}`,
  );
}

interface DemoOptions {
  seed: number;
  people: number;
  profile: FaultProfileName;
  dir: string;
  json?: boolean;
}

/** What the loop stages add to `demo --json`: enough for a script (or a test) to judge convergence. */
export interface LoopSummary {
  plan: { id: string; total: number; approvals: number; byApp: PlanSummary['byApp']; blocked: boolean };
  approved: number;
  invitationsAccepted: number;
  apply: { status: string; runs: number; ops: Partial<Record<OpState, number>> };
  findingsBefore: Record<string, number>;
  findingsAfter: Record<string, number>;
  /** The plan computed from the re-sync: what Roster would still change. */
  replan: { id: string; total: number; byKind: Record<string, number> };
  remaining: {
    tasks: { appId: string; kind: string; instructions: string }[];
    disputed: { appId: string; title: string }[];
  };
}

/** How many plan lines the demo prints before the counts per app take over. */
const PLAN_LINES = 20;

/**
 * The sample policy, from the generator's catalog (src/sandbox/company.ts, which keeps it private): per app,
 * the departments it is for (APP_DEPARTMENTS) and, per department, the groups/teams/courses/roles its people
 * hold there.
 */
const CATALOG: Partial<Record<SeedAppType, (dept: string) => AppGrant>> = {
  targetprocess: (dept) => ({
    teams: dept === 'Design' ? ['Design Studio'] : dept === 'Engineering' ? ['Platform'] : [],
  }),
  'process-street': (dept) => ({ groups: [dept] }),
  'thought-industries': (dept) => ({
    groups: [`${dept} Academy`],
    courses: ['Security Awareness', 'Code of Conduct'].concat(
      dept === 'Sales' ? ['Negotiation Basics'] : dept === 'Support' ? ['Ticket Handling 101'] : [],
    ),
  }),
  // Its API cannot grant groups (each would be a manual task), so the demo gives accounts only.
  'customer-directory': () => ({}),
  'stackspot-scim': () => ({}),
};

/** Kinds Roster manages per app in the demo: accounts everywhere, and the lists the policy gives in full. */
const MANAGED: Record<SeedAppType, ManagedKind[]> = {
  targetprocess: ['account'],
  'process-street': ['account', 'group'],
  'thought-industries': ['account', 'group', 'course'],
  'customer-directory': ['account'],
  'stackspot-scim': ['account'],
};

/** The demo's policy: birthright rules per app and department, leavers deactivated, orphans reported. */
export function demoPolicy(apps: readonly SeedAppType[]): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [];
  for (const app of apps) {
    for (const dept of APP_DEPARTMENTS[app]) {
      const grant = Object.fromEntries(
        Object.entries(CATALOG[app]?.(dept) ?? {}).filter(([, v]) => !Array.isArray(v) || v.length > 0),
      );
      rules.push({
        name: `${app}: ${dept}`,
        when: { department: dept, status: 'active' },
        apps: { [app]: grant },
      });
    }
  }
  return {
    rules,
    leavers: { action: 'deactivate', graceDays: 0 },
    orphans: 'report',
    managed: Object.fromEntries(apps.map((a) => [a, MANAGED[a]])),
  };
}

/** Policy → plan → approve → apply → invitations accepted → apply again → re-sync → before/after. */
async function runLoop(input: {
  fleet: Fleet;
  dir: string;
  out: Output;
  findingsBefore: Record<string, number>;
}): Promise<LoopSummary> {
  const { fleet, dir, out } = input;
  const file = resolve(dir, 'roster.yaml');
  const apps = fleet.sandboxes.map((s) => s.type);
  writeFileSync(file, stringify({ ...parse(readFileSync(file, 'utf8')), policy: demoPolicy(apps) }));
  const config = await loadConfig(file, { env: {} });
  out.line(`8. Policy: ${config.policy?.rules.length ?? 0} birthright rules written into roster.yaml`);
  out.line('   leavers: deactivate; orphans: report; Roster manages accounts everywhere, and groups/courses');
  out.line('   where the policy names all of them');
  out.line();

  const connectors: Record<string, Connector> = {};
  for (const app of config.apps) connectors[app.id] = connectorFor(app);
  const manifests = Object.fromEntries(Object.entries(connectors).map(([id, c]) => [id, c.manifest]));
  const store = await openStore(config.store);
  let applied: Omit<LoopSummary, 'findingsBefore' | 'findingsAfter' | 'replan' | 'remaining'>;
  try {
    const planned = await computePlan({ store, config, manifests, now: new Date() });
    out.line('9. Plan: what the apps must change to match the policy');
    printPlan(out, planned);
    out.line();

    const approved = await approvePlan(store, { planId: planned.plan.id, by: DEMO_ACTOR });
    out.line(`10. Approve: ${approved.length} op(s) that need a person's yes, approved as "${DEMO_ACTOR}"`);
    out.line();

    out.line('11. Apply: every op called, read back to verify, and audited');
    const apply = (): Promise<ApplyResult> =>
      applyPlan({
        store,
        config,
        planId: planned.plan.id,
        connectors,
        actor: DEMO_ACTOR,
        yes: true,
        resume: true,
        // The demo accepts the invitations between runs, so short polls and a short hold are enough.
        waits: { pollMs: 50, maxPollMs: 200, holdMs: 2_000 },
      });
    let result = await apply();
    let runs = 1;
    printApply(out, result);
    let accepted = 0;
    if (result.status === 'applying') {
      accepted = await acceptInvitations(fleet, store, planned.plan.id);
      out.line(`   ${accepted} invited people accept their Process Street invitations (sandbox admin API)`);
      out.line('   apply again: the waits see the acceptances and the group adds run');
      result = await apply();
      runs++;
      printApply(out, result);
    }
    out.line();
    applied = {
      plan: {
        id: planned.plan.id,
        total: planned.summary.total,
        approvals: planned.summary.approvals,
        byApp: planned.summary.byApp,
        blocked: planned.summary.blocked,
      },
      approved: approved.length,
      invitationsAccepted: accepted,
      apply: { status: result.status, runs, ops: statesOf(result) },
    };
  } finally {
    await Promise.all(Object.values(connectors).map((c) => c.close()));
    await store.close();
  }

  out.line('12. Re-sync and rebuild the graph: did the changes take?');
  await runSync(config, { out: createOutput({ json: true }) });
  const after = await openStore(config.store);
  try {
    const graph = await refreshGraph({ store: after, config });
    const replan = await computePlan({ store: after, config, manifests, now: new Date() });
    const tasks = (await after.listTasks({ status: 'open' })).map((t) => ({
      appId: t.appId,
      kind: t.kind,
      instructions: t.instructions,
    }));
    const disputed = graph.findings
      .filter((f) => f.rule === 'disputed')
      .map((f) => ({ appId: f.appId, title: f.title }));
    const summary: LoopSummary = {
      ...applied,
      findingsBefore: input.findingsBefore,
      findingsAfter: countBy(graph.findings),
      replan: { id: replan.plan.id, total: replan.summary.total, byKind: kindsOf(replan) },
      remaining: { tasks, disputed },
    };
    printBeforeAfter(out, summary);
    return summary;
  } finally {
    await after.close();
  }
}

const DEMO_ACTOR = 'demo';

/** How many manual tasks the summary prints. */
const TOP_TASKS = 10;

/** Simulates the people the plan waits on clicking their invitation link: the sandbox's admin route accepts. */
async function acceptInvitations(fleet: Fleet, store: Store, planId: string): Promise<number> {
  const ps = fleet.sandboxes.find((s) => s.type === 'process-street');
  if (!ps) return 0;
  const ops = await store.listOps({ planId });
  const ids = new Set<string>();
  for (const r of ops.filter((o) => o.kind === 'wait' && o.status !== 'succeeded')) {
    const op = planOpOf(r);
    if (op.account && 'id' in op.account) ids.add(op.account.id);
    const creator = op.account && 'createdBy' in op.account ? op.account.createdBy : null;
    const created = ops.find((o) => o.target.ref === creator)?.outcome?.accountId;
    if (typeof created === 'string') ids.add(created);
  }
  let accepted = 0;
  for (const member of ids) {
    const id = encodeURIComponent(member);
    const res = await fetch(`${ps.origin}${ADMIN_PREFIX}/members/${id}/accept`, { method: 'POST' });
    if (res.ok) accepted++;
    await res.body?.cancel();
  }
  return accepted;
}

function statesOf(result: ApplyResult): Partial<Record<OpState, number>> {
  const counts: Partial<Record<OpState, number>> = {};
  for (const op of result.ops) counts[op.state] = (counts[op.state] ?? 0) + 1;
  return counts;
}

function kindsOf(planned: ComputedPlan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of planned.body.ops) counts[op.kind] = (counts[op.kind] ?? 0) + 1;
  return counts;
}

const countText = (counts: Record<string, number | undefined>): string =>
  Object.entries(counts)
    .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
    .join(', ') || 'none';

function printPlan(out: Output, planned: ComputedPlan): void {
  const lines = renderPlan(planned.body, { id: planned.plan.id, stateHash: planned.plan.stateHash }).split(
    '\n',
  );
  for (const line of lines.slice(0, PLAN_LINES)) out.line(`   ${line}`);
  if (lines.length > PLAN_LINES) {
    out.line(`   … ${lines.length - PLAN_LINES} more lines (\`roster plan\` shows them all)`);
  }
  out.table(
    Object.entries(planned.summary.byApp).map(([app, counts]) => [app, countText(counts)]),
    3,
  );
  out.line(
    `   ${planned.summary.total} ops, ${planned.summary.approvals} need approval${planned.summary.blocked ? ', BLOCKED' : ''}`,
  );
}

function printApply(out: Output, result: ApplyResult): void {
  out.table(
    Object.entries(result.byApp).map(([app, counts]) => [app, countText(counts)]),
    3,
  );
  out.line(`   plan ${result.status}`);
}

function printBeforeAfter(out: Output, s: LoopSummary): void {
  out.line();
  out.line('13. Before and after');
  const rules = [...new Set([...Object.keys(s.findingsBefore), ...Object.keys(s.findingsAfter)])];
  out.table(
    [
      ['finding', 'before', 'after'],
      ...rules.map((r) => [r, String(s.findingsBefore[r] ?? 0), String(s.findingsAfter[r] ?? 0)]),
    ],
    3,
  );
  out.line(`   ops: ${countText(s.apply.ops)} (${s.apply.runs} apply run(s))`);
  out.line(`   a fresh plan now: ${countText(s.replan.byKind)}`);
  out.line();
  out.line(
    `   Left for people (${s.remaining.tasks.length} manual tasks, ${s.remaining.disputed.length} disputed):`,
  );
  for (const t of s.remaining.tasks.slice(0, TOP_TASKS)) out.line(`   task  ${t.appId}  ${t.instructions}`);
  if (s.remaining.tasks.length > TOP_TASKS) {
    out.line(`   … and ${s.remaining.tasks.length - TOP_TASKS} more tasks (\`roster tasks\` lists them all)`);
  }
  for (const d of s.remaining.disputed)
    out.line(`   dispute  ${d.appId}  ${d.title}  (roster graph to decide)`);
}

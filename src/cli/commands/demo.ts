/** @module What `roster demo` (= `npm start`) runs: the whole loop on the sample company, from HR export to a verified apply. */

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  applyPlan,
  approve,
  listTasks,
  openRoster,
  planChanges,
  type Roster,
  syncApps,
} from '../../app/index.js';
import { loadConfig } from '../../config/load.js';
import { type Finding, SEVERITIES } from '../../identity/index.js';
import { type ApplyResult, type OpState, planOpOf } from '../../reconcile/apply/index.js';
import type { ComputedPlan, PlanSummary } from '../../reconcile/plan.js';
import { renderPlan } from '../../reconcile/render.js';
import { hrToCsv } from '../../sandbox/company.js';
import { demoPolicy } from '../../sandbox/demo-policy.js';
import { type Fleet, fleetConfigYaml } from '../../sandbox/fleet.js';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { ADMIN_PREFIX } from '../../sandbox/kit/server.js';
import { writePrivateFile } from '../../store/private-file.js';
import type { Output } from '../output.js';
import {
  countByRule,
  countText,
  printApplyCounts,
  printGraphSummary,
  printImport,
  printSyncResults,
  printTopFindings,
} from '../render.js';

/** How many findings the demo lists; the counts per rule cover the rest. */
const TOP_FINDINGS = 10;
/** How many plan lines the demo prints before the counts per app take over. */
const PLAN_LINES = 20;
/** How many manual tasks the summary prints. */
const TOP_TASKS = 10;
const DEMO_ACTOR = 'demo';

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

/** Runs every stage on a started fleet, writing roster.yaml, the HR export and the store into `dir`. */
export async function runDemo(input: { fleet: Fleet; dir: string; out: Output; profile: FaultProfileName }) {
  const { fleet, dir, out } = input;
  const { company } = fleet;
  const file = resolve(dir, 'roster.yaml');
  writeFileSync(resolve(dir, 'hr.csv'), hrToCsv(company.hr));
  // It holds the sandboxes' tokens: readable by the user only.
  const warn = (message: string) => out.warn(`roster: warning: ${message}`);
  writePrivateFile(
    file,
    fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    'the sandboxes’ tokens',
    warn,
  );
  rmSync(resolve(dir, 'roster.db'), { force: true });
  const leavers = company.hr.filter((p) => p.status === 'leaver').length;
  out.line(`Roster demo — sample company "${company.domain}" (seed ${company.seed})`);
  out.line();
  out.line(
    `1. Source of truth: ${company.hr.length} people (${company.hr.length - leavers} active, ${leavers} leavers)`,
  );
  out.line(`   written to ${resolve(dir, 'hr.csv')}`);
  out.line();
  out.line(`2. Apps: ${fleet.sandboxes.length} sandboxes on 127.0.0.1 (profile ${input.profile})`);
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
  out.line(`   roster.yaml for them: ${file}`);
  out.line();
  out.line('3. Drift planted in the apps (what the identity graph must find):');
  out.table(
    Object.entries(company.planted).map(([kind, keys]) => [kind, String(keys.length)]),
    3,
  );
  out.line();

  const first = await withDemoRoster(file, (roster) => syncApps(roster));
  out.line('4. Import: the HR export validated into the store');
  if (first.import) printImport(out, first.import);
  out.line();
  out.line('5. Sync: every app read through its own API into the store');
  printSyncResults(out, first.apps);
  out.line();
  out.line('6. Identity graph: every account tied to a person, or flagged');
  printGraphSummary(out, first.graph.summary, 3);
  out.line();
  out.line('7. Findings, most severe first');
  printTopFindings(out, first.graph.findings, TOP_FINDINGS);
  out.line();

  const loop = await runLoop({ fleet, file, out, findingsBefore: countByRule(first.graph.findings) });
  out.line();
  out.line(
    `Explore with \`roster -c ${file} report\`, \`graph --person <email>\`, \`tasks\` or \`audit --verify\`.`,
  );
  return {
    seed: company.seed,
    people: company.hr.length,
    leavers,
    dir,
    sandboxes: fleet.sandboxes.map((s) => ({ app: s.type, baseUrl: s.baseUrl, summary: s.summary() })),
    planted: Object.fromEntries(Object.entries(company.planted).map(([k, v]) => [k, v.length])),
    import: first.import,
    sync: first.apps,
    graph: first.graph.summary,
    findings: findingsSummary(first.graph.findings),
    ...loop,
  };
}

function findingsSummary(findings: readonly Finding[]) {
  return {
    total: findings.length,
    bySeverity: Object.fromEntries(
      SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
    ),
    byRule: countByRule(findings),
    top: findings.slice(0, TOP_FINDINGS),
  };
}

async function withDemoRoster<T>(file: string, work: (roster: Roster) => Promise<T>): Promise<T> {
  const roster = await openRoster(await loadConfig(file, { env: {} }), { actor: DEMO_ACTOR });
  try {
    return await work(roster);
  } finally {
    await roster.close();
  }
}

/** Policy → plan → approve → apply → invitations accepted → apply again → re-sync → before/after. */
async function runLoop(input: {
  fleet: Fleet;
  file: string;
  out: Output;
  findingsBefore: Record<string, number>;
}): Promise<LoopSummary> {
  const { fleet, file, out } = input;
  const apps = fleet.sandboxes.map((s) => s.type);
  writePrivateFile(
    file,
    stringify({ ...parse(readFileSync(file, 'utf8')), policy: demoPolicy(apps) }),
    'the sandboxes’ tokens',
    (message) => out.warn(`roster: warning: ${message}`),
  );
  return withDemoRoster(file, async (roster) => {
    out.line(
      `8. Policy: ${roster.config.policy?.rules.length ?? 0} birthright rules written into roster.yaml`,
    );
    out.line(
      '   leavers: deactivate; orphans: report; Roster manages accounts everywhere, and groups/courses',
    );
    out.line('   where the policy names all of them');
    out.line();

    const planned = await planChanges(roster);
    out.line('9. Plan: what the apps must change to match the policy');
    printPlan(out, planned);
    out.line();

    const approved =
      planned.summary.approvals > 0 ? (await approve(roster, { plan: planned.plan.id })).approved : [];
    out.line(`10. Approve: ${approved.length} op(s) that need a person's yes, approved as "${DEMO_ACTOR}"`);
    out.line();

    out.line('11. Apply: every op called, read back to verify, and audited');
    const apply = (): Promise<ApplyResult> =>
      applyPlan(roster, {
        plan: planned.plan.id,
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
      accepted = await acceptInvitations(fleet, roster, planned.plan.id);
      out.line(`   ${accepted} invited people accept their Process Street invitations (sandbox admin API)`);
      out.line('   apply again: the waits see the acceptances and the group adds run');
      result = await apply();
      runs++;
      printApply(out, result);
    }
    out.line();

    out.line('12. Re-sync and rebuild the graph: did the changes take?');
    const after = await syncApps(roster);
    const replan = await planChanges(roster);
    const summary: LoopSummary = {
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
      findingsBefore: input.findingsBefore,
      findingsAfter: countByRule(after.graph.findings),
      replan: { id: replan.plan.id, total: replan.summary.total, byKind: kindsOf(replan) },
      remaining: {
        tasks: (await listTasks(roster)).map((t) => ({
          appId: t.appId,
          kind: t.kind,
          instructions: t.instructions,
        })),
        disputed: after.graph.findings
          .filter((f) => f.rule === 'disputed')
          .map((f) => ({ appId: f.appId, title: f.title })),
      },
    };
    printBeforeAfter(out, summary);
    return summary;
  });
}

/** Simulates the people the plan waits on clicking their invitation link: the sandbox's admin route accepts. */
async function acceptInvitations(fleet: Fleet, roster: Roster, planId: string): Promise<number> {
  const ps = fleet.sandboxes.find((s) => s.type === 'process-street');
  if (!ps) return 0;
  const ops = await roster.store.listOps({ planId });
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
  printApplyCounts(out, result, 3);
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

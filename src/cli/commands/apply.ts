/** @module `roster apply`, `approve`, `tasks` and `audit`: carry out a saved plan, approve its ops, follow up. */

import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ERROR_CODE_TABLE, RosterError } from '../../core/errors.js';
import type { PlanSummary } from '../../reconcile/plan.js';
import type { AuditEvent } from '../../store/store.js';
import { createOutput, setExitCode } from '../output.js';
import { withRoster } from '../session.js';

// The core and the renderers load when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');
const render = () => import('../render.js');

interface ApplyFlags {
  yes?: boolean;
  resume?: boolean;
  overrideSafety?: boolean;
  hold: number;
  json?: boolean;
}

export function registerApplyCommands(program: Command): void {
  program
    .command('apply [plan]')
    .description(
      'carry out a saved plan (id, a unique prefix or suffix of it, or latest; default latest) with approvals, verification and an audit trail',
    )
    .option('--yes', 'do not ask for confirmation (needed when not on a terminal)')
    .option('--resume', 'carry on an interrupted apply of the plan (re-running apply does the same)')
    .option('--override-safety', 'apply a plan the safety limits blocked (a mass removal)')
    .option('--hold <seconds>', 'how long to keep polling invitations once only they are left', Number, 30)
    .option('--json', 'print the result as JSON')
    .action(async (planArg: string | undefined, flags: ApplyFlags, command: Command) => {
      const out = createOutput({ json: flags.json ?? false });
      const [{ applyPlan, findPlan }, { opLine, printApplyCounts }] = await Promise.all([app(), render()]);
      const result = await withRoster(command, async (roster) => {
        const plan = await findPlan(roster, planArg, { resume: flags.resume ?? false });
        const yes = flags.yes ?? (await confirm(plan.id, plan.summary as PlanSummary));
        return applyPlan(roster, {
          plan: plan.id,
          yes,
          resume: flags.resume ?? false,
          overrideSafety: flags.overrideSafety ?? false,
          waits: { holdMs: flags.hold * 1000 },
          onOp: (r) => out.line(opLine(r)),
        });
      });
      out.line();
      out.line(`plan ${result.planId}: ${result.status}`);
      printApplyCounts(out, result);
      out.result(result);
      const failed = result.ops.filter((o) => o.state === 'failed').length;
      if (result.status === 'failed' || failed > 0) {
        out.warn(`${failed} op(s) failed; \`roster plan show ${result.planId}\` lists them`);
        setExitCode(ERROR_CODE_TABLE.unavailable.exit);
      } else if (result.status === 'tasks_open') {
        const open = result.ops.filter((o) => o.state === 'task_open').length;
        out.line(
          `\n${open} manual task(s) open: \`roster tasks\` says what to do; the next sync closes each one done.`,
        );
      } else if (result.status === 'applying') {
        out.line(`\nNot finished: some ops wait. Run \`roster apply ${result.planId} --resume\` later.`);
      }
    });

  program
    .command('approve [plan]')
    .description('approve ops of a plan that need a person to say yes (all of them, or --op SEQ...)')
    .option('--op <seq...>', 'only these ops (their seq numbers in the plan)')
    .requiredOption('--by <name>', 'who approves (recorded in the audit log)')
    .option('--json', 'print the approved ops as JSON')
    .action(
      async (
        planId: string | undefined,
        flags: { op?: string[]; by: string; json?: boolean },
        command: Command,
      ) => {
        const out = createOutput({ json: flags.json ?? false });
        const { approve, scimHoldOf } = await app();
        const { done, hold } = await withRoster(
          command,
          async (roster) => {
            const done = await approve(roster, { plan: planId, seqs: flags.op?.map(toSeq) });
            return { done, hold: await scimHoldOf(roster, done.planId) };
          },
          { actor: flags.by },
        );
        out.result({ planId: done.planId, approved: done.approved, by: flags.by });
        out.line(`approved ${done.approved.length} op(s) of plan ${done.planId} as ${flags.by}`);
        // A removal the SCIM facade held is not applied: releasing it (what this approval did, as
        // `roster scim release` does) lets it run on the IdP's retry.
        out.line(
          hold
            ? `\nPlan ${done.planId} is a removal the SCIM facade held: it is released (as \`roster scim release ${done.planId}\` does) and runs when the IdP retries; nothing to apply. \`roster scim holds --all\` follows it.`
            : `\nNext: \`roster apply ${done.planId}\`.`,
        );
      },
    );

  program
    .command('tasks')
    .description('manual tasks: what a person must do in an app whose API cannot')
    .option('--all', 'closed tasks too')
    .option('--app <id>', 'only this app')
    .option('--json', 'print the tasks as JSON')
    .action(async (flags: { all?: boolean; app?: string; json?: boolean }, command: Command) => {
      const out = createOutput({ json: flags.json ?? false });
      const { listTasks } = await app();
      const tasks = await withRoster(command, (roster) =>
        listTasks(roster, {
          all: flags.all ?? false,
          ...(flags.app ? { appId: roster.app(flags.app).id } : {}),
        }),
      );
      out.result(tasks);
      if (tasks.length === 0) out.line(flags.all ? 'no tasks' : 'no open tasks');
      out.table(tasks.map((t) => [t.status, t.appId, t.kind, t.instructions]));
    });

  program
    .command('audit')
    .description('the audit log, oldest first; --verify proves the hash chain unbroken')
    .option('--person <email>', 'only events about this person')
    .option('--app <id>', 'only events in this app')
    .option('--verify', 'walk the whole hash chain and fail if any link is broken')
    .option('--json', 'print the events as JSON')
    .action(
      async (
        flags: { person?: string; app?: string; verify?: boolean; json?: boolean },
        command: Command,
      ) => {
        const out = createOutput({ json: flags.json ?? false });
        const { readAudit } = await app();
        const { events, verification } = await withRoster(command, (roster) =>
          readAudit(roster, {
            ...(flags.person ? { person: flags.person } : {}),
            ...(flags.app ? { appId: roster.app(flags.app).id } : {}),
            verify: flags.verify ?? false,
          }),
        );
        out.result({ events, ...(verification ? { verification } : {}) });
        for (const e of events) {
          out.line(
            `${e.seq}  ${e.at}  ${e.actor}  ${e.kind}  ${e.appId ?? '-'}  ${e.subject ?? ''}  ${summary(e)}`,
          );
        }
        if (verification?.ok) out.line(`audit chain verified: ${verification.count} events, unbroken`);
        if (verification && !verification.ok) {
          out.warn(`audit chain BROKEN at event ${verification.brokenAt}: ${verification.reason}`);
          setExitCode(ERROR_CODE_TABLE.conflict.exit);
        }
      },
    );
}

const toSeq = (s: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) {
    throw new RosterError('invalid_input', `"${s}" is not an op number`, {
      where: '--op',
      fix: 'give seq numbers',
    });
  }
  return n;
};

async function confirm(planId: string, summary: PlanSummary): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new RosterError(
      'invalid_input',
      'apply changes the apps; not on a terminal, so it cannot ask first',
      {
        fix: 'pass --yes to apply without asking',
      },
    );
  }
  const { countText } = await render();
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const counts = Object.entries(summary.byApp ?? {})
      .map(([app, c]) => `  ${app}: ${countText(c)}`)
      .join('\n');
    const answer = await rl.question(
      `Plan ${planId}: ${summary.total} ops\n${counts}\nApply it to the apps? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer.trim())) throw new RosterError('invalid_input', 'apply cancelled');
    return true;
  } finally {
    rl.close();
  }
}

function summary(e: AuditEvent): string {
  const d = e.data;
  const parts = [d.ref, d.error].filter((x) => typeof x === 'string');
  return parts.join('  ');
}

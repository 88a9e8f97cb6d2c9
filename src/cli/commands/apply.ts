/** @module `roster apply`, `approve`, `tasks` and `audit`: carry out a saved plan, approve its ops, follow up. */

import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { ERROR_CODE_TABLE, RosterError } from '../../core/errors.js';
import { type ApplyResult, applyPlan, type OpReport } from '../../reconcile/apply/index.js';
import { openStore } from '../../store/open.js';
import type { AuditEvent, Store } from '../../store/store.js';
import { createOutput, type Output, setExitCode } from '../output.js';

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
      'carry out a saved plan (default: the latest) with approvals, verification and an audit trail',
    )
    .option('--yes', 'do not ask for confirmation (needed when not on a terminal)')
    .option('--resume', 'carry on an interrupted apply of the plan (re-running apply does the same)')
    .option('--override-safety', 'apply a plan the safety limits blocked (a mass removal)')
    .option('--hold <seconds>', 'how long to keep polling invitations once only they are left', Number, 30)
    .option('--json', 'print the result as JSON')
    .action(async (planArg: string | undefined, flags: ApplyFlags, command: Command) => {
      const out = createOutput({ json: flags.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const store = await openStore(config.store);
      try {
        const planId = planArg ?? (await latestPlan(store, flags.resume ?? false));
        const yes = flags.yes ?? (await confirm(planId));
        const result = await runApply(config, store, {
          planId,
          yes,
          resume: flags.resume ?? false,
          overrideSafety: flags.overrideSafety ?? false,
          holdMs: flags.hold * 1000,
          out,
        });
        out.result(result);
        if (result.status === 'failed') setExitCode(ERROR_CODE_TABLE.unavailable.exit);
      } finally {
        await store.close();
      }
    });

  program
    .command('approve <plan>')
    .description('approve ops of a plan that need a person to say yes (all of them, or --op SEQ...)')
    .option('--op <seq...>', 'only these ops (their seq numbers in the plan)')
    .requiredOption('--by <name>', 'who approves (recorded in the audit log)')
    .option('--json', 'print the approved ops as JSON')
    .action(
      async (planId: string, flags: { op?: string[]; by: string; json?: boolean }, command: Command) => {
        const out = createOutput({ json: flags.json ?? false });
        const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
        const store = await openStore(config.store);
        try {
          const approved = await approvePlan(store, { planId, by: flags.by, seqs: flags.op?.map(toSeq) });
          out.result({ planId, approved: approved.map((o) => o.seq), by: flags.by });
          out.line(`approved ${approved.length} op(s) of plan ${planId} as ${flags.by}`);
        } finally {
          await store.close();
        }
      },
    );

  program
    .command('tasks')
    .description('manual tasks: what a person must do in an app whose API cannot')
    .option('--all', 'closed tasks too')
    .option('--json', 'print the tasks as JSON')
    .action(async (flags: { all?: boolean; json?: boolean }, command: Command) => {
      const out = createOutput({ json: flags.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const store = await openStore(config.store);
      try {
        const tasks = await store.listTasks(flags.all ? {} : { status: 'open' });
        out.result(tasks);
        if (tasks.length === 0) out.line(flags.all ? 'no tasks' : 'no open tasks');
        out.table(tasks.map((t) => [t.status, t.appId, t.kind, t.instructions]));
      } finally {
        await store.close();
      }
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
        const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
        const store = await openStore(config.store);
        try {
          const events = await readAudit(store, flags);
          const verification = flags.verify ? await store.verifyAudit() : null;
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
        } finally {
          await store.close();
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

async function latestPlan(store: Store, resume: boolean): Promise<string> {
  const plans = resume ? await store.listPlans({ status: 'applying', limit: 1 }) : [];
  const plan = plans[0] ?? (await store.listPlans({ limit: 1 }))[0];
  if (!plan) throw new RosterError('not_found', 'there is no saved plan', { fix: 'run roster plan first' });
  return plan.id;
}

async function confirm(planId: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new RosterError(
      'invalid_input',
      'apply changes the apps; not on a terminal, so it cannot ask first',
      {
        fix: 'pass --yes to apply without asking',
      },
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`Apply plan ${planId} to the apps? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new RosterError('invalid_input', 'apply cancelled');
    return true;
  } finally {
    rl.close();
  }
}

/** Approves the ops of a plan that need it (all, or the given seqs) and audits who did. */
export async function approvePlan(
  store: Store,
  input: { planId: string; by: string; seqs?: number[] | undefined },
): Promise<{ seq: number }[]> {
  const pending = (await store.listOps({ planId: input.planId })).filter(
    (o) => o.requiresApproval && o.status === 'pending',
  );
  const seqs = input.seqs ?? pending.map((o) => o.seq);
  if (seqs.length === 0) return [];
  return store.transaction(async (tx) => {
    const approved = await tx.approveOps({ planId: input.planId, seqs, approvedBy: input.by });
    await tx.appendAudit({ actor: input.by, kind: 'plan.approved', subject: input.planId, data: { seqs } });
    return approved;
  });
}

/** Runs apply with the configured connectors, printing a line per op as it finishes and counts per app. */
export async function runApply(
  config: RosterConfig,
  store: Store,
  input: {
    planId: string;
    yes: boolean;
    resume?: boolean;
    overrideSafety?: boolean;
    holdMs?: number;
    actor?: string;
    out: Output;
  },
): Promise<ApplyResult> {
  const connectors: Record<string, Connector> = {};
  for (const app of config.apps) connectors[app.id] = connectorFor(app);
  try {
    const result = await applyPlan({
      store,
      config,
      planId: input.planId,
      connectors,
      actor: input.actor ?? process.env.USER ?? 'roster',
      yes: input.yes,
      resume: input.resume ?? false,
      overrideSafety: input.overrideSafety ?? false,
      waits: { holdMs: input.holdMs ?? 30_000 },
      onOp: (r) => input.out.line(opLine(r)),
    });
    input.out.line();
    input.out.line(`plan ${result.planId}: ${result.status}`);
    input.out.table(
      Object.entries(result.byApp).map(([app, counts]) => [
        app,
        Object.entries(counts)
          .map(([state, n]) => `${n} ${state.replace('_', ' ')}`)
          .join(', '),
      ]),
    );
    return result;
  } finally {
    await Promise.all(Object.values(connectors).map((c) => c.close()));
  }
}

function opLine(r: OpReport): string {
  const what = r.error ? `${r.text} — ${r.error}` : r.text;
  return `${r.state.padEnd(9)} ${String(r.seq).padStart(4)} ${r.appId} ${r.kind}: ${what}`;
}

async function readAudit(store: Store, flags: { person?: string; app?: string }): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await store.listAudit({ afterSeq, limit: 1000, ...(flags.app ? { appId: flags.app } : {}) });
    if (page.length === 0) break;
    events.push(...page);
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
  const person = flags.person?.toLowerCase();
  return person ? events.filter((e) => e.subject?.toLowerCase() === person) : events;
}

function summary(e: AuditEvent): string {
  const d = e.data;
  const parts = [d.ref, d.error].filter((x) => typeof x === 'string');
  return parts.join('  ');
}

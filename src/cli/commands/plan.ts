/** @module `roster plan`, `plan show` and `plans`: what the policy would change in each app, saved and shown. */

import type { Command } from 'commander';
import { ERROR_CODE_TABLE } from '../../core/errors.js';
import { renderPlan } from '../../reconcile/render.js';
import { createOutput, setExitCode } from '../output.js';
import { withRoster } from '../session.js';

// The core loads when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');

interface PlanOptions {
  app?: string[];
  person?: string;
  detailedExitcode?: boolean;
  json?: boolean;
}

/** `plan --detailed-exitcode`, as terraform: 0 nothing to change, 2 changes, 1 an error. */
const CHANGES_EXIT = 2;

export function registerPlanCommand(program: Command): void {
  const plan = program
    .command('plan')
    .description('work out what must change for the apps to hold what the policy says (changes nothing)')
    .option('--app <id...>', 'only these apps (ids from roster.yaml)')
    .option('--person <email|id>', "only this person's changes (provisioning on demand)")
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when something would, 1 on errors')
    .option('--json', 'print the plan as JSON')
    .action(async (options: PlanOptions, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { planChanges } = await app();
      const planned = await withRoster(command, (roster) =>
        planChanges(roster, { apps: options.app, person: options.person }),
      );
      out.result({
        id: planned.plan.id,
        stateHash: planned.plan.stateHash,
        summary: planned.summary,
        ...planned.body,
      });
      out.line(renderPlan(planned.body, { id: planned.plan.id, stateHash: planned.plan.stateHash }));
      if (planned.body.errors.length > 0) {
        setExitCode(options.detailedExitcode ? 1 : ERROR_CODE_TABLE.invalid_input.exit);
      } else if (planned.body.ops.length > 0) {
        out.line(
          `\nNext: ${planned.summary.approvals > 0 ? `\`roster approve ${planned.plan.id}\`, then ` : ''}` +
            `\`roster apply ${planned.plan.id}\`.`,
        );
        if (options.detailedExitcode) setExitCode(CHANGES_EXIT);
      }
      if ((planned.body.skipped ?? []).length > 0 && !options.detailedExitcode) {
        setExitCode(ERROR_CODE_TABLE.unavailable.exit);
      }
    });

  plan
    .command('show [plan]')
    .description(
      'show a saved plan (id, a unique prefix or suffix of it, or latest) with the state of each op',
    )
    .option('--json', 'print the plan as JSON')
    .action(async (ref: string | undefined, _options: { json?: boolean }, command: Command) => {
      // `plan` has --json too, and takes the flag wherever it stands: read it from either.
      const out = createOutput({ json: command.optsWithGlobals<{ json?: boolean }>().json ?? false });
      const { showPlan } = await app();
      const shown = await withRoster(command, (roster) => showPlan(roster, ref));
      out.result(shown);
      out.line(`plan ${shown.plan.id}: ${shown.plan.status}, created ${shown.plan.createdAt}`);
      out.line(renderPlan(shown.body, { id: shown.plan.id, stateHash: shown.plan.stateHash }));
      const states: Record<string, number> = {};
      for (const op of shown.ops) states[op.status] = (states[op.status] ?? 0) + 1;
      out.line(
        `ops: ${Object.entries(states)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ')}`,
      );
    });

  program
    .command('plans')
    .description('the saved plans made from the policy, newest first')
    .option('--limit <n>', 'how many', Number, 20)
    .option('--facade', "the SCIM facade's plans instead: one per IdP write")
    .option('--json', 'print the plans as JSON')
    .action(async (options: { limit: number; facade?: boolean; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const { listPlans } = await app();
      const facade = options.facade ?? false;
      const plans = await withRoster(command, (roster) =>
        listPlans(roster, { limit: options.limit, facade }),
      );
      out.result(plans.map(({ body: _body, ...plan }) => plan));
      if (plans.length === 0)
        out.line(facade ? 'No IdP write through the SCIM facade yet.' : 'No saved plans: run `roster plan`.');
      out.table(
        plans.map((p) => [
          p.id,
          p.createdAt,
          p.status,
          `${String(p.summary.total ?? 0)} ops`,
          p.summary.approvals ? `${String(p.summary.approvals)} need approval` : '',
          p.summary.blocked ? 'BLOCKED' : '',
        ]),
      );
    });
}

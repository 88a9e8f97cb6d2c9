/** @module `roster plan`: compute what the policy would change in each app, save it, and show it. */

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import { ERROR_CODE_TABLE, RosterError } from '../../core/errors.js';
import { computePlan } from '../../reconcile/plan.js';
import { renderPlan } from '../../reconcile/render.js';
import { openStore } from '../../store/open.js';
import { createOutput, setExitCode } from '../output.js';

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('work out what must change for the apps to hold what the policy says (changes nothing)')
    .option('--app <id...>', 'only these apps (ids from roster.yaml)')
    .option('--json', 'print the plan as JSON')
    .action(async (options: { app?: string[]; json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const known = new Set(config.apps.map((a) => a.id));
      for (const id of options.app ?? []) {
        if (!known.has(id)) {
          throw new RosterError('invalid_input', `no app "${id}" in roster.yaml`, {
            where: '--app',
            fix: `use one of: ${[...known].join(', ')}`,
          });
        }
      }
      // Building a connector makes no request: only its manifest (what the API can do) is read here.
      const manifests: Record<string, CapabilityManifest> = {};
      for (const app of config.apps) {
        const connector = connectorFor(app);
        manifests[app.id] = connector.manifest;
        await connector.close();
      }
      const store = await openStore(config.store);
      try {
        const planned = await computePlan({
          store,
          config,
          manifests,
          now: new Date(),
          ...(options.app ? { apps: options.app } : {}),
        });
        out.result({
          id: planned.plan.id,
          stateHash: planned.plan.stateHash,
          summary: planned.summary,
          ...planned.body,
        });
        out.line(renderPlan(planned.body, { id: planned.plan.id, stateHash: planned.plan.stateHash }));
        if (planned.body.errors.length > 0) setExitCode(ERROR_CODE_TABLE.invalid_input.exit);
      } finally {
        await store.close();
      }
    });
}

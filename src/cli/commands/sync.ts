/** @module `roster sync` and `roster connectors`: pull every app into the store; show what each connector can do. */

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ERROR_CODE_TABLE, type ErrorCode } from '../../core/errors.js';
import { createOutput, setExitCode } from '../output.js';
import { createProgressBoard } from '../progress.js';
import { configPath, loadCommandConfig, withRoster } from '../session.js';

interface SyncOptions {
  app?: string[];
  full?: boolean;
  skipInvalid?: boolean;
  forceImport?: boolean;
  acceptDrop?: boolean;
  json?: boolean;
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description("pull every app's accounts, groups, teams, roles and courses into the store")
    .option('--app <id...>', 'only these apps (ids from roster.yaml)')
    .option('--full', 'list everything, even where the app can list changes only')
    .option('--skip-invalid', 'import the valid rows of the HR export and list the invalid ones')
    .option('--force-import', 'import the HR export even when the drop guard would refuse it')
    .option(
      '--accept-drop',
      "commit even a sync that removes more of an app's accounts than apps[].sync.maxDropShare",
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: SyncOptions, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      // The core and the renderers load when the command runs, not for `roster --help`.
      const [{ syncApps }, { printGraphSummary, printImport, printSyncResults }] = await Promise.all([
        import('../../app/index.js'),
        import('../render.js'),
      ]);
      const board = out.json ? null : createProgressBoard();
      const result = await withRoster(command, (roster) =>
        syncApps(roster, {
          apps: options.app,
          full: options.full,
          acceptDrop: options.acceptDrop ?? false,
          people: { skipInvalid: options.skipInvalid ?? false, force: options.forceImport ?? false },
          onProgress: (p) =>
            board?.update(p.appId, {
              label: p.appId,
              done: p.items,
              total: p.phase === 'accounts' ? p.total : null,
              detail: `${p.phase}  ${p.requests} ${p.requests === 1 ? 'request' : 'requests'}${p.retries ? `, ${p.retries} retries` : ''}`,
              finished: false,
            }),
        }),
      );
      for (const r of result.apps) {
        board?.update(r.appId, {
          label: r.appId,
          done: r.counts.accounts,
          total: r.status === 'succeeded' ? r.counts.accounts : null,
          detail: r.status === 'succeeded' ? `done, ${r.requests.total} requests` : 'FAILED',
          finished: true,
        });
      }
      board?.finish();
      if (result.import) printImport(out, result.import);
      printSyncResults(out, result.apps);
      if (result.tasksClosed.length > 0) {
        out.line(`\n${result.tasksClosed.length} manual task(s) now done and closed`);
      }
      out.line('\nIdentity graph:');
      printGraphSummary(out, result.graph.summary);
      out.result({
        import: result.import,
        apps: result.apps,
        tasksClosed: result.tasksClosed.length,
        graph: result.graph.summary,
      });
      const failed = result.apps.find((r) => r.status === 'failed');
      if (failed) setExitCode(ERROR_CODE_TABLE[(failed.error?.code ?? 'internal') as ErrorCode]?.exit ?? 1);
      else
        out.line(
          '\nNext: `roster report` for what is wrong, `roster plan` for what the policy would change.',
        );
    });

  program
    .command('connectors')
    .description("what each configured app's connector can do, and why it cannot do the rest")
    .option('--json', 'print the manifests as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const [{ connectorCatalogue, connectorFor }, { printManifest, printManifestOf }] = await Promise.all([
        import('../../connectors/registry.js'),
        import('../render.js'),
      ]);
      if (!existsSync(configPath(command))) {
        // No roster.yaml yet: what each kind of app can do, to choose from before writing one.
        const catalogue = connectorCatalogue();
        out.result(catalogue);
        out.line(
          `No ${configPath(command)} here: the connectors Roster has (\`roster init\` writes a roster.yaml).\n`,
        );
        for (const c of catalogue) printManifestOf(out, c.type, c.title, c.manifest);
        return;
      }
      const config = await loadCommandConfig(command);
      // Building a connector makes no request: only its manifest is read.
      const connectors = config.apps.map((app) => connectorFor(app));
      try {
        out.result(connectors.map((c) => ({ app: c.appId, ...c.manifest })));
        for (const c of connectors) printManifest(out, c);
      } finally {
        await Promise.all(connectors.map((c) => c.close()));
      }
    });
}

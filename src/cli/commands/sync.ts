/** @module `roster sync` and `roster connectors`: pull every app into the store; show what each connector can do. */

import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { AppConfig, RosterConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import { ERROR_CODE_TABLE, type ErrorCode, RosterError } from '../../core/errors.js';
import { closeSatisfiedTasks } from '../../reconcile/apply/tasks.js';
import { openStore } from '../../store/open.js';
import { type AppSyncResult, syncApps } from '../../sync/sync.js';
import { createOutput, type Output, setExitCode } from '../output.js';
import { createProgressBoard } from '../progress.js';
import { runImport } from './people.js';

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
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      // People first: a refused import (bad rows, a truncated export) stops here, before any app is read.
      const imported = await runImport(config, {
        skipInvalid: options.skipInvalid ?? false,
        force: options.forceImport ?? false,
        out,
      });
      out.line();
      const results = await runSync(config, {
        apps: options.app,
        full: options.full,
        acceptDrop: options.acceptDrop,
        out,
      });
      out.result({ import: imported, apps: results });
      const failed = results.find((r) => r.status === 'failed');
      if (failed) setExitCode(ERROR_CODE_TABLE[(failed.error?.code ?? 'internal') as ErrorCode]?.exit ?? 1);
    });

  program
    .command('connectors')
    .description("what each configured app's connector can do, and why it cannot do the rest")
    .option('--json', 'print the manifests as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const out = createOutput({ json: options.json ?? false });
      const config = await loadConfig(command.optsWithGlobals<{ config: string }>().config);
      const connectors = config.apps.map((app) => connectorFor(app));
      try {
        out.result(connectors.map((c) => ({ app: c.appId, ...c.manifest })));
        for (const c of connectors) printManifest(out, c);
      } finally {
        await Promise.all(connectors.map((c) => c.close()));
      }
    });
}

interface SyncOptions {
  app?: string[];
  full?: boolean;
  skipInvalid?: boolean;
  forceImport?: boolean;
  acceptDrop?: boolean;
  json?: boolean;
}

/** Sync the configured apps (or some of them) with live progress; used by `sync` and `demo`. */
export async function runSync(
  config: RosterConfig,
  options: {
    apps?: string[] | undefined;
    full?: boolean | undefined;
    acceptDrop?: boolean | undefined;
    out: Output;
  },
): Promise<AppSyncResult[]> {
  const apps = selectApps(config.apps, options.apps);
  const store = await openStore(config.store);
  const connectors = apps.map((app) => connectorFor(app));
  const board = options.out.json ? null : createProgressBoard();
  try {
    const results = await syncApps({
      store,
      connectors,
      full: options.full,
      acceptDrop: options.acceptDrop,
      configPaths: Object.fromEntries(config.apps.map((app, i) => [app.id, `apps[${i}]`])),
      onProgress: (p) =>
        board?.update(p.appId, {
          label: p.appId,
          done: p.items,
          total: p.phase === 'accounts' ? p.total : null,
          detail: `${p.phase}  ${p.requests} requests${p.retries ? `, ${p.retries} retries` : ''}`,
          finished: false,
        }),
    });
    for (const r of results) {
      board?.update(r.appId, {
        label: r.appId,
        done: r.counts.accounts,
        total: r.status === 'succeeded' ? r.counts.accounts : null,
        detail: r.status === 'succeeded' ? `done, ${r.requests.total} requests` : 'FAILED',
        finished: true,
      });
    }
    board?.finish();
    printResults(options.out, results);
    // A manual task whose change this sync shows done (the account now exists, is gone...) closes itself.
    const closed = await closeSatisfiedTasks({ store });
    if (closed.length > 0) options.out.line(`\n${closed.length} manual task(s) now done and closed`);
    return results;
  } finally {
    await Promise.all(connectors.map((c) => c.close()));
    await store.close();
  }
}

function selectApps(apps: readonly AppConfig[], wanted: string[] | undefined): AppConfig[] {
  if (!wanted || wanted.length === 0) return [...apps];
  const known = new Map(apps.map((a) => [a.id, a]));
  return wanted.map((id) => {
    const app = known.get(id);
    if (!app) {
      throw new RosterError('invalid_input', `no app "${id}" in roster.yaml`, {
        where: '--app',
        fix: `use one of: ${[...known.keys()].join(', ')}`,
      });
    }
    return app;
  });
}

function printResults(out: Output, results: readonly AppSyncResult[]): void {
  out.line();
  out.table([
    ['app', 'status', 'mode', 'accounts', 'entitlements', 'grants', 'requests', 'retries', '429s', 'time'],
    ...results.map((r) => [
      r.appId,
      r.status === 'succeeded'
        ? r.resumed
          ? 'ok (resumed)'
          : r.startedOver
            ? 'ok (started over)'
            : 'ok'
        : 'FAILED',
      r.mode,
      String(r.counts.accounts),
      String(r.counts.entitlements),
      String(r.counts.grants),
      String(r.requests.total),
      String(r.requests.retries),
      String(r.requests.rateLimited),
      `${(r.durationMs / 1000).toFixed(1)}s`,
    ]),
  ]);
  for (const r of results) {
    if (r.startedOver) {
      const { stagedAgeMinutes, limitMinutes } = r.startedOver;
      out.line(
        `\n${r.appId}: an interrupted sync's pages were ${stagedAgeMinutes} minutes old (limit ${limitMinutes}); read everything again`,
      );
    }
    if (r.error) out.line(`\n${r.appId}: ${r.error.message}${r.error.fix ? `\n  fix: ${r.error.fix}` : ''}`);
  }
}

function printManifest(out: Output, connector: Connector): void {
  const m = connector.manifest;
  const yes = (ok: boolean) => (ok ? 'yes' : 'no');
  out.line(`${connector.appId} (${connector.title})${m.incremental ? ', incremental sync' : ''}`);
  out.table(
    Object.entries(m.accounts).map(([capability, ok]) => [
      `accounts.${capability}`,
      yes(ok),
      m.notes[capability as keyof typeof m.notes] ?? '',
    ]),
    4,
  );
  for (const [kind, caps] of Object.entries(m.entitlements)) {
    out.table(
      Object.entries(caps ?? {}).map(([capability, ok]) => [`${kind}.${capability}`, yes(ok)]),
      4,
    );
  }
  out.line();
}

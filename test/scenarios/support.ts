/** @module Scenario test support: one sandbox, an HR file and a policy, driven through the real `roster` CLI. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { jsonData, roster } from '../../src/cli/testkit.js';
import type { SeedAppType } from '../../src/core/types.js';
import type { ApplyResult } from '../../src/reconcile/apply/index.js';
import type { PlanBody, PlanSummary } from '../../src/reconcile/plan.js';
import { hrToCsv } from '../../src/sandbox/company.js';
import { sandboxAppConfig } from '../../src/sandbox/fleet.js';
import type { HrRecord, SampleCompany } from '../../src/sandbox/kit/company.js';
import { type RequestLogEntry, type SandboxHandle, startSandbox } from '../../src/sandbox/kit/server.js';
import { SANDBOXES } from '../../src/sandbox/registry.js';
import type { AppSyncResult } from '../../src/sync/sync.js';

/** One row of the HR export; unnamed columns get neutral defaults. */
export function hrRow(
  employeeId: string,
  email: string,
  first: string,
  last: string,
  extra: Partial<HrRecord> = {},
): HrRecord {
  return {
    employee_id: employeeId,
    email,
    first_name: first,
    last_name: last,
    status: 'active',
    department: 'Engineering',
    title: 'Engineer',
    manager_email: '',
    start_date: '2024-01-02',
    end_date: '',
    aliases: '',
    idp_id: '',
    ...extra,
  };
}

/** No safety limit or approval gets in a scenario's way unless the scenario asks for one. */
export const OPEN_SAFETY = {
  maxDeactivations: { count: null, share: null },
  approval: { delete: false, privileged: false, opsPerApp: 10_000 },
};

export type PlanJson = PlanBody & { id: string; stateHash: string; summary: PlanSummary };

export interface Scenario<State> {
  sandbox: SandboxHandle<State>;
  dir: string;
  /** Rewrites the HR file (the next `sync` imports it). */
  writeHr(records: readonly HrRecord[]): void;
  /** Rewrites roster.yaml with this policy (and extra fields on the app entry). */
  writePolicy(policy: Record<string, unknown>, app?: Record<string, unknown>): void;
  /** `roster ...` against this scenario's roster.yaml, in-process. */
  run(...args: string[]): ReturnType<typeof roster>;
  /** `roster sync --json` (import + sync + close finished tasks) then `roster graph`: both must succeed. */
  sync(...flags: string[]): Promise<AppSyncResult>;
  /** `roster plan --json`. */
  plan(): Promise<PlanJson>;
  /** `roster apply <plan> --yes --hold <seconds> --json` (default: no polling of invitations). */
  apply(planId: string, holdSeconds?: number): Promise<ApplyResult>;
  /** Requests the sandbox received (the app's API only, never the admin API). */
  requests(): RequestLogEntry[];
  close(): Promise<void>;
}

/** Starts `app`'s sandbox on `company` and writes an HR file and a roster.yaml pointing at it. */
export async function startScenario<State>(input: {
  app: SeedAppType;
  company: SampleCompany;
  hr: readonly HrRecord[];
  policy: Record<string, unknown>;
  appConfig?: Record<string, unknown>;
}): Promise<Scenario<State>> {
  const sandbox = (await startSandbox(SANDBOXES[input.app], {
    seed: 1,
    company: input.company,
    profile: 'clean',
  })) as SandboxHandle<State>;
  const dir = mkdtempSync(join(tmpdir(), `roster-scenario-${input.app}-`));
  const config = join(dir, 'roster.yaml');
  const writeHr = (records: readonly HrRecord[]) => writeFileSync(join(dir, 'hr.csv'), hrToCsv(records));
  const writePolicy = (policy: Record<string, unknown>, app: Record<string, unknown> = {}) =>
    writeFileSync(
      config,
      stringify({
        store: 'sqlite:./roster.db',
        // A scenario's company is a handful of people: one leaver is already over the default drop guard.
        source: { type: 'csv', path: 'hr.csv', maxDropShare: 1 },
        domains: { primary: input.company.domain },
        apps: [{ ...sandboxAppConfig(sandbox as SandboxHandle), ...input.appConfig, ...app }],
        policy,
      }),
    );
  writeHr(input.hr);
  writePolicy(input.policy);
  const run = (...args: string[]) => roster('-c', config, ...args);
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run(...args, '--json');
    expect(result.stderr, `roster ${args.join(' ')}`).toBe('');
    return jsonData(result.stdout) as T;
  };
  return {
    sandbox,
    dir,
    writeHr,
    writePolicy,
    run,
    async sync(...flags) {
      const synced = await json<{ apps: AppSyncResult[] }>(['sync', ...flags]);
      const [result] = synced.apps ?? [];
      expect(synced.apps, JSON.stringify(synced)).toBeDefined();
      expect(result?.status, result?.error?.message).toBe('succeeded');
      const graph = await run('graph', '--json');
      expect(graph.code, graph.stderr).toBe(0);
      return result as AppSyncResult;
    },
    plan: () => json<PlanJson>(['plan']),
    apply: (planId, holdSeconds = 0) =>
      json<ApplyResult>(['apply', planId, '--yes', '--hold', String(holdSeconds)]),
    requests: () => sandbox.requests(),
    close: () => sandbox.close(),
  };
}

/** `METHOD path` of each logged request, query string dropped, for asserting what was sent. */
export function calls(log: readonly RequestLogEntry[]): string[] {
  return log.map((e) => `${e.method} ${decodeURIComponent(e.url.split('?')[0] ?? '')}`);
}

/** The plan's ops as `kind ref` lines, the shape assertions read best in. */
export function opsOf(plan: PlanJson): string[] {
  return plan.ops.map((o) => `${o.kind} ${o.ref}`);
}

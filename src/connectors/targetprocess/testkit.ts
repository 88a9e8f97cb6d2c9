/** @module Test support: a Targetprocess sandbox with the sample company and a connector pointed at it. */

import type { AppConfigOf } from '../../config/schema.js';
import type { PlantedAccount, SampleCompany } from '../../sandbox/kit/company.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../../sandbox/kit/server.js';
import type { TargetprocessState } from '../../sandbox/targetprocess/index.js';
import { targetprocessSandbox } from '../../sandbox/targetprocess/sandbox.js';
import { manyAccounts, sampleCompany } from '../../sandbox/targetprocess/testkit.js';
import { type Connector, type CreateConnectorOptions, createConnector } from '../sdk/index.js';
import { testHttp } from '../sdk/testkit.js';
import { targetprocessConnector } from './connector.js';

export type TpSandbox = SandboxHandle<TargetprocessState>;

/**
 * The sandbox's five-account company (admin Ada #1, Jane #2 in two teams, inactive Ivan #3, soft-deleted
 * Leo #4, o'brien #5) plus `extra` plain developers, each in Alpha Team and every third also in Beta Team.
 */
export function company(extra = 0): SampleCompany {
  const people: PlantedAccount[] = manyAccounts(extra).map((a, i) => ({
    ...a,
    groups: i % 3 === 0 ? ['Alpha Team', 'Beta Team'] : ['Alpha Team'],
  }));
  return sampleCompany(people);
}

export function configFor(
  sandbox: TpSandbox,
  overrides: Partial<AppConfigOf<'targetprocess'>> = {},
): AppConfigOf<'targetprocess'> {
  return {
    id: 'tp',
    type: 'targetprocess',
    baseUrl: sandbox.baseUrl,
    auth: { type: 'bearer', token: sandbox.credentials.token },
    sso: false,
    ...overrides,
  };
}

export function connectorFor(
  sandbox: TpSandbox,
  overrides: Partial<AppConfigOf<'targetprocess'>> = {},
  options: Omit<CreateConnectorOptions, 'http'> = {},
): Connector {
  return createConnector(targetprocessConnector, configFor(sandbox, overrides), {
    ...options,
    http: testHttp(sandbox),
  });
}

export async function startTp(
  options: SandboxOptions = {},
): Promise<{ sandbox: TpSandbox; connector: Connector; close(): Promise<void> }> {
  const sandbox = await startSandbox(targetprocessSandbox, { seed: 11, company: company(), ...options });
  const connector = connectorFor(sandbox);
  return {
    sandbox,
    connector,
    close: async () => {
      await connector.close();
      await sandbox.close();
    },
  };
}

/** Changes a sandbox reading through its admin API (sso, excludeDeletedByDefault, isoDates). */
export async function setSettings(sandbox: TpSandbox, settings: Record<string, boolean>): Promise<void> {
  await fetch(`${sandbox.origin}/__admin/targetprocess/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
}

/** The API requests (path without /api/v1, query decoded) the sandbox logged, for assertions. */
export function apiRequests(sandbox: TpSandbox) {
  return sandbox.requests().map((r) => {
    const url = new URL(r.url, sandbox.origin);
    return {
      method: r.method,
      path: url.pathname.replace(/^\/api\/v1/, ''),
      query: url.searchParams,
      body: r.body,
      status: r.status,
    };
  });
}

/** The record without the payload it came from (`raw`), for comparing what two reads mapped. */
export function strip<T extends object>(item: T): Omit<T, 'raw'> {
  const { raw: _raw, ...rest } = item as T & { raw?: unknown };
  return rest;
}

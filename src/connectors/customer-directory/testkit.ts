/** @module Test support for the customer-directory connector: a sandbox, a connector pointed at it, full reads. */

import type { AppConfigOf } from '../../config/schema.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import { customerDirectorySandbox } from '../../sandbox/customer-directory/sandbox.js';
import type { CdState } from '../../sandbox/customer-directory/state.js';
import { account, company } from '../../sandbox/customer-directory/testkit.js';
import type { SampleCompany } from '../../sandbox/kit/company.js';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { type SandboxHandle, startSandbox } from '../../sandbox/kit/server.js';
import type { HttpLogger } from '../http/index.js';
import { readGrants } from '../sdk/contract.testkit.js';
import { createConnector } from '../sdk/create.js';
import { grantKey, readAll } from '../sdk/paging.js';
import { testHttp } from '../sdk/testkit.js';
import type { Connector, WithRaw } from '../sdk/types.js';
import { customerDirectoryConnector } from './connector.js';

export type CdConfig = AppConfigOf<'customer-directory'>;

export function configFor(sandbox: SandboxHandle<CdState>, overrides: Partial<CdConfig> = {}): CdConfig {
  return {
    id: 'directory',
    type: 'customer-directory',
    baseUrl: sandbox.baseUrl,
    auth: { type: 'bearer', token: sandbox.credentials.token },
    customerId: sandbox.credentials.tenant ?? '',
    integration: 'okta',
    // The role and group names, as `roster sandbox start` writes them (the guide has no list of either).
    ...(sandbox.appConfig() as Partial<CdConfig>),
    ...overrides,
  };
}

export function connectorFor(
  config: CdConfig,
  upstream?: { faults(): { hang: number } },
  logger?: HttpLogger,
): Connector {
  return createConnector(customerDirectoryConnector, config, {
    http: testHttp(upstream),
    ...(logger ? { logger } : {}),
  });
}

/** The guide's paths (ids as in requestCounts): what the connector may send with every option off. */
export const DOCUMENTED_PATHS = [
  'GET /api/v1/customers/{customerId}/users',
  'GET /api/v1/customers/{customerId}/users/lookup',
  'GET /api/v1/customers/{customerId}/users/{userId}',
  'PATCH /api/v1/customers/{customerId}/users/{userId}',
  'PATCH /api/v2/customers/{customerId}/users/{userId}',
  'DELETE /api/v1/customers/{customerId}/users/{userId}',
];

/**
 * A small company: two plain active users first (the contract deletes the first and grants to the next),
 * a super delegate with the Admin role, an inactive Manager in a group, and a pending invite.
 */
export function smallCompany(): SampleCompany {
  return company(
    [
      account('ana', { department: 'Sales', title: 'Account Executive' }),
      account('bo', { externalId: '00ubo' }),
      account('cy', { admin: true, role: 'Admin', groups: ['Engineering'] }),
      account('dee', { state: 'inactive', role: 'Manager', groups: ['Engineering', 'Sales'] }),
      account('eve', { state: 'invited', role: 'Member' }),
    ],
    ['Manager', 'Member'],
    ['Engineering', 'Sales'],
  );
}

/** `n` users; every seventh a super delegate with Admin, the rest spread over two roles and two groups. */
export function bigCompany(n: number): SampleCompany {
  const accounts = Array.from({ length: n }, (_, i) =>
    account(`user${i}`, {
      admin: i % 7 === 0,
      role: i % 7 === 0 ? 'Admin' : i % 2 === 0 ? 'Manager' : null,
      groups: i % 3 === 0 ? [] : [i % 3 === 1 ? 'Engineering' : 'Sales'],
      state: i % 11 === 0 ? 'inactive' : i % 13 === 0 ? 'invited' : 'active',
      department: i % 5 === 0 ? null : 'Support',
    }),
  );
  return company(accounts, ['Manager', 'Member'], ['Engineering', 'Sales']);
}

export interface Started {
  sandbox: SandboxHandle<CdState>;
  connector: Connector;
  close(): Promise<void>;
}

export async function start(
  options: {
    seed?: number;
    company?: SampleCompany;
    profile?: FaultProfileName;
    config?: Partial<CdConfig>;
    /** Sandbox flags for undocumented endpoints (none by default, as the guide). */
    undocumented?: string[];
    logger?: HttpLogger;
  } = {},
): Promise<Started> {
  const sandbox = await startSandbox(customerDirectorySandbox, {
    seed: options.seed ?? 11,
    company: options.company ?? smallCompany(),
    ...(options.profile ? { profile: options.profile } : {}),
    undocumented: options.undocumented ?? [],
  });
  const connector = connectorFor(configFor(sandbox, options.config), sandbox, options.logger);
  return {
    sandbox,
    connector,
    close: async () => {
      await connector.close();
      await sandbox.close();
    },
  };
}

export interface FullRead {
  accounts: Account[];
  entitlements: Entitlement[];
  grants: Grant[];
}

const byId = <T extends { id: string }>(a: T, b: T) => a.id.localeCompare(b.id);

/** Every account, entitlement and grant, without `raw`, sorted: what a sync would store. */
export async function readEverything(connector: Connector): Promise<FullRead> {
  const withoutRaw = <T>({ raw: _raw, ...rest }: WithRaw<T>): T => rest as T;
  const accounts = (await readAll<WithRaw<Account>>(connector.accounts.list!, (a) => a.id)).map(withoutRaw);
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  for (const ops of Object.values(connector.entitlements)) {
    if (!ops) continue;
    entitlements.push(...(await readAll<WithRaw<Entitlement>>(ops.list, (e) => e.id)).map(withoutRaw));
    grants.push(...(await readGrants(connector, ops.kind)));
  }
  return {
    accounts: accounts.sort(byId),
    entitlements: entitlements.sort(byId),
    grants: grants.sort((a, b) => grantKey(a).localeCompare(grantKey(b))),
  };
}

/** Requests the sandbox logged, counted by method and path with ids and queries left out. */
export function requestCounts(sandbox: SandboxHandle<CdState>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of sandbox.requests()) {
    const path = request.url
      .split('?')[0]!
      .replace(/\/[0-9a-f]{24}(?=\/|$)/g, (_match, offset: number, whole: string) =>
        whole.slice(0, offset).endsWith('/customers') ? '/{customerId}' : '/{userId}',
      );
    const label = `${request.method} ${path}`;
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

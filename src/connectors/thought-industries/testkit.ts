/** @module Test helpers for the Thought Industries connector: a sandbox, a connector pointed at it, request counts. */

import type { AppConfigOf } from '../../config/schema.js';
import type { SampleCompany } from '../../sandbox/kit/company.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../../sandbox/kit/server.js';
import type { TiState } from '../../sandbox/thought-industries/index.js';
import { thoughtIndustriesSandbox } from '../../sandbox/thought-industries/index.js';
import type { HttpLogger } from '../http/index.js';
import { type CreateConnectorOptions, createConnector } from '../sdk/create.js';
import { testHttp } from '../sdk/testkit.js';
import type { Connector } from '../sdk/types.js';
import { thoughtIndustriesConnector } from './index.js';

export type TiConfig = AppConfigOf<'thought-industries'>;

export function configFor(sandbox: SandboxHandle<TiState>, overrides: Partial<TiConfig> = {}): TiConfig {
  return {
    id: 'ti',
    type: 'thought-industries',
    baseUrl: sandbox.baseUrl,
    auth: { type: 'api-key', key: sandbox.credentials.token, header: 'X-API-Key' },
    customFieldKeys: ['department', 'title'],
    // The group and course names, as `roster sandbox start` writes them (the guide has no list of either).
    ...(sandbox.appConfig() as Partial<TiConfig>),
    ...overrides,
  };
}

export function connectorFor(
  sandbox: SandboxHandle<TiState>,
  overrides: Partial<TiConfig> = {},
  logger?: HttpLogger,
  http: CreateConnectorOptions['http'] = {},
): Connector {
  return createConnector(thoughtIndustriesConnector, configFor(sandbox, overrides), {
    http: { ...testHttp(sandbox), ...http },
    ...(logger ? { logger } : {}),
  });
}

/** The paths of the guide (ids as `{id}`): what a connector may send with every undocumented option off. */
export const DOCUMENTED_PATHS = [
  'GET /incoming/api/v1/users',
  'GET /incoming/api/v1/users/{id}',
  'POST /incoming/api/v1/users',
  'PUT /incoming/api/v1/users/{id}',
  'DELETE /incoming/api/v1/users/{id}',
  'POST /incoming/api/v1/groups/{id}/users',
  'GET /incoming/api/v1/users/{id}/enrollments',
  'POST /incoming/api/v1/courses/{id}/enrollments',
  'POST /incoming/api/graphql',
];

export interface TiSetup {
  sandbox: SandboxHandle<TiState>;
  connector: Connector;
  close(): Promise<void>;
}

export async function startTiConnector(
  company: SampleCompany,
  options: Omit<SandboxOptions, 'company'> & {
    config?: Partial<TiConfig>;
    logger?: HttpLogger;
    http?: CreateConnectorOptions['http'];
  } = {},
): Promise<TiSetup> {
  const { config, logger, http, ...sandboxOptions } = options;
  const sandbox = await startSandbox(thoughtIndustriesSandbox, { seed: 7, ...sandboxOptions, company });
  const connector = connectorFor(sandbox, config, logger, http);
  return {
    sandbox,
    connector,
    close: async () => {
      await connector.close();
      await sandbox.close();
    },
  };
}

/** Requests the sandbox logged, as "METHOD /path" without the query, ids replaced by `{id}`. */
export function endpointsOf(sandbox: SandboxHandle<TiState>): string[] {
  return sandbox.requests().map((r) => {
    const path = r.url
      .split('?')[0]!
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}');
    return `${r.method} ${path}`;
  });
}

export function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
}

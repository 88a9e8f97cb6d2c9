/** @module Test helpers for the Thought Industries connector: a sandbox, a connector pointed at it, request counts. */

import type { AppConfigOf } from '../../config/schema.js';
import type { SampleCompany } from '../../sandbox/kit/company.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../../sandbox/kit/server.js';
import type { TiState } from '../../sandbox/thought-industries/index.js';
import { thoughtIndustriesSandbox } from '../../sandbox/thought-industries/index.js';
import { createConnector } from '../sdk/create.js';
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
    ...overrides,
  };
}

export function connectorFor(sandbox: SandboxHandle<TiState>, overrides: Partial<TiConfig> = {}): Connector {
  return createConnector(thoughtIndustriesConnector, configFor(sandbox, overrides), {
    http: testHttp(sandbox),
  });
}

export interface TiSetup {
  sandbox: SandboxHandle<TiState>;
  connector: Connector;
  close(): Promise<void>;
}

export async function startTiConnector(
  company: SampleCompany,
  options: Omit<SandboxOptions, 'company'> & { config?: Partial<TiConfig> } = {},
): Promise<TiSetup> {
  const { config, ...sandboxOptions } = options;
  const sandbox = await startSandbox(thoughtIndustriesSandbox, { seed: 7, ...sandboxOptions, company });
  const connector = connectorFor(sandbox, config);
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

/** @module Test support: a Process Street sandbox with a connector pointed at it, and request-log counting. */

import type { AppConfigOf } from '../../config/schema.js';
import type { SampleCompany } from '../../sandbox/kit/company.js';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { type RequestLogEntry, type SandboxHandle, startSandbox } from '../../sandbox/kit/server.js';
import { processStreetSandbox } from '../../sandbox/process-street/index.js';
import type { PsState } from '../../sandbox/process-street/state.js';
import { createConnector } from '../sdk/create.js';
import { testHttp } from '../sdk/testkit.js';
import type { Connector } from '../sdk/types.js';
import { processStreetConnector } from './connector.js';

export interface Started {
  sandbox: SandboxHandle<PsState>;
  connector: Connector;
  close(): Promise<void>;
}

export async function startProcessStreet(
  options: {
    seed?: number;
    company?: SampleCompany | null;
    profile?: FaultProfileName;
    privilegedRoles?: string[];
  } = {},
): Promise<Started> {
  const sandbox = await startSandbox(processStreetSandbox, {
    seed: options.seed ?? 1,
    company: options.company ?? null,
    profile: options.profile ?? 'clean',
  });
  const config: AppConfigOf<'process-street'> = {
    id: 'process-street',
    type: 'process-street',
    baseUrl: sandbox.baseUrl,
    auth: { type: 'bearer', token: sandbox.credentials.token },
    ...(options.privilegedRoles ? { privilegedRoles: options.privilegedRoles } : {}),
  };
  const connector = createConnector(processStreetConnector, config, { http: testHttp(sandbox) });
  return {
    sandbox,
    connector,
    close: async () => {
      await connector.close();
      await sandbox.close();
    },
  };
}

/** The path of a logged request without /api/v1 and its query, e.g. `/groups/grp_1/members`. */
export function pathOf(entry: RequestLogEntry): string {
  return entry.url.split('?')[0]!.replace(/^\/api\/v1/, '');
}

/** Logged requests of one method whose path matches. */
export function requestsTo(sandbox: SandboxHandle, method: string, path: RegExp): RequestLogEntry[] {
  return sandbox.requests().filter((entry) => entry.method === method && path.test(pathOf(entry)));
}

/** The query parameters a logged request carried. */
export function queryOf(entry: RequestLogEntry): Record<string, string> {
  return Object.fromEntries(new URL(entry.url, 'http://sandbox').searchParams);
}

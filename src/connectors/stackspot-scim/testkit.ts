/** @module Test support for the StackSpot SCIM connector: a sandbox and a connector pointed at it. */

import type { AppConfigOf } from '../../config/schema.js';
import { generateCompany } from '../../sandbox/company.js';
import type { SampleCompany } from '../../sandbox/kit/company.js';
import type { FaultProfileName } from '../../sandbox/kit/faults.js';
import { type SandboxHandle, startSandbox } from '../../sandbox/kit/server.js';
import { type SsState, stackspotScimSandbox } from '../../sandbox/stackspot-scim/index.js';
import { createConnector } from '../sdk/create.js';
import { testHttp } from '../sdk/testkit.js';
import type { Connector } from '../sdk/types.js';
import { stackspotScimConnector } from './connector.js';

export const SEED = 7;

export function sampleCompany(people = 60, seed = SEED): SampleCompany {
  return generateCompany({ seed, people });
}

export function configFor(
  sandbox: SandboxHandle<SsState>,
  overrides: Partial<AppConfigOf<'stackspot-scim'>> = {},
): AppConfigOf<'stackspot-scim'> {
  return {
    id: 'stackspot',
    type: 'stackspot-scim',
    baseUrl: sandbox.baseUrl,
    auth: { type: 'bearer', token: sandbox.credentials.token },
    tenantId: sandbox.credentials.tenant ?? '',
    ...overrides,
  };
}

export function connectorFor(
  sandbox: SandboxHandle<SsState>,
  overrides: Partial<AppConfigOf<'stackspot-scim'>> = {},
): Connector {
  return createConnector(stackspotScimConnector, configFor(sandbox, overrides), { http: testHttp(sandbox) });
}

export async function startStackspot(
  options: { company?: SampleCompany | null; profile?: FaultProfileName; seed?: number } = {},
): Promise<{ sandbox: SandboxHandle<SsState>; connector: Connector }> {
  const sandbox = await startSandbox(stackspotScimSandbox, {
    seed: options.seed ?? SEED,
    company: options.company === undefined ? sampleCompany() : options.company,
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return { sandbox, connector: connectorFor(sandbox) };
}

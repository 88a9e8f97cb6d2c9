/** @module Starts several sandboxes on one sample company and writes the roster.yaml that points at them. */

import { stringify } from 'yaml';
import { RosterError } from '../core/errors.js';
import { SEED_APP_TYPES, type SeedAppType } from '../core/types.js';
import { generateCompany } from './company.js';
import type { SampleCompany } from './kit/company.js';
import type { FaultProfileName } from './kit/faults.js';
import { type SandboxHandle, startSandbox } from './kit/server.js';
import { SANDBOXES } from './registry.js';

export interface FleetOptions {
  apps?: readonly SeedAppType[];
  profile?: FaultProfileName;
  seed?: number;
  /** Size of the sample company; ignored when `company` is given. */
  people?: number;
  company?: SampleCompany;
  /** First port to try; each app takes the next one. 0: any free port. */
  basePort?: number;
  /**
   * Undocumented conveniences to serve (src/sandbox/README.md): each flag goes to every sandbox that has it,
   * and a flag no started sandbox has is an error. None by default: the fleet answers what the guides document.
   */
  undocumented?: readonly string[];
}

export interface Fleet {
  company: SampleCompany;
  sandboxes: SandboxHandle[];
  get(app: SeedAppType): SandboxHandle;
  close(): Promise<void>;
}

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const seed = options.seed ?? 42;
  const company = options.company ?? generateCompany({ seed, people: options.people ?? 200 });
  const apps = options.apps ?? SEED_APP_TYPES;
  const flags = options.undocumented ?? [];
  const unknown = flags.filter((flag) => !apps.some((app) => flag in (SANDBOXES[app].undocumented ?? {})));
  if (unknown.length > 0) {
    const known = apps.flatMap((app) =>
      Object.keys(SANDBOXES[app].undocumented ?? {}).map((f) => `${f} (${app})`),
    );
    throw new RosterError(
      'invalid_input',
      `no started sandbox has the undocumented flag ${unknown.map((f) => `"${f}"`).join(', ')}`,
      { fix: `use one of: ${known.join(', ') || 'none (these apps serve only what their guides document)'}` },
    );
  }
  const sandboxes: SandboxHandle[] = [];
  try {
    for (const [index, app] of apps.entries()) {
      sandboxes.push(
        await startSandbox(SANDBOXES[app], {
          seed,
          company,
          profile: options.profile ?? 'clean',
          port: options.basePort ? options.basePort + index : 0,
          companyFactory: generateCompany,
          undocumented: flags.filter((flag) => flag in (SANDBOXES[app].undocumented ?? {})),
        }),
      );
    }
  } catch (error) {
    await Promise.all(sandboxes.map((s) => s.close()));
    throw error;
  }
  return {
    company,
    sandboxes,
    get(app) {
      const found = sandboxes.find((s) => s.type === app);
      if (!found) throw new Error(`the ${app} sandbox was not started`);
      return found;
    },
    close: async () => {
      await Promise.all(sandboxes.map((s) => s.close()));
    },
  };
}

/**
 * The `apps:` entry that points Roster at one sandbox, with the name → id maps the app's connector reads from
 * config where the guide documents no list (Thought Industries groups and courses, customer-directory roles
 * and groups): the fleet works with every undocumented flag off.
 */
export function sandboxAppConfig(handle: SandboxHandle): Record<string, unknown> {
  const { credentials: c } = handle;
  // A sandbox on this machine answers in milliseconds; a request it leaves hanging (fault profiles) should not
  // hold a sync or an apply for the 15 s default.
  const base = {
    id: handle.type,
    type: handle.type,
    baseUrl: handle.baseUrl,
    timeoutMs: 3000,
    ...handle.appConfig(),
  };
  switch (handle.type) {
    case 'targetprocess':
      return { ...base, auth: { type: 'bearer', token: c.token } };
    case 'process-street':
      return { ...base, auth: { type: 'bearer', token: c.token } };
    case 'thought-industries':
      return { ...base, auth: { type: 'api-key', key: c.token, header: 'X-API-Key' } };
    case 'customer-directory':
      return { ...base, auth: { type: 'bearer', token: c.token }, customerId: c.tenant, integration: 'okta' };
    case 'stackspot-scim':
      return { ...base, auth: { type: 'bearer', token: c.token }, tenantId: c.tenant };
  }
}

/** A roster.yaml for a running fleet. The tokens are the sandboxes' fake ones, so they are written as-is. */
export function fleetConfigYaml(fleet: Fleet, options: { sourcePath: string; store: string }): string {
  const doc = {
    store: options.store,
    source: { type: 'csv', path: options.sourcePath },
    domains: { primary: fleet.company.domain, aliases: [[fleet.company.domain, fleet.company.aliasDomain]] },
    apps: fleet.sandboxes.map(sandboxAppConfig),
  };
  return (
    '# Written by `roster sandbox start`: Roster pointed at local sandboxes of the five seed apps.\n' +
    "# The tokens below are the sandboxes' own fake credentials; never put real secrets in this file —\n" +
    '# write ${ENV_VAR} references instead (see `roster init`).\n' +
    stringify(doc)
  );
}

/** @module Every app sandbox by app type: the one list the fleet, the CLI and the tests start them from. */

import type { SeedAppType } from '../core/types.js';
import { customerDirectorySandbox } from './customer-directory/index.js';
import type { SandboxDefinition } from './kit/server.js';
import { processStreetSandbox } from './process-street/index.js';
import { stackspotScimSandbox } from './stackspot-scim/index.js';
import { targetprocessSandbox } from './targetprocess/index.js';
import { thoughtIndustriesSandbox } from './thought-industries/index.js';

// Each definition has its own state type; the fleet treats them alike.
export const SANDBOXES: Record<SeedAppType, SandboxDefinition<unknown>> = {
  targetprocess: targetprocessSandbox as SandboxDefinition<unknown>,
  'process-street': processStreetSandbox as SandboxDefinition<unknown>,
  'thought-industries': thoughtIndustriesSandbox as SandboxDefinition<unknown>,
  'customer-directory': customerDirectorySandbox as SandboxDefinition<unknown>,
  'stackspot-scim': stackspotScimSandbox as SandboxDefinition<unknown>,
};

/** @module createScimOps: the generic SCIM 2.0 operations any SCIM connector (generic, StackSpot) is built from. */

import type { AppEntry } from '../../config/parts.js';
import type { ConnectorContext, ConnectorOps } from '../sdk/types.js';
import { createScimClient } from './client.js';
import { createGroupOps } from './groups.js';
import type { AccountRefiner } from './mappers.js';
import { createUserOps } from './users.js';

export interface ScimOptions {
  /** The server has /Groups: groups become entitlements of kind 'group' (a 404 on /Groups lists none). */
  groups: boolean;
  /** URN of the app's custom User extension: `attributes['ext.<name>']` on create and update. */
  extensionSchema?: string;
  /** App-specific reading over the generic account mapping. */
  refine?: AccountRefiner;
  /** Read /ServiceProviderConfig and act on it (RFC 7644 §4); off where the app's guide does not document it. */
  serviceProviderConfig?: boolean;
}

export function createScimOps(ctx: ConnectorContext<AppEntry>, options: ScimOptions): ConnectorOps {
  const scim = createScimClient(ctx.appId, ctx.http, {
    serviceProviderConfig: options.serviceProviderConfig === true,
  });
  const accounts = createUserOps(scim, {
    ...(options.extensionSchema ? { extensionSchema: options.extensionSchema } : {}),
    ...(options.refine ? { refine: options.refine } : {}),
    // Users' `groups` repeats what /Groups members already say; leaving it out keeps pages small.
    ...(options.groups ? { excludedAttributes: 'groups' } : {}),
  });
  const privilegedRoles = ctx.config.privilegedRoles;
  return {
    accounts,
    entitlements: options.groups
      ? { group: createGroupOps(scim, privilegedRoles ? { privilegedRoles } : {}) }
      : {},
  };
}

/** @module The StackSpot SCIM connector: the generic SCIM operations plus X-Tenant-Id, the custom extension, no groups. */

import { createScimOps } from '../scim/index.js';
import { defineConnector } from '../sdk/define.js';
import { refineStackspotAccount } from './mappers.js';
import { STACKSPOT_EXTENSION } from './schemas.js';

const NO_GROUPS = 'the StackSpot SCIM API documents Users only: there are no groups or roles to grant';

export const stackspotScimConnector = defineConnector({
  type: 'stackspot-scim',
  title: 'StackSpot SCIM',
  unsupported: { grant: NO_GROUPS, revoke: NO_GROUPS },
  // Endpoint table: every call is /scim/Users with the X-Tenant-Id header.
  headers: (config) => ({ 'X-Tenant-Id': config.tenantId }),
  create: (ctx) =>
    createScimOps(ctx, {
      groups: false,
      extensionSchema: STACKSPOT_EXTENSION,
      refine: refineStackspotAccount,
    }),
});

/** @module The StackSpot SCIM connector: the generic SCIM operations plus X-Tenant-Id, the custom extension, no groups. */

import { createScimOps } from '../scim/index.js';
import { defineConnector } from '../sdk/define.js';
import { stackspotScimConfig, stackspotScimExample } from './config.js';
import { refineStackspotAccount } from './mappers.js';
import { STACKSPOT_EXTENSION } from './schemas.js';

const NO_GROUPS = 'the StackSpot SCIM API documents Users only: there are no groups or roles to grant';

export const stackspotScimConnector = defineConnector({
  type: 'stackspot-scim',
  title: 'StackSpot SCIM',
  config: stackspotScimConfig,
  configExample: stackspotScimExample,
  traits: {
    // Guide examples: `never_logged` (kept as neverLogged), no login date; meta.created for the grace period.
    activity: 'flag',
    // userName is the login. No `title`: its resources never answer it (guide examples; sandbox README), so it
    // could not be compared or verified and every plan would write it again.
    attributeMap: {
      email: '{email}',
      firstName: '{first_name}',
      lastName: '{last_name}',
      login: '{email}',
    },
  },
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

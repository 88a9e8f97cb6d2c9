/** @module The generic SCIM 2.0 connector (type 'scim'): Users and Groups of any RFC 7644 service provider. */

import { defineConnector } from '../sdk/define.js';
import { scimConfig, scimExample } from './config.js';
import { createScimOps } from './ops.js';

export const scimConnector = defineConnector({
  type: 'scim',
  title: 'SCIM 2.0',
  config: scimConfig,
  configExample: scimExample,
  traits: {
    // RFC 7643 has no last-login attribute.
    activity: 'none',
    attributeMap: {
      email: '{email}',
      firstName: '{first_name}',
      lastName: '{last_name}',
      login: '{email}',
      externalId: '{idp_id}',
      title: '{title}',
    },
  },
  // A generic server is known only by what it says of itself: its ServiceProviderConfig (RFC 7644 §4).
  create: (ctx) => createScimOps(ctx, { groups: true, serviceProviderConfig: true }),
});

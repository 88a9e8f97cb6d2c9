/** @module The generic SCIM 2.0 connector (type 'scim'): Users and Groups of any RFC 7644 service provider. */

import { defineConnector } from '../sdk/define.js';
import { createScimOps } from './ops.js';

export const scimConnector = defineConnector({
  type: 'scim',
  title: 'SCIM 2.0',
  create: (ctx) => createScimOps(ctx, { groups: true }),
});

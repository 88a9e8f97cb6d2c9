/** @module The StackSpot SCIM entry of roster.yaml: Bearer token and the tenant id sent as X-Tenant-Id. */

import { z } from 'zod';
import { appCommon, bearerAuth, nonEmpty } from '../../config/parts.js';

export const stackspotScimConfig = z.strictObject({
  ...appCommon,
  type: z.literal('stackspot-scim'),
  auth: z.discriminatedUnion('type', [bearerAuth]),
  // Guide: every call carries the X-Tenant-Id header.
  tenantId: nonEmpty,
});

export type StackspotScimConfig = z.output<typeof stackspotScimConfig>;

/** The block `roster init` writes. */
export const stackspotScimExample = (id: string, env: string): string => `
  # StackSpot SCIM. The tenant id is sent as the X-Tenant-Id header on every call.
  - id: ${id}
    type: stackspot-scim
    baseUrl: https://scim.stackspot.example.com
    auth:
      type: bearer
      token: \${${env}_TOKEN}
    tenantId: \${${env}_TENANT_ID}`;

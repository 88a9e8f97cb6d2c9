/** @module The customer-directory entry of roster.yaml: Bearer token, the customer id and the integration every call names. */

import { z } from 'zod';
import { appCommon, bearerAuth, fail, nameToId, nonEmpty, undocumentedList } from '../../config/parts.js';

/** Undocumented endpoints Roster may try for customer-directory (off unless listed). */
export const CD_UNDOCUMENTED_ENDPOINTS = ['roles-endpoint', 'groups-endpoint'] as const;

const objectIdText = z.string().superRefine((value, ctx) => {
  if (!/^[0-9a-f]{24}$/i.test(value)) {
    fail(ctx, `"${value}" is not an id (24 hexadecimal characters)`, 'copy the id from the directory admin');
  }
});

export const customerDirectoryConfig = z.strictObject({
  ...appCommon,
  type: z.literal('customer-directory'),
  auth: z.discriminatedUnion('type', [bearerAuth]),
  // Guide: every path is /customers/{customerId}/…, an objectid.
  customerId: z.string().superRefine((value, ctx) => {
    if (!/^[0-9a-f]{24}$/i.test(value)) {
      fail(
        ctx,
        `"${value}" is not a customer id (24 hexadecimal characters)`,
        'copy the customer id from the directory admin, e.g. 64b7f0c2a1e4d5f6a7b8c9d0',
      );
    }
  }),
  // Guide: `integration` is a required query parameter on user calls.
  integration: nonEmpty,
  /** Role name → id (PATCH roleIds takes ids; the guide has no role list). */
  roles: nameToId(objectIdText).optional(),
  /** Group name → id (users carry groupIds; the guide has no group list). */
  groups: nameToId(objectIdText).optional(),
  undocumented: undocumentedList(CD_UNDOCUMENTED_ENDPOINTS),
});

export type CustomerDirectoryConfig = z.output<typeof customerDirectoryConfig>;

/** The block `roster init` writes. */
export const customerDirectoryExample = (id: string, env: string): string => `
  # Customer directory. Every call is scoped to one customer and one integration.
  - id: ${id}
    type: customer-directory
    baseUrl: https://directory.example.com
    auth:
      type: bearer
      token: \${${env}_TOKEN}
    customerId: \${${env}_CUSTOMER_ID}   # 24 hexadecimal characters
    integration: \${${env}_INTEGRATION}
    # The API documents no list of roles or groups: name the ones your rules use (name: 24-hex id).
    # roles: { Admin: 64b7f0c2a1e4d5f6a7b8c9d0 }
    # groups: { Engineering: 64b7f0c2a1e4d5f6a7b8c9d1 }
    # undocumented: [roles-endpoint, groups-endpoint]   # try these if your instance has them`;

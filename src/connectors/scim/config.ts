/** @module The entry of roster.yaml for any SCIM 2.0 service: bearer, basic, or an API key in a header it names. */

import { z } from 'zod';
import { apiKeyAuth, appCommon, basicAuth, bearerAuth, nonEmpty } from '../../config/parts.js';

export const scimConfig = z.strictObject({
  ...appCommon,
  type: z.literal('scim'),
  auth: z.discriminatedUnion('type', [
    bearerAuth,
    basicAuth,
    // A generic SCIM service has no default header name for its key, so it must be said.
    apiKeyAuth.extend({ header: nonEmpty }),
  ]),
});

export type ScimConfig = z.output<typeof scimConfig>;

/** The block `roster init` writes. */
export const scimExample = (id: string, env: string): string => `
  # Any SCIM 2.0 service. auth can be bearer, basic (username, password) or
  # api-key (key, plus header: the header name the service reads it from).
  - id: ${id}
    type: scim
    baseUrl: https://scim.example.com/scim/v2
    auth:
      type: bearer
      token: \${${env}_TOKEN}`;

/** @module The Thought Industries entry of roster.yaml: the API key in the X-API-Key header, the portal's custom field keys. */

import { z } from 'zod';
import { apiKeyAuth, appCommon, nonEmpty } from '../../config/parts.js';

export const thoughtIndustriesConfig = z.strictObject({
  ...appCommon,
  type: z.literal('thought-industries'),
  // Guide: apiKey query parameter or X-API-Key header; only the header keeps the key out of logs.
  auth: z.discriminatedUnion('type', [
    apiKeyAuth.extend({
      header: z
        .literal('X-API-Key', { error: 'Thought Industries reads the key from the X-API-Key header only' })
        .default('X-API-Key'),
    }),
  ]),
  /** Guide: custom field keys must exist in the admin portal or writes are silently ignored. */
  customFieldKeys: z.array(nonEmpty).optional(),
});

export type ThoughtIndustriesConfig = z.output<typeof thoughtIndustriesConfig>;

/** The block `roster init` writes. */
export const thoughtIndustriesExample = (id: string, env: string): string => `
  # Thought Industries. The API key is tied to your subdomain; it is sent in the X-API-Key header.
  - id: ${id}
    type: thought-industries
    baseUrl: https://your-school.thoughtindustries.com/incoming/api/v1
    auth:
      type: api-key
      key: \${${env}_API_KEY}
    # customFieldKeys: custom profile fields Roster may write. They must already exist in the admin portal:
    # unknown keys are silently ignored by the API.
    customFieldKeys: []`;

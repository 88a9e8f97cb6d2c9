/** @module The Thought Industries entry of roster.yaml: the API key in the X-API-Key header, the portal's custom field keys. */

import { z } from 'zod';
import { apiKeyAuth, appCommon, nameToId, nonEmpty, undocumentedList } from '../../config/parts.js';

/** Undocumented endpoints Roster may try for Thought Industries (off unless listed). */
export const TI_UNDOCUMENTED_ENDPOINTS = [
  'groups-endpoint',
  'courses-endpoint',
  'unenroll-endpoint',
] as const;

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
  /** Group name → id (the guide has no group list; users carry group ids). */
  groups: nameToId(nonEmpty).optional(),
  /** Course title → id (the guide has no course list; enrollments carry course ids). */
  courses: nameToId(nonEmpty).optional(),
  undocumented: undocumentedList(TI_UNDOCUMENTED_ENDPOINTS),
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
    customFieldKeys: []
    # The API documents no list of groups or courses: name the ones your rules use (name: id).
    # groups: { Sales Academy: grp-123 }
    # courses: { Security Awareness: crs-456 }
    # undocumented: [groups-endpoint, courses-endpoint, unenroll-endpoint]   # try these if your tenant has them`;

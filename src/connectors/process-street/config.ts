/** @module The Process Street entry of roster.yaml: one org-scoped API key sent as a Bearer token. */

import { z } from 'zod';
import { appCommon, bearerAuth } from '../../config/parts.js';

export const processStreetConfig = z.strictObject({
  ...appCommon,
  type: z.literal('process-street'),
  // Guide: one org-scoped API key, sent as "Authorization: Bearer".
  auth: z.discriminatedUnion('type', [bearerAuth]),
});

export type ProcessStreetConfig = z.output<typeof processStreetConfig>;

/** The block `roster init` writes. */
export const processStreetExample = (id: string, env: string): string => `
  # Process Street. One organisation-wide API key: Settings > Integrations > API.
  - id: ${id}
    type: process-street
    baseUrl: https://api.process.st/api/v1
    auth:
      type: bearer
      token: \${${env}_TOKEN}`;

/** @module StackSpot's own fields on a SCIM User (guide examples): never_logged, properties, the custom extension. */

import { z } from 'zod';

/** The custom User extension the guide's domain.CreateUser carries. */
export const STACKSPOT_EXTENSION = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * Only what Roster reads; the rest of StackSpot's flat fields (block_*, human, hire_date...) stay in `raw`. Not a
 * loose object: the user was parsed as SCIM already, and copying every other field of it again was a second
 * full parse of every user synced.
 */
export const stackspotUserSchema = z.object({
  never_logged: z.boolean().nullish(),
  /** The extension's `properties`, flattened onto the resource: where the role name lives. */
  properties: z.record(z.string(), z.unknown()).nullish(),
  [STACKSPOT_EXTENSION]: z.record(z.string(), z.union([scalar, z.record(z.string(), z.unknown())])).nullish(),
});
export type StackspotUser = z.infer<typeof stackspotUserSchema>;

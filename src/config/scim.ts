/** @module roster.yaml's `scim:` block: per-app Group kind and attribute overrides, the hold threshold, ownership. */

import { z } from 'zod';
import { type MappingOverrides, userMapping } from '../server/scim/mapping.js';
import { fail } from './parts.js';
import { duration } from './server.js';

const ENTITLEMENT_KINDS = ['role', 'team', 'group', 'course', 'delegate'] as const;
const ACCOUNT_FIELD =
  /^(email|login|firstName|lastName|displayName|externalId|active|attributes\.[A-Za-z0-9_.-]+)$/;

/** SCIM attribute → Account field, or null to leave it out; each checked against what the facade can map. */
const attributes = z.record(z.string(), z.string().nullable()).superRefine((map, ctx) => {
  for (const [scim, field] of Object.entries(map)) {
    if (field !== null && !ACCOUNT_FIELD.test(field)) {
      fail(
        ctx,
        `"${field}" is not an account field`,
        'use email, login, firstName, lastName, displayName, externalId, active or attributes.<name> (null leaves it out)',
        [scim],
      );
      continue;
    }
    try {
      userMapping({ attributeMap: {} }, { [scim]: field } as MappingOverrides);
    } catch (error) {
      fail(
        ctx,
        (error as Error).message.replace(/^mapping: /, ''),
        'use a SCIM User path such as title, name.givenName, emails[type eq "work"].value or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
        [scim],
      );
    }
  }
});

const scimApp = z.strictObject({
  /** Which entitlement kind is a SCIM Group; `none` for no Groups. Default: groups, else teams. */
  groups: z.enum([...ENTITLEMENT_KINDS, 'none']).optional(),
  attributes: attributes.optional(),
});

export const scimSchema = z.strictObject({
  /**
   * Past `max` deactivations and deletions through the facade within `window`, further ones are held (503 with
   * Retry-After) until a person releases or rejects them.
   */
  hold: z
    .strictObject({
      max: z.number().int().min(1).default(10),
      window: duration.default(3_600_000),
      retryAfter: duration.default(300_000),
    })
    .prefault({}),
  /** Accounts the IdP created or manages through the facade are never revoked by Roster's own policy. */
  protectIdpManaged: z.boolean().default(true),
  apps: z.record(z.string(), scimApp).default({}),
});

export type ScimConfig = z.output<typeof scimSchema>;
export type ScimAppConfig = z.output<typeof scimApp>;

export const DEFAULT_SCIM_CONFIG: ScimConfig = scimSchema.parse({});

/** @module StackSpot's reading of a SCIM user: the admin role in extension properties, ext.* attributes, never_logged. */

import type { Account } from '../../core/types.js';
import { EXTENSION_PREFIX, type ScimUser } from '../scim/index.js';
import { STACKSPOT_EXTENSION, stackspotUserSchema } from './schemas.js';

type Flat = Account['attributes'];

/** `{ properties: { role: 'admin' } }` → `{ 'ext.properties.role': 'admin' }`; only scalars are kept. */
function flatten(prefix: string, value: Record<string, unknown>, out: Flat): void {
  for (const [key, inner] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    if (inner === null || ['string', 'number', 'boolean'].includes(typeof inner))
      out[name] = inner as string | number | boolean | null;
    else if (typeof inner === 'object' && !Array.isArray(inner))
      flatten(`${name}.`, inner as Record<string, unknown>, out);
  }
}

/**
 * StackSpot has no role API: the role name is the extension's `properties.role` ('admin' makes an admin).
 * `never_logged` has no date behind it, so lastLoginAt stays null and the flag is kept as `neverLogged`.
 */
export function refineStackspotAccount(user: ScimUser, account: Account): Account {
  const parsed = stackspotUserSchema.safeParse(user);
  if (!parsed.success) return account;
  const extra = parsed.data;
  const attributes: Flat = { ...account.attributes };
  const extension = extra[STACKSPOT_EXTENSION];
  if (extension) flatten(EXTENSION_PREFIX, extension, attributes);
  const properties = extra.properties ?? (extension?.['properties'] as Record<string, unknown> | undefined);
  const role = typeof properties?.['role'] === 'string' ? properties['role'] : null;
  if (role !== null) attributes['role'] = role;
  if (typeof extra.never_logged === 'boolean') attributes['neverLogged'] = extra.never_logged;
  return {
    ...account,
    isAdmin: account.isAdmin || role?.toLowerCase() === 'admin',
    lastLoginAt: null,
    attributes,
  };
}

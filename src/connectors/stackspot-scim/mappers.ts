/** @module StackSpot's reading of a SCIM user: the admin role in extension properties, ext.* attributes, never_logged. */

import type { Account } from '../../core/types.js';
import { EXTENSION_PREFIX, type ScimUser } from '../scim/index.js';
import { STACKSPOT_EXTENSION, type StackspotUser, stackspotUserSchema } from './schemas.js';

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
  const extra = stackspotFields(user);
  if (extra === null) return account;
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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * StackSpot's own fields of a user, null when they do not read as stackspotUserSchema says. Fields already of
 * their type are read off the user as they are (zod would only copy them; every create and read-back reads one
 * user); anything else goes through zod.
 */
function stackspotFields(user: ScimUser): StackspotUser | null {
  const { never_logged: neverLogged, properties } = user;
  const extension = user[STACKSPOT_EXTENSION];
  const plain =
    (neverLogged == null || typeof neverLogged === 'boolean') &&
    (properties == null || isRecord(properties)) &&
    (extension == null ||
      (isRecord(extension) && Object.values(extension).every((v) => isScalar(v) || isRecord(v))));
  if (plain) return user as StackspotUser;
  const parsed = stackspotUserSchema.safeParse(user);
  return parsed.success ? parsed.data : null;
}

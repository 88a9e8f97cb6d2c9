/**
 * @module Users as the facade last rendered them, by what they were rendered from: an IdP reads the same users
 * again and again (after each write, on every import), and rendering through the attribute map costs more than
 * the reads. Keyed by content, so an account that changed is simply a new key; entries are frozen, so no caller
 * can change what another is answered.
 */

import type { Account } from '../../core/types.js';
import type { JsonObject } from './schema.js';

const MAX_ENTRIES = 20_000;
const caches = new WeakMap<object, Map<string, JsonObject>>();

/** Every field a rendering reads: the account's own (not the app's raw payload) and the groups it shows. */
export function renderKey(account: Account, groups: readonly { id: string; name: string }[]): string {
  return JSON.stringify([
    account.id,
    account.email,
    account.login,
    account.externalId,
    account.firstName,
    account.lastName,
    account.displayName,
    account.status,
    account.isAdmin,
    account.lastLoginAt,
    account.createdAt,
    account.updatedAt,
    account.attributes,
    groups.map((g) => [g.id, g.name]),
  ]);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The rendering for `key` under `owner` (one app's profile), made by `render` the first time. */
export function cachedRender(owner: object, key: string, render: () => JsonObject): JsonObject {
  let cache = caches.get(owner);
  if (!cache) {
    cache = new Map();
    caches.set(owner, cache);
  }
  const hit = cache.get(key);
  if (hit) return hit;
  const made = deepFreeze(render());
  // Bounded: past the limit the cache starts again rather than grow with every account ever seen.
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(key, made);
  return made;
}

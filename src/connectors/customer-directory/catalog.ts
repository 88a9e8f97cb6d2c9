/** @module customer-directory roles and groups by name: roster.yaml's maps (or an opted-in list) and the ids users hold. */

import type { Entitlement } from '../../core/types.js';
import type { CdApi, CdContext } from './client.js';
import { type RoleIndex, toEntitlement, toRoleIndex } from './mappers.js';
import type { CdNamed, CdUser } from './schemas.js';

/** How long one read of an opted-in role or group list serves: they are made in the product UI only. */
export const NAMED_LIST_FRESH_MS = 60_000;
/** How long the users one account listing saw serve the role and group lists of the same sync. */
export const SEEN_FRESH_MS = 15 * 60_000;

export type NamedKind = 'role' | 'group';

export interface CdCatalog {
  /** The account listing hands its users here, so the lists name exactly the ids its grants carry. */
  sawUsers(users: readonly CdUser[]): void;
  /** Role names and privileged ids, for `isAdmin` and the `roles` attribute of accounts. */
  index(): Promise<RoleIndex>;
  /** The roles or groups: the named ones, and every id a user holds (an unnamed id is its own name). */
  list(kind: NamedKind): Promise<Entitlement[]>;
}

/** `{ name: id }` from roster.yaml as `{ _id, name }`. */
const fromConfig = (map: Readonly<Record<string, string>> | undefined): CdNamed[] =>
  Object.entries(map ?? {}).map(([name, id]) => ({ _id: id.toLowerCase(), name }));

export function createCatalog(ctx: CdContext, api: CdApi): CdCatalog {
  const { appId, config } = ctx;
  const now = () => ctx.now().getTime();

  // One read of an opted-in list serves every caller for a while (concurrent callers share one request);
  // a failed read is not kept. Without the list (not opted in, or 404/405), roster.yaml names them.
  const cache: Partial<Record<NamedKind, { at: number; named: Promise<CdNamed[]> }>> = {};
  const named = (kind: NamedKind): Promise<CdNamed[]> => {
    const hit = cache[kind];
    if (hit && now() - hit.at < NAMED_LIST_FRESH_MS) return hit.named;
    const read = (kind === 'role' ? api.listRoles() : api.listGroups()).then(
      (listed) => listed ?? fromConfig(kind === 'role' ? config.roles : config.groups),
    );
    const entry = { at: now(), named: read };
    cache[kind] = entry;
    read.catch(() => {
      if (cache[kind] === entry) delete cache[kind];
    });
    return read;
  };

  let seen: { users: readonly CdUser[]; at: number } | null = null;
  const users = async (): Promise<readonly CdUser[]> =>
    seen && now() - seen.at < SEEN_FRESH_MS ? seen.users : api.listUsers();

  return {
    sawUsers(list) {
      seen = { users: list, at: now() };
    },

    async index() {
      const roles = await named('role');
      return toRoleIndex(roles.map((role) => toEntitlement(appId, 'role', role, config.privilegedRoles)));
    },

    async list(kind) {
      const [names, holders] = await Promise.all([named(kind), users()]);
      const byId = new Map(names.map((item) => [item._id.toLowerCase(), item.name]));
      // Every id a user holds is listed, so no grant names an entitlement the snapshot lacks.
      for (const user of holders) {
        for (const id of (kind === 'role' ? user.roleIds : user.groupIds) ?? []) {
          if (!byId.has(id.toLowerCase())) byId.set(id.toLowerCase(), id.toLowerCase());
        }
      }
      return [...byId].map(([id, name]) =>
        toEntitlement(appId, kind, { _id: id, name }, config.privilegedRoles),
      );
    },
  };
}

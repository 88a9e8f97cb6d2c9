/** @module importPeople: the HR export into the store (all or nothing, with the drop guard). */

import type { Person } from '../core/types.js';
import { type ImportResult, importPeople as importSource } from '../sources/import.js';
import type { Page, StoredPerson } from '../store/store.js';
import type { Roster } from './context.js';

export interface ImportOptions {
  /** Import the valid rows and report the invalid ones, instead of refusing the whole file. */
  skipInvalid?: boolean;
  /** Import even when the drop guard would refuse. */
  force?: boolean;
}

export async function importPeople(roster: Roster, options: ImportOptions = {}): Promise<ImportResult> {
  return importSource({
    store: roster.store,
    config: roster.config,
    skipInvalid: options.skipInvalid ?? false,
    force: options.force ?? false,
    now: roster.now(),
  });
}

/** The people the last import holds. */
export async function listPeople(
  roster: Roster,
  filter: { status?: Person['status'] } = {},
): Promise<StoredPerson[]> {
  return roster.store.listPeople(filter.status ? { status: filter.status } : {});
}

/** People matching a search term (id, email, aliases or name, case-insensitive), a status and a department. */
/**
 * One page of the people from the last HR import by employee id (`desc`: last first), with how many the filters
 * keep: read by the store, never every person for a page.
 */
export async function pagePeople(
  roster: Roster,
  input: {
    status?: Person['status'] | undefined;
    department?: string | undefined;
    order?: 'asc' | 'desc';
    cursor?: string | undefined;
    limit?: number;
  },
): Promise<Page<StoredPerson> & { total: number }> {
  const filter = {
    ...(input.status ? { status: input.status } : {}),
    ...(input.department !== undefined ? { department: input.department } : {}),
  };
  const page = await roster.store.pagePeople({
    ...filter,
    ...(input.order ? { order: input.order } : {}),
    ...(input.cursor ? { cursor: input.cursor } : {}),
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
  return { ...page, total: await roster.store.countPeople(filter) };
}

export async function searchPeople(
  roster: Roster,
  filter: { q?: string | undefined; status?: Person['status'] | undefined; department?: string | undefined },
): Promise<StoredPerson[]> {
  const needle = filter.q?.trim().toLowerCase() || undefined;
  const all = await listPeople(roster, filter.status ? { status: filter.status } : {});
  return all.filter(
    (p) =>
      (filter.department === undefined || p.department === filter.department) &&
      (needle === undefined ||
        [p.employeeId, p.email, ...p.aliases, `${p.firstName} ${p.lastName}`].some((s) =>
          s.toLowerCase().includes(needle),
        )),
  );
}

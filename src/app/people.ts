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

/**
 * One numbered page of the people by employee id (of one status, if given), and how many there are: only the page
 * is read (the console's people list read all 200k people for each page of 50: 1.2–1.5 s).
 */
export async function peopleSlice(
  roster: Roster,
  input: { status?: Person['status'] | undefined; offset: number; limit: number },
): Promise<{ items: StoredPerson[]; total: number }> {
  const status = input.status ? { status: input.status } : {};
  const [items, total] = await Promise.all([
    roster.store.listPeople({ ...status, offset: input.offset, limit: input.limit }),
    roster.store.countPeople(status),
  ]);
  return { items, total };
}

/**
 * People matching a search term (id, email, aliases or name, case-insensitive), a status and a department, by
 * employee id. Everyone is read (lean, as the graph reads them) and matched here: JavaScript's case folding, not a
 * database's.
 */
export async function searchPeople(
  roster: Roster,
  filter: { q?: string | undefined; status?: Person['status'] | undefined; department?: string | undefined },
): Promise<StoredPerson[]> {
  const needle = filter.q?.trim().toLowerCase() || undefined;
  const all = await roster.store.listGraphPeople({});
  return all.filter(
    (p) =>
      (filter.status === undefined || p.status === filter.status) &&
      (filter.department === undefined || p.department === filter.department) &&
      (needle === undefined ||
        [p.employeeId, p.email, ...p.aliases, `${p.firstName} ${p.lastName}`].some((s) =>
          s.toLowerCase().includes(needle),
        )),
  );
}

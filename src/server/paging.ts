/** @module Cursor paging, filtering and sorting of API lists: one query shape and one page shape for every list. */

import { z } from 'zod';
import { RosterError } from '../core/errors.js';

export const MAX_PAGE = 1000;

/** The paging and sorting part of every list's query string. */
export function pageQuery<const S extends readonly [string, ...string[]]>(
  sortable: S,
  defaultOrder: 'asc' | 'desc' = 'asc',
) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe(`page size (1-${MAX_PAGE})`),
    cursor: z.string().optional().describe('nextCursor of the previous page'),
    sort: z.enum(sortable).optional().describe(`sort field (default ${sortable[0]})`),
    order: z.enum(['asc', 'desc']).default(defaultOrder),
  });
}

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().describe('items matching the filters, across all pages'),
    nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  });
}

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

type SortValue = string | number | null;

interface CursorState {
  s: string;
  o: 'asc' | 'desc';
  v: SortValue;
  id: string;
}

function compare(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function decode(cursor: string, sort: string, order: 'asc' | 'desc'): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.s === sort && state.o === order && typeof state.id === 'string') return state;
  } catch {
    // fall through to the error below
  }
  throw new RosterError('invalid_input', 'the cursor does not belong to this list, sort and order', {
    where: 'query.cursor',
    fix: 'pass the nextCursor of the previous page with the same sort and order, or leave cursor out',
  });
}

/**
 * Keyset paging over a sorted list: the cursor holds the last item's sort value and id, so a page is stable
 * when items are added or removed between requests (no skipped or repeated items, unlike offsets).
 */
export function paginate<T>(
  items: readonly T[],
  query: { limit: number; cursor?: string | undefined; sort?: string | undefined; order: 'asc' | 'desc' },
  keys: { id: (item: T) => string; sortBy: Record<string, (item: T) => SortValue> },
): Page<T> {
  const sort = query.sort ?? Object.keys(keys.sortBy)[0] ?? 'id';
  const sortValue = keys.sortBy[sort] ?? ((item: T) => keys.id(item));
  const sign = query.order === 'desc' ? -1 : 1;
  const keyed = items.map((item) => ({ item, v: sortValue(item), id: keys.id(item) }));
  keyed.sort((a, b) => sign * (compare(a.v, b.v) || compare(a.id, b.id)));
  let start = 0;
  if (query.cursor) {
    const after = decode(query.cursor, sort, query.order);
    start = keyed.findIndex((k) => sign * (compare(k.v, after.v) || compare(k.id, after.id)) > 0);
    if (start < 0) start = keyed.length;
  }
  const slice = keyed.slice(start, start + query.limit);
  const last = slice[slice.length - 1];
  const more = start + query.limit < keyed.length && last !== undefined;
  return {
    items: slice.map((k) => k.item),
    total: keyed.length,
    nextCursor: more
      ? Buffer.from(
          JSON.stringify({ s: sort, o: query.order, v: last.v, id: last.id } satisfies CursorState),
        ).toString('base64url')
      : null,
  };
}

/** A keyset cursor over a (timestamp, id) pair, for lists read straight from SQL newest first. */
export function encodeKeyCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeKeyCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // fall through to the error below
  }
  throw new RosterError('invalid_input', 'the cursor does not belong to this list', {
    where: 'query.cursor',
    fix: 'pass the nextCursor of the previous page, or leave cursor out',
  });
}

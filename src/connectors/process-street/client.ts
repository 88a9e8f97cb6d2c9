/**
 * @module Process Street offset paging: asks for 100 a page, learns the page size the server really uses from
 * what comes back (the guide documents neither a default nor a maximum), and knows when a listing has ended.
 */

import type { z } from 'zod';
import type { HttpClient } from '../http/index.js';
import { parseAnswer } from './schemas.js';

/** What Roster asks for. The server may clamp it without a word, so it is never trusted as the page size. */
export const PAGE_LIMIT = 100;

/**
 * Where a listing stands; carried in page tokens. `o` offset of the next page; `f` the page size learned so
 * far (0: not known yet); `l` the length of the last page; `z` the last id it held (to spot repeats).
 */
export type OffsetCursor = {
  o: number;
  f: number;
  l: number;
  z: string;
};

export const START: OffsetCursor = { o: 0, f: 0, l: 0, z: '' };

export interface OffsetPage<T> {
  /** Items not seen on the previous page. */
  items: T[];
  /** Null when the listing has ended. */
  next: OffsetCursor | null;
  /** The page size learned, kept even when the listing ended (the next listing of the endpoint may use it). */
  learned: number;
}

/**
 * Reads what one page means. A page that repeats the previous page's last record started early (a record
 * was inserted before it meanwhile): the repeats are dropped and the offset moves by the new records only,
 * so none is skipped. A page with nothing new ends the listing (an empty page, or a server that ignores
 * `offset` and answers everything every time). A page is full when it is as long as we asked for, or when
 * another non-empty page followed it; once the full size is known, a shorter page is the last. Until then —
 * the first page came back shorter than asked — a clamp cannot be told from the end, so the next offset is
 * asked for.
 */
export function advance<T>(
  cursor: OffsetCursor,
  page: readonly T[],
  idOf: (item: T) => string,
): OffsetPage<T> {
  const repeated = cursor.z === '' ? -1 : page.findIndex((item) => idOf(item) === cursor.z);
  const items = page.slice(repeated + 1);
  if (items.length === 0) return { items, next: null, learned: cursor.f };
  const learned = Math.max(cursor.f, cursor.l, page.length >= PAGE_LIMIT ? page.length : 0);
  if (learned > 0 && page.length < learned) return { items, next: null, learned };
  const next = { o: cursor.o + items.length, f: learned, l: page.length, z: idOf(page[page.length - 1]!) };
  return { items, next, learned };
}

/** GET one offset page of `path` and read it with `schema`; `pick` takes the list out of the answer. */
export async function readOffsetPage<S extends z.ZodType, T>(
  http: HttpClient,
  request: {
    path: string;
    endpoint: string;
    schema: S;
    pick(answer: z.output<S>): T[];
    idOf(item: T): string;
  },
  cursor: OffsetCursor,
  options: { accept404?: boolean } = {},
): Promise<OffsetPage<T> | null> {
  const res = await http.request({
    method: 'GET',
    path: request.path,
    endpoint: request.endpoint,
    query: { offset: cursor.o, limit: PAGE_LIMIT },
    accept404: options.accept404 ?? false,
  });
  if (res.status === 404) return null;
  const answer = parseAnswer(http.appId, request.endpoint, request.schema, res.body);
  return advance(cursor, request.pick(answer), request.idOf);
}

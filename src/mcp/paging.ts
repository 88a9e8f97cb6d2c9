/** @module Paging for MCP tool answers: an offset and a limit in, one page and where the next one starts out. */

import { z } from 'zod';

export const MAX_LIMIT = 100;

/** The paging fields every listing tool takes. */
export const pageInput = {
  offset: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('where the page starts: 0, then the nextOffset of the last answer'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(25)
    .describe(`how many items one page holds (at most ${MAX_LIMIT})`),
};

export const pageOutput = z.object({
  offset: z.number().int(),
  limit: z.number().int(),
  /** How many items match in all. */
  total: z.number().int(),
  /** The offset of the next page; null on the last page. */
  nextOffset: z.number().int().nullable(),
});
export type PageInfo = z.infer<typeof pageOutput>;

/** One page of the items, and where the next one starts. */
export function page<T>(items: readonly T[], offset: number, limit: number): { items: T[]; page: PageInfo } {
  const end = offset + limit;
  return {
    items: items.slice(offset, end),
    page: { offset, limit, total: items.length, nextOffset: end < items.length ? end : null },
  };
}

/** "3 of 40 (next page: offset 25)" — the line that tells an assistant there is more. */
export function pageText(info: PageInfo, shown: number): string {
  const more = info.nextOffset === null ? '' : ` (more: call again with offset ${info.nextOffset})`;
  return `${shown} of ${info.total}${more}`;
}

/** @module Targetprocess request plumbing shared by every resource: JSON format, take/skip pages, include lists, where quoting. */

import type { z } from 'zod';
import type { ConnectorContext } from '../sdk/index.js';
import type { TargetprocessConfig } from './config.js';
import { parseAnswer, tpPage } from './schemas.js';

export type TpContext = ConnectorContext<TargetprocessConfig>;

/** Vendor Paging docs and the guide: `take` tops out at 1000. */
export const MAX_TAKE = 1000;

/**
 * Every user field the mappers read. With `include`, the answer carries ONLY the listed fields plus Id
 * (vendor Partial response docs), and without it Role and LastLoginDate are silently left out (guide).
 */
export const USER_INCLUDE =
  '[FirstName,LastName,Email,Login,IsActive,IsAdministrator,CreateDate,ModifyDate,DeleteDate,LastLoginDate,Role[Id,Name]]';

/**
 * A string literal in the Targetprocess query language: single-quoted, a quote inside escaped with a
 * backslash (`'o\'brien@acme.com'`) and a backslash doubled. The OData habit of doubling the quote is a 400.
 */
export function tpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The skip of a `Next` link, read without following it (it may carry an access_token someone else sent). */
function skipOfNext(next: string | null | undefined, fallback: number): number | null {
  if (!next) return null;
  try {
    const skip = new URL(next).searchParams.get('skip');
    if (skip !== null && /^\d+$/.test(skip)) return Number(skip);
  } catch {
    // an unreadable link still says there is more: continue from where this page ended
  }
  return fallback;
}

export interface ListedPage<T> {
  /** This page's records, without those an earlier page already gave (pagination drift). */
  items: { value: T; raw: unknown }[];
  /** Where the next page starts, or null when `Next` said this was the last. */
  nextSkip: number | null;
  /** The highest Id delivered so far: what the next page's token carries. */
  lastId: number;
}

/**
 * One take/skip page of a collection, always `format=json` (XML is the API's default) and take=1000.
 *
 * Offset paging drifts: a record created meanwhile before the window makes this page start early, so it
 * repeats records the previous page gave and ends early too. Lists are ordered by Id ascending, so leading
 * records with an Id at or below `afterId` are such repeats: they are dropped, and the next page starts that
 * many records earlier so nothing is skipped. Without drift this costs no request at all.
 */
export async function getPage<T extends z.ZodType<{ Id: number }>>(
  ctx: TpContext,
  request: {
    path: string;
    endpoint: string;
    include: string;
    where?: string;
    skip: number;
    afterId?: number;
  },
  item: T,
): Promise<ListedPage<z.output<T>>> {
  const afterId = request.afterId ?? 0;
  const res = await ctx.http.request({
    method: 'GET',
    path: request.path,
    endpoint: request.endpoint,
    query: {
      format: 'json',
      take: MAX_TAKE,
      skip: request.skip,
      include: request.include,
      where: request.where,
    },
  });
  const where = { appId: ctx.appId, endpoint: request.endpoint };
  const page = parseAnswer(tpPage(item), res.body, where);
  const raws = (res.body as { Items: unknown[] }).Items;
  let repeats = 0;
  while (repeats < page.Items.length && page.Items[repeats]!.Id <= afterId) repeats++;
  const items = page.Items.slice(repeats).map((value, i) => ({ value, raw: raws[i + repeats] }));
  const next = skipOfNext(page.Next, request.skip + MAX_TAKE);
  return {
    items,
    nextSkip: next === null ? null : Math.max(request.skip + 1, next - repeats),
    lastId: items.reduce((max, { value }) => Math.max(max, value.Id), afterId),
  };
}

/**
 * @module Paging: opaque page tokens, and the one page walker every listing goes through — it detects a
 * listing that loops, and bounds it by the total the app reports and by a ceiling.
 */

import { RosterError } from '../../core/errors.js';
import type { ListInput, Page } from './types.js';

/** A page token is opaque to the engine: base64url JSON that only the connector that made it reads. */
export function encodePageToken(state: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

export function decodePageToken<T extends Record<string, string | number>>(
  token: string | null,
  fallback: T,
): T {
  if (token === null) return fallback;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object') return { ...fallback, ...(parsed as Partial<T>) };
  } catch {
    // fall through to the error below
  }
  throw new RosterError('invalid_input', 'the page token is not one this connector issued', {
    fix: 'start the listing again without a page token (roster sync --full)',
  });
}

/** Generous: far above any app Roster serves, far below what would fill a disk with phantom records. */
export const DEFAULT_MAX_ITEMS_PER_LISTING = 1_000_000;

export interface WalkOptions<P> {
  /** The app's id, named by every error. */
  appId?: string;
  /** What is being listed, for messages (`accounts`, `entitlements:group`). */
  listing?: string;
  list: (input: ListInput) => Promise<P>;
  /** The token to start from (a resumed listing), or null for the first page. */
  from?: string | null;
  since?: string | null;
  /** Items a resumed listing had already read before `from`: they count towards the ceiling. */
  itemsBefore?: number;
  /** The most items this listing may hold. Default DEFAULT_MAX_ITEMS_PER_LISTING. */
  maxItems?: number;
  /** Where the ceiling is configured, for the fix (`apps[2].sync.maxItemsPerListing`). */
  maxItemsPath?: string;
  /** Masks secrets in a token before it is shown (the app's HTTP redactor). */
  redact?: (text: string) => string;
}

/** How a token is shown in an error: the state it holds when it is one of ours, cut short, secrets masked. */
function showToken(token: string, redact: (text: string) => string): string {
  let shown = token;
  try {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    JSON.parse(decoded);
    shown = decoded;
  } catch {
    // not one of ours: shown as it is
  }
  const masked = redact(shown);
  return masked.length > 200 ? `${masked.slice(0, 199)}…` : masked;
}

/**
 * Walks a listing page by page and yields each page as it comes, so the caller can stage it before the next
 * is asked for. Three things end a walk that would otherwise never end: a page token (cursor, offset, next
 * URL — whatever the connector encodes) seen before in this walk; more items than the total the app itself
 * reported, beyond one page of drift; and more items than the ceiling.
 */
export async function* walkPages<T, P extends Page<T> = Page<T>>(options: WalkOptions<P>): AsyncGenerator<P> {
  const appId = options.appId ?? 'the app';
  const listing = options.listing ?? 'listing';
  const redact = options.redact ?? ((text: string) => text);
  const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS_PER_LISTING;
  const seen = new Set<string>();
  let pageToken = options.from ?? null;
  if (pageToken !== null) seen.add(pageToken);
  let items = options.itemsBefore ?? 0;
  let reported: number | null = null;
  let largestPage = 0;
  let pages = 0;
  do {
    const page: P = await options.list({
      pageToken,
      ...(options.since !== undefined ? { since: options.since } : {}),
    });
    items += page.items.length;
    pages += 1;
    largestPage = Math.max(largestPage, page.items.length);
    // The latest page's word: totals move while a listing runs, and a page may say it has none to give.
    reported = typeof page.total === 'number' ? page.total : null;
    // Records added while a listing runs shift offset pages by up to a page; anything beyond that is the app
    // sending records it does not count.
    if (reported !== null && items > reported + largestPage) {
      throw new RosterError(
        'unavailable',
        `${appId}: the ${listing} listing has sent ${items} items, but the app reports ${reported} in all; stopped rather than read without end`,
        {
          where: appId,
          fix: `the app's paging is broken; try again later, and report it to the app's vendor if it persists`,
          details: { appId, listing, items, reported },
        },
      );
    }
    // Pages count too: a listing of empty pages (grants of people who hold none) can still run without end.
    if (items > maxItems || pages > maxItems) {
      throw new RosterError(
        'unavailable',
        `${appId}: the ${listing} listing has passed ${maxItems} ${items > maxItems ? 'items' : 'pages'}, the most one listing may hold; stopped rather than read without end`,
        {
          where: appId,
          fix: `if ${appId} really holds more, raise ${options.maxItemsPath ?? 'sync.maxItemsPerListing'} for it in roster.yaml`,
          details: { appId, listing, items, maxItems },
        },
      );
    }
    yield page;
    pageToken = page.nextPageToken;
    if (pageToken !== null) {
      if (seen.has(pageToken)) {
        throw new RosterError(
          'unavailable',
          `${appId}: the ${listing} listing loops: it handed out the page token ${showToken(pageToken, redact)} a second time, after ${items} items`,
          {
            where: appId,
            fix: `the app's paging is broken (its next page leads back to one already read); try again later, and report it to the app's vendor if it persists`,
            details: { appId, listing, items },
          },
        );
      }
      seen.add(pageToken);
    }
  } while (pageToken !== null);
}

/** Read every page of a listing; items seen twice (pagination drift) are kept once, first seen wins. */
export async function readAll<T>(
  list: (input: ListInput) => Promise<Page<T>>,
  key: (item: T) => string,
  input: Omit<ListInput, 'pageToken'> & Omit<WalkOptions<Page<T>>, 'list' | 'from'> = {},
): Promise<T[]> {
  const seen = new Map<string, T>();
  for await (const page of walkPages<T>({ ...input, list })) {
    for (const item of page.items) if (!seen.has(key(item))) seen.set(key(item), item);
  }
  return [...seen.values()];
}

export const grantKey = (grant: { entitlementId: string; accountId: string }): string =>
  `${grant.entitlementId}\u0000${grant.accountId}`;

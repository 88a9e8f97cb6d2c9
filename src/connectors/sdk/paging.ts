/** @module Paging helpers: opaque page tokens, reading every page, keeping the first of duplicate ids. */

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

/** Read every page of a listing; items seen twice (pagination drift) are kept once, first seen wins. */
export async function readAll<T>(
  list: (input: ListInput) => Promise<Page<T>>,
  key: (item: T) => string,
  input: Omit<ListInput, 'pageToken'> = {},
): Promise<T[]> {
  const seen = new Map<string, T>();
  let pageToken: string | null = null;
  do {
    const page: Page<T> = await list({ ...input, pageToken });
    for (const item of page.items) if (!seen.has(key(item))) seen.set(key(item), item);
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
  return [...seen.values()];
}

export const grantKey = (grant: { entitlementId: string; accountId: string }): string =>
  `${grant.entitlementId}\u0000${grant.accountId}`;

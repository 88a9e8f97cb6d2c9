/** @module SCIM request helpers shared by users and groups: ListResponse paging and the 404 sanity probe. */

import type { z } from 'zod';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { HttpClient, Query } from '../http/index.js';
import { listResponseSchema, parsePayload } from './schemas.js';

/** RFC 7644 §3.4.2.4 leaves the maximum to the server; 100 is the most StackSpot (and most IdPs) serve. */
export const PAGE_SIZE = 100;

export interface ListRequest<T extends z.ZodType<{ id: string }>> {
  path: string;
  endpoint: string;
  item: T;
  /** Where this page starts and the id the previous page ended with (empty on the first page). */
  position: PagePosition;
  query?: Query;
  accept404?: boolean;
}

export interface PagePosition {
  startIndex: number;
  lastId: string;
}

export interface ListPage<T> {
  /** The page's records, without those the previous page already gave (drift). */
  items: T[];
  /** Where the next page starts; null after the last page. */
  next: PagePosition | null;
  total: number | null;
  /** The endpoint answered 404 (a server without /Groups). */
  missing: boolean;
}

export interface ScimClient {
  appId: string;
  http: HttpClient;
  parse<T extends z.ZodType>(schema: T, body: unknown, endpoint: string): z.output<T>;
  /** One ListResponse page from 1-based `startIndex`; `next` is null after the last page. */
  listPage<T extends z.ZodType<{ id: string }>>(request: ListRequest<T>): Promise<ListPage<z.output<T>>>;
  /**
   * Throws unless the Users collection itself answers: a 404 on one user is believed ("gone") only then,
   * since StackSpot also answers 404 for a wrong tenant.
   */
  assertUsersEndpoint(): Promise<void>;
  /** A successful Users listing already proves the endpoint; no probe is needed after it. */
  usersEndpointSeen(): void;
}

export function createScimClient(appId: string, http: HttpClient): ScimClient {
  let usersEndpoint: Promise<void> | null = null;
  const parse = <T extends z.ZodType>(schema: T, body: unknown, endpoint: string) =>
    parsePayload(schema, body, { appId, endpoint });

  const client: ScimClient = {
    appId,
    http,
    parse,
    async listPage<T extends z.ZodType<{ id: string }>>(request: ListRequest<T>) {
      const { path, endpoint, item, position, query, accept404 } = request;
      const { startIndex, lastId } = position;
      const response = await http.request({
        method: 'GET',
        path,
        endpoint,
        query: { ...query, startIndex, count: PAGE_SIZE },
        accept404: accept404 ?? false,
      });
      if (response.status === 404) return { items: [], next: null, total: 0, missing: true };
      const page = parse(listResponseSchema(item), response.body, endpoint);
      // A server that ignores startIndex (scimmy-routers on Express 5 does) would hand out page one forever.
      if (typeof page.startIndex === 'number' && page.startIndex !== startIndex && startIndex > 1) {
        throw new RosterError(
          'unavailable',
          `${appId}: ${endpoint} answered startIndex ${page.startIndex} when asked for ${startIndex}; the server does not page`,
          { where: appId, details: { appId, endpoint, asked: startIndex, answered: page.startIndex } },
        );
      }
      const received = (page.Resources ?? []) as z.output<T>[];
      // Offset paging drifts when records are added meanwhile: the page then starts early and repeats the end
      // of the previous one. Those repeats are dropped and counted, so the next page starts where this one
      // really ended instead of skipping a record.
      const shift = lastId === '' ? 0 : received.findIndex((r) => r.id === lastId) + 1;
      const items = received.slice(shift);
      const total = page.totalResults ?? null;
      const covered = startIndex - 1 - shift + received.length;
      // Page by what arrived and totalResults, never by itemsPerPage (StackSpot echoes the size asked for).
      const done = received.length === 0 || (total !== null && covered >= total);
      const last = received.at(-1)?.id ?? lastId;
      const next = done ? null : { startIndex: Math.max(covered + 1, startIndex + 1), lastId: last };
      return { items, next, total, missing: false };
    },
    assertUsersEndpoint() {
      usersEndpoint ??= http
        .request({
          method: 'GET',
          path: '/Users',
          endpoint: 'GET /Users',
          query: { startIndex: 1, count: 1 },
        })
        .then(
          () => undefined,
          (error: unknown) => {
            usersEndpoint = null;
            if (isRosterError(error) && error.code === 'not_found') {
              throw new RosterError(
                'invalid_input',
                `${appId}: the Users endpoint itself answers 404, so a missing user cannot be told from a wrong address`,
                {
                  where: appId,
                  cause: error,
                  fix: `check baseUrl (and the tenant, for StackSpot) configured for ${appId}`,
                  details: { appId, endpoint: 'GET /Users' },
                },
              );
            }
            throw error;
          },
        );
      return usersEndpoint;
    },
    usersEndpointSeen() {
      usersEndpoint = Promise.resolve();
    },
  };
  return client;
}

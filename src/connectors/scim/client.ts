/**
 * @module SCIM request helpers shared by users and groups: ListResponse paging that does not take a server's
 * word for where a listing ends, the ServiceProviderConfig read once, and the 404 sanity probe.
 */

import type { z } from 'zod';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { HttpClient, Query } from '../http/index.js';
import { listResponseSchema, parsePayload, serviceProviderConfigSchema } from './schemas.js';

/** RFC 7644 §3.4.2.4 leaves the maximum to the server; 100 is the most StackSpot (and most IdPs) serve. */
export const PAGE_SIZE = 100;

/** What the server says it can do (RFC 7643 §5), with what is unsaid taken as the RFC's baseline. */
export interface ScimServerConfig {
  /** The page size to ask for: PAGE_SIZE, or less when the server's filter.maxResults says so. */
  pageSize: number;
  filter: boolean;
  patch: boolean;
  etag: boolean;
  bulk: boolean;
  /** Whether the server answered /ServiceProviderConfig at all. */
  read: boolean;
}

const BASELINE: ScimServerConfig = {
  pageSize: PAGE_SIZE,
  filter: true,
  patch: true,
  etag: false,
  bulk: false,
  read: false,
};

export interface ListRequest<T extends z.ZodType<{ id: string }>> {
  path: string;
  endpoint: string;
  item: T;
  /** Where this page starts and the id the previous page ended with (empty on the first page). */
  position: PagePosition;
  query?: Query;
  accept404?: boolean;
  /** See HttpRequestOptions.identicalFailures. */
  identicalFailures?: number;
}

export type PagePosition = {
  startIndex: number;
  lastId: string;
  /** The count to ask for: 0 for the server's page size; less once the server is seen to cap pages. */
  size: number;
};

export const FIRST_PAGE: PagePosition = { startIndex: 1, lastId: '', size: 0 };

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
  /** The server's ServiceProviderConfig, read once per connector (and never where it is not to be read). */
  config(): Promise<ScimServerConfig>;
  /**
   * Throws unless the Users collection itself answers: a 404 on one user is believed ("gone") only then,
   * since StackSpot also answers 404 for a wrong tenant.
   */
  assertUsersEndpoint(): Promise<void>;
  /** A successful Users listing already proves the endpoint; no probe is needed after it. */
  usersEndpointSeen(): void;
}

export interface ScimClientOptions {
  /**
   * Read GET /ServiceProviderConfig (RFC 7644 §4) and act on it. Off for an app whose guide does not document
   * the endpoint (StackSpot): there the RFC baseline is assumed.
   */
  serviceProviderConfig?: boolean;
}

export function createScimClient(
  appId: string,
  http: HttpClient,
  options: ScimClientOptions = {},
): ScimClient {
  let usersEndpoint: Promise<void> | null = null;
  let serverConfig: Promise<ScimServerConfig> | null = null;

  const readConfig = async (): Promise<ScimServerConfig> => {
    if (!options.serviceProviderConfig) return BASELINE;
    // GET /ServiceProviderConfig (RFC 7644 §4): a server without one (404) is taken at the RFC baseline.
    const response = await http.request({
      method: 'GET',
      path: '/ServiceProviderConfig',
      endpoint: 'GET /ServiceProviderConfig',
      accept404: true,
    });
    if (response.status === 404) return BASELINE;
    const spc = parse(serviceProviderConfigSchema, response.body, 'GET /ServiceProviderConfig');
    const maxResults = spc.filter?.maxResults;
    return {
      pageSize:
        typeof maxResults === 'number' && maxResults > 0 ? Math.min(PAGE_SIZE, maxResults) : PAGE_SIZE,
      // Said false means false; unsaid is the baseline (filter and PATCH are what every SCIM IdP uses).
      filter: spc.filter?.supported !== false,
      patch: spc.patch?.supported !== false,
      etag: spc.etag?.supported === true,
      bulk: spc.bulk?.supported === true,
      read: true,
    };
  };
  const parse = <T extends z.ZodType>(schema: T, body: unknown, endpoint: string) =>
    parsePayload(schema, body, { appId, endpoint });

  const client: ScimClient = {
    appId,
    http,
    parse,
    async listPage<T extends z.ZodType<{ id: string }>>(request: ListRequest<T>) {
      const { path, endpoint, item, position, query, accept404, identicalFailures } = request;
      const { startIndex, lastId } = position;
      const asked = position.size > 0 ? position.size : (await client.config()).pageSize;
      const response = await http.request({
        method: 'GET',
        path,
        endpoint,
        query: { ...query, startIndex, count: asked },
        accept404: accept404 ?? false,
        ...(identicalFailures === undefined ? {} : { identicalFailures }),
      });
      if (response.status === 404) return { items: [], next: null, total: 0, missing: true };
      const page = parse(listResponseSchema(item), response.body, endpoint);
      const total = page.totalResults;
      const problem = (what: string, fix: string) =>
        new RosterError('unavailable', `${appId}: ${endpoint} ${what}`, {
          where: appId,
          fix,
          details: { appId, endpoint, startIndex, asked, totalResults: total },
        });
      // A server that ignores startIndex (scimmy-routers on Express 5 does) would hand out page one forever.
      if (typeof page.startIndex === 'number' && page.startIndex !== startIndex && startIndex > 1) {
        throw new RosterError(
          'unavailable',
          `${appId}: ${endpoint} answered startIndex ${page.startIndex} when asked for ${startIndex}; the server does not page`,
          { where: appId, details: { appId, endpoint, asked: startIndex, answered: page.startIndex } },
        );
      }
      if (page.Resources == null && total > startIndex - 1) {
        throw problem(
          `answered totalResults ${total} at startIndex ${startIndex} but no Resources: not a listing Roster can believe`,
          `check that ${appId} is a SCIM 2.0 server and its baseUrl points at the SCIM root`,
        );
      }
      const received = (page.Resources ?? []) as z.output<T>[];
      // Offset paging drifts when records are added meanwhile: the page then starts early and repeats the end
      // of the previous one. Those repeats are dropped and counted, so the next page starts where this one
      // really ended instead of skipping a record.
      const shift = lastId === '' ? 0 : received.findIndex((r) => r.id === lastId) + 1;
      const items = received.slice(shift);
      const covered = startIndex - 1 - shift + received.length;
      const last = received.at(-1)?.id ?? lastId;
      // A total already exceeded that equals this page's length is the capped-server lie, not a count: it is not
      // passed on, so the page walker does not take a listing that is longer than the lie for a runaway.
      const reported = covered > total && total === received.length ? null : total;
      const nextAt = (size: number) => ({
        startIndex: Math.max(covered + 1, startIndex + 1),
        lastId: last,
        size,
      });
      // Every record is one the previous page already gave: the server is not moving forward (SCIMMY re-serves
      // a filtered result at any startIndex). That is the end if the total claims nothing beyond it.
      if (received.length > 0 && items.length === 0) {
        if (total > startIndex - 1) {
          throw problem(
            `answers again the records it gave before at startIndex ${startIndex}, with totalResults ${total}: the server does not page`,
            `the server's paging is broken; report it to its vendor`,
          );
        }
        return { items, next: null, total: reported, missing: false };
      }
      // Where the listing ends is decided by what arrives, never by totalResults or itemsPerPage alone: servers
      // cap `count` without saying so and misreport the total as the length of the page.
      if (received.length === 0) {
        // The server says more exist than it hands out: the listing would be silently incomplete.
        if (total > startIndex - 1) {
          throw problem(
            `reports totalResults ${total} but answers no records from startIndex ${startIndex}: the listing cannot be read whole`,
            `the server's paging is broken; report it to its vendor`,
          );
        }
        return { items, next: null, total: reported, missing: false };
      }
      // A full page: there may be more, whatever the total says.
      if (received.length >= asked) return { items, next: nextAt(asked), total: reported, missing: false };
      // A short page. The server capped the page size if the total says more exist, or if the total is just
      // this page's length (a capped page with the total misreported looks exactly so): ask once more, at the
      // size it served. Otherwise the short page is the last one.
      if (covered < total || (startIndex === 1 && total === received.length && position.size === 0)) {
        return { items, next: nextAt(received.length), total: reported, missing: false };
      }
      return { items, next: null, total: reported, missing: false };
    },
    config() {
      serverConfig ??= readConfig().catch((error: unknown) => {
        serverConfig = null;
        throw error;
      });
      return serverConfig;
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

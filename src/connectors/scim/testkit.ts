/**
 * @module Test support: a third-party SCIM 2.0 server (SCIMMY + scimmy-routers on Express) over an in-memory
 * user and group store, with a request log shaped like a sandbox's so the shared contract can run against it.
 */

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import type { AppConfigOf } from '../../config/schema.js';
import type { RequestLogEntry, SandboxHandle } from '../../sandbox/kit/server.js';
import { createConnector } from '../sdk/create.js';
import { testHttp } from '../sdk/testkit.js';
import type { Connector } from '../sdk/types.js';
import { scimConnector } from './connector.js';

type Json = Record<string, unknown>;

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimmyStore {
  users: Map<string, Json>;
  groups: Map<string, Json>;
}

export interface ScimmyServer {
  origin: string;
  baseUrl: string;
  token: string;
  store: ScimmyStore;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  /** What the shared contract needs of a sandbox: credentials and the request log. */
  handle: SandboxHandle<ScimmyStore>;
  close(): Promise<void>;
}

export interface ScimmyOptions {
  users?: number;
  groups?: number;
  /** Members per group, taken in order from the users. */
  membersPerGroup?: number;
  /**
   * Express 5 re-parses `req.query` on every read, so scimmy-routers' cast of startIndex/count to numbers is
   * lost and SCIMMY ignores both. True (default) installs a query parser that casts them; false shows the bug.
   */
  numericPaging?: boolean;
  /** Filters this server refuses with 400 invalidFilter (a server that cannot search by userName). */
  refuseFilters?: RegExp;
  /**
   * Hostile: serve at most this many resources per page whatever `count` asks, and report totalResults as the
   * length of the page (scimgateway 6.1.18 was seen doing both).
   */
  capPageAt?: number;
  /** Hostile: report totalResults this much higher than the records there are. */
  overstateTotalBy?: number;
  /** Hostile: answer 500, the same body each time, to a filter holding an escaped quote (`\"`). */
  crashOnEscapedQuote?: boolean;
  /** Hostile: carry out the next DELETE of a user, then answer 500 as if it had failed. */
  deleteThen500?: boolean;
  /** What GET /ServiceProviderConfig says (SCIMMY's own defaults say no PATCH and no filter). */
  serviceProviderConfig?: Json;
}

/** What a SCIMMY server supports here, said truthfully: PATCH and filters work, and ETags are not kept. */
const HONEST_CONFIG: Json = {
  patch: { supported: true },
  filter: { supported: true, maxResults: 200 },
  etag: { supported: false },
  // scimmy-routers takes maxPayloadSize as its body limit for every request, not only bulk ones.
  bulk: { supported: false, maxOperations: 1000, maxPayloadSize: 1_048_576 },
};

/** SCIMMY's resource handlers are static: they serve whichever store the running test server holds. */
let active: ScimmyStore | null = null;
let declared = false;

const now = () => new Date().toISOString();
const plain = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;
const fail = (status: number, scimType: string | null, message: string) =>
  new SCIMMY.Types.Error(status, scimType as never, message);

function storeOf(): ScimmyStore {
  if (!active) throw fail(503, null, 'no SCIM test server is running');
  return active;
}

function matching(list: Json[], filter: { match(values: Json[]): Json[] } | undefined): Json[] {
  return filter ? filter.match(list) : list;
}

function declareResources(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, instance) => {
      const { users } = storeOf();
      const data = plain(instance);
      const userName = String(data['userName'] ?? '').toLowerCase();
      for (const [id, user] of users) {
        if (id !== resource.id && String(user['userName']).toLowerCase() === userName)
          throw fail(409, 'uniqueness', `userName ${String(data['userName'])} is already taken`);
      }
      const existing = resource.id ? users.get(resource.id) : undefined;
      if (resource.id && !existing) throw fail(404, null, `User ${resource.id} not found`);
      const id = resource.id ?? randomUUID();
      const created = (existing?.['meta'] as Json | undefined)?.['created'] ?? now();
      const user = { ...data, id, meta: { created, lastModified: now() } };
      users.set(id, user);
      return plain(user) as never;
    })
    .egress((resource) => {
      const { users } = storeOf();
      if (resource.id) {
        const user = users.get(resource.id);
        if (!user) throw fail(404, null, `User ${resource.id} not found`);
        return plain(user) as never;
      }
      return matching([...users.values()], resource.filter as never).map(plain) as never;
    })
    .degress((resource) => {
      const { users, groups } = storeOf();
      if (!resource.id || !users.delete(resource.id)) throw fail(404, null, `User ${resource.id} not found`);
      for (const group of groups.values()) {
        group['members'] = ((group['members'] as Json[] | undefined) ?? []).filter(
          (m) => m['value'] !== resource.id,
        );
      }
    });
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance) => {
      const { groups } = storeOf();
      const existing = resource.id ? groups.get(resource.id) : undefined;
      if (resource.id && !existing) throw fail(404, null, `Group ${resource.id} not found`);
      const id = resource.id ?? randomUUID();
      const group = { ...plain(instance), id, meta: { created: now(), lastModified: now() } };
      groups.set(id, group);
      return plain(group) as never;
    })
    .egress((resource) => {
      const { groups } = storeOf();
      if (resource.id) {
        const group = groups.get(resource.id);
        if (!group) throw fail(404, null, `Group ${resource.id} not found`);
        return plain(group) as never;
      }
      return matching([...groups.values()], resource.filter as never).map(plain) as never;
    })
    .degress((resource) => {
      const { groups } = storeOf();
      if (!resource.id || !groups.delete(resource.id))
        throw fail(404, null, `Group ${resource.id} not found`);
    });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Users u0…, half of them with a login that is not their email (so findByEmail must search emails too). */
export function seedStore(options: ScimmyOptions): ScimmyStore {
  const users = new Map<string, Json>();
  const groups = new Map<string, Json>();
  const created = '2025-01-15T09:00:00.000Z';
  const ids: string[] = [];
  for (let i = 0; i < (options.users ?? 12); i++) {
    const id = `u-${String(i).padStart(6, '0')}`;
    ids.push(id);
    const email = `person${i}@acme.com`;
    users.set(id, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id,
      userName: i % 2 === 0 ? email : `login${i}`,
      externalId: `ext-${i}`,
      name: { givenName: `Person${i}`, familyName: 'Tester' },
      displayName: `Person${i} Tester`,
      emails: [{ value: email, type: 'work', primary: true }],
      active: i % 5 !== 4,
      meta: { created, lastModified: created },
    });
  }
  const per = options.membersPerGroup ?? 3;
  for (let g = 0; g < (options.groups ?? 3); g++) {
    const id = `g-${String(g).padStart(4, '0')}`;
    const members = ids.slice(g * per, g * per + per).map((value) => ({ value, type: 'User' }));
    groups.set(id, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id,
      displayName: g === 0 ? 'Administrators' : `Team ${g}`,
      members,
      meta: { created, lastModified: created },
    });
  }
  return { users, groups };
}

/** Casts startIndex/count to numbers, as scimmy-routers expects (and Express 4 kept); caps count if asked. */
function numericQuery(raw: string, capPageAt?: number): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = (key === 'startIndex' || key === 'count') && /^\d+$/.test(value) ? Number(value) : value;
  }
  if (capPageAt !== undefined && out['count'] !== undefined)
    out['count'] = Math.min(Number(out['count']), capPageAt);
  return out;
}

export async function startScimmyServer(options: ScimmyOptions = {}): Promise<ScimmyServer> {
  const store = seedStore(options);
  active = store;
  declareResources();
  const token = `scimmy_${randomUUID().replaceAll('-', '')}`;
  const log: RequestLogEntry[] = [];
  let seq = 0;
  let origin = '';

  const app = express();
  if (options.numericPaging !== false)
    app.set('query parser', (raw: string) => numericQuery(raw, options.capPageAt));
  let deleteThen500 = options.deleteThen500 === true;
  app.use((req, res, next) => {
    const entry: RequestLogEntry = {
      seq: ++seq,
      method: req.method,
      url: req.originalUrl,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: undefined,
      status: null,
      fault: null,
      at: now(),
    };
    log.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.body = req.body;
    });
    const filter = new URL(req.originalUrl, origin || 'http://x').searchParams.get('filter');
    if (filter !== null && options.refuseFilters?.test(filter)) {
      res.status(400).type('application/scim+json');
      res.send({ schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidFilter', detail: 'unsupported' });
      return;
    }
    if (filter !== null && options.crashOnEscapedQuote && filter.includes('\\"')) {
      res.status(500).type('application/scim+json');
      res.send({ schemas: [ERROR_SCHEMA], status: '500', detail: 'Internal error while parsing filter' });
      return;
    }
    if (req.method === 'DELETE' && deleteThen500 && /\/Users\/[^/]+$/.test(req.path)) {
      deleteThen500 = false;
      res.on('finish', () => undefined);
      const original = res.status.bind(res);
      // The delete is carried out; only its answer is replaced.
      res.status = ((code: number) => original(code === 204 ? 500 : code)) as typeof res.status;
    }
    if (options.capPageAt !== undefined || options.overstateTotalBy !== undefined) {
      // capPageAt: the total is reported as the length of the page served, the lie that made a sync stop at 50
      // of 56. overstateTotalBy: more are claimed than exist.
      const send = res.send.bind(res);
      res.send = ((body: unknown) => {
        const parsed = typeof body === 'string' ? safeJson(body) : body;
        if (parsed && typeof parsed === 'object' && Array.isArray((parsed as Json)['Resources'])) {
          const page = parsed as Json;
          const totalResults =
            options.capPageAt !== undefined
              ? (page['Resources'] as unknown[]).length
              : Number(page['totalResults']) + (options.overstateTotalBy ?? 0);
          return send(JSON.stringify({ ...page, totalResults }) as never);
        }
        return send(body as never);
      }) as typeof res.send;
    }
    next();
  });
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      handler: (request) => {
        if (request.header('authorization') !== `Bearer ${token}`) throw new Error('Invalid bearer token');
        return 'roster';
      },
    }),
  );
  // After the routers: constructing them marks everything they implement as supported.
  SCIMMY.Config.set({ ...HONEST_CONFIG, ...options.serviceProviderConfig } as never);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrl = `${origin}/scim/v2`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (active === store) active = null;
  };
  const requests = () => log.slice();
  const clearRequests = () => {
    log.length = 0;
  };
  // Only what the contract reads (credentials, requests) is real; the sandbox-only parts are not used.
  const handle = {
    origin,
    baseUrl,
    credentials: { token },
    get state() {
      return store;
    },
    requests,
    clearRequests,
    close,
  } as unknown as SandboxHandle<ScimmyStore>;
  return { origin, baseUrl, token, store, requests, clearRequests, handle, close };
}

export function scimConfigFor(server: ScimmyServer): AppConfigOf<'scim'> {
  return {
    id: 'scimmy',
    type: 'scim',
    baseUrl: server.baseUrl,
    auth: { type: 'bearer', token: server.token },
  };
}

export function scimConnectorFor(server: ScimmyServer): Connector {
  return createConnector(scimConnector, scimConfigFor(server), { http: testHttp() });
}

/** @module Runs one app's sandbox over real HTTP: auth, the fault layer, the request log and the admin API. */

import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SeedAppType } from '../../core/types.js';
import type { SampleCompany } from './company.js';
import {
  DriftingPager,
  FAULT_PROFILES,
  type FaultDecision,
  FaultInjector,
  type FaultProfileName,
  type FaultSettings,
  faultSettingsSchema,
  type RetryAfterBehaviour,
  type ScriptedFault,
  scriptedFaultSchema,
} from './faults.js';
import { createRng } from './rng.js';

/** What a client needs to talk to a sandbox. Fake values, generated from the seed. */
export interface SandboxCredentials {
  token: string;
  /** Basic auth, for apps that take it (Targetprocess). */
  username?: string;
  password?: string;
  /** Tenant or customer the credentials are scoped to (StackSpot X-Tenant-Id, customer-directory customerId). */
  tenant?: string;
}

export type AuthOutcome = { ok: true } | { ok: false; status: 401 | 403; message: string };

export interface WebhookDelivery {
  event: string;
  url: string;
  status: number | null;
  error: string | null;
  payload: unknown;
  at: string;
}

export interface SandboxContext<State> {
  /** The live state; handlers read and mutate it. Replaced wholesale by reset/seed. */
  readonly state: State;
  readonly credentials: SandboxCredentials;
  /** The sandbox's clock: real time plus an offset the admin API can move. */
  now(): Date;
  /**
   * One page of a listing (`listing` names it, e.g. the request path) as a client sees it under the fault
   * layer's pagination drift: later pages of a listing may be shifted by records added or removed meanwhile.
   */
  page<T>(listing: string, items: readonly T[], offset: number, limit: number): T[];
  /** Send an outbound webhook to every registered URL (Thought Industries). Never throws. */
  emit(event: string, payload: unknown): void;
  /** Deterministic id source for new objects. */
  newId(prefix?: string): string;
  /** Whether an undocumented convenience (a flag of the definition's `undocumented`) was switched on. */
  undocumented(flag: string): boolean;
}

export interface SandboxDefinition<State> {
  type: SeedAppType;
  /** What the product calls itself, for output. */
  title: string;
  /** How this app's 429s carry Retry-After (see the sandbox README for each choice). */
  retryAfter: RetryAfterBehaviour;
  /** Credentials derived from the seed. */
  credentials(seed: number): SandboxCredentials;
  /** The API base URL a connector is configured with, given the sandbox origin. */
  baseUrl(origin: string, credentials: SandboxCredentials): string;
  /** A fresh state: empty, or holding this app's part of the sample company. */
  createState(input: { company: SampleCompany | null; seed: number; now: Date }): State;
  /** Plain JSON for the admin API, and back. */
  snapshot(state: State): unknown;
  restore(json: unknown): State;
  /** Counts for people: `{ users: 212, teams: 8 }`. */
  summary(state: State): Record<string, number>;
  authenticate(request: FastifyRequest, credentials: SandboxCredentials): AuthOutcome;
  /** The body this app answers errors with (its own shape, or a SCIM Error). */
  errorBody(status: number, message: string): unknown;
  routes(app: FastifyInstance, ctx: SandboxContext<State>): void;
  /** App-specific admin routes under /__admin (accept an invite, publish a course...). */
  adminRoutes?(app: FastifyInstance, ctx: SandboxContext<State>): void;
  /**
   * What the sandbox can serve beyond its guide, flag → what it adds. Every flag is off unless started with
   * it, so by default a client meets only what the guide documents (src/sandbox/README.md lists them all).
   */
  undocumented?: Readonly<Record<string, string>>;
  /**
   * Extra keys for the app's roster.yaml entry (`roster sandbox start`): the name → id maps a connector reads
   * from config where the guide documents no list of them, and the connector's opt-in to the undocumented
   * endpoints this sandbox was started with (`flags`).
   */
  appConfig?(state: State, flags: readonly string[]): Record<string, unknown>;
}

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path and query exactly as the client sent them. */
  url: string;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  fault: string | null;
  at: string;
}

export interface SandboxOptions {
  seed?: number;
  profile?: FaultProfileName;
  faults?: Partial<FaultSettings>;
  company?: SampleCompany | null;
  /** Builds a sample company for `POST /__admin/seed-company`; given so the kit does not import the generator. */
  companyFactory?: (options: { seed: number; people: number }) => SampleCompany;
  port?: number;
  host?: string;
  /** Undocumented conveniences to serve (flags of the definition's `undocumented`); none by default. */
  undocumented?: readonly string[];
}

export interface SandboxHandle<State = unknown> {
  type: SeedAppType;
  title: string;
  origin: string;
  baseUrl: string;
  credentials: SandboxCredentials;
  readonly state: State;
  /** The undocumented flags this sandbox was started with. */
  undocumented: readonly string[];
  /** Extra keys for the app's roster.yaml entry, from the current state (the definition's `appConfig`). */
  appConfig(): Record<string, unknown>;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  setFaults(profile: FaultProfileName, overrides?: Partial<FaultSettings>, seed?: number): void;
  /** The fault settings in force. */
  faults(): FaultSettings;
  /** Aims faults at particular requests (a 503 on one path), before the profile's random ones. */
  scriptFaults(rules: readonly ScriptedFault[]): void;
  clearScriptedFaults(): void;
  reset(company?: SampleCompany | null): void;
  summary(): Record<string, number>;
  close(): Promise<void>;
}

export const ADMIN_PREFIX = '/__admin';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface RequestMeta {
  entry: RequestLogEntry;
  admin: boolean;
}

export async function startSandbox<State>(
  def: SandboxDefinition<State>,
  options: SandboxOptions = {},
): Promise<SandboxHandle<State>> {
  const seed = options.seed ?? 1;
  const profile = options.profile ?? 'clean';
  const flags = undocumentedFlags(def, options.undocumented ?? []);
  const credentials = def.credentials(seed);
  const idRng = createRng(seed).fork(`ids:${def.type}`);
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  let company = options.company ?? null;
  let state = def.createState({ company, seed, now: now() });
  const faults = new FaultInjector({
    settings: { ...FAULT_PROFILES[profile], ...options.faults },
    seed,
    label: def.type,
    retryAfter: def.retryAfter,
  });
  const pager = new DriftingPager(() => faults.drift());
  const log: RequestLogEntry[] = [];
  let seq = 0;
  const webhookUrls = new Set<string>();
  const deliveries: WebhookDelivery[] = [];
  const meta = new WeakMap<FastifyRequest, RequestMeta>();

  const ctx: SandboxContext<State> = {
    get state() {
      return state;
    },
    credentials,
    now,
    page: (listing, items, offset, limit) => pager.page(listing, items, offset, limit),
    emit(event, payload) {
      for (const url of webhookUrls) {
        const delivery: WebhookDelivery = {
          event,
          url,
          status: null,
          error: null,
          payload,
          at: now().toISOString(),
        };
        deliveries.push(delivery);
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-sandbox-event': event },
          body: JSON.stringify({ event, occurredAt: delivery.at, data: payload }),
          signal: AbortSignal.timeout(5000),
        }).then(
          (res) => {
            delivery.status = res.status;
            return res.body?.cancel();
          },
          (error: unknown) => {
            delivery.error = error instanceof Error ? error.message : String(error);
          },
        );
      }
    },
    newId(prefix = '') {
      return `${prefix}${idRng.hex(12)}`;
    },
    undocumented: (flag) => flags.has(flag),
  };

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024 });

  // JSON bodies: an empty body is no body (clients send content-type on DELETE), bad JSON is a 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        const error = Object.assign(new Error('Request body is not valid JSON'), { statusCode: 400 });
        done(error, undefined);
      }
    },
  );

  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    return reply.code(status).send(def.errorBody(status, error.message ?? 'Internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(def.errorBody(404, `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.addHook('onRequest', async (request, reply) => {
    const admin = request.url.startsWith(ADMIN_PREFIX);
    const entry: RequestLogEntry = {
      seq: ++seq,
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
      body: undefined,
      status: null,
      fault: null,
      at: now().toISOString(),
    };
    meta.set(request, { entry, admin });
    if (admin) return;
    log.push(entry);
    const decision = faults.scripted(request.method, request.url.split('?')[0] ?? '') ?? faults.before();
    await applyFault(decision, entry, request, reply, def);
  });

  app.addHook('preHandler', async (request, reply) => {
    const m = meta.get(request);
    if (!m) return;
    m.entry.body = request.body;
    if (m.admin) return;
    const auth = def.authenticate(request, credentials);
    if (!auth.ok) return reply.code(auth.status).send(def.errorBody(auth.status, auth.message));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const m = meta.get(request);
    if (!m || m.admin) return payload;
    if (MUTATING.has(request.method) && reply.statusCode < 400 && m.entry.fault === null) {
      const after = faults.after();
      if (after.kind === 'lost') {
        m.entry.fault = `lost_response:${after.how}`;
        if (after.how === 'reset') {
          request.raw.socket.destroy();
          return payload;
        }
        reply.code(502).header('content-type', 'text/html');
        return '<html><body><h1>502 Bad Gateway</h1></body></html>';
      }
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const m = meta.get(request);
    if (m && m.entry.status === null) m.entry.status = reply.statusCode;
  });

  registerAdmin(app, {
    def,
    ctx,
    getState: () => state,
    setState: (next) => {
      state = next;
    },
    getCompany: () => company,
    setCompany: (next) => {
      company = next;
    },
    log,
    faults,
    seed,
    now,
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    getClockOffset: () => clockOffsetMs,
    webhookUrls,
    deliveries,
    credentials,
    companyFactory: options.companyFactory,
    undocumented: [...flags],
  });
  def.routes(app, ctx);

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('sandbox did not bind a TCP port');
  const origin = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  return {
    type: def.type,
    title: def.title,
    origin,
    baseUrl: def.baseUrl(origin, credentials),
    credentials,
    undocumented: [...flags],
    appConfig: () => def.appConfig?.(state, [...flags]) ?? {},
    get state() {
      return state;
    },
    requests: () => log.slice(),
    clearRequests: () => {
      log.length = 0;
    },
    faults: () => faults.current(),
    scriptFaults: (rules) => faults.script(rules),
    clearScriptedFaults: () => faults.clearScripts(),
    setFaults: (name, overrides, newSeed) =>
      faults.configure({ ...FAULT_PROFILES[name], ...overrides }, newSeed ?? seed, def.type),
    reset: (next) => {
      if (next !== undefined) company = next;
      state = def.createState({ company, seed, now: now() });
      log.length = 0;
    },
    summary: () => def.summary(state),
    close: () => app.close(),
  };
}

async function applyFault<State>(
  decision: FaultDecision,
  entry: RequestLogEntry,
  request: FastifyRequest,
  reply: FastifyReply,
  def: SandboxDefinition<State>,
): Promise<void> {
  switch (decision.kind) {
    case 'none':
      return;
    case 'slow':
      entry.fault = `slow:${decision.delayMs}ms`;
      await sleep(decision.delayMs);
      return;
    case 'rate_limited': {
      entry.fault = 'rate_limited';
      entry.status = 429;
      if (decision.retryAfterSeconds !== null)
        reply.header('retry-after', String(decision.retryAfterSeconds));
      reply.code(429).send(def.errorBody(429, 'Too many requests'));
      return;
    }
    case 'scripted':
      entry.fault = `scripted:${decision.status}`;
      entry.status = decision.status;
      reply.code(decision.status).send(def.errorBody(decision.status, 'Scripted fault'));
      return;
    case 'server_error':
      entry.fault = `server_error:${decision.status}`;
      entry.status = decision.status;
      reply.code(decision.status).send(def.errorBody(decision.status, 'The server is having a bad day'));
      return;
    case 'hang':
      // Never answered: the socket stays open until the client gives up or the sandbox closes.
      entry.fault = 'hang';
      reply.hijack();
      return;
    case 'reset':
      entry.fault = 'reset';
      reply.hijack();
      request.raw.socket.destroy();
      return;
  }
}

interface AdminDeps<State> {
  def: SandboxDefinition<State>;
  ctx: SandboxContext<State>;
  getState(): State;
  setState(next: State): void;
  getCompany(): SampleCompany | null;
  setCompany(next: SampleCompany | null): void;
  log: RequestLogEntry[];
  faults: FaultInjector;
  seed: number;
  now(): Date;
  setClockOffset(ms: number): void;
  getClockOffset(): number;
  webhookUrls: Set<string>;
  deliveries: WebhookDelivery[];
  credentials: SandboxCredentials;
  companyFactory: ((options: { seed: number; people: number }) => SampleCompany) | undefined;
  undocumented: readonly string[];
}

/** The flags asked for, each checked against what the definition can serve: a typo must not pass as "off". */
function undocumentedFlags<State>(def: SandboxDefinition<State>, asked: readonly string[]): Set<string> {
  const known = Object.keys(def.undocumented ?? {});
  for (const flag of asked) {
    if (!known.includes(flag)) {
      const offer = known.length > 0 ? `known: ${known.join(', ')}` : 'it serves nothing undocumented';
      throw new Error(`the ${def.type} sandbox has no undocumented flag "${flag}" (${offer})`);
    }
  }
  return new Set(asked);
}

const faultsBody = z.object({
  profile: z.enum(Object.keys(FAULT_PROFILES) as [FaultProfileName, ...FaultProfileName[]]).default('clean'),
  overrides: faultSettingsSchema.partial().default({}),
  seed: z.number().int().optional(),
});
const clockBody = z.union([
  z.object({ offsetMs: z.number() }),
  z.object({ advanceMs: z.number() }),
  z.object({ now: z.iso.datetime() }),
]);

/** The admin API: no auth, no faults, never logged. Loopback only, like the sandbox itself. */
function registerAdmin<State>(app: FastifyInstance, deps: AdminDeps<State>): void {
  const { def } = deps;
  const bad = (reply: FastifyReply, error: z.ZodError) =>
    reply.code(400).send({ error: 'invalid admin request', issues: error.issues });

  app.get(`${ADMIN_PREFIX}/info`, async () => ({
    type: def.type,
    title: def.title,
    seed: deps.seed,
    credentials: deps.credentials,
    undocumented: deps.undocumented,
    now: deps.now().toISOString(),
    summary: def.summary(deps.getState()),
  }));
  app.get(`${ADMIN_PREFIX}/state`, async () => def.snapshot(deps.getState()));
  app.put(`${ADMIN_PREFIX}/state`, async (request) => {
    deps.setState(def.restore(request.body));
    return def.summary(deps.getState());
  });
  app.post(`${ADMIN_PREFIX}/reset`, async (request) => {
    const empty = (request.body as { empty?: boolean } | undefined)?.empty === true;
    if (empty) deps.setCompany(null);
    deps.setState(def.createState({ company: deps.getCompany(), seed: deps.seed, now: deps.now() }));
    deps.log.length = 0;
    return def.summary(deps.getState());
  });
  app.post(`${ADMIN_PREFIX}/seed-company`, async (request, reply) => {
    const parsed = z
      .object({
        seed: z.number().int().default(deps.seed),
        people: z.number().int().min(1).max(200_000).default(200),
      })
      .safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    if (!deps.companyFactory)
      return reply.code(501).send({ error: 'this sandbox was started without a company factory' });
    const company = deps.companyFactory(parsed.data);
    deps.setCompany(company);
    deps.setState(def.createState({ company, seed: deps.seed, now: deps.now() }));
    return def.summary(deps.getState());
  });
  app.get(`${ADMIN_PREFIX}/requests`, async (request) => {
    const since = Number((request.query as { since?: string }).since ?? 0);
    return deps.log.filter((entry) => entry.seq > since);
  });
  app.delete(`${ADMIN_PREFIX}/requests`, async () => {
    deps.log.length = 0;
    return { cleared: true };
  });
  app.get(`${ADMIN_PREFIX}/faults`, async () => deps.faults.current());
  app.put(`${ADMIN_PREFIX}/faults`, async (request, reply) => {
    const parsed = faultsBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const { profile, overrides, seed } = parsed.data;
    deps.faults.configure({ ...FAULT_PROFILES[profile], ...overrides }, seed ?? deps.seed, def.type);
    return deps.faults.current();
  });
  app.put(`${ADMIN_PREFIX}/faults/scripted`, async (request, reply) => {
    const parsed = z.object({ rules: z.array(scriptedFaultSchema) }).safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    deps.faults.clearScripts();
    deps.faults.script(parsed.data.rules);
    return { rules: parsed.data.rules };
  });
  app.put(`${ADMIN_PREFIX}/clock`, async (request, reply) => {
    const parsed = clockBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    const body = parsed.data;
    if ('offsetMs' in body) deps.setClockOffset(body.offsetMs);
    else if ('advanceMs' in body) deps.setClockOffset(deps.getClockOffset() + body.advanceMs);
    else deps.setClockOffset(Date.parse(body.now) - Date.now());
    return { now: deps.now().toISOString() };
  });
  app.put(`${ADMIN_PREFIX}/webhooks`, async (request, reply) => {
    const parsed = z.object({ url: z.url() }).safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, parsed.error);
    deps.webhookUrls.add(parsed.data.url);
    return { urls: [...deps.webhookUrls] };
  });
  app.get(`${ADMIN_PREFIX}/webhooks`, async () => ({
    urls: [...deps.webhookUrls],
    deliveries: deps.deliveries,
  }));
  def.adminRoutes?.(app, deps.ctx);
}

/** Reads a bearer token from the Authorization header, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match ? (match[1] ?? null) : null;
}

/** Reads Basic credentials from the Authorization header, or null. */
export function basicCredentials(request: FastifyRequest): { username: string; password: string } | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

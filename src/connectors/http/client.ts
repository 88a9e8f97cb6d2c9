/** @module The HTTP client every connector sends its requests through: one keep-alive dispatcher, retries, limits, metrics. */

import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { Agent, request as undiciRequest } from 'undici';
import { type ErrorCode, RosterError } from '../../core/errors.js';
import { authHeaders, authSecrets, type HttpAuth, validateAuth } from './auth.js';
import { type BreakerOptions, type BreakerState, CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import {
  circuitOpenError,
  codeForStatus,
  type RequestFacts,
  redirectError,
  statusError,
  type TransportFailure,
  transportError,
} from './errors.js';
import {
  AdaptiveLimiter,
  type ConcurrencyOptions,
  DEFAULT_CONCURRENCY,
  type RequestLimiter,
} from './limiter.js';
import { type PacerOptions, type PaceTicket, RatePacer, type RequestPacer } from './pacer.js';
import { createRedactor, type Redactor } from './redact.js';
import {
  type AttemptFailure,
  type BackoffOptions,
  DEFAULT_BACKOFF,
  parseRetryAfter,
  retryDecision,
  retryDelay,
} from './retry.js';
import { appendQuery, joinUrl, pathOf, pathProblem, plainTarget, type Query, withoutQuery } from './url.js';

/** The part of a pino logger the client uses; any pino logger (custom levels or not) fits. */
export interface HttpLogger {
  child(bindings: Record<string, unknown>): HttpLogger;
  /** pino's: whether a line at this level would be written (a logger without it gets every line). */
  isLevelEnabled?(level: string): boolean;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpClientOptions {
  /** The app's id in roster.yaml: every error and log line names it. */
  appId: string;
  /** http(s) URL the request paths are appended to; no credentials, query or fragment. */
  baseUrl: string;
  auth: HttpAuth;
  /** Static headers sent with every request (X-Tenant-Id...). Not for secrets: use `auth`. */
  headers?: Record<string, string>;
  /** Per attempt, from sending to the last byte of the answer. Default 15000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  backoff?: Partial<BackoffOptions>;
  concurrency?: Partial<ConcurrencyOptions>;
  /** How the app's hidden rate limit is learnt from its 429s and paced to (see RatePacer). */
  pacing?: Partial<PacerOptions>;
  /** The limiter for this app's requests instead of the in-process one (cluster mode: a budget shared in Redis). */
  limiterFor?: (appId: string) => RequestLimiter;
  /** The pacer for this app's requests instead of the in-process one (cluster mode: one pace shared in Redis). */
  pacerFor?: (appId: string) => RequestPacer;
  breaker?: Partial<BreakerOptions>;
  /**
   * The largest answer body read, in bytes; a bigger one is an error, not memory exhausted. Default 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * How many times the same 500 answer (status and body) is taken before it is believed: retries are for what
   * can change, and a server that fails one request deterministically answers it the same way each time.
   * Default 3.
   */
  identicalFailures?: number;
  /** A pino logger; silent by default. */
  logger?: HttpLogger;
  /** Test hooks: how to wait, where jitter comes from, what time it is (breaker, Retry-After dates). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface HttpRequestOptions {
  /** Query parameters, encoded by the client. Never credentials: those go in `auth`. */
  query?: Query;
  /** A string or bytes is sent as given; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** A stable label for metrics and logs, e.g. 'GET /Users'. */
  endpoint: string;
  /** Whether repeating the request is harmless. Default: true for GET, HEAD, PUT and DELETE. */
  idempotent?: boolean;
  /** Return a 404 answer instead of throwing not_found. */
  accept404?: boolean;
  /** Overrides the client's `identicalFailures` for this request (2: stop after the second identical 500). */
  identicalFailures?: number;
}

export interface HttpRequest extends HttpRequestOptions {
  method: HttpMethod;
  /** Starts with '/', appended to baseUrl; no query string (use `query`). */
  path: string;
}

export interface HttpUrlRequest extends HttpRequestOptions {
  method?: HttpMethod;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON (null when empty), else the text. */
  body: unknown;
  requestId: string | null;
}

export interface EndpointStats {
  /** Attempts sent, retries included. */
  requests: number;
  retries: number;
  rateLimited: number;
  timeouts: number;
  /** Failed attempts by the code they would raise. */
  errors: Partial<Record<ErrorCode, number>>;
  /** Bytes of answer bodies received. */
  bytes: number;
  durationMs: number;
}

/** The whole client's figures: every endpoint's added up, and the state of its limiter and breaker. */
export interface HttpClientStats extends EndpointStats {
  /** Calls refused by the open circuit without touching the network. */
  shortCircuited: number;
  concurrencyLimit: number;
  circuit: BreakerState;
  byEndpoint: Record<string, EndpointStats>;
}

export interface HttpClient {
  readonly appId: string;
  readonly baseUrl: string;
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Follows a link the app gave (a `Next` page URL). Same origin as baseUrl only. */
  requestUrl(url: string, request: HttpUrlRequest): Promise<HttpResponse>;
  /** Masks every secret this client knows, and secret-named query parameters, in a text. */
  redact(text: string): string;
  stats(): HttpClientStats;
  readonly concurrencyLimit: number;
  close(): Promise<void>;
}

const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'DELETE']);
const REQUEST_ID_HEADERS = [
  'x-request-id',
  'x-correlation-id',
  'request-id',
  'x-amzn-requestid',
  'x-amz-request-id',
  'x-ms-request-id',
  'cf-ray',
];
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ECONNABORTED']);
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;
/** Far above any page these apps serve, far below what would exhaust a process. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function positiveInt(value: number, fallback: number, min: number): number {
  return Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}

function checkBaseUrl(appId: string, baseUrl: string): URL {
  const bad = (what: string) =>
    new RosterError('invalid_input', `${appId}: baseUrl ${what}`, { where: appId, details: { appId } });
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must be http or https');
  // Credentials in a URL end up in logs and proxies; they belong in `auth`.
  if (url.username || url.password) throw bad('must not carry a user name or password');
  if (url.search || url.hash) throw bad('must not carry a query or fragment');
  return url;
}

function normalizeHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function requestIdOf(headers: Record<string, string>): string | null {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (value) return value;
  }
  return null;
}

function errorCodeOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

interface Counters {
  requests: number;
  retries: number;
  rateLimited: number;
  timeouts: number;
  errors: Partial<Record<ErrorCode, number>>;
  bytes: number;
  durationMs: number;
}

function emptyCounters(): Counters {
  return { requests: 0, retries: 0, rateLimited: 0, timeouts: 0, errors: {}, bytes: 0, durationMs: 0 };
}

/** What one attempt came to. `error` is built late: whether it is ambiguous depends on the retry decision. */
type AttemptOutcome =
  | { ok: true; response: HttpResponse }
  | {
      ok: false;
      failure: AttemptFailure;
      code: ErrorCode;
      retryAfterMs: number | null;
      requestId: string | null;
      /** The answer's status and body, for telling a failure that repeats identically from one that changes. */
      signature: string | null;
      error: (ambiguous: boolean, attempts: number) => RosterError;
    };

interface Prepared {
  method: HttpMethod;
  url: string;
  endpoint: string;
  idempotent: boolean;
  accept404: boolean;
  identicalFailures: number;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  /** The path and query to send to the app's origin as they are (see plainTarget); null: undici parses `url`. */
  target: string | null;
}

/**
 * The abort signal of one attempt. undici takes any object with addEventListener and removeEventListener; an
 * AbortController per attempt (an EventTarget, its AbortSignal and their listener bookkeeping) was most of what
 * this client added to the cost of a request on a sync's thousands of them.
 */
class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  /** Each listener hears it once, as an AbortSignal's `{ once: true }` listeners do. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** The body of an answer, read up to `max` bytes: null when it is bigger (the rest is never read). */
async function readBody(
  body: AsyncIterable<Buffer> & { destroy(): unknown; text(): Promise<string> },
  declared: string | undefined,
  max: number,
): Promise<{ text: string; bytes: number } | { text: null; bytes: number }> {
  const length = declared === undefined || declared === '' ? Number.NaN : Number(declared);
  if (Number.isFinite(length) && length > max) {
    body.destroy();
    return { text: null, bytes: 0 };
  }
  // undici holds an answer to its declared length (a longer or shorter body is an error), so a declared length
  // within bounds is read whole, without a promise per chunk: every page of a sync comes this way.
  if (Number.isSafeInteger(length) && length >= 0) return { text: await body.text(), bytes: length };
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > max) {
      body.destroy();
      return { text: null, bytes };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes };
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  let closing: Promise<void> | undefined;
  const appId = options.appId;
  if (!appId) throw new RosterError('invalid_input', 'an HTTP client needs an appId');
  const base = checkBaseUrl(appId, options.baseUrl);
  validateAuth(appId, options.auth);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = positiveInt(options.timeoutMs ?? 15_000, 15_000, 1);
  const maxRetries = positiveInt(options.maxRetries ?? 5, 5, 0);
  const maxResponseBytes = positiveInt(
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    1,
  );
  const identicalFailures = positiveInt(options.identicalFailures ?? 3, 3, 1);
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const concurrency: ConcurrencyOptions = { ...DEFAULT_CONCURRENCY, ...options.concurrency };
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const redact: Redactor = createRedactor(authSecrets(options.auth));
  const logger: HttpLogger = (options.logger ?? pino({ level: 'silent' })).child({ appId });
  const staticHeaders = lowerKeys(options.headers);
  const credentials = lowerKeys(authHeaders(options.auth));

  const limiter: RequestLimiter = options.limiterFor?.(appId) ?? new AdaptiveLimiter(concurrency);
  const pacer: RequestPacer = options.pacerFor?.(appId) ?? new RatePacer(options.pacing, now);
  const breaker = new CircuitBreaker({ ...DEFAULT_BREAKER, ...options.breaker }, now);
  // One dispatcher per client: connections to the app are kept alive and reused across requests.
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: Math.max(concurrency.max, concurrency.initial),
    connect: { timeout: Math.min(timeoutMs, 10_000) },
  });

  const totals = emptyCounters();
  const byEndpoint = new Map<string, Counters>();
  let shortCircuited = 0;

  const counters = (endpoint: string): Counters => {
    let found = byEndpoint.get(endpoint);
    if (!found) {
      found = emptyCounters();
      byEndpoint.set(endpoint, found);
    }
    return found;
  };
  const count = (endpoint: string, apply: (c: Counters) => void) => {
    apply(totals);
    apply(counters(endpoint));
  };

  /** Every log line passes here: its message and each string field are redacted. */
  const log = (level: 'debug' | 'info' | 'warn', fields: Record<string, unknown>, message: string) => {
    // A line nobody keeps is not built: the redaction of every request's URL showed in a sync's profile.
    if (logger.isLevelEnabled?.(level) === false) return;
    const safe: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields))
      safe[key] = typeof value === 'string' ? redact(value) : value;
    logger[level](safe, redact(message));
  };

  const prepare = (method: HttpMethod, url: string, req: HttpRequestOptions): Prepared => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'roster',
      ...staticHeaders,
      ...lowerKeys(req.headers),
      ...credentials,
    };
    let body: string | Uint8Array | undefined;
    if (req.body === undefined) body = undefined;
    else if (typeof req.body === 'string' || req.body instanceof Uint8Array) body = req.body;
    else {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    return {
      method,
      url,
      endpoint: req.endpoint,
      idempotent: req.idempotent ?? IDEMPOTENT_METHODS.has(method),
      accept404: req.accept404 ?? false,
      identicalFailures: positiveInt(req.identicalFailures ?? identicalFailures, identicalFailures, 1),
      headers,
      body,
      target: plainTarget(url, base.origin),
    };
  };

  const facts = (p: Prepared, requestId: string | null, attempts: number): RequestFacts => ({
    appId,
    method: p.method,
    url: p.url,
    requestId,
    attempts,
    redact,
  });

  const attemptOnce = async (p: Prepared): Promise<AttemptOutcome> => {
    const signal = new AttemptSignal();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal.abort(new Error(`no answer within ${timeoutMs}ms`));
    }, timeoutMs);
    const started = performance.now();
    let status: number | null = null;
    try {
      const sent = {
        method: p.method,
        headers: p.headers,
        body: p.body,
        signal: signal as unknown as AbortSignal,
      };
      const res = await (p.target === null
        ? undiciRequest(p.url, { dispatcher: agent, ...sent })
        : agent.request({ origin: base.origin, path: p.target, ...sent }));
      status = res.statusCode;
      const headers = normalizeHeaders(res.headers);
      const read = await readBody(res.body, headers['content-length'], maxResponseBytes);
      count(p.endpoint, (c) => {
        c.bytes += read.bytes;
      });
      const requestId = requestIdOf(headers);
      const code = res.statusCode;
      if (read.text === null) {
        return {
          ok: false,
          failure: { kind: 'too_large' },
          code: 'unavailable',
          retryAfterMs: null,
          requestId,
          signature: null,
          error: (ambiguous, attempts) =>
            transportError(facts(p, requestId, attempts), 'too_large', {
              status: code,
              ambiguous,
              maxBytes: maxResponseBytes,
            }),
        };
      }
      const text = read.text;
      let body: unknown = text;
      let malformed: unknown = null;
      if (JSON_TYPE.test(headers['content-type'] ?? '')) {
        try {
          body = text.trim() === '' ? null : JSON.parse(text);
        } catch (error) {
          malformed = error;
        }
      }
      // A redirect is never followed (it would carry the credentials to wherever it points) and never taken for
      // the answer: a login page or a moved API behind a 302 must not read as "no records".
      if (code >= 300 && code < 400) {
        const location = headers['location'] ?? null;
        return {
          ok: false,
          failure: { kind: 'redirect', status: code },
          code: 'invalid_input',
          retryAfterMs: null,
          requestId,
          signature: null,
          error: (ambiguous, attempts) =>
            redirectError(facts(p, requestId, attempts), code, location, ambiguous),
        };
      }
      if (code >= 400 && !(code === 404 && p.accept404)) {
        return {
          ok: false,
          failure: { kind: 'status', status: code },
          code: codeForStatus(code),
          retryAfterMs: parseRetryAfter(headers['retry-after'], now()),
          requestId,
          // Only a 500 says the request itself broke the server; 502-504 and 503 are about availability, which changes.
          signature: code === 500 ? `${code} ${text}` : null,
          error: (ambiguous, attempts) => statusError(facts(p, requestId, attempts), code, body, ambiguous),
        };
      }
      if (malformed !== null) {
        return {
          ok: false,
          failure: { kind: 'unreadable' },
          code: 'unavailable',
          retryAfterMs: null,
          requestId,
          signature: null,
          error: (ambiguous, attempts) =>
            transportError(facts(p, requestId, attempts), 'malformed', {
              status: code,
              cause: malformed,
              ambiguous,
            }),
        };
      }
      return { ok: true, response: { status: code, headers, body, requestId } };
    } catch (error) {
      const errCode = errorCodeOf(error);
      let failure: AttemptFailure;
      let kind: TransportFailure;
      // A failure to connect proves nothing was sent, even if the attempt's timer ran out meanwhile.
      if (errCode && NOT_SENT_CODES.has(errCode)) [failure, kind] = [{ kind: 'not_sent' }, 'refused'];
      else if (timedOut) [failure, kind] = [{ kind: 'timeout' }, 'timeout'];
      else if (errCode && RESET_CODES.has(errCode)) [failure, kind] = [{ kind: 'reset' }, 'reset'];
      else [failure, kind] = [{ kind: 'other' }, 'network'];
      return {
        ok: false,
        failure,
        code: 'unavailable',
        retryAfterMs: null,
        requestId: null,
        signature: null,
        error: (ambiguous, attempts) =>
          transportError(facts(p, null, attempts), kind, {
            ...(status === null ? {} : { status }),
            cause: error,
            ambiguous,
            timeoutMs,
          }),
      };
    } finally {
      clearTimeout(timer);
      const elapsed = performance.now() - started;
      count(p.endpoint, (c) => {
        c.durationMs += elapsed;
      });
    }
  };

  const send = async (p: Prepared): Promise<HttpResponse> => {
    let lastSignature: string | null = null;
    let sameInARow = 0;
    for (let attempt = 0; ; attempt++) {
      const slot = await limiter.acquire();
      const verdict = breaker.check();
      if (!verdict.allowed) {
        slot.release();
        shortCircuited += 1;
        count(p.endpoint, (c) => {
          c.errors.unavailable = (c.errors.unavailable ?? 0) + 1;
        });
        const error = circuitOpenError(appId, verdict.failures, new Date(verdict.retryAt), {
          method: p.method,
          path: redact(pathOf(p.url)),
        });
        log('warn', { endpoint: p.endpoint, method: p.method }, error.message);
        throw error;
      }
      let outcome: AttemptOutcome;
      let ticket: PaceTicket;
      try {
        ticket = await pacer.reserve();
        while (ticket.waitMs > 0) {
          await sleep(ticket.waitMs);
          // A 429 meanwhile cut the pace this send time was reserved at: take a place at the new pace instead.
          if (!(await pacer.stale(ticket))) break;
          ticket = await pacer.reserve();
        }
        count(p.endpoint, (c) => {
          c.requests += 1;
        });
        outcome = await attemptOnce(p);
      } finally {
        slot.release();
      }
      const url = withoutQuery(p.url);

      const rateLimited = !outcome.ok && outcome.failure.kind === 'status' && outcome.failure.status === 429;
      if (rateLimited) {
        const rate = await pacer.rejected(ticket);
        if (rate !== null) log('info', { endpoint: p.endpoint, requestsPerSecond: rate }, 'pace set');
      } else if (outcome.ok || outcome.failure.kind === 'status') {
        // Any other answer went through the app's limit: it counts towards the rate the app accepts.
        pacer.accepted();
      }

      if (outcome.ok) {
        breaker.success();
        limiter.success();
        const { status, requestId } = outcome.response;
        log('debug', { endpoint: p.endpoint, method: p.method, url, status, attempt, requestId }, 'answered');
        return outcome.response;
      }

      const { failure, code } = outcome;
      count(p.endpoint, (c) => {
        c.errors[code] = (c.errors[code] ?? 0) + 1;
        if (failure.kind === 'status' && failure.status === 429) c.rateLimited += 1;
        if (failure.kind === 'timeout') c.timeouts += 1;
      });
      // 429 and timeouts are the only overload signals these apps give: none publishes rate-limit headers.
      if ((failure.kind === 'status' && failure.status === 429) || failure.kind === 'timeout') {
        if (limiter.overload(slot, outcome.retryAfterMs)) {
          log('info', { endpoint: p.endpoint, concurrencyLimit: limiter.limit }, 'concurrency lowered');
        }
      } else if (failure.kind === 'status' && failure.status < 500) {
        limiter.success();
      }
      if (code === 'unavailable') {
        if (breaker.failure()) {
          log('warn', { failures: breaker.status.failures }, `circuit opened for ${appId}`);
        }
      } else {
        breaker.success();
      }

      const decision = retryDecision(failure, p.idempotent);
      const status = failure.kind === 'status' ? failure.status : null;
      sameInARow = outcome.signature !== null && outcome.signature === lastSignature ? sameInARow + 1 : 1;
      lastSignature = outcome.signature;
      // The same 500, word for word, again and again is the server's answer to this request, not a passing fault.
      const repeated = outcome.signature !== null && sameInARow >= p.identicalFailures;
      if (decision === 'retry' && attempt < maxRetries && !repeated) {
        // A 429 the pacer has learnt from needs no backoff of its own: the retry waits its turn at the learnt pace
        // (the app's Retry-After, when it sent one, still comes first).
        const paced = rateLimited && outcome.retryAfterMs === null && pacer.requestsPerSecond !== null;
        const wait = paced ? 0 : retryDelay({ attempt, retryAfterMs: outcome.retryAfterMs, backoff, random });
        count(p.endpoint, (c) => {
          c.retries += 1;
        });
        log(
          'warn',
          {
            endpoint: p.endpoint,
            method: p.method,
            url,
            status,
            failure: failure.kind,
            attempt,
            delayMs: wait,
          },
          'retrying',
        );
        await sleep(wait);
        continue;
      }
      const error = outcome.error(decision === 'ambiguous', attempt + 1);
      if (repeated) error.details['repeated'] = sameInARow;
      const level = code === 'unavailable' || code === 'rate_limited' ? 'warn' : 'debug';
      log(
        level,
        { endpoint: p.endpoint, method: p.method, url, status, code, requestId: outcome.requestId },
        error.message,
      );
      throw error;
    }
  };

  const invalid = (message: string) =>
    new RosterError('invalid_input', redact(`${appId}: ${message}`), { where: appId, details: { appId } });

  return {
    appId,
    baseUrl,
    redact,
    get concurrencyLimit() {
      return limiter.limit;
    },
    request(req) {
      const problem = pathProblem(req.path);
      if (problem) return Promise.reject(invalid(`${problem} (${req.method} ${req.path})`));
      return send(prepare(req.method, joinUrl(baseUrl, req.path, req.query), req));
    },
    requestUrl(url, req) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return Promise.reject(invalid(`"${url}" is not a URL`));
      }
      // Credentials go only to the configured app: a link elsewhere would carry them off.
      if (target.origin !== base.origin) {
        return Promise.reject(invalid(`refusing to follow a link to another origin (${target.origin})`));
      }
      if (target.username || target.password) return Promise.reject(invalid('the link carries credentials'));
      return send(prepare(req.method ?? 'GET', appendQuery(url, req.query), req));
    },
    stats() {
      const copy = (c: Counters): EndpointStats => ({ ...c, errors: { ...c.errors } });
      return {
        requests: totals.requests,
        retries: totals.retries,
        rateLimited: totals.rateLimited,
        timeouts: totals.timeouts,
        errors: { ...totals.errors },
        bytes: totals.bytes,
        durationMs: totals.durationMs,
        shortCircuited,
        concurrencyLimit: limiter.limit,
        circuit: breaker.status.state,
        byEndpoint: Object.fromEntries([...byEndpoint].map(([label, c]) => [label, copy(c)])),
      };
    },
    close() {
      // Safe to call twice: the second call waits for the first.
      closing ??= agent.close().then(() => undefined);
      return closing;
    },
  };
}

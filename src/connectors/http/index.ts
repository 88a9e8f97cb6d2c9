/** @module The connectors' HTTP layer: the client, its errors and helpers. */

export type { HttpAuth } from './auth.js';
export type { BreakerOptions, BreakerState } from './breaker.js';
export type {
  EndpointStats,
  HttpClient,
  HttpClientOptions,
  HttpClientStats,
  HttpLogger,
  HttpMethod,
  HttpRequest,
  HttpRequestOptions,
  HttpResponse,
  HttpUrlRequest,
} from './client.js';
export { createHttpClient } from './client.js';
export { codeForStatus } from './errors.js';
export type { ConcurrencyOptions, RequestLimiter, Slot } from './limiter.js';
export {
  DEFAULT_PACER,
  type PacerOptions,
  type PaceState,
  type PaceTicket,
  type RequestPacer,
} from './pacer.js';
export { createRedactor, type Redactor, SECRET_QUERY_PARAMS } from './redact.js';
export type { AmbiguityCheckResult, BackoffOptions } from './retry.js';
export { isAmbiguous, withAmbiguityCheck } from './retry.js';
export { encodeQuery, type Query, type QueryValue, urlPath } from './url.js';

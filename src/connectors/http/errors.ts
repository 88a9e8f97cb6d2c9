/** @module Turns an app's HTTP answer or a transport failure into a RosterError with a redacted, useful message. */

import { STATUS_CODES } from 'node:http';
import { type ErrorCode, RosterError } from '../../core/errors.js';
import type { Redactor } from './redact.js';
import { pathOf, withoutQuery } from './url.js';

/** The code an HTTP error status means. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'invalid_input';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid_input';
  return 'internal';
}

/** What every error from one request names. */
export interface RequestFacts {
  appId: string;
  method: string;
  url: string;
  requestId: string | null;
  attempts: number;
  redact: Redactor;
}

/** How a request failed without an HTTP answer the client could use. */
export type TransportFailure = 'timeout' | 'reset' | 'refused' | 'network' | 'malformed' | 'too_large';

const SNIPPET_MAX = 160;
const MESSAGE_KEYS = ['message', 'Message', 'error_description', 'detail', 'error', 'title', 'description'];

function messageIn(body: unknown, depth = 0): string | null {
  if (typeof body === 'string') return body;
  if (depth > 2 || body === null || typeof body !== 'object') return null;
  if (Array.isArray(body)) return body.length > 0 ? messageIn(body[0], depth + 1) : null;
  const record = body as Record<string, unknown>;
  for (const key of MESSAGE_KEYS) {
    const found = messageIn(record[key], depth + 1);
    if (found) return found;
  }
  return messageIn(record['errors'], depth + 1);
}

/** A short line of the app's own words about the failure: its message field, or its text without markup. */
export function snippetOf(body: unknown, redact: Redactor): string {
  const raw = messageIn(body) ?? '';
  const text = raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const redacted = redact(text);
  return redacted.length > SNIPPET_MAX ? `${redacted.slice(0, SNIPPET_MAX - 1)}…` : redacted;
}

function details(facts: RequestFacts, status: number | null, ambiguous: boolean): Record<string, unknown> {
  return {
    status,
    appId: facts.appId,
    method: facts.method,
    path: facts.redact(pathOf(facts.url)),
    requestId: facts.requestId,
    ambiguous,
    attempts: facts.attempts,
  };
}

function fixFor(code: ErrorCode, appId: string, ambiguous: boolean): string | undefined {
  if (ambiguous) return 'look the object up before retrying: the app may have carried out the request';
  if (code === 'unauthenticated') return `check the credentials configured for ${appId}`;
  if (code === 'forbidden') return `give the ${appId} credentials the permission this call needs`;
  if (code === 'rate_limited') return `lower the concurrency for ${appId}, or try again later`;
  return undefined;
}

/** The app answered with an error status. */
export function statusError(
  facts: RequestFacts,
  status: number,
  body: unknown,
  ambiguous: boolean,
): RosterError {
  const code = codeForStatus(status);
  const snippet = snippetOf(body, facts.redact);
  const reason = STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : '';
  const where = `${facts.method} ${withoutQuery(facts.url)}`;
  const message = `${facts.appId}: ${status}${reason} from ${where}${snippet ? `: ${JSON.stringify(snippet)}` : ''}`;
  // SCIM's error type (RFC 7644 §3.12: noTarget, uniqueness, invalidFilter...) is what a caller recovers by.
  const scimType =
    body !== null &&
    typeof body === 'object' &&
    typeof (body as Record<string, unknown>)['scimType'] === 'string'
      ? facts.redact(String((body as Record<string, unknown>)['scimType']))
      : undefined;
  return new RosterError(code, facts.redact(message), {
    where: facts.appId,
    fix: fixFor(code, facts.appId, ambiguous),
    details: { ...details(facts, status, ambiguous), ...(scimType === undefined ? {} : { scimType }) },
  });
}

const TRANSPORT_TEXT: Record<TransportFailure, string> = {
  timeout: 'no answer in time',
  reset: 'connection reset',
  refused: 'connection refused',
  network: 'network error',
  malformed: 'malformed JSON in the answer',
  too_large: 'an answer too large to read',
};

/** No usable answer: timeout, reset, refused connection, or a JSON body that does not parse. */
export function transportError(
  facts: RequestFacts,
  failure: TransportFailure,
  options: { status?: number; cause?: unknown; ambiguous: boolean; timeoutMs?: number; maxBytes?: number },
): RosterError {
  const after =
    failure === 'timeout' && options.timeoutMs !== undefined
      ? ` after ${options.timeoutMs}ms`
      : failure === 'too_large' && options.maxBytes !== undefined
        ? ` (over ${options.maxBytes} bytes)`
        : '';
  const where = `${facts.method} ${withoutQuery(facts.url)}`;
  const cause = options.cause instanceof Error && failure !== 'timeout' ? `: ${options.cause.message}` : '';
  const maybe = options.ambiguous ? ' (the request may have been carried out)' : '';
  const message = `${facts.appId}: ${TRANSPORT_TEXT[failure]}${after} from ${where}${cause}${maybe}`;
  const fix =
    failure === 'too_large' && !options.ambiguous
      ? `if ${facts.appId} really answers this much, raise maxResponseBytes for it in roster.yaml`
      : fixFor('unavailable', facts.appId, options.ambiguous);
  return new RosterError('unavailable', facts.redact(message), {
    cause: options.cause,
    where: facts.appId,
    fix,
    details: { ...details(facts, options.status ?? null, options.ambiguous), failure },
  });
}

/**
 * The app answered with a redirect. It is not followed (the credentials would go with it) and not taken for an
 * answer; the message names where it points, without its query (which may carry anything).
 */
export function redirectError(
  facts: RequestFacts,
  status: number,
  location: string | null,
  ambiguous: boolean,
): RosterError {
  const reason = STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : '';
  const where = `${facts.method} ${withoutQuery(facts.url)}`;
  const target = location === null ? 'no Location' : `Location ${withoutQuery(location)}`;
  const message = `${facts.appId}: ${status}${reason} from ${where} redirects (${target}); Roster does not follow redirects, so credentials never go anywhere but the configured baseUrl`;
  return new RosterError('invalid_input', facts.redact(message), {
    where: facts.appId,
    fix: ambiguous
      ? fixFor('invalid_input', facts.appId, true)
      : `if ${facts.appId} moved, set its baseUrl to the new address; a redirect to a sign-in page means the credentials or the address are wrong`,
    details: {
      ...details(facts, status, ambiguous),
      location: location === null ? null : facts.redact(withoutQuery(location)),
    },
  });
}

/** The breaker is open: the call never reached the network. */
export function circuitOpenError(
  appId: string,
  failures: number,
  retryAt: Date,
  request: { method: string; path: string },
): RosterError {
  return new RosterError(
    'unavailable',
    `circuit open for ${appId} after ${failures} failures; retrying after ${retryAt.toISOString()}`,
    {
      where: appId,
      fix: `${appId} has been failing; Roster will try it again after the cooldown`,
      details: { status: null, appId, ...request, requestId: null, ambiguous: false, circuitOpen: true },
    },
  );
}

/** @module The one error shape of the HTTP API (RFC 9457 problem+json), mapped from RosterError codes. */

import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_CODE_TABLE, ERROR_CODES, type ErrorCode, isRosterError, RosterError } from '../core/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem: the RosterError code'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    instance: z.string().describe('The request path'),
    requestId: z.string(),
    retryable: z.boolean(),
    where: z.string().optional().describe('The field, file or app the problem is in'),
    fix: z.string().optional().describe('What to do about it'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field of a rejected request'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<ErrorCode, string> = {
  invalid_input: 'Invalid input',
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  rate_limited: 'Too many requests',
  unavailable: 'Unavailable',
  internal: 'Internal error',
};

/** Fastify's own errors carry a status; the code that status stands for in the one table. */
function codeOfStatus(status: number): ErrorCode {
  for (const code of ERROR_CODES) if (ERROR_CODE_TABLE[code].http === status) return code;
  if (status === 413 || status === 415 || status === 406 || status === 405) return 'invalid_input';
  return status >= 500 ? 'internal' : 'invalid_input';
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[]; message?: string } };
}

/** Turns anything a route threw into a problem, with the status it maps to. */
export function toProblem(
  error: unknown,
  request: { url: string; id: string },
): { problem: Problem; internal: boolean } {
  const base = { instance: request.url.split('?')[0] ?? request.url, requestId: request.id };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = (error.validation as ValidationIssue[]).map((v) => {
      const where = error.validationContext ?? 'body';
      const path = v.instancePath?.replace(/^\//, '').replace(/\//g, '.') ?? '';
      return { path: path ? `${where}.${path}` : where, message: v.message ?? 'invalid' };
    });
    const first = issues[0];
    return {
      problem: {
        ...base,
        ...head('invalid_input'),
        detail: first ? `${first.path}: ${first.message}` : 'the request does not match its schema',
        retryable: false,
        where: first?.path,
        fix: 'correct the fields listed in issues; /openapi.json describes every request',
        issues,
      },
      internal: false,
    };
  }
  if (isRosterError(error)) {
    return {
      problem: {
        ...base,
        ...head(error.code),
        detail: error.message,
        retryable: error.retryable,
        ...(error.where ? { where: error.where } : {}),
        ...(error.fix ? { fix: error.fix } : {}),
      },
      internal: error.code === 'internal',
    };
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    const code = codeOfStatus(status);
    return {
      problem: {
        ...base,
        ...head(code),
        status,
        detail: error instanceof Error ? error.message : 'the request was refused',
        retryable: code === 'rate_limited',
      },
      internal: false,
    };
  }
  // An unexpected failure: the log has the stack under this request id; the client gets no internals.
  return {
    problem: {
      ...base,
      ...head('internal'),
      detail: `internal error; the server log has the details under request id ${request.id}`,
      retryable: false,
    },
    internal: true,
  };
}

function head(code: ErrorCode): Pick<Problem, 'type' | 'title' | 'status' | 'code'> {
  return {
    type: `urn:roster:problem:${code}`,
    title: TITLES[code],
    status: ERROR_CODE_TABLE[code].http,
    code,
  };
}

/** The problem responses every route can give, for its OpenAPI entry. */
export function problemResponses(...codes: ErrorCode[]): Record<number, typeof problemSchema> {
  const out: Record<number, typeof problemSchema> = {};
  for (const code of [
    'invalid_input',
    'unauthenticated',
    'forbidden',
    'rate_limited',
    'internal',
    ...codes,
  ] as const) {
    out[ERROR_CODE_TABLE[code].http] = problemSchema;
  }
  return out;
}

export function notFound(what: string, fix?: string): RosterError {
  return new RosterError('not_found', `${what} not found`, fix ? { fix } : {});
}

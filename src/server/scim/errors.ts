/** @module SCIM errors (RFC 7644 §3.12): one error type with its HTTP status and scimType, and its wire form. */

import { ERROR_CODE_TABLE, isRosterError } from '../../core/errors.js';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The scimType values of RFC 7644 Table 9 (all answered with 400, except uniqueness with 409). */
export const SCIM_TYPES = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
] as const;
export type ScimType = (typeof SCIM_TYPES)[number];

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Seconds an IdP should wait before retrying (503 and 429 answers). */
  readonly retryAfter: number | undefined;
  /** The attribute a mutability refusal is about (top level: `active`, `name`...), for the facade's tasks. */
  readonly attribute: string | undefined;

  constructor(
    status: number,
    detail: string,
    options: { scimType?: ScimType; retryAfter?: number; attribute?: string } = {},
  ) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = options.scimType;
    this.retryAfter = options.retryAfter;
    this.attribute = options.attribute;
  }

  /** The body RFC 7644 §3.12 defines; `status` is a string there. */
  toJSON(): ScimErrorBody {
    return {
      schemas: [ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    };
  }
}

/** A 400 with a scimType; uniqueness is the one scimType answered with 409 (RFC 7644 Table 9). */
export function badRequest(scimType: ScimType, detail: string, attribute?: string): ScimError {
  return new ScimError(scimType === 'uniqueness' ? 409 : 400, detail, {
    scimType,
    ...(attribute ? { attribute } : {}),
  });
}

export const notFound = (detail: string): ScimError => new ScimError(404, detail);
export const preconditionFailed = (detail: string): ScimError => new ScimError(412, detail);
export const payloadTooLarge = (detail: string): ScimError => new ScimError(413, detail);
/** An operation the app cannot do through its API (RFC 7644 §3.12: 501 Not Implemented). */
export const notImplemented = (detail: string): ScimError => new ScimError(501, detail);

/**
 * Any error as a SCIM error. A Roster error keeps its status from the one code table (a conflict is a
 * uniqueness error, bad input an invalidValue); anything else is a 500 that says nothing of its cause, so no
 * internal detail (or secret inside one) reaches the IdP.
 */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (isRosterError(error)) {
    const status = ERROR_CODE_TABLE[error.code].http;
    const detail = error.fix ? `${error.message} (${error.fix})` : error.message;
    if (error.code === 'conflict') return new ScimError(status, detail, { scimType: 'uniqueness' });
    if (error.code === 'invalid_input') return new ScimError(status, detail, { scimType: 'invalidValue' });
    if (error.retryable) {
      const retryAfterMs = error.details['retryAfterMs'];
      const retryAfter = typeof retryAfterMs === 'number' ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : 30;
      return new ScimError(status, detail, { retryAfter });
    }
    return new ScimError(status, detail);
  }
  return new ScimError(500, 'internal error');
}

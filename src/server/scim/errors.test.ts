import { describe, expect, it } from 'vitest';
import { RosterError } from '../../core/errors.js';
import {
  badRequest,
  ERROR_SCHEMA,
  notFound,
  notImplemented,
  preconditionFailed,
  SCIM_TYPES,
  ScimError,
  toScimError,
} from './errors.js';

describe('every scimType is answered in the SCIM error schema with its status', () => {
  it.each(SCIM_TYPES.map((t) => [t, t === 'uniqueness' ? 409 : 400] as const))(
    '%s → %i',
    (scimType, status) => {
      const error = badRequest(scimType, 'why');
      expect(error.status).toBe(status);
      expect(JSON.parse(JSON.stringify(error))).toEqual({
        schemas: [ERROR_SCHEMA],
        status: String(status),
        scimType,
        detail: 'why',
      });
    },
  );
  it('statuses without a scimType leave it out', () => {
    for (const [error, status] of [
      [notFound('x'), 404],
      [preconditionFailed('x'), 412],
      [notImplemented('x'), 501],
    ] as const) {
      expect(error.status).toBe(status);
      expect(error.toJSON()).toEqual({ schemas: [ERROR_SCHEMA], status: String(status), detail: 'x' });
    }
  });
});

describe("Roster's errors become SCIM errors through the one code table", () => {
  it.each([
    ['conflict', 409, 'uniqueness'],
    ['invalid_input', 400, 'invalidValue'],
    ['not_found', 404, undefined],
    ['forbidden', 403, undefined],
    ['unauthenticated', 401, undefined],
    ['rate_limited', 429, undefined],
    ['unavailable', 503, undefined],
    ['internal', 500, undefined],
  ] as const)('%s → %i %s', (code, status, scimType) => {
    const error = toScimError(new RosterError(code, 'message', { fix: 'do this' }));
    expect(error.status).toBe(status);
    expect(error.scimType).toBe(scimType);
    expect(error.message).toBe('message (do this)');
  });
  it('a retryable error says when to retry (IdPs retry a 503 with Retry-After)', () => {
    expect(
      toScimError(new RosterError('unavailable', 'held', { details: { retryAfterMs: 90_500 } })).retryAfter,
    ).toBe(91);
    expect(toScimError(new RosterError('rate_limited', 'slow down')).retryAfter).toBe(30);
    expect(toScimError(new RosterError('not_found', 'gone')).retryAfter).toBeUndefined();
  });
  it('anything else is a 500 that carries none of its message (it may hold a secret)', () => {
    const error = toScimError(new Error('connect ECONNREFUSED token=s3cret'));
    expect(error.status).toBe(500);
    expect(JSON.stringify(error)).not.toContain('s3cret');
  });
  it('a ScimError passes through', () => {
    const original = new ScimError(412, 'stale');
    expect(toScimError(original)).toBe(original);
  });
});

/** @module The one error type Roster raises: a stable code, whether a retry can help, and the cause. */

export const ERROR_CODES = [
  'not_found',
  'conflict',
  'rate_limited',
  'unauthenticated',
  'forbidden',
  'invalid_input',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface RosterErrorOptions {
  cause?: unknown;
  /** Defaults by code: rate_limited and unavailable are retryable, the rest are not. */
  retryable?: boolean;
  /** Where the problem is: a file, a path in it (`apps[2].baseUrl`), a line, an app. */
  where?: string;
  /** What the user can do about it. */
  fix?: string;
  /** Extra machine-readable facts (HTTP status, app id, request id). Never secrets. */
  details?: Record<string, unknown>;
}

export class RosterError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly where: string | undefined;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: RosterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RosterError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'rate_limited' || code === 'unavailable');
    this.where = options.where;
    this.fix = options.fix;
    this.details = options.details ?? {};
  }

  /** One line for people: "where: message (fix)". */
  describe(): string {
    const where = this.where ? `${this.where}: ` : '';
    const fix = this.fix ? `\n  fix: ${this.fix}` : '';
    return `${where}${this.message}${fix}`;
  }
}

export function isRosterError(value: unknown): value is RosterError {
  return value instanceof RosterError;
}

/** Exit codes (CLI) and HTTP statuses (API, SCIM) for each code: the one table both layers use. */
export const ERROR_CODE_TABLE: Record<ErrorCode, { exit: number; http: number }> = {
  invalid_input: { exit: 2, http: 400 },
  unauthenticated: { exit: 3, http: 401 },
  forbidden: { exit: 3, http: 403 },
  not_found: { exit: 4, http: 404 },
  conflict: { exit: 5, http: 409 },
  rate_limited: { exit: 6, http: 429 },
  unavailable: { exit: 7, http: 503 },
  internal: { exit: 1, http: 500 },
};

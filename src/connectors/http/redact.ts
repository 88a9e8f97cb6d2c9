/** @module Secret redaction: the one function every error message and log line of an HTTP client passes through. */

/** Query parameters whose value is a secret wherever they appear, whatever the client knows. */
export const SECRET_QUERY_PARAMS = [
  'token',
  'access_token',
  'apiKey',
  'api_key',
  'key',
  'password',
  'secret',
];

export const REDACTED = '***';

export type Redactor = (text: string) => string;

const SECRET_PARAM = new RegExp(
  `([?&;](?:${SECRET_QUERY_PARAMS.join('|')})=)[^&#\\s"'<>]*`,
  // Parameter names are matched case-insensitively: `ApiKey=` and `TOKEN=` leak the same way.
  'gi',
);

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds a redactor for the given secret values. Each secret is also matched in its URL-encoded forms,
 * since a secret that reaches a URL or a form body is seen encoded. Longer values are replaced first so
 * a secret that contains another is masked whole.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
    variants.add(new URLSearchParams({ s: secret }).toString().slice(2));
  }
  const ordered = [...variants].sort((a, b) => b.length - a.length);
  const pattern = ordered.length > 0 ? new RegExp(ordered.map(escapeRegExp).join('|'), 'g') : null;
  return (text: string) => {
    const masked = pattern ? text.replace(pattern, REDACTED) : text;
    return masked.replace(SECRET_PARAM, `$1${REDACTED}`);
  };
}

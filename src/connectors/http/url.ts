/** @module Request URLs: joining a base URL and a path, encoding query values, and the same-origin rule for next links. */

export type QueryScalar = string | number | boolean;
/** A query value: arrays repeat the key; null and undefined leave the key out. */
export type QueryValue = QueryScalar | readonly QueryScalar[] | null | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

/**
 * Encodes a query string as URLSearchParams does (every reserved character, apostrophes and brackets
 * included, is percent-encoded), except that a space is `%20`, not `+`: some APIs read `+` literally
 * in query strings, and `%20` means a space to every server.
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    const values: readonly QueryScalar[] = Array.isArray(value) ? value : [value as QueryScalar];
    for (const item of values) params.append(key, String(item));
  }
  // URLSearchParams writes a literal plus as %2B, so every remaining `+` is a space.
  return params.toString().replace(/\+/g, '%20');
}

/** Encodes each interpolated value as one path segment: urlPath`/Users/${id}` never lets an id add a `/` or `?`. */
export function urlPath(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += encodeURIComponent(String(value)) + (strings[i + 1] ?? '');
  });
  return out;
}

/** Why a path or URL cannot be requested, or null when it can. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'the path must start with "/"';
  if (path.startsWith('//')) return 'the path must not start with "//"';
  if (path.includes('?') || path.includes('#')) return 'put query parameters in `query`, not in the path';
  return null;
}

export function joinUrl(baseUrl: string, path: string, query: Query | undefined): string {
  const qs = encodeQuery(query);
  return `${baseUrl.replace(/\/+$/, '')}${path}${qs ? `?${qs}` : ''}`;
}

/** Adds query parameters to a URL that may already carry some, leaving the existing ones byte for byte. */
export function appendQuery(url: string, query: Query | undefined): string {
  const qs = encodeQuery(query);
  if (!qs) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${qs}`;
}

/** The URL without its query or fragment: what error messages name, since a query may carry anything. */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut >= 0 ? url.slice(0, cut) : url;
}

/** The path of a URL without its query: what `details.path` holds. */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return withoutQuery(url);
  }
}

/** Characters a request target may hold that URL parsing leaves exactly as they are. */
const PLAIN_TARGET = /^\/[\w\-.~%!$&()*+,;=:@/?]*$/;
/** What URL parsing would rewrite: dot segments, spelt out or percent-encoded. */
const DOT_SEGMENT = /\/\.|%2e/i;

/**
 * The path and query of `url` to send to `origin` as they are, or null when `url` is not on `origin` or holds
 * anything URL parsing would change (then the URL is parsed as usual). Paths built by urlPath and queries by
 * encodeQuery always qualify: parsing every request's URL again showed in apply's profile.
 */
export function plainTarget(url: string, origin: string): string | null {
  if (!url.startsWith(origin) || url.charCodeAt(origin.length) !== 47 /* '/' */) return null;
  const target = url.slice(origin.length);
  return PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target) ? target : null;
}

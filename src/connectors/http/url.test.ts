import { describe, expect, it } from 'vitest';
import { encodeQuery, plainTarget, urlPath } from './url.js';

const ORIGIN = 'http://127.0.0.1:8080';

describe('plainTarget', () => {
  it('sends exactly what URL parsing would send, or leaves the URL to be parsed', () => {
    const urls = [
      `${ORIGIN}/scim/v2/Users`,
      `${ORIGIN}/scim/v2${urlPath`/Users/${'o-neil (x)*!~'}`}`,
      `${ORIGIN}/Users?${encodeQuery({ filter: 'userName eq "a+b@x.com"', startIndex: 1, count: 100 })}`,
      `${ORIGIN}/a b`,
      `${ORIGIN}/a/%2e%2E/b`,
      `${ORIGIN}/a/./b`,
      `${ORIGIN}/a/../b`,
      `${ORIGIN}/x?q='y'`,
      `${ORIGIN}/x?q=<y>`,
      `${ORIGIN}/x#frag`,
      `${ORIGIN}/x/{y}`,
      `${ORIGIN}/x\\y`,
    ];
    for (const url of urls) {
      const target = plainTarget(url, ORIGIN);
      const parsed = new URL(url);
      if (target !== null) expect(target, url).toBe(`${parsed.pathname}${parsed.search}`);
    }
    // What urlPath and encodeQuery build is always sent as it is.
    for (const url of urls.slice(0, 3)) expect(plainTarget(url, ORIGIN), url).not.toBeNull();
  });

  it('is null for a URL on another origin, or one that only begins like it', () => {
    expect(plainTarget('http://127.0.0.1:8081/Users', ORIGIN)).toBeNull();
    expect(plainTarget(`${ORIGIN}0/Users`, ORIGIN)).toBeNull();
    expect(plainTarget(ORIGIN, ORIGIN)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact.js';

describe('redact', () => {
  it('masks every known secret, raw and URL-encoded, longest first', () => {
    const redact = createRedactor(['s3cr3t/+=', 's3cr3t']);
    expect(redact('a s3cr3t/+= b s3cr3t%2F%2B%3D c s3cr3t')).toBe('a *** b *** c ***');
  });

  it('masks secret-named query parameters whatever their value', () => {
    const redact = createRedactor([]);
    expect(redact('GET https://h/x?take=5&apiKey=abc&access_token=def#top')).toBe(
      'GET https://h/x?take=5&apiKey=***&access_token=***#top',
    );
    expect(redact('/x?TOKEN=a&key=b&password=c&secret=d&api_key=e&monkey=f')).toBe(
      '/x?TOKEN=***&key=***&password=***&secret=***&api_key=***&monkey=f',
    );
  });

  it('leaves text without secrets alone and ignores empty secrets', () => {
    expect(createRedactor([''])('nothing here')).toBe('nothing here');
  });
});

import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import { checkIfMatch, notModified, parseTags, versionOf, withVersion } from './etag.js';

const ada = { id: '1', userName: 'ada', name: { givenName: 'Ada', familyName: 'Lovelace' }, active: true };

describe('meta.version is a weak tag from a stable hash of the content', () => {
  it('is weak, and the same for the same content in any key order', () => {
    const v = versionOf(ada);
    expect(v).toMatch(/^W\/"[A-Za-z0-9_-]{22}"$/);
    expect(
      versionOf({
        active: true,
        name: { familyName: 'Lovelace', givenName: 'Ada' },
        userName: 'ada',
        id: '1',
      }),
    ).toBe(v);
  });
  it('changes when any attribute changes, and not when only meta does', () => {
    const v = versionOf(ada);
    expect(versionOf({ ...ada, active: false })).not.toBe(v);
    expect(versionOf({ ...ada, name: { givenName: 'Ada', familyName: 'King' } })).not.toBe(v);
    expect(versionOf({ ...ada, meta: { lastModified: '2026-01-01T00:00:00Z' } })).toBe(v);
  });
  it('withVersion keeps the other meta fields', () => {
    const out = withVersion({ ...ada, meta: { resourceType: 'User' } });
    expect(out['meta']).toEqual({ resourceType: 'User', version: versionOf(ada) });
  });
});

describe('If-Match: a stale version is a 412 precondition failure', () => {
  const current = versionOf(ada);
  it.each([undefined, '', '*', current, current.slice(2), `W/"old", ${current}`])(
    'passes with %j',
    (header) => {
      expect(() => checkIfMatch(header, current)).not.toThrow();
    },
  );
  it.each(['W/"old"', '"old"', 'W/"a", W/"b"'])('refuses %j with 412', (header) => {
    let error: unknown;
    try {
      checkIfMatch(header, current);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).status).toBe(412);
    expect((error as ScimError).toJSON()).toMatchObject({
      status: '412',
      detail: expect.stringContaining(current),
    });
  });
  it('If-None-Match with the current version means not modified', () => {
    expect(notModified(current, current)).toBe(true);
    expect(notModified('W/"old"', current)).toBe(false);
    expect(notModified(undefined, current)).toBe(false);
  });
  it('parses a list of tags', () => {
    expect(parseTags('W/"a", "b" ,*')).toEqual(['W/"a"', '"b"', '*']);
  });
});

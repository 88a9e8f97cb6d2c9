import { describe, expect, it } from 'vitest';
import { canonicalJson } from './json.js';

describe('canonicalJson', () => {
  it('the same value gives the same text whatever its key order, at every depth, and the text is JSON', () => {
    const a = { b: [1, { y: null, x: 'é"' }, undefined], a: { d: true, c: -0 }, e: {}, f: [], g: undefined };
    const b = { g: undefined, f: [], e: {}, a: { c: 0, d: true }, b: [1, { x: 'é"', y: null }, undefined] };
    const text = canonicalJson(a);
    expect(text).toBe('{"a":{"c":0,"d":true},"b":[1,{"x":"é\\"","y":null},null],"e":{},"f":[]}');
    expect(canonicalJson(b)).toBe(text);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(a)));
  });

  it('a value with toJSON is stored as what toJSON answers, and what JSON cannot hold is refused', () => {
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/number NaN/);
    expect(() => canonicalJson([() => 1])).toThrow(/function/);
  });
});

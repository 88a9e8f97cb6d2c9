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

/** canonicalJson as it was first written (piece by piece): the text every stored audit hash was made from. */
function reference(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`the number ${value}`);
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return reference(toJSON.call(value));
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${reference(record[k])}`);
  return `{${members.join(',')}}`;
}

/** A small deterministic generator (xorshift), so a failing case can be run again. */
function generator(seed: number) {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Keys JSON.stringify writes in another order than they were added (array indexes), or that a copy cannot
  // hold as plain keys, beside ordinary ones, upper case, non-ASCII and the empty string.
  const KEYS = [
    'a',
    'b',
    'B',
    'z',
    'é',
    '😀',
    '',
    ' x',
    '$',
    '0',
    '1',
    '10',
    '2',
    '007',
    '-1',
    '1.5',
    '4294967295',
    '__proto__',
    'toJSON',
    'constructor',
  ];
  const leaf = () =>
    pick<() => unknown>([
      () => null,
      () => undefined,
      () => next() < 0.5,
      () => Math.floor(next() * 2000) - 1000,
      () => next() * 1e6,
      () => -0,
      () => pick(['', 'x', 'é"\\', '\u2028', '\ud800', 'line\nbreak']),
      () => new Date(Math.floor(next() * 1e12)),
    ])();
  const value = (depth: number): unknown => {
    if (depth === 0 || next() < 0.3) return leaf();
    if (next() < 0.4) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth - 1));
    const record: Record<string, unknown> = {};
    const count = Math.floor(next() * 5);
    for (let i = 0; i < count; i++) {
      const key = pick(KEYS);
      if (key === '__proto__')
        Object.defineProperty(record, key, {
          value: value(depth - 1),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      else record[key] = value(depth - 1);
    }
    return record;
  };
  return () => value(4);
}

describe('canonicalJson, as a sorted copy written out by JSON.stringify', () => {
  it('gives the very text it gave piece by piece, for 20,000 generated values (array-index and __proto__ keys included)', () => {
    const next = generator(0x5eed);
    let byPieces = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = next();
      if (value === undefined) continue;
      const expected = reference(value);
      if (/"(\d[^"]*|__proto__)":/.test(expected)) byPieces++;
      expect(canonicalJson(value), expected).toBe(expected);
    }
    // Both ways were taken, many times each.
    expect(byPieces).toBeGreaterThan(1000);
    expect(byPieces).toBeLessThan(19_000);
  });

  it('keys JSON.stringify would put first (array indexes) stay in sorted order, and JSON.parse gives the value back', () => {
    const value = { b: 1, '10': 'ten', '2': 'two', a: { '1': [1, { y: 2, x: 1 }], z: null } };
    const text = canonicalJson(value);
    expect(text).toBe('{"10":"ten","2":"two","a":{"1":[1,{"x":1,"y":2}],"z":null},"b":1}');
    expect(JSON.parse(text)).toEqual(value);
    const proto = JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}') as unknown;
    expect(canonicalJson(proto)).toBe('{"__proto__":{"a":1,"b":2},"z":1}');
  });

  it('refuses what JSON cannot hold wherever it sits, on either way of writing', () => {
    for (const bad of [Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => canonicalJson({ a: [1, { b: bad }] })).toThrow(/cannot store the number/);
      expect(() => canonicalJson({ '1': [1, { b: bad }] })).toThrow(/cannot store the number/);
    }
    expect(() => canonicalJson({ a: 1n })).toThrow(/cannot store a bigint/);
    expect(() => canonicalJson({ a: Symbol('s') })).toThrow(/cannot store a symbol/);
    expect(() => canonicalJson({ '0': () => 1 })).toThrow(/cannot store a function/);
    expect(() => canonicalJson(undefined)).toThrow(/cannot store a undefined/);
  });
});

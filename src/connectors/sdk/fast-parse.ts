/** @module A fast path for zod: a payload already in the form a schema gives back is checked by a plain walk compiled once, not parsed; anything else goes to zod. */

import type { z } from 'zod';

/** What a checker answers when the value is not one it can vouch for: zod then parses it (and says why it fails). */
export const FAIL: unique symbol = Symbol('fast-parse: ask zod');

/**
 * A value in, zod's output for it out, or FAIL. A checker answers its input itself wherever zod's output would
 * equal it (key order included, since a record's JSON is hashed and stored), and a copy built as zod builds it
 * where it would not: never a value zod would answer differently.
 */
export type Checker = (value: unknown) => unknown;

/** Leaves a schema's own code transforms (a date read, a lenient boolean): each maps a value as zod would, or FAIL. */
export type Leaves = ReadonlyMap<z.ZodType, Checker>;

const NONE: Leaves = new Map();

interface Def {
  type: string;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  coerce?: boolean;
  format?: unknown;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  mode?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The checks of a string or a number as one test; null when a check is one this walk does not know. */
function checksOf(def: Def): ((v: never) => boolean) | null {
  const tests: ((v: never) => boolean)[] = [];
  for (const check of def.checks ?? []) {
    // A check's `when` or `abort` only ever spares zod a test: running every test is stricter, never laxer.
    const c = check._zod.def;
    if (c['check'] === 'min_length') {
      const min = c['minimum'] as number;
      tests.push((v: string) => v.length >= min);
    } else if (c['check'] === 'max_length') {
      const max = c['maximum'] as number;
      tests.push((v: string) => v.length <= max);
    } else if (c['check'] === 'string_format' && c['format'] === 'regex' && c['pattern'] instanceof RegExp) {
      const pattern = c['pattern'];
      tests.push((v: string) => {
        pattern.lastIndex = 0;
        return pattern.test(v);
      });
    } else if (c['check'] === 'number_format' && c['format'] === 'safeint') {
      tests.push((v: number) => Number.isSafeInteger(v));
    } else if (c['check'] === 'greater_than') {
      const bound = c['value'] as number;
      tests.push(c['inclusive'] ? (v: number) => v >= bound : (v: number) => v > bound);
    } else if (c['check'] === 'less_than') {
      const bound = c['value'] as number;
      tests.push(c['inclusive'] ? (v: number) => v <= bound : (v: number) => v < bound);
    } else return null;
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (v) => tests.every((t) => t(v));
}

/** Schemas whose output is their input whenever they accept it, so a union of them answers the value itself. */
const PRIMITIVE = new Set(['string', 'number', 'boolean', 'null', 'literal']);

/**
 * Compiles a checker for a schema, or null when the schema holds something this walk does not model (a
 * transform, a default, a strict object...): such a schema always goes to zod.
 */
export function compileChecker(schema: z.ZodType, leaves: Leaves = NONE): Checker | null {
  const leaf = leaves.get(schema);
  if (leaf) return leaf;
  const def = defOf(schema);
  if ((def.checks?.length ?? 0) > 0 && def.type !== 'string' && def.type !== 'number') return null;
  if (def.coerce) return null;
  switch (def.type) {
    case 'string': {
      if (def.format !== undefined) return null;
      const ok = checksOf(def);
      if (!ok) return null;
      return (v) => (typeof v === 'string' && ok(v as never) ? v : FAIL);
    }
    case 'number': {
      if (def.format !== undefined) return null;
      const ok = checksOf(def);
      if (!ok) return null;
      return (v) => (typeof v === 'number' && Number.isFinite(v) && ok(v as never) ? v : FAIL);
    }
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : FAIL);
    case 'null':
      return (v) => (v === null ? v : FAIL);
    case 'unknown':
    case 'any':
      return (v) => v;
    case 'literal': {
      const values = def.values ?? [];
      if (!values.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) return null;
      const set = new Set(values);
      return (v) => (set.has(v) ? v : FAIL);
    }
    case 'optional': {
      const inner = compileChecker(def.innerType!, leaves);
      return inner && ((v) => (v === undefined ? v : inner(v)));
    }
    case 'nullable': {
      const inner = compileChecker(def.innerType!, leaves);
      return inner && ((v) => (v === null ? v : inner(v)));
    }
    case 'union': {
      const options = def.options ?? [];
      if (!options.every((o) => PRIMITIVE.has(defOf(o).type) && !leaves.has(o))) return null;
      const checks = options.map((o) => compileChecker(o, leaves));
      if (checks.some((c) => c === null)) return null;
      return (v) => {
        for (const check of checks) if (check!(v) !== FAIL) return v;
        return FAIL;
      };
    }
    case 'array':
      return arrayChecker(def, leaves);
    case 'record':
      return recordChecker(def, leaves);
    case 'object':
      return objectChecker(def, leaves);
    default:
      return null;
  }
}

function arrayChecker(def: Def, leaves: Leaves): Checker | null {
  const element = compileChecker(def.element!, leaves);
  if (!element) return null;
  return (v) => {
    if (!Array.isArray(v)) return FAIL;
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      const r = element(item);
      if (r === FAIL) return FAIL;
      if (r !== item && out === null) out = v.slice(0, i);
      out?.push(r);
    }
    return out ?? v;
  };
}

/** A record of string keys: zod keeps the input's keys in their order, so only a changed value makes a copy. */
function recordChecker(def: Def, leaves: Leaves): Checker | null {
  const keyDef = defOf(def.keyType!);
  if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0 || keyDef.format !== undefined)
    return null;
  if (def.mode !== undefined && def.mode !== 'strict') return null;
  const value = compileChecker(def.valueType!, leaves);
  if (!value) return null;
  return (v) => {
    if (!isObject(v)) return FAIL;
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return FAIL;
    let out: Record<string, unknown> | null = null;
    for (const key in v) {
      if (key === '__proto__') return FAIL;
      const item = v[key];
      const r = value(item);
      if (r === FAIL) return FAIL;
      if (r !== item) out ??= { ...v };
      if (out !== null) out[key] = r;
    }
    return out ?? v;
  };
}

/**
 * An object: zod answers the shape's keys in the shape's order (those present), then, for a loose object, the
 * others in their order. Input already in that order with every value unchanged is answered as it is, else a
 * copy is built as zod builds it. The walk is generated per shape, as zod's own fast pass is: a property read by
 * its literal name is many times cheaper than one by a variable key.
 */
function objectChecker(def: Def, leaves: Leaves): Checker | null {
  const shape = def.shape ?? {};
  const keys = Object.keys(shape);
  if (Object.getOwnPropertySymbols(shape).length > 0) return null;
  let loose = false;
  if (def.catchall !== undefined) {
    if (defOf(def.catchall).type !== 'unknown') return null;
    loose = true;
  }
  const checks: Checker[] = [];
  for (const key of keys) {
    if (key === '__proto__') return null;
    const check = compileChecker(shape[key]!, leaves);
    if (!check) return null;
    checks.push(check);
  }
  const lit = (key: string) => JSON.stringify(key);
  // A key that may be absent (zod then leaves it out) is one whose schema is optional outside.
  const read = keys.map((key, i) => {
    const absent = defOf(shape[key]!).type === 'optional' ? `p${i} = false;` : 'return FAIL;';
    return `let r${i}, p${i} = true; const x${i} = v[${lit(key)}];
      if (x${i} === undefined && !(${lit(key)} in v)) { ${absent} }
      else { r${i} = c[${i}](x${i}); if (r${i} === FAIL) return FAIL; if (r${i} !== x${i}) same = false; }`;
  });
  const which = `switch (k) { ${keys.map((key, i) => `case ${lit(key)}: i = ${i}; break;`).join(' ')} default: i = -1; }`;
  const body = `return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return FAIL;
    let same = true;
    ${read.join('\n')}
    let at = -1, extra = false, i;
    for (const k in v) {
      ${which}
      if (i < 0) { if (k === '__proto__') return FAIL; ${loose ? 'extra = true;' : 'same = false;'} }
      else { if (extra || i < at) same = false; at = i; }
    }
    if (same) return v;
    const out = {};
    ${keys.map((key, i) => `if (p${i}) out[${lit(key)}] = r${i};`).join(' ')}
    ${loose ? `for (const k in v) { ${which} if (i < 0) out[k] = v[k]; }` : ''}
    return out;
  };`;
  return new Function('c', 'FAIL', body)(checks, FAIL) as Checker;
}

const compiled = new WeakMap<z.ZodType, Checker | null>();

/**
 * Parses with the checker compiled for the schema (once), falling back to zod where it cannot vouch for the value:
 * zod's own answer then, its errors included. Leaves are given per schema and must not change between calls.
 */
export function fastParse<T extends z.ZodType>(
  schema: T,
  body: unknown,
  leaves: Leaves = NONE,
): z.ZodSafeParseResult<z.output<T>> {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = compileChecker(schema, leaves);
    compiled.set(schema, checker);
  }
  if (checker !== null) {
    const out = checker(body);
    if (out !== FAIL) return { success: true, data: out as z.output<T> };
  }
  return schema.safeParse(body);
}

/**
 * A schema built around an item schema (a page of it, a list of it), built once per item schema and kept: zod and
 * the fast path compile each new schema on its first parse, so one built per page would be compiled per page.
 */
export function oncePerItem<R>(cache: WeakMap<z.ZodType, R>, item: z.ZodType, build: () => R): R {
  let built = cache.get(item);
  if (built === undefined) {
    built = build();
    cache.set(item, built);
  }
  return built;
}

/** @module JSON in and out of text columns: canonical serialisation (for hashing) and validated parsing on read. */

import { z } from 'zod';
import { RosterError } from '../core/errors.js';

/**
 * JSON with object keys sorted at every depth and no whitespace: the same value always gives the same text. The
 * audit chain hashes it, so a value's text never changes between versions.
 *
 * Made as a sorted copy written out by JSON.stringify, which writes a plain object's keys in the order they were
 * added: a third faster than joining the text piece by piece (every op's audit events and every stored record go
 * through here). JSON.stringify writes keys that are array indexes ("0", "12") first whatever their order, so a
 * value with a key starting with a digit (or a `__proto__` key, which a copy cannot hold as a plain key) is
 * written piece by piece instead; both ways give the same text.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  return sorted === BY_PIECES ? canonicalPieces(value) : JSON.stringify(sorted);
}

/** What sortedCopy answers for a value JSON.stringify would not write in sorted order. */
const BY_PIECES: unique symbol = Symbol('written piece by piece');

/** The value with object keys sorted and undefined members left out, or BY_PIECES; refuses what JSON cannot hold. */
function sortedCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw notJson(`the number ${value}`);
      return value;
    case 'object': {
      if (Array.isArray(value)) {
        const items = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const copy = item === undefined ? null : sortedCopy(item);
          if (copy === BY_PIECES) return BY_PIECES;
          items[i] = copy;
        }
        return items;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return sortedCopy(toJSON.call(value));
      const record = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, the same order as `<` on strings.
      const keys = Object.keys(record).sort();
      const copy: Record<string, unknown> = {};
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        const first = key.charCodeAt(0);
        if ((first >= 48 && first <= 57) || key === '__proto__') return BY_PIECES;
        const member = sortedCopy(item);
        if (member === BY_PIECES) return BY_PIECES;
        copy[key] = member;
      }
      return copy;
    }
    default:
      throw notJson(`a ${typeof value}`);
  }
}

/**
 * canonicalJson written piece by piece: the same text, for what JSON.stringify would reorder (and the baseline
 * `bench/canonical-json.ts` measures the sorted copy against).
 */
export function canonicalPieces(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw notJson(`the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      // Joined once per object: text built by `+=` is a tree of pieces that each later use copies flat again.
      if (Array.isArray(value)) {
        const items = new Array<string>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          items[i] = item === undefined ? 'null' : canonicalPieces(item);
        }
        return `[${items.join(',')}]`;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return canonicalPieces(toJSON.call(value));
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const members: string[] = [];
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        members.push(`${JSON.stringify(key)}:${canonicalPieces(item)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw notJson(`a ${typeof value}`);
  }
}

function notJson(what: string): RosterError {
  return new RosterError('invalid_input', `cannot store ${what} as JSON`, {
    fix: 'pass plain JSON values (strings, finite numbers, booleans, null, arrays, objects)',
  });
}

/** Serialises a value for a JSON column; undefined is stored as null. */
export function toJsonColumn(value: unknown): string {
  return value === undefined ? 'null' : canonicalJson(value);
}

export const stringArray = z.array(z.string());
export const intArray = z.array(z.number().int());
export const stringRecord = z.record(z.string(), z.string());
export const numberRecord = z.record(z.string(), z.number());
export const objectRecord = z.record(z.string(), z.unknown());
export const nullableObjectRecord = objectRecord.nullable();
export const attributeRecord = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export const anyJson = z.unknown();

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function everyValue(v: unknown, ok: (item: unknown) => boolean): boolean {
  if (!isPlainObject(v)) return false;
  for (const key in v) if (!ok(v[key])) return false;
  return true;
}

const isString = (v: unknown) => typeof v === 'string';
const isAttribute = (v: unknown) =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));

/** What attributeRecord accepts, checked by hand (for readers that parse a column themselves). */
export const isAttributeRecord = (v: unknown): v is z.infer<typeof attributeRecord> =>
  everyValue(v, isAttribute);

/**
 * Hand-written checks that accept exactly what their schema accepts, for the shapes read once per row: zod's
 * generic walk costs more than the JSON parse itself there. A value they refuse still goes through zod, for its message.
 */
const FAST_CHECKS = new Map<z.ZodType, (value: unknown) => boolean>([
  [stringArray, (v) => Array.isArray(v) && v.every(isString)],
  [stringRecord, (v) => everyValue(v, isString)],
  [attributeRecord, (v) => everyValue(v, isAttribute)],
  [anyJson, () => true],
  // An op's row is read back after each of its writes (RETURNING): its target, outcome and dependencies.
  [objectRecord, isPlainObject],
  [nullableObjectRecord, (v) => v === null || isPlainObject(v)],
  [intArray, (v) => Array.isArray(v) && v.every((n) => Number.isSafeInteger(n))],
]);

/** Parses a stored JSON column and checks its shape; a mismatch means the database was edited outside Roster. */
export function parseJsonColumn<T>(schema: z.ZodType<T>, text: string | null, where: string): T {
  let value: unknown;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch (cause) {
    throw corrupt(where, 'is not JSON', cause);
  }
  if (FAST_CHECKS.get(schema as z.ZodType)?.(value) === true) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw corrupt(where, `has the wrong shape (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/**
 * parseJsonColumn for columns read once per row of a big table: the place name is built (by `where(row)`, a
 * function made once, not per row) only for a value that fails its check.
 */
export function parseJsonColumnOf<T, R>(
  schema: z.ZodType<T>,
  text: string | null,
  where: (row: R) => string,
  row: R,
): T {
  if (text !== null) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return parseJsonColumn(schema, text, where(row));
    }
    if (FAST_CHECKS.get(schema as z.ZodType)?.(value) === true) return value as T;
  }
  return parseJsonColumn(schema, text, where(row));
}

/** parseEnum with the place name built only when the value is not one the code knows. */
export function parseEnumOf<const T extends string, R>(
  values: readonly T[],
  text: string,
  where: (row: R) => string,
  row: R,
): T {
  return (values as readonly string[]).includes(text) ? (text as T) : parseEnum(values, text, where(row));
}

/** Checks a stored enum-like text column against the values the code knows. */
export function parseEnum<const T extends string>(values: readonly T[], text: string, where: string): T {
  if ((values as readonly string[]).includes(text)) return text as T;
  throw corrupt(where, `holds "${text}", expected one of ${values.join(', ')}`);
}

function corrupt(where: string, problem: string, cause?: unknown): RosterError {
  return new RosterError('internal', `stored ${where} ${problem}`, {
    where,
    cause,
    fix: 'the database was changed outside Roster; restore it from a backup or re-run the sync/import',
  });
}

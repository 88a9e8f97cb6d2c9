/** @module Writes to a SCIM resource: PATCH (RFC 7644 §3.5.2), PUT replacement and POST bodies, with IdP tolerance. */

import { canonicalJson } from '../../store/json.js';
import { badRequest, type ScimError } from './errors.js';
import {
  type CheckedSub,
  checkValueFilter,
  evaluateSub,
  type Filter,
  type PatchPath,
  parsePath,
} from './filter.js';
import {
  type AttributeDef,
  COMMON_ATTRIBUTES,
  clone,
  findAttribute,
  isObject,
  type Json,
  type JsonObject,
  keyOf,
  type Resolved,
  type ResourceSchema,
  resolveAttribute,
  sameJson,
} from './schema.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOpName;
  /** Null for a no-path add/replace whose value is an object of attributes. */
  path: string | null;
  value: Json | undefined;
}

export interface WriteOptions {
  /**
   * An attribute the schema does not declare, in a body, a no-path value or a PATCH path: `ignore` (default)
   * leaves it out and names it in `ignored`, so the facade can audit it; `error` refuses the request
   * (invalidValue, or invalidPath for a path). A path that does not parse is always an invalidPath.
   */
  unknownAttributes?: 'ignore' | 'error';
}

export interface WriteResult {
  resource: JsonObject;
  /** Attributes that were sent but are not in the schema, as written. */
  ignored: string[];
}

/**
 * Reads a PatchOp body, tolerant of what IdPs send: `op` in any case (Entra's "Replace"), `Operations` in any
 * case, `schemas` left out. Anything that is not a list of operations is an invalidSyntax.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'a PATCH request is a JSON object with Operations');
  const schemas = body['schemas'];
  if (
    Array.isArray(schemas) &&
    !schemas.some((s) => String(s).toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
  )
    throw badRequest('invalidSyntax', `a PATCH request's schemas must hold ${PATCH_OP_SCHEMA}`);
  const key = keyOf(body, 'Operations');
  const operations = key === undefined ? undefined : body[key];
  if (!Array.isArray(operations) || operations.length === 0)
    throw badRequest('invalidSyntax', 'a PATCH request needs a non-empty Operations list');
  return operations.map((raw, index) => {
    if (!isObject(raw)) throw badRequest('invalidSyntax', `Operations[${index}] is not an object`);
    const get = (name: string) => {
      const k = keyOf(raw, name);
      return k === undefined ? undefined : raw[k];
    };
    const op = String(get('op') ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw badRequest(
        'invalidSyntax',
        `Operations[${index}].op must be add, replace or remove, not ${JSON.stringify(get('op'))}`,
      );
    const path = get('path');
    if (path !== undefined && path !== null && typeof path !== 'string')
      throw badRequest('invalidPath', `Operations[${index}].path must be a string`);
    const value = get('value');
    if (op !== 'remove' && value === undefined)
      throw badRequest('invalidSyntax', `Operations[${index}] (${op}) needs a value`);
    return { op, path: path === undefined || path === null || path === '' ? null : path, value };
  });
}

class Writer {
  readonly ignored: string[] = [];
  constructor(
    private readonly schema: ResourceSchema,
    private readonly options: WriteOptions,
  ) {}

  unknown(name: string, scimType: 'invalidValue' | 'invalidPath' = 'invalidValue'): void {
    if (this.options.unknownAttributes === 'error')
      throw badRequest(scimType, `no attribute "${name}" in this resource type's schema`);
    this.ignored.push(name);
  }

  /** A value made to fit its definition: booleans from "True"/"False", numbers from numeric strings. */
  coerce(value: Json, def: AttributeDef, where: string): Json {
    if (value === null) return null;
    if (def.multiValued) {
      // Tolerant: one value where a list is expected is a list of one.
      const list = Array.isArray(value) ? value : [value];
      return list.map((v, i) => this.coerceOne(v, def, `${where}[${i}]`));
    }
    if (Array.isArray(value)) {
      // Some IdPs wrap a single value in a list of one.
      if (value.length === 1) return this.coerceOne(value[0] as Json, def, where);
      throw badRequest('invalidValue', `${where} takes one value, not a list`);
    }
    return this.coerceOne(value, def, where);
  }

  private coerceOne(value: Json, def: AttributeDef, where: string): Json {
    const wrong = (): ScimError =>
      badRequest(
        'invalidValue',
        `${where} must be ${def.type === 'complex' ? 'an object' : `a ${def.type}`}, not ${JSON.stringify(value)}`,
      );
    switch (def.type) {
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
          return value.trim().toLowerCase() === 'true';
        throw wrong();
      case 'integer':
      case 'decimal': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || Number.isNaN(n) || (def.type === 'integer' && !Number.isInteger(n)))
          throw wrong();
        return n;
      }
      case 'dateTime':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw wrong();
        return value;
      case 'complex': {
        if (!isObject(value)) throw wrong();
        const out: JsonObject = {};
        for (const [k, v] of Object.entries(value)) {
          const sub = findAttribute(def.subAttributes ?? [], k);
          if (!sub) {
            this.unknown(`${where}.${k}`);
            continue;
          }
          out[sub.name] = this.coerce(v, sub, `${where}.${sub.name}`);
        }
        return out;
      }
      default:
        if (typeof value === 'string') return value;
        if (typeof value === 'number' || typeof value === 'boolean') return String(value);
        throw wrong();
    }
  }

  /** An attribute of the schema by the name a body used: a top-level name, or an extension URN's object. */
  resolveKey(key: string): Resolved | 'extension' | null {
    if (this.schema.extensions.some((e) => e.id.toLowerCase() === key.toLowerCase())) return 'extension';
    if (key.toLowerCase() === 'schemas') return null;
    let path: PatchPath;
    try {
      path = parsePath(key);
    } catch {
      return null;
    }
    return path.filter ? null : resolveAttribute(this.schema, path.attr);
  }
}

function get(object: JsonObject, name: string): Json | undefined {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** Sets a value under its declared name, dropping any other spelling an IdP used. */
function put(object: JsonObject, name: string, value: Json | undefined): void {
  for (const k of Object.keys(object)) if (k.toLowerCase() === name.toLowerCase()) delete object[k];
  if (value !== undefined) object[name] = value;
}

function holderFor(resource: JsonObject, container: string | null, create: boolean): JsonObject | undefined {
  if (container === null) return resource;
  const existing = get(resource, container);
  if (isObject(existing)) return existing;
  if (!create) return undefined;
  const made: JsonObject = {};
  put(resource, container, made);
  return made;
}

const assigned = (v: Json | undefined) =>
  v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

/** Merges sub-attributes into a complex value: given ones replaced, others left (RFC 7644 §3.5.2.3). */
function merge(target: Json | undefined, value: JsonObject): JsonObject {
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(value)) put(out, k, v);
  return out;
}

/** At most one value is primary (RFC 7643 §2.4): a value just written as primary takes it from the others. */
function onePrimary(list: Json[], written: readonly Json[]): Json[] {
  const winner = written.find((v) => isObject(v) && get(v, 'primary') === true);
  if (!winner) return list;
  return list.map((v) =>
    isObject(v) && v !== winner && get(v, 'primary') === true ? { ...v, primary: false } : v,
  );
}

/**
 * The value to create when a value filter matches nothing: Entra replaces `emails[type eq "work"].value` on a
 * user that has no work email yet. Only a filter made of `eq` comparisons says what the new value is.
 */
function seedFrom(filter: Filter): JsonObject | null {
  if (filter.op === 'and') {
    const left = seedFrom(filter.left);
    const right = seedFrom(filter.right);
    return left && right ? { ...left, ...right } : null;
  }
  if (filter.op === 'eq' && filter.path.sub === null && filter.path.uri === null && filter.value !== null)
    return { [filter.path.name]: filter.value };
  return null;
}

function checkMutability(
  at: Resolved,
  before: Json | undefined,
  after: Json | undefined,
  index: number,
): void {
  if (sameJson(before, after)) return;
  const label = `Operations[${index}]: ${at.def.name}`;
  const refuse = (name: string, mutability: string) =>
    badRequest('mutability', `${label}: ${name} is ${mutability} and cannot be changed`, at.def.name);
  if (at.def.mutability === 'readOnly') throw refuse(at.def.name, 'readOnly');
  if (at.def.mutability === 'immutable' && assigned(before)) throw refuse(at.def.name, 'immutable');
  if (at.def.type === 'complex' && !at.def.multiValued) {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    for (const sub of at.def.subAttributes ?? []) {
      const was = get(b, sub.name);
      if (sameJson(was, get(a, sub.name))) continue;
      if (sub.mutability === 'readOnly') throw refuse(`${at.def.name}.${sub.name}`, 'readOnly');
      if (sub.mutability === 'immutable' && assigned(was))
        throw refuse(`${at.def.name}.${sub.name}`, 'immutable');
    }
  }
  if (at.def.required && !assigned(after))
    throw badRequest('invalidValue', `${label}: ${at.def.name} is required and cannot be removed`);
}

function applyOne(
  writer: Writer,
  resource: JsonObject,
  op: PatchOpName,
  path: PatchPath,
  value: Json | undefined,
  index: number,
  schema: ResourceSchema,
): void {
  const at = resolveAttribute(schema, path.attr);
  if (!at) {
    // Entra's default attribute mappings write phoneNumbers, addresses, name.formatted, manager... by path
    // to every app; refusing them would fail every user it provisions. Left out and reported instead.
    writer.unknown(`Operations[${index}]: ${path.text}`, 'invalidPath');
    return;
  }
  const where = `Operations[${index}].value`;
  const holder = holderFor(resource, at.container, op !== 'remove');
  if (!holder) return;
  const before = get(holder, at.def.name);
  const snapshot = before === undefined ? undefined : clone(before);
  let after: Json | undefined = before === undefined ? undefined : clone(before);
  const { def } = at;

  if (path.filter) {
    if (!def.multiValued || def.type !== 'complex')
      throw badRequest(
        'invalidPath',
        `Operations[${index}]: ${def.name} is not a multi-valued complex attribute`,
      );
    const subName = path.sub ?? at.sub?.name ?? null;
    const subDef = subName === null ? null : findAttribute(def.subAttributes ?? [], subName);
    if (subName !== null && !subDef)
      throw badRequest('invalidPath', `Operations[${index}]: ${def.name} has no sub-attribute "${subName}"`);
    const check: CheckedSub = checkValueFilter(path.filter, def, path.text);
    let list = Array.isArray(after) ? [...after] : [];
    let matches = list.filter((v) => isObject(v) && evaluateSub(check, v));
    if (op === 'remove') {
      // Removing what is not there is done already: Okta and Entra retry removals.
      if (subDef)
        list = list.map((v) =>
          matches.includes(v) && isObject(v)
            ? (() => {
                const c = { ...v };
                put(c, subDef.name, undefined);
                return c;
              })()
            : v,
        );
      else list = list.filter((v) => !matches.includes(v));
    } else {
      if (matches.length === 0) {
        const seed = seedFrom(path.filter);
        if (!seed)
          throw badRequest('noTarget', `Operations[${index}]: no value of ${def.name} matches ${path.text}`);
        const created = writer.coerce(seed, { ...def, multiValued: false }, where);
        list.push(created);
        matches = [created];
      }
      const written: Json[] = [];
      list = list.map((v) => {
        if (!matches.includes(v) || !isObject(v)) return v;
        let next: JsonObject;
        if (subDef) {
          next = { ...v };
          put(next, subDef.name, writer.coerce(value as Json, subDef, where));
        } else {
          const patch = writer.coerce(value as Json, { ...def, multiValued: false }, where);
          if (!isObject(patch)) throw badRequest('invalidValue', `${where} must be an object`);
          next = merge(v, patch);
        }
        written.push(next);
        return next;
      });
      list = onePrimary(list, written);
    }
    after = list.length > 0 ? list : undefined;
  } else if (at.sub) {
    const sub = at.sub;
    const setSub = (v: Json): Json => {
      const c: JsonObject = isObject(v) ? { ...v } : {};
      put(c, sub.name, op === 'remove' ? undefined : writer.coerce(value as Json, sub, where));
      return c;
    };
    if (def.multiValued) {
      const list = Array.isArray(after) ? after : [];
      after = list.length === 0 ? (op === 'remove' ? undefined : [setSub({})]) : list.map(setSub);
    } else {
      const next = setSub(after ?? {});
      after = isObject(next) && Object.keys(next).length === 0 ? undefined : next;
    }
  } else if (op === 'remove') {
    if (value !== undefined && value !== null && def.multiValued && def.type === 'complex') {
      // Entra removes group members as {"op":"Remove","path":"members","value":[{"value":"id"}]}: the
      // values named (by their `value`) go, the others stay.
      const gone = (Array.isArray(value) ? value : [value]).map((v) => (isObject(v) ? get(v, 'value') : v));
      const list = (Array.isArray(after) ? after : []).filter(
        (v) => !(isObject(v) && gone.some((g) => sameJson(g, get(v, 'value')))),
      );
      after = list.length > 0 ? list : undefined;
    } else {
      after = undefined;
    }
  } else {
    const coerced = writer.coerce(value as Json, def, where);
    if (def.multiValued) {
      const incoming = Array.isArray(coerced) ? coerced : [coerced];
      if (op === 'replace') after = incoming;
      else {
        const list = Array.isArray(after) ? [...after] : [];
        for (const v of incoming) {
          // add merges: a value already present (same `value` for complex ones) is updated, not doubled.
          const i = list.findIndex(
            (x) =>
              sameJson(x, v) ||
              (isObject(x) &&
                isObject(v) &&
                get(v, 'value') !== undefined &&
                sameJson(get(x, 'value'), get(v, 'value'))),
          );
          if (i >= 0) list[i] = isObject(v) ? merge(list[i], v) : v;
          else list.push(v);
        }
        after = list;
      }
      after = onePrimary(after as Json[], incoming);
      if ((after as Json[]).length === 0) after = undefined;
    } else if (def.type === 'complex' && isObject(coerced)) {
      after = merge(after, coerced);
    } else {
      after = coerced === null ? undefined : coerced;
    }
  }

  checkMutability(at, snapshot, after, index);
  put(holder, at.def.name, after);
  if (at.container !== null && Object.keys(holder).length === 0) put(resource, at.container, undefined);
}

/** The attribute path a no-path value's key stands for: a name, a dotted `name.givenName`, a URN-prefixed one. */
function expandNoPath(writer: Writer, value: JsonObject, index: number): [string, Json][] {
  const out: [string, Json][] = [];
  for (const [key, v] of Object.entries(value)) {
    const target = writer.resolveKey(key);
    if (target === 'extension') {
      if (!isObject(v))
        throw badRequest('invalidValue', `Operations[${index}].value.${key} must be an object`);
      for (const [sub, sv] of Object.entries(v)) {
        const full = `${key}:${sub}`;
        if (writer.resolveKey(full) === null) writer.unknown(full);
        else out.push([full, sv]);
      }
    } else if (target === null) {
      if (key.toLowerCase() !== 'schemas') writer.unknown(key);
    } else {
      out.push([key, v]);
    }
  }
  return out;
}

/**
 * Applies PATCH operations in order, all or nothing (RFC 7644 §3.5.2: a failed operation fails the request).
 * Writes that leave a readOnly or immutable attribute as it was are not errors: IdPs resend unchanged values.
 */
export function applyPatch(
  current: JsonObject,
  operations: readonly PatchOperation[],
  schema: ResourceSchema,
  options: WriteOptions = {},
): WriteResult {
  const writer = new Writer(schema, options);
  const resource = clone(current);
  operations.forEach((operation, index) => {
    const { op, value } = operation;
    if (operation.path === null) {
      if (op === 'remove') throw badRequest('noTarget', `Operations[${index}]: remove needs a path`);
      if (!isObject(value))
        throw badRequest(
          'invalidValue',
          `Operations[${index}]: without a path, the value must be an object of attributes`,
        );
      for (const [key, v] of expandNoPath(writer, value, index))
        applyOne(writer, resource, op, parsePath(key), v, index, schema);
      return;
    }
    const extension = schema.extensions.find((e) => e.id.toLowerCase() === operation.path?.toLowerCase());
    if (extension) {
      // A path naming an extension schema (`urn:...:enterprise:2.0:User`) with an object of its attributes.
      if (op === 'remove') {
        put(resource, extension.id, undefined);
        return;
      }
      if (!isObject(value))
        throw badRequest(
          'invalidValue',
          `Operations[${index}]: the value for ${extension.id} must be an object`,
        );
      for (const [key, v] of expandNoPath(writer, { [extension.id]: value }, index))
        applyOne(writer, resource, op, parsePath(key), v, index, schema);
      return;
    }
    applyOne(writer, resource, op, parsePath(operation.path), value, index, schema);
  });
  return { resource, ignored: writer.ignored };
}

/** The declared attributes of a body, coerced, under their declared names; readOnly ones left out. */
function readBody(writer: Writer, body: JsonObject, schema: ResourceSchema): JsonObject {
  const out: JsonObject = {};
  const section = (source: JsonObject, defs: readonly AttributeDef[], target: JsonObject, prefix: string) => {
    for (const [key, value] of Object.entries(source)) {
      const def = findAttribute(defs, key);
      if (!def) {
        const isExtension =
          prefix === '' && schema.extensions.some((e) => e.id.toLowerCase() === key.toLowerCase());
        if (!isExtension && key.toLowerCase() !== 'schemas') writer.unknown(`${prefix}${key}`);
        continue;
      }
      if (def.mutability === 'readOnly' || value === null) continue;
      target[def.name] = writer.coerce(value, def, `${prefix}${def.name}`);
    }
  };
  section(body, [...COMMON_ATTRIBUTES, ...schema.core.attributes], out, '');
  for (const extension of schema.extensions) {
    const value = get(body, extension.id);
    if (value === undefined || value === null) continue;
    if (!isObject(value)) throw badRequest('invalidValue', `${extension.id} must be an object`);
    const target: JsonObject = {};
    section(value, extension.attributes, target, `${extension.id}:`);
    if (Object.keys(target).length > 0) out[extension.id] = target;
  }
  return out;
}

function requireAttributes(resource: JsonObject, schema: ResourceSchema): void {
  for (const def of schema.core.attributes)
    if (def.required && !assigned(get(resource, def.name)))
      throw badRequest('invalidValue', `${def.name} is required`);
}

/** A POST body as the resource to create (without id and meta, which the service provider assigns). */
export function createResource(
  body: unknown,
  schema: ResourceSchema,
  options: WriteOptions = {},
): WriteResult {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'a resource is a JSON object');
  const writer = new Writer(schema, options);
  const resource = readBody(writer, body, schema);
  requireAttributes(resource, schema);
  return { resource: { schemas: [schema.core.id], ...resource }, ignored: writer.ignored };
}

/**
 * A PUT (Okta's full replacement): readWrite attributes take the body's values and the ones left out are
 * cleared; readOnly ones (id, meta, groups) stay; an immutable one may not change once set.
 */
export function replaceResource(
  current: JsonObject,
  body: unknown,
  schema: ResourceSchema,
  options: WriteOptions = {},
): WriteResult {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'a resource is a JSON object');
  const writer = new Writer(schema, options);
  const incoming = readBody(writer, body, schema);
  const out: JsonObject = { schemas: [schema.core.id] };
  const section = (container: string | null, defs: readonly AttributeDef[]) => {
    const was = container === null ? current : get(current, container);
    const now = container === null ? incoming : get(incoming, container);
    const from = isObject(was) ? was : {};
    const to = isObject(now) ? now : {};
    const target: JsonObject = container === null ? out : {};
    for (const def of defs) {
      const before = get(from, def.name);
      const given = get(to, def.name);
      let value: Json | undefined;
      if (def.mutability === 'readOnly') value = before;
      else if (def.mutability === 'immutable') {
        if (assigned(before) && given !== undefined && !sameJson(before, given))
          throw badRequest('mutability', `${def.name} is immutable and cannot be changed`, def.name);
        value = given ?? before;
      } else value = given;
      if (value !== undefined) target[def.name] = value;
    }
    if (container !== null && Object.keys(target).length > 0) out[container] = target;
  };
  section(null, [...COMMON_ATTRIBUTES, ...schema.core.attributes]);
  for (const extension of schema.extensions) section(extension.id, extension.attributes);
  requireAttributes(out, schema);
  return { resource: out, ignored: writer.ignored };
}

/**
 * RFC 7643 §2.1 uniqueness: a resource written with a `server`/`global`-unique attribute (userName) that
 * another resource already holds is a 409 uniqueness error, compared as the attribute's caseExact says. The
 * facade checks before it creates, so an IdP retrying a create is told, not given a duplicate.
 */
export function checkUniqueness(
  candidate: JsonObject,
  others: readonly JsonObject[],
  schema: ResourceSchema,
): void {
  const id = get(candidate, 'id');
  for (const def of uniqueAttributes(schema)) {
    const value = get(candidate, def.name);
    if (value === undefined || value === null) continue;
    const norm = (v: Json | undefined) => uniqueForm(def, v);
    const mine = norm(value);
    const holder = others.find((o) => get(o, 'id') !== id && norm(get(o, def.name)) === mine);
    if (holder)
      throw badRequest(
        'uniqueness',
        `${def.name} ${JSON.stringify(value)} is already held by ${String(get(holder, 'id'))}`,
      );
  }
}

/** The attributes uniqueness is checked on: single-valued simple ones declared `server` or `global` unique. */
const uniqueAttributes = (schema: ResourceSchema) =>
  schema.core.attributes.filter(
    (def) => def.uniqueness !== 'none' && def.type !== 'complex' && !def.multiValued,
  );

/** A unique attribute's value as uniqueness compares it (case folded unless caseExact). */
function uniqueForm(def: AttributeDef, v: Json | undefined): string | undefined {
  if (typeof v === 'string' && !def.caseExact) return v.toLowerCase();
  return v === undefined ? undefined : canonicalJson(v);
}

/**
 * Whether a replacement keeps every unique attribute's value (as uniqueness compares it): such a write cannot
 * cause a clash, so it is not checked — an IdP deactivating one of two accounts the app already held under one
 * userName is not refused for a duplicate it did not make (RFC 7644 §3.5.2: the modification is what must not
 * conflict).
 */
export function keepsUniqueValues(before: JsonObject, after: JsonObject, schema: ResourceSchema): boolean {
  return uniqueAttributes(schema).every(
    (def) => uniqueForm(def, get(before, def.name)) === uniqueForm(def, get(after, def.name)),
  );
}

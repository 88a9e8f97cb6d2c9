/** @module Listing (RFC 7644 §3.4.2–3.4.3): query and /.search parsing, filtering, sorting, paging, projection. */

import { badRequest } from './errors.js';
import { type Checked, checkFilter, evaluate, filterSize, parseFilter, parsePath } from './filter.js';
import {
  type AttributeDef,
  type AttrRef,
  COMMON_ATTRIBUTES,
  isObject,
  type Json,
  type JsonObject,
  keyOf,
  type Resolved,
  type ResourceSchema,
  resolveAttribute,
} from './schema.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export interface Projection {
  attributes: AttrRef[];
  excludedAttributes: AttrRef[];
}

export interface ListQuery extends Projection {
  filter: Checked | null;
  sortBy: Resolved | null;
  descending: boolean;
  /** 1-based. */
  startIndex: number;
  count: number;
}

export interface ListLimits {
  /** The most resources one page holds (ServiceProviderConfig filter.maxResults); also the default count. */
  maxResults: number;
  /** The most comparisons a filter may hold: past it the filter is refused as tooMany. */
  maxFilterTerms: number;
}

export const DEFAULT_LIST_LIMITS: ListLimits = { maxResults: 200, maxFilterTerms: 50 };

export interface ListResponse {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: JsonObject[];
}

/** The raw parameters, from a query string (strings) or a /.search body (JSON values). */
export interface ListParams {
  filter?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  startIndex?: unknown;
  count?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

function integer(name: string, value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n))
    throw badRequest('invalidValue', `${name} must be an integer, not ${JSON.stringify(value)}`);
  return n;
}

/** `attributes` as a comma-separated string (query) or a list (search body). Names a schema lacks are ignored. */
function attributeList(name: string, value: unknown): AttrRef[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value : String(value).split(',');
  return items.flatMap((item) => {
    if (typeof item !== 'string') throw badRequest('invalidValue', `${name} must list attribute names`);
    const text = item.trim();
    if (text === '') return [];
    const path = parsePath(text);
    if (path.filter)
      throw badRequest('invalidValue', `${name}: "${text}" is a value path, not an attribute name`);
    return [{ uri: path.attr.uri, name: path.attr.name, sub: path.attr.sub }];
  });
}

/** Reads listing parameters, tolerant where RFC 7644 says how (startIndex < 1 is 1, a negative count is 0). */
export function parseListQuery(
  params: ListParams,
  schema: ResourceSchema,
  limits = DEFAULT_LIST_LIMITS,
): ListQuery {
  let filter: Checked | null = null;
  if (params.filter !== undefined && params.filter !== null && params.filter !== '') {
    if (typeof params.filter !== 'string') throw badRequest('invalidFilter', 'filter must be a string');
    const parsed = parseFilter(params.filter);
    const size = filterSize(parsed);
    if (size > limits.maxFilterTerms)
      throw badRequest(
        'tooMany',
        `the filter has ${size} comparisons; at most ${limits.maxFilterTerms} are evaluated`,
      );
    filter = checkFilter(parsed, schema, params.filter);
  }
  let sortBy: Resolved | null = null;
  if (params.sortBy !== undefined && params.sortBy !== null && params.sortBy !== '') {
    const path = parsePath(String(params.sortBy));
    sortBy = path.filter ? null : resolveAttribute(schema, path.attr);
    if (!sortBy)
      throw badRequest('invalidValue', `sortBy: no attribute "${String(params.sortBy)}" to sort by`);
  }
  const order =
    params.sortOrder === undefined || params.sortOrder === null ? 'ascending' : String(params.sortOrder);
  if (!/^(ascending|descending)$/i.test(order))
    throw badRequest(
      'invalidValue',
      `sortOrder must be "ascending" or "descending", not ${JSON.stringify(order)}`,
    );
  const startIndex = Math.max(1, integer('startIndex', params.startIndex) ?? 1);
  const count = Math.min(limits.maxResults, Math.max(0, integer('count', params.count) ?? limits.maxResults));
  return {
    filter,
    sortBy,
    descending: order.toLowerCase() === 'descending',
    startIndex,
    count,
    attributes: attributeList('attributes', params.attributes),
    excludedAttributes: attributeList('excludedAttributes', params.excludedAttributes),
  };
}

/** A POST /.search body (RFC 7644 §3.4.3). Its `schemas` may be left out; anything else must be an object. */
export function parseSearchRequest(
  body: unknown,
  schema: ResourceSchema,
  limits = DEFAULT_LIST_LIMITS,
): ListQuery {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'a search request is a JSON object');
  const schemas = body['schemas'];
  if (
    Array.isArray(schemas) &&
    !schemas.some((s) => String(s).toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())
  )
    throw badRequest('invalidSyntax', `a search request's schemas must hold ${SEARCH_REQUEST_SCHEMA}`);
  const get = (name: string) => {
    const key = keyOf(body, name);
    return key === undefined ? undefined : body[key];
  };
  return parseListQuery(
    {
      filter: get('filter'),
      sortBy: get('sortBy'),
      sortOrder: get('sortOrder'),
      startIndex: get('startIndex'),
      count: get('count'),
      attributes: get('attributes'),
      excludedAttributes: get('excludedAttributes'),
    },
    schema,
    limits,
  );
}

function field(object: JsonObject, name: string): Json | undefined {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** The value a resource sorts by: a multi-valued attribute sorts by its primary value, else its first. */
function sortValue(resource: JsonObject, at: Resolved): Json | undefined {
  const holder = at.container === null ? resource : field(resource, at.container);
  if (!isObject(holder)) return undefined;
  let value = field(holder, at.def.name);
  if (Array.isArray(value)) value = value.find((v) => isObject(v) && v['primary'] === true) ?? value[0];
  if (at.def.type === 'complex') {
    if (!isObject(value)) return undefined;
    value = field(value, at.sub?.name ?? 'value');
  }
  return value === null ? undefined : value;
}

function compareForSort(def: AttributeDef, a: Json, b: Json): number {
  if (def.type === 'dateTime') return Date.parse(String(a)) - Date.parse(String(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  let x = String(a);
  let y = String(b);
  if (!def.caseExact) {
    x = x.toLowerCase();
    y = y.toLowerCase();
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Sorts as RFC 7644 §3.4.2.3 says: unassigned values last when ascending, first when descending. Ties keep
 * the order given, so a page boundary is stable between requests.
 */
export function sortResources(
  resources: readonly JsonObject[],
  at: Resolved,
  descending: boolean,
): JsonObject[] {
  const def =
    at.sub ??
    (at.def.type === 'complex'
      ? ((at.def.subAttributes ?? []).find((s) => s.name === 'value') ?? at.def)
      : at.def);
  const keyed = resources.map((resource, index) => ({ resource, index, value: sortValue(resource, at) }));
  keyed.sort((a, b) => {
    if (a.value === undefined || b.value === undefined) {
      if (a.value === b.value) return a.index - b.index;
      const missing = a.value === undefined ? 1 : -1;
      return descending ? -missing : missing;
    }
    const order = compareForSort(def, a.value, b.value);
    if (order === 0) return a.index - b.index;
    return descending ? -order : order;
  });
  return keyed.map((k) => k.resource);
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function refersTo(
  refs: readonly AttrRef[],
  container: string | null,
  def: AttributeDef,
  schema: ResourceSchema,
) {
  return refs.filter((ref) => {
    const at = resolveAttribute(schema, { ...ref, sub: null });
    return at !== null && at.def === def && at.container === container;
  });
}

/** The sub-attributes of one value kept by a projection (`subs` null: all that are returned by default). */
function projectValue(value: Json, def: AttributeDef, subs: string[] | null): Json | undefined {
  if (def.type !== 'complex') return value;
  if (!isObject(value)) return undefined;
  const out: JsonObject = {};
  for (const sub of def.subAttributes ?? []) {
    const v = field(value, sub.name);
    if (v === undefined || sub.returned === 'never') continue;
    const listed = subs?.some((s) => sameName(s, sub.name)) ?? false;
    if (sub.returned === 'always' || listed || (subs === null && sub.returned === 'default'))
      out[sub.name] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function projectAttribute(
  raw: Json,
  def: AttributeDef,
  included: AttrRef[] | null,
  excluded: AttrRef[],
): Json | undefined {
  if (def.returned === 'never') return undefined;
  let subs: string[] | null = null;
  if (def.returned !== 'always') {
    if (included !== null) {
      if (included.length === 0) return undefined;
      // The attribute named whole keeps every sub-attribute; named by sub-attribute, only those.
      if (!included.some((r) => r.sub === null)) subs = included.map((r) => r.sub as string);
    } else {
      if (def.returned === 'request') return undefined;
      if (excluded.some((r) => r.sub === null)) return undefined;
      const dropped = excluded.map((r) => r.sub as string);
      if (dropped.length > 0)
        subs = (def.subAttributes ?? [])
          .map((s) => s.name)
          .filter((n) => !dropped.some((d) => sameName(d, n)));
    }
  }
  if (def.multiValued) {
    const list = (Array.isArray(raw) ? raw : [raw])
      .map((v) => projectValue(v, def, subs))
      .filter((v) => v !== undefined);
    return list.length > 0 ? (list as Json[]) : undefined;
  }
  return projectValue(raw, def, subs);
}

/**
 * A resource as it is answered: only the attributes its schema declares (under their declared names), each
 * returned as its `returned` characteristic and the request's attributes/excludedAttributes say (RFC 7644
 * §3.4.2.5). `attributes` wins when both are given.
 */
export function project(resource: JsonObject, schema: ResourceSchema, projection?: Projection): JsonObject {
  const include = projection && projection.attributes.length > 0 ? projection.attributes : null;
  const exclude = include ? [] : (projection?.excludedAttributes ?? []);
  const out: JsonObject = { schemas: [schema.core.id] };
  const section = (container: string | null, defs: readonly AttributeDef[], target: JsonObject) => {
    const holder = container === null ? resource : field(resource, container);
    if (!isObject(holder)) return;
    for (const def of defs) {
      const raw = field(holder, def.name);
      if (raw === undefined || raw === null) continue;
      const included = include ? refersTo(include, container, def, schema) : null;
      const value = projectAttribute(raw, def, included, refersTo(exclude, container, def, schema));
      if (value !== undefined) target[def.name] = value;
    }
  };
  section(null, [...COMMON_ATTRIBUTES, ...schema.core.attributes], out);
  for (const extension of schema.extensions) {
    const target: JsonObject = {};
    section(extension.id, extension.attributes, target);
    if (Object.keys(target).length > 0) {
      out[extension.id] = target;
      (out['schemas'] as string[]).push(extension.id);
    }
  }
  return out;
}

/** One page of a listing: filtered, sorted, paged, projected; totalResults counts every match. */
export function listResources(
  resources: readonly JsonObject[],
  query: ListQuery,
  schema: ResourceSchema,
): ListResponse {
  const filter = query.filter;
  let matched = filter ? resources.filter((r) => evaluate(filter, r)) : [...resources];
  if (query.sortBy) matched = sortResources(matched, query.sortBy, query.descending);
  const page = matched.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: matched.length,
    startIndex: query.startIndex,
    itemsPerPage: page.length,
    Resources: page.map((r) => project(r, schema, query)),
  };
}

/**
 * A page read as a page (no filter, no sort): the resources are already the page, `total` counts every
 * resource; only the projection is applied here.
 */
export function listPage(
  page: readonly JsonObject[],
  total: number,
  query: ListQuery,
  schema: ResourceSchema,
): ListResponse {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex: query.startIndex,
    itemsPerPage: page.length,
    Resources: page.map((r) => project(r, schema, query)),
  };
}

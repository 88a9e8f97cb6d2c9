/** @module /Bulk (RFC 7644 §3.7): request validation, bulkId references in any order, failOnErrors, one executor. */

import { badRequest, payloadTooLarge, ScimError, toScimError } from './errors.js';
import { isObject, type Json, keyOf } from './schema.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BulkOperation {
  method: BulkMethod;
  bulkId: string | null;
  /** The If-Match version a PUT/PATCH/DELETE was written against. */
  version: string | null;
  path: string;
  data: Json | undefined;
}

export interface BulkRequest {
  /** Errors accepted before the rest is left undone; null: carry on whatever fails. */
  failOnErrors: number | null;
  operations: BulkOperation[];
}

export interface BulkLimits {
  maxOperations: number;
  maxPayloadSize: number;
}

/** What the executor answers for one operation: the status and, for a creation, the new resource's id. */
export interface BulkOutcome {
  status: number;
  id?: string;
  location?: string;
  version?: string;
  response?: Json;
}

/** Runs one operation, its bulkId references already replaced by ids. Throws a ScimError to fail it. */
export type BulkExecutor = (operation: BulkOperation) => Promise<BulkOutcome>;

export interface BulkResponseOperation {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: Json;
}

export interface BulkResponse {
  schemas: [typeof BULK_RESPONSE_SCHEMA];
  Operations: BulkResponseOperation[];
}

const PATH = /^\/(Users|Groups)(\/[^/]+)?$/i;
const REF = /^bulkId:(.+)$/;

/**
 * Validates a BulkRequest before anything runs: the size limits (413, as RFC 7644 §3.7.4 says), each
 * operation's method, path and data, a bulkId on every POST, no bulkId twice.
 */
export function parseBulkRequest(body: unknown, limits: BulkLimits, payloadBytes?: number): BulkRequest {
  if (payloadBytes !== undefined && payloadBytes > limits.maxPayloadSize)
    throw payloadTooLarge(`the bulk request is ${payloadBytes} bytes; the most is ${limits.maxPayloadSize}`);
  if (!isObject(body)) throw badRequest('invalidSyntax', 'a bulk request is a JSON object');
  const schemas = body['schemas'];
  if (
    Array.isArray(schemas) &&
    !schemas.some((s) => String(s).toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())
  )
    throw badRequest('invalidSyntax', `a bulk request's schemas must hold ${BULK_REQUEST_SCHEMA}`);
  const get = (object: Record<string, Json>, name: string) => {
    const key = keyOf(object, name);
    return key === undefined ? undefined : object[key];
  };
  const failOnErrors = get(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    failOnErrors !== null &&
    (!Number.isInteger(failOnErrors) || (failOnErrors as number) < 1)
  )
    throw badRequest('invalidValue', 'failOnErrors must be a positive integer');
  const list = get(body, 'Operations');
  if (!Array.isArray(list) || list.length === 0)
    throw badRequest('invalidSyntax', 'a bulk request needs a non-empty Operations list');
  if (list.length > limits.maxOperations)
    throw payloadTooLarge(
      `the bulk request has ${list.length} operations; the most is ${limits.maxOperations}`,
    );
  const seen = new Set<string>();
  const operations = list.map((raw, i): BulkOperation => {
    const where = `Operations[${i}]`;
    if (!isObject(raw)) throw badRequest('invalidSyntax', `${where} is not an object`);
    const method = String(get(raw, 'method') ?? '').toUpperCase();
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      throw badRequest('invalidSyntax', `${where}.method must be POST, PUT, PATCH or DELETE`);
    const path = get(raw, 'path');
    if (typeof path !== 'string' || !PATH.test(path))
      throw badRequest(
        'invalidPath',
        `${where}.path must be /Users or /Groups, with /{id} for ${method === 'POST' ? 'other methods' : method}`,
      );
    const hasId = PATH.exec(path)?.[2] !== undefined;
    if (method === 'POST' ? hasId : !hasId)
      throw badRequest(
        'invalidPath',
        `${where}.path ${method === 'POST' ? 'of a POST names the resource type only' : 'must name the resource: /Users/{id}'}`,
      );
    const bulkId = get(raw, 'bulkId');
    if (bulkId !== undefined && bulkId !== null && (typeof bulkId !== 'string' || bulkId === ''))
      throw badRequest('invalidSyntax', `${where}.bulkId must be a string`);
    if (method === 'POST' && !bulkId) throw badRequest('invalidSyntax', `${where}: a POST needs a bulkId`);
    if (typeof bulkId === 'string') {
      if (seen.has(bulkId)) throw badRequest('invalidSyntax', `${where}: bulkId "${bulkId}" is used twice`);
      seen.add(bulkId);
    }
    const data = get(raw, 'data');
    if (method !== 'DELETE' && !isObject(data))
      throw badRequest('invalidSyntax', `${where}: ${method} needs a data object`);
    const version = get(raw, 'version');
    return {
      method: method as BulkMethod,
      bulkId: typeof bulkId === 'string' ? bulkId : null,
      version: typeof version === 'string' ? version : null,
      path,
      data: method === 'DELETE' ? undefined : data,
    };
  });
  return { failOnErrors: typeof failOnErrors === 'number' ? failOnErrors : null, operations };
}

/** The bulkIds an operation refers to, in its path and anywhere in its data. */
function referencesOf(operation: BulkOperation): Set<string> {
  const refs = new Set<string>();
  const visit = (value: Json | undefined) => {
    if (typeof value === 'string') {
      const match = REF.exec(value);
      if (match) refs.add(match[1] as string);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  for (const segment of operation.path.split('/')) visit(segment);
  visit(operation.data);
  return refs;
}

function substitute(value: Json | undefined, ids: ReadonlyMap<string, string>): Json | undefined {
  if (typeof value === 'string') {
    const match = REF.exec(value);
    return match ? (ids.get(match[1] as string) ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids) as Json);
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids) as Json]));
  return value;
}

/**
 * Runs the operations. One that refers to a bulkId waits until that POST has run, wherever it stands in the
 * list; references that can never resolve (unknown, failed, circular) fail that operation alone. After
 * `failOnErrors` errors the rest is not run and not reported (RFC 7644 §3.7.3).
 */
export async function runBulk(request: BulkRequest, execute: BulkExecutor): Promise<BulkResponse> {
  const defined = new Set(
    request.operations.flatMap((o) => (o.bulkId && o.method === 'POST' ? [o.bulkId] : [])),
  );
  const ids = new Map<string, string>();
  const failed = new Set<string>();
  const results = new Map<number, BulkResponseOperation>();
  let errors = 0;
  let pending = request.operations.map((operation, index) => ({
    operation,
    index,
    refs: referencesOf(operation),
  }));

  const record = (index: number, operation: BulkOperation, outcome: BulkResponseOperation) => {
    results.set(index, outcome);
    if (Number(outcome.status) >= 400) {
      errors++;
      if (operation.bulkId) failed.add(operation.bulkId);
    }
  };
  const fail = (index: number, operation: BulkOperation, error: ScimError) => {
    record(index, operation, base(operation, String(error.status), error.toJSON() as unknown as Json));
  };
  const stop = () => request.failOnErrors !== null && errors >= request.failOnErrors;

  while (pending.length > 0 && !stop()) {
    const ready = pending.filter((p) =>
      [...p.refs].every((r) => ids.has(r) || failed.has(r) || !defined.has(r)),
    );
    if (ready.length === 0) {
      // Every remaining operation waits on another remaining one: each is in, or hangs on, a cycle.
      for (const stuck of pending.splice(0))
        fail(
          stuck.index,
          stuck.operation,
          new ScimError(409, `bulkId references of Operations[${stuck.index}] form a cycle`),
        );
      break;
    }
    const next = ready[0]!;
    pending = pending.filter((p) => p !== next);
    const { operation, index, refs } = next;
    const unknown = [...refs].find((r) => !defined.has(r));
    if (unknown !== undefined) {
      fail(
        index,
        operation,
        badRequest(
          'invalidValue',
          `Operations[${index}] refers to bulkId "${unknown}", which no POST defines`,
        ),
      );
      continue;
    }
    const broken = [...refs].find((r) => failed.has(r));
    if (broken !== undefined) {
      fail(
        index,
        operation,
        badRequest(
          'invalidValue',
          `Operations[${index}] refers to bulkId "${broken}", whose operation failed`,
        ),
      );
      continue;
    }
    const resolved: BulkOperation = {
      ...operation,
      path: operation.path
        .split('/')
        .map((segment) => substitute(segment, ids) as string)
        .join('/'),
      data: substitute(operation.data, ids),
    };
    try {
      const outcome = await execute(resolved);
      if (operation.bulkId && operation.method === 'POST') {
        const id = outcome.id ?? outcome.location?.split('/').pop();
        if (id) ids.set(operation.bulkId, id);
      }
      const out = base(operation, String(outcome.status), outcome.response);
      if (outcome.location) out.location = outcome.location;
      if (outcome.version) out.version = outcome.version;
      record(index, operation, out);
    } catch (error) {
      const scim = toScimError(error);
      record(index, operation, base(operation, String(scim.status), scim.toJSON() as unknown as Json));
    }
  }
  return {
    schemas: [BULK_RESPONSE_SCHEMA],
    Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, r]) => r),
  };
}

function base(operation: BulkOperation, status: string, response: Json | undefined): BulkResponseOperation {
  const out: BulkResponseOperation = { method: operation.method, status };
  if (operation.bulkId) out.bulkId = operation.bulkId;
  if (response !== undefined) out.response = response;
  return out;
}

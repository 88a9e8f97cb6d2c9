/** @module Zod schemas of the customer-directory payloads Roster reads, and the one parse step every answer goes through. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { fastParse, oncePerItem } from '../sdk/fast-parse.js';

/** Guide: every id is a `string · objectid`: 24 hexadecimal characters. */
export const OBJECT_ID = /^[0-9a-f]{24}$/i;

const objectId = z.string().regex(OBJECT_ID, 'expected a 24-hex object id');

/**
 * A user as the guide's response schema prints it, plus the `roleIds` PATCH sets (not in the printed response).
 * Only `_id` and `email` are insisted on: the optional strings are left out when never set, `groupIds` is
 * "nullable", `isSuperDelegate` is absent rather than false, and `status` is "Optional" with a blank enum.
 * Loose: fields Roster does not map are kept, so `raw` is the user as the app answered it.
 */
export const cdUserSchema = z.looseObject({
  _id: objectId,
  email: z.string().min(1),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  isSuperDelegate: z.boolean().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  jobTitle: z.string().nullish(),
  nickname: z.string().nullish(),
  status: z.string().nullish(),
  seniority: z.string().nullish(),
  department: z.string().nullish(),
  office: z.string().nullish(),
  subdepartment: z.string().nullish(),
  pod: z.string().nullish(),
  groupIds: z.array(objectId).nullish(),
  roleIds: z.array(objectId).nullish(),
  /** Not in the guide: read only if an instance exposes one (the sandbox keeps identities out of the user). */
  externalId: z.string().nullish(),
});
export type CdUser = z.infer<typeof cdUserSchema>;

/** A role or a group as the (assumed) GET …/roles and GET …/groups list them. */
export const cdNamedSchema = z.object({ _id: objectId, name: z.string() });
export type CdNamed = z.infer<typeof cdNamedSchema>;

/** The first problem in a zod error as `users[3].email: expected string`. */
function firstIssue(error: z.ZodError, root: string): { field: string; problem: string } {
  const issue = error.issues[0];
  const field = (issue?.path ?? []).reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    root,
  );
  return { field: field || 'body', problem: issue?.message ?? 'unreadable' };
}

function unreadable(appId: string, endpoint: string, field: string, problem: string): RosterError {
  return new RosterError(
    'unavailable',
    `${appId}: ${endpoint} answered a payload Roster cannot read (${field}: ${problem})`,
    { where: appId, details: { appId, endpoint, field } },
  );
}

/** Parses one answer; a payload that does not fit is 'unavailable', naming the endpoint and the field. */
export function parseBody<S extends z.ZodType>(
  appId: string,
  endpoint: string,
  schema: S,
  body: unknown,
  root = '',
): z.output<S> {
  const parsed = fastParse(schema, body);
  if (parsed.success) return parsed.data;
  const { field, problem } = firstIssue(parsed.error, root);
  throw unreadable(appId, endpoint, field, problem);
}

/**
 * Guide: the list answers "application/json or" — two shapes, neither printed. A bare array and an envelope
 * `{ <key>: [...] }` are both read; anything else is 'unavailable'.
 */
export function parseList<S extends z.ZodType>(
  appId: string,
  endpoint: string,
  key: string,
  schema: S,
  body: unknown,
): z.output<S>[] {
  if (Array.isArray(body)) return parseBody(appId, endpoint, arrayOf(schema), body);
  if (body !== null && typeof body === 'object' && Array.isArray((body as Record<string, unknown>)[key])) {
    return parseBody(appId, endpoint, arrayOf(schema), (body as Record<string, unknown>)[key], key);
  }
  throw unreadable(appId, endpoint, key, `expected a JSON array or { "${key}": [...] }`);
}

const arrays = new WeakMap<z.ZodType, z.ZodArray>();

/** The array of a schema (see oncePerItem). */
const arrayOf = <S extends z.ZodType>(schema: S) =>
  oncePerItem(arrays, schema, () => z.array(schema)) as z.ZodArray<S>;

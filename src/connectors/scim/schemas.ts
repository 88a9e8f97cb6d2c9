/** @module SCIM 2.0 payloads as zod schemas (RFC 7643 User/Group, RFC 7644 ListResponse), and how to parse them. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { FAIL, fastParse, oncePerItem } from '../sdk/fast-parse.js';

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** "True" / "false" (any case) as the boolean it names; anything else as it is. */
function readBoolean(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

/**
 * A boolean as servers send it: Entra-style servers answer "True"/"False" strings, so both forms are read.
 * Anything else is left out (the attribute is then treated as absent, never as true).
 */
const scimBoolean = z.preprocess(readBoolean, z.boolean());

const multiValue = z.looseObject({
  value: z.string().nullish(),
  type: z.string().nullish(),
  primary: scimBoolean.nullish(),
  display: z.string().nullish(),
});
export type ScimMultiValue = z.infer<typeof multiValue>;

/** A SCIM User with the attributes Roster reads; every other attribute is kept for `raw`. */
export const scimUserSchema = z.looseObject({
  id: z.string().min(1),
  userName: z.string().nullish(),
  externalId: z.string().nullish(),
  displayName: z.string().nullish(),
  title: z.string().nullish(),
  userType: z.string().nullish(),
  name: z
    .looseObject({
      givenName: z.string().nullish(),
      familyName: z.string().nullish(),
      formatted: z.string().nullish(),
    })
    .nullish(),
  emails: z.array(multiValue).nullish(),
  roles: z.array(multiValue).nullish(),
  active: scimBoolean.nullish(),
  /** StackSpot: resources carry no `active`; a blocked (deactivated) user has `is_blocked: true`. */
  is_blocked: scimBoolean.nullish(),
  meta: z
    .looseObject({
      created: z.string().nullish(),
      lastModified: z.string().nullish(),
      version: z.string().nullish(),
    })
    .nullish(),
});
export type ScimUser = z.infer<typeof scimUserSchema>;

const member = z.looseObject({
  value: z.string(),
  type: z.string().nullish(),
});

export const scimGroupSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  members: z.array(member).nullish(),
});
export type ScimGroup = z.infer<typeof scimGroupSchema>;

/**
 * RFC 7644 §3.4.2: `totalResults` is REQUIRED (an answer without it, `{}` included, is not a listing and must
 * never read as "no records"); `Resources` is required when there are any. `itemsPerPage` is read but never
 * trusted (StackSpot echoes the size asked for).
 */
export function listResponseSchema<T extends z.ZodType>(item: T) {
  return oncePerItem(listSchemas, item, () => buildListResponseSchema(item)) as ListResponseSchema<T>;
}

const buildListResponseSchema = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    Resources: z.array(item).nullish(),
    totalResults: z.number().int().min(0),
    startIndex: z.number().int().nullish(),
    itemsPerPage: z.number().int().nullish(),
  });

type ListResponseSchema<T extends z.ZodType> = ReturnType<typeof buildListResponseSchema<T>>;

const listSchemas = new WeakMap<z.ZodType, unknown>();

const supported = z.looseObject({ supported: scimBoolean.nullish() }).nullish();

/** RFC 7643 §5: what the service provider says it supports. Only what Roster uses is read. */
export const serviceProviderConfigSchema = z.looseObject({
  patch: supported,
  filter: z
    .looseObject({ supported: scimBoolean.nullish(), maxResults: z.number().int().nullish() })
    .nullish(),
  etag: supported,
  bulk: z
    .looseObject({ supported: scimBoolean.nullish(), maxOperations: z.number().int().nullish() })
    .nullish(),
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown) => v == null || typeof v === 'string';
const isFlag = (v: unknown) => v == null || typeof v === 'boolean';

/** The named fields of `v` are each absent, null or a string. */
const textFields = (v: Record<string, unknown>, names: readonly string[]) => names.every((n) => isText(v[n]));

const isPlainMultiValue = (v: unknown) =>
  isRecord(v) && textFields(v, ['value', 'type', 'display']) && isFlag(v['primary']);
const isPlainList = (v: unknown) => v == null || (Array.isArray(v) && v.every(isPlainMultiValue));

/**
 * True when a user is already in the form scimUserSchema gives (every field it reads absent, null or of its
 * type; booleans as booleans, not "True"): zod would only copy it. Every create and read-back parses one user,
 * and zod's generic walk of it was most of what the connector spent per op. Anything else goes through zod.
 */
function isPlainScimUser(v: unknown): boolean {
  if (!isRecord(v) || typeof v['id'] !== 'string' || v['id'].length === 0) return false;
  if (!textFields(v, ['userName', 'externalId', 'displayName', 'title', 'userType'])) return false;
  const { name, meta } = v;
  if (name != null && !(isRecord(name) && textFields(name, ['givenName', 'familyName', 'formatted'])))
    return false;
  if (meta != null && !(isRecord(meta) && textFields(meta, ['created', 'lastModified', 'version'])))
    return false;
  return (
    isPlainList(v['emails']) && isPlainList(v['roles']) && isFlag(v['active']) && isFlag(v['is_blocked'])
  );
}

/** scimBoolean for the fast path: a boolean as it is, "True"/"false" read as the preprocess reads them. */
const LEAVES = new Map<z.ZodType, (value: unknown) => unknown>([
  [
    scimBoolean,
    (value) => {
      const read = readBoolean(value);
      return typeof read === 'boolean' ? read : FAIL;
    },
  ],
]);

/** Schemas with a hand-written check for payloads zod would pass through unchanged (see isPlainScimUser). */
const PASS_THROUGH = new Map<z.ZodType, (body: unknown) => boolean>([[scimUserSchema, isPlainScimUser]]);

/** A payload that does not parse is the app breaking its contract: 'unavailable', naming endpoint and field. */
export function parsePayload<T extends z.ZodType>(
  schema: T,
  body: unknown,
  context: { appId: string; endpoint: string },
): z.output<T> {
  if (PASS_THROUGH.get(schema)?.(body) === true) return body as z.output<T>;
  const parsed = fastParse(schema, body, LEAVES);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  return unreadable(context, `${field}: ${issue?.message ?? 'unexpected payload'}`, parsed.error);
}

function unreadable(context: { appId: string; endpoint: string }, what: string, cause: unknown): never {
  throw new RosterError(
    'unavailable',
    `${context.appId}: ${context.endpoint} answered a payload Roster cannot read (${what})`,
    { where: context.appId, cause, details: { appId: context.appId, endpoint: context.endpoint } },
  );
}

/** @module Zod schemas of the Targetprocess REST v1 payloads Roster reads, and the one parse step every answer goes through. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { FAIL, fastParse, oncePerItem } from '../sdk/fast-parse.js';

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/**
 * A Targetprocess date as an ISO 8601 string. JSON answers carry `/Date(1717171717000+0000)/` (milliseconds
 * since the epoch; the offset is informational), although the guide's table says ISO 8601: both are read.
 */
export function parseTpDate(value: string): string | null {
  const ms = MS_DATE.exec(value);
  if (ms) return new Date(Number(ms[1])).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  // An ISO value without an offset is the server's time, which Targetprocess Cloud keeps in UTC.
  const text = /[T ][\d:.]+$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}

export const tpDate = z.string().transform((value, ctx) => {
  const iso = parseTpDate(value);
  if (iso === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is neither /Date(ms)/ nor ISO 8601` });
    return z.NEVER;
  }
  return iso;
});

const reference = z.object({ Id: z.number().int(), Name: z.string().nullish() });

/** A user as Roster asks for it (`include=[...]`): only the listed fields plus Id come back. */
export const tpUser = z.object({
  Id: z.number().int(),
  FirstName: z.string().nullish(),
  LastName: z.string().nullish(),
  Email: z.string().nullish(),
  Login: z.string().nullish(),
  IsActive: z.boolean(),
  IsAdministrator: z.boolean().nullish(),
  CreateDate: tpDate.nullish(),
  ModifyDate: tpDate.nullish(),
  DeleteDate: tpDate.nullish(),
  LastLoginDate: tpDate.nullish(),
  Role: reference.nullish(),
});
export type TpUser = z.output<typeof tpUser>;

/** A user read only for its role (`include=[Role[Id]]`). */
export const tpUserRole = z.object({
  Id: z.number().int(),
  Role: z.object({ Id: z.number().int() }).nullish(),
});

/** Roles and Teams: Id and Name. */
export const tpNamed = z.object({ Id: z.number().int(), Name: z.string() });
export type TpNamed = z.output<typeof tpNamed>;

/** A TeamMember read as principal ids only (`include=[User[Id],Team[Id]]`). */
export const tpTeamMember = z.object({
  Id: z.number().int(),
  User: z.object({ Id: z.number().int() }).nullish(),
  Team: z.object({ Id: z.number().int() }).nullish(),
});
export type TpTeamMember = z.output<typeof tpTeamMember>;

/** Any object with an Id: what a create answers, before the read-back. */
export const tpEntity = z.object({ Id: z.number().int() });

/** A list page: Items, and Next (an absolute URL) while more items exist. Built once per item schema. */
export function tpPage<T extends z.ZodType>(item: T): TpPage<T> {
  return oncePerItem(pages, item, () => buildPage(item)) as TpPage<T>;
}

const buildPage = <T extends z.ZodType>(item: T) =>
  z.object({ Items: z.array(item), Next: z.string().nullish() });
type TpPage<T extends z.ZodType> = ReturnType<typeof buildPage<T>>;
const pages = new WeakMap<z.ZodType, unknown>();

/** tpDate for the fast path: what its transform makes of a string, or FAIL for zod to say what is wrong. */
const LEAVES = new Map<z.ZodType, (value: unknown) => unknown>([
  [tpDate, (value) => (typeof value === 'string' ? (parseTpDate(value) ?? FAIL) : FAIL)],
]);

/** Parses an answer; one that does not fit is 'unavailable', naming the endpoint and the field. */
export function parseAnswer<T extends z.ZodType>(
  schema: T,
  body: unknown,
  where: { appId: string; endpoint: string },
): z.output<T> {
  const result = fastParse(schema, body, LEAVES);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(the whole answer)';
  throw new RosterError(
    'unavailable',
    `${where.appId}: unexpected answer from ${where.endpoint}: ${field}: ${issue?.message ?? 'does not parse'}`,
    { where: where.appId, details: { appId: where.appId, endpoint: where.endpoint, field } },
  );
}

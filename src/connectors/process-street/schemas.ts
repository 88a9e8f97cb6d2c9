/** @module Zod schemas of the Process Street payloads Roster reads, and the one parse step every answer goes through. */

import { z } from 'zod';
import { RosterError } from '../../core/errors.js';
import { fastParse } from '../sdk/fast-parse.js';

/**
 * A member as GET /members and GET /members/{id} answer it. The guide's examples show subsets of the data
 * model, so only `id` and `email` are required; the unknown keys (avatarUrl...) are kept for `raw`.
 */
export const memberSchema = z.looseObject({
  id: z.string().min(1),
  email: z.string().min(1),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  username: z.string().nullish(),
  role: z.string().nullish(),
  organizationId: z.string().nullish(),
  status: z.string().nullish(),
  createdDate: z.string().nullish(),
});
export type MemberPayload = z.output<typeof memberSchema>;

export const memberListSchema = z.object({ members: z.array(memberSchema) });
export const memberAnswerSchema = z.object({ member: memberSchema });

/** POST /members answers only `{ member: { id, email, status } }`: the rest is read back. */
export const inviteAnswerSchema = z.object({
  member: z.object({ id: z.string().min(1), email: z.string().nullish(), status: z.string().nullish() }),
});

export const groupSchema = z.looseObject({ id: z.string().min(1), name: z.string() });
export type GroupPayload = z.output<typeof groupSchema>;
export const groupListSchema = z.object({ groups: z.array(groupSchema) });

/** GET /groups/{id}/members: grants need the member ids only, whatever else each entry carries. */
export const groupMemberListSchema = z.object({ members: z.array(z.looseObject({ id: z.string().min(1) })) });

/** Parses an answer; a payload Roster cannot read is 'unavailable', naming the endpoint and the field. */
export function parseAnswer<S extends z.ZodType>(
  appId: string,
  endpoint: string,
  schema: S,
  body: unknown,
): z.output<S> {
  const result = fastParse(schema, body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return raise(appId, endpoint, field, issue?.message ?? 'unreadable');
}

function raise(appId: string, endpoint: string, field: string, problem: string): never {
  throw new RosterError(
    'unavailable',
    `${appId}: ${endpoint} answered a payload Roster cannot read (${field}: ${problem})`,
    { where: appId, details: { appId, endpoint, field } },
  );
}

/** @module Pure mappings between Thought Industries payloads and Roster's types: accounts, entitlements, grants, user writes. */

import { RosterError } from '../../core/errors.js';
import type { Account, Entitlement, Grant } from '../../core/types.js';
import type { AccountChanges, AccountInput, WithRaw } from '../sdk/types.js';
import type { TiCourse, TiGroup, TiUser, TiUserEnrollments } from './schemas.js';

/** Account attributes carry each custom field under this prefix: `customFields.department`. */
export const CUSTOM_FIELD_PREFIX = 'customFields.';
/** Attributes Roster reads and writes besides custom fields, under the app's own field names. */
export const PLAIN_ATTRIBUTES = ['role', 'language', 'avatarUrl'] as const;
type PlainAttribute = (typeof PLAIN_ATTRIBUTES)[number];

type Scalar = string | number | boolean | null;

/** Every writable field of a user (guide data model). PUT replaces the whole object, so a write sends all of them. */
export interface TiUserWrite {
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: string | null;
  groups: string[];
  customFields: Record<string, Scalar>;
  active: boolean;
  ssoId: string | null;
  avatarUrl: string | null;
  language: string | null;
}

/** What POST /users takes: the write fields Roster sets, plus the write-only password. */
export type TiUserCreate = Partial<TiUserWrite> & { email: string; password?: string };

export function toAccount(appId: string, user: TiUser): WithRaw<Account> {
  const firstName = user.firstName ?? null;
  const lastName = user.lastName ?? null;
  const displayName = [firstName, lastName].filter(Boolean).join(' ');
  const attributes: Account['attributes'] = {
    role: user.role ?? null,
    language: user.language ?? null,
    avatarUrl: user.avatarUrl ?? null,
  };
  for (const [key, value] of Object.entries(user.customFields ?? {})) {
    attributes[`${CUSTOM_FIELD_PREFIX}${key}`] = value;
  }
  return {
    appId,
    id: user.id,
    email: user.email,
    // The email is the login identifier: there is no separate user name.
    login: null,
    externalId: user.ssoId ?? null,
    firstName,
    lastName,
    displayName: displayName === '' ? null : displayName,
    // No invitation state: a user who never signed in is simply active.
    status: user.active ? 'active' : 'inactive',
    isAdmin: user.role === 'admin',
    lastLoginAt: user.lastActiveAt ?? null,
    createdAt: user.createdAt ?? null,
    updatedAt: user.updatedAt ?? null,
    attributes,
    raw: user,
  };
}

/**
 * A group as GET /groups lists it, or as roster.yaml names it. `named` false: an id a user holds that the
 * config does not name, so its id stands in for the name (add it to `groups` to name it).
 */
export function toGroupEntitlement(
  appId: string,
  group: TiGroup,
  privilegedNames: readonly string[] = [],
  named = true,
): WithRaw<Entitlement> {
  const privileged = privilegedNames.some((name) => name.toLowerCase() === group.name.toLowerCase());
  return { appId, id: group.id, kind: 'group', name: group.name, privileged, raw: { ...group, named } };
}

/** A course as GET /courses lists it, or as roster.yaml names it (`published` then unknown: null). */
export function toCourseEntitlement(
  appId: string,
  course: Omit<TiCourse, 'published'> & { published: boolean | null },
  named = true,
): WithRaw<Entitlement> {
  return {
    appId,
    id: course.id,
    kind: 'course',
    name: course.title,
    privileged: false,
    raw: { ...course, named },
  };
}

/** Group memberships ride on each user (`groups`): the account listing carries them. */
export function groupGrantsOf(appId: string, user: TiUser): Grant[] {
  return [...new Set(user.groups ?? [])].map((groupId) => ({
    appId,
    entitlementId: groupId,
    accountId: user.id,
  }));
}

/** Enrollments of one GraphQL page of users; the enrollment status is kept in `raw` for audits. */
export function courseGrantsOf(appId: string, users: readonly TiUserEnrollments[]): WithRaw<Grant>[] {
  return users.flatMap((user) =>
    user.enrollments.map((enrollment) => ({
      appId,
      entitlementId: enrollment.courseId,
      accountId: user.id,
      raw: { status: enrollment.status ?? null },
    })),
  );
}

/** The whole writable object of a user as read: what a read-merge-write PUT starts from. */
export function writableOf(user: TiUser): TiUserWrite {
  return {
    email: user.email,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    role: user.role ?? null,
    groups: [...(user.groups ?? [])],
    customFields: { ...(user.customFields ?? {}) },
    active: user.active,
    ssoId: user.ssoId ?? null,
    avatarUrl: user.avatarUrl ?? null,
    language: user.language ?? null,
  };
}

function invalid(
  appId: string,
  message: string,
  fix: string,
  details: Record<string, unknown> = {},
): RosterError {
  return new RosterError('invalid_input', `${appId}: ${message}`, {
    where: appId,
    fix,
    details: { appId, ...details },
  });
}

/**
 * Splits account attributes into the user fields they set. Refuses, before anything is sent, an attribute
 * Roster does not know and a custom field key the portal does not have (the app would drop it silently).
 */
export function attributeFields(
  appId: string,
  attributes: Record<string, Scalar> | undefined,
  customFieldKeys: readonly string[],
): { plain: Partial<Record<PlainAttribute, string | null>>; customFields: Record<string, Scalar> } {
  const plain: Partial<Record<PlainAttribute, string | null>> = {};
  const customFields: Record<string, Scalar> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name.startsWith(CUSTOM_FIELD_PREFIX)) {
      const key = name.slice(CUSTOM_FIELD_PREFIX.length);
      if (!customFieldKeys.includes(key)) {
        const configured = customFieldKeys.length > 0 ? customFieldKeys.join(', ') : 'none';
        throw invalid(
          appId,
          `custom field "${key}" is not one of the portal's custom field keys (configured: ${configured}); Thought Industries would drop it without an error`,
          `create the field in the admin portal and add "${key}" to customFieldKeys for ${appId}, or stop sending it`,
          { field: key, customFieldKeys: [...customFieldKeys] },
        );
      }
      customFields[key] = value;
      continue;
    }
    if (!(PLAIN_ATTRIBUTES as readonly string[]).includes(name)) {
      throw invalid(
        appId,
        `attribute "${name}" is not a Thought Industries user field (known: ${PLAIN_ATTRIBUTES.join(', ')}, ${CUSTOM_FIELD_PREFIX}<key>)`,
        `map "${name}" to one of those, or to a custom field key`,
        { attribute: name },
      );
    }
    if (value !== null && typeof value !== 'string') {
      throw invalid(appId, `attribute "${name}" must be a string or null`, `send "${name}" as text`, {
        attribute: name,
      });
    }
    plain[name as PlainAttribute] = value;
  }
  return { plain, customFields };
}

function refuseLogin(appId: string, login: string | undefined): void {
  if (login === undefined) return;
  throw invalid(
    appId,
    'Thought Industries has no login apart from the email',
    'change the email instead of the login',
    { attribute: 'login' },
  );
}

/** The POST /users body for a new account; throws before sending on unknown attributes. */
export function createBody(
  appId: string,
  input: AccountInput,
  customFieldKeys: readonly string[],
): TiUserCreate {
  refuseLogin(appId, input.login);
  const { plain, customFields } = attributeFields(appId, input.attributes, customFieldKeys);
  return {
    email: input.email,
    firstName: input.firstName,
    lastName: input.lastName,
    ...(input.externalId === undefined ? {} : { ssoId: input.externalId }),
    ...plain,
    ...(Object.keys(customFields).length > 0 ? { customFields } : {}),
    ...(input.password === undefined ? {} : { password: input.password }),
  };
}

/** Refuses a change Thought Industries cannot hold, before any request is made. */
export function checkChanges(
  appId: string,
  changes: AccountChanges,
  customFieldKeys: readonly string[],
): ReturnType<typeof attributeFields> {
  refuseLogin(appId, changes.login);
  return attributeFields(appId, changes.attributes, customFieldKeys);
}

/** The current object with the changes merged in: custom fields key by key, everything else kept. */
export function mergeChanges(
  appId: string,
  current: TiUserWrite,
  changes: AccountChanges,
  customFieldKeys: readonly string[],
): TiUserWrite {
  const { plain, customFields } = checkChanges(appId, changes, customFieldKeys);
  return {
    ...current,
    ...(changes.email === undefined ? {} : { email: changes.email }),
    ...(changes.firstName === undefined ? {} : { firstName: changes.firstName }),
    ...(changes.lastName === undefined ? {} : { lastName: changes.lastName }),
    ...(changes.externalId === undefined ? {} : { ssoId: changes.externalId }),
    ...plain,
    groups: [...current.groups],
    customFields: { ...current.customFields, ...customFields },
  };
}

/** @module SCIM User/Group ↔ Roster Account/Entitlement as data: default maps from the connector, overrides, change sets. */

import type {
  AccountChanges,
  AccountInput,
  CapabilityManifest,
  ConnectorTraits,
} from '../../connectors/sdk/types.js';
import type { Account, Entitlement, EntitlementKind } from '../../core/types.js';
import { badRequest } from './errors.js';
import { checkValueFilter, evaluateSub, parsePath } from './filter.js';
import { applyPatch } from './patch.js';
import {
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  isObject,
  type Json,
  type JsonObject,
  keyOf,
  type ResourceSchema,
  resolveAttribute,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schema.js';

/** The Account fields a SCIM attribute can stand for; `active` is the status, `attributes.x` an app attribute. */
export type AccountField =
  | 'email'
  | 'login'
  | 'firstName'
  | 'lastName'
  | 'displayName'
  | 'externalId'
  | 'active'
  | `attributes.${string}`;

/** One line of the map: the SCIM attribute (a PATCH path, value filters allowed) and the Account field. */
export interface MapEntry {
  scim: string;
  account: AccountField;
}

/** roster.yaml's room for a per-app override: SCIM path → Account field, or null to leave an attribute out. */
export type MappingOverrides = Readonly<Record<string, AccountField | null>>;

const ENT = ENTERPRISE_USER_SCHEMA;

/**
 * Where an app attribute (a name in the connector's `traits.attributeMap`) goes in SCIM, by its name (after
 * any prefix such as Thought Industries' `customFields.`). Generic names only: no app is listed here.
 */
const STANDARD_HOMES: Readonly<Record<string, string>> = {
  title: 'title',
  jobtitle: 'title',
  nickname: 'nickName',
  usertype: 'userType',
  locale: 'locale',
  timezone: 'timezone',
  preferredlanguage: 'preferredLanguage',
  department: `${ENT}:department`,
  division: `${ENT}:division`,
  organization: `${ENT}:organization`,
  costcenter: `${ENT}:costCenter`,
  employeenumber: `${ENT}:employeeNumber`,
};

const CORE_FIELDS = new Set(['email', 'login', 'firstName', 'lastName', 'externalId', 'displayName']);

/**
 * The default map for an app, from what its connector says it writes (`traits.attributeMap`): userName is the
 * login where the app has one Roster writes, else the email; app attributes with a standard SCIM home go there.
 */
export function defaultUserMapping(traits: Pick<ConnectorTraits, 'attributeMap'>): MapEntry[] {
  const writes = Object.keys(traits.attributeMap);
  const entries: MapEntry[] = [
    { scim: 'userName', account: writes.includes('login') ? 'login' : 'email' },
    { scim: 'name.givenName', account: 'firstName' },
    { scim: 'name.familyName', account: 'lastName' },
    { scim: 'displayName', account: 'displayName' },
    { scim: 'emails[type eq "work"].value', account: 'email' },
    { scim: 'active', account: 'active' },
    { scim: 'externalId', account: 'externalId' },
  ];
  for (const key of writes) {
    if (CORE_FIELDS.has(key)) continue;
    const name = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
    const home = STANDARD_HOMES[name];
    if (home && !entries.some((e) => e.scim === home))
      entries.push({ scim: home, account: `attributes.${key}` });
  }
  return entries;
}

/** The default map with roster.yaml's overrides laid over it; every path is checked against the catalogue. */
export function userMapping(
  traits: Pick<ConnectorTraits, 'attributeMap'>,
  overrides: MappingOverrides = {},
): MapEntry[] {
  const entries = defaultUserMapping(traits);
  for (const [scim, account] of Object.entries(overrides)) {
    const path = parsePath(scim);
    if (!resolveAttribute(CATALOGUE_USER, path.attr))
      throw badRequest('invalidPath', `mapping: "${scim}" is not a SCIM User attribute Roster knows`);
    const i = entries.findIndex((e) => e.scim.toLowerCase() === scim.toLowerCase());
    if (account === null) {
      if (i >= 0) entries.splice(i, 1);
    } else if (i >= 0) entries[i] = { scim, account };
    else entries.push({ scim, account });
  }
  return entries;
}

/** Every User attribute Roster can map: the schema a resource is built in before the app's own trims it. */
export const CATALOGUE_USER: ResourceSchema = {
  core: { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: [...USER_ATTRIBUTES] },
  extensions: [
    {
      id: ENT,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: [...ENTERPRISE_ATTRIBUTES],
    },
  ],
};
export const CATALOGUE_GROUP: ResourceSchema = {
  core: { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: [...GROUP_ATTRIBUTES] },
  extensions: [],
};

type Scalar = string | number | boolean | null;

function accountValue(account: Account, field: AccountField): Scalar {
  if (field === 'active') return account.status === 'active' || account.status === 'invited';
  if (field.startsWith('attributes.')) return account.attributes[field.slice('attributes.'.length)] ?? null;
  return account[field as Exclude<AccountField, 'active' | `attributes.${string}`>];
}

export interface ScimUserOptions {
  /** The facade's base URL for this app (`…/scim/v2/<appId>`), for meta.location and group $ref. */
  baseUrl: string;
  /** The groups the account is in (when the app has a Group kind). */
  groups?: readonly { id: string; name: string }[];
}

/**
 * An account as a SCIM User, built by writing each mapped field at its path (so `emails[type eq "work"].value`
 * makes a work email, primary as the only one). An invited account is active: it is provisioned, not disabled.
 */
export function toScimUser(
  account: Account,
  mapping: readonly MapEntry[],
  options: ScimUserOptions,
): JsonObject {
  const operations = mapping.flatMap((entry) => {
    const value = accountValue(account, entry.account);
    return value === null || value === '' ? [] : [{ op: 'add' as const, path: entry.scim, value }];
  });
  const built = applyPatch({}, operations, CATALOGUE_USER).resource;
  const emails = built['emails'];
  if (Array.isArray(emails) && emails.length === 1 && isObject(emails[0]))
    emails[0] = { ...emails[0], primary: true };
  const user: JsonObject = { schemas: [USER_SCHEMA], id: account.id, ...built };
  if (options.groups && options.groups.length > 0)
    user['groups'] = options.groups.map((g) => ({
      value: g.id,
      $ref: `${options.baseUrl}/Groups/${encodeURIComponent(g.id)}`,
      display: g.name,
    }));
  const meta: JsonObject = {
    resourceType: 'User',
    location: `${options.baseUrl}/Users/${encodeURIComponent(account.id)}`,
  };
  if (account.createdAt) meta['created'] = account.createdAt;
  if (account.updatedAt) meta['lastModified'] = account.updatedAt;
  user['meta'] = meta;
  return user;
}

function field(object: JsonObject, name: string): Json | undefined {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** The value at a mapped path in a resource (the first matching value for a value path), or null. */
export function valueAt(resource: JsonObject, scim: string): Json {
  const path = parsePath(scim);
  const at = resolveAttribute(CATALOGUE_USER, path.attr);
  if (!at) return null;
  const holder = at.container === null ? resource : field(resource, at.container);
  if (!isObject(holder)) return null;
  let value = field(holder, at.def.name);
  if (value === undefined || value === null) return null;
  if (path.filter) {
    const check = checkValueFilter(path.filter, at.def, scim);
    const match = (Array.isArray(value) ? value : [value]).find((v) => isObject(v) && evaluateSub(check, v));
    if (!isObject(match)) return null;
    return path.sub ? (field(match, path.sub) ?? null) : match;
  }
  if (at.sub) {
    if (Array.isArray(value)) value = value[0] ?? null;
    return isObject(value) ? (field(value, at.sub.name) ?? null) : null;
  }
  return value;
}

/**
 * What each mapped Account field reads in a SCIM resource. Where two attributes feed one field (userName and
 * the work email both being the email), the specific one wins and userName is the fallback: an IdP that changes
 * the work email alone changes the email.
 */
export function readFields(resource: JsonObject, mapping: readonly MapEntry[]): Map<AccountField, Scalar> {
  const out = new Map<AccountField, Scalar>();
  const read = (entry: MapEntry) => {
    if ((out.get(entry.account) ?? null) !== null) return;
    const value = valueAt(resource, entry.scim);
    out.set(entry.account, isObject(value) || Array.isArray(value) ? null : value);
  };
  const isUserName = (e: MapEntry) => e.scim.toLowerCase() === 'username';
  for (const entry of mapping) if (!isUserName(entry)) read(entry);
  // An email the work value lacks: the primary one, else the first (tolerant of IdPs that send no type).
  if (mapping.some((e) => e.account === 'email') && (out.get('email') ?? null) === null) {
    const emails = field(resource, 'emails');
    const list = Array.isArray(emails) ? emails.filter(isObject) : [];
    const pick = list.find((e) => field(e, 'primary') === true) ?? list[0];
    const value = pick ? field(pick, 'value') : null;
    if (typeof value === 'string') out.set('email', value);
  }
  for (const entry of mapping) if (isUserName(entry)) read(entry);
  return out;
}

const text = (v: Scalar | undefined): string | null =>
  v === null || v === undefined || v === '' ? null : String(v);

/**
 * The account to create from a SCIM User. Tolerant: no email but a userName that is one (Okta sends both;
 * some IdPs only userName) uses it.
 */
export function accountInputFrom(
  resource: JsonObject,
  mapping: readonly MapEntry[],
): { account: AccountInput; active: boolean } {
  const fields = readFields(resource, mapping);
  const userName = text(valueAt(resource, 'userName') as Scalar);
  const email = [text(fields.get('email')), userName].find((v) => v?.includes('@'));
  if (!email)
    throw badRequest(
      'invalidValue',
      'emails: a work email (or a userName that is an email) is required to create the account',
    );
  const account: AccountInput = {
    email,
    firstName: text(fields.get('firstName')) ?? '',
    lastName: text(fields.get('lastName')) ?? '',
  };
  const login = text(fields.get('login'));
  if (login && mapping.some((e) => e.account === 'login')) account.login = login;
  const externalId = text(fields.get('externalId'));
  if (externalId) account.externalId = externalId;
  const attributes: NonNullable<AccountInput['attributes']> = {};
  for (const [name, value] of fields)
    if (name.startsWith('attributes.') && value !== null)
      attributes[name.slice('attributes.'.length)] = value;
  if (Object.keys(attributes).length > 0) account.attributes = attributes;
  const active = fields.get('active');
  return { account, active: active !== false };
}

/** What a write changed, in Roster's terms: the status apart (it is deactivate/reactivate, not an update). */
export interface UserChangeSet {
  /** Set when `active` changed: false deactivates, true reactivates. */
  active?: boolean;
  /** The fields to update (only those that changed). */
  changes: AccountChanges;
  /** Whether anything at all changed. */
  changed: boolean;
}

/**
 * The normalised change between two versions of a SCIM User, whatever the request was (PATCH, Okta's PUT):
 * the facade turns it into Roster ops. Fields that are not mapped do not count.
 */
export function userChanges(
  before: JsonObject,
  after: JsonObject,
  mapping: readonly MapEntry[],
): UserChangeSet {
  const was = readFields(before, mapping);
  const now = readFields(after, mapping);
  const result: UserChangeSet = { changes: {}, changed: false };
  for (const [name, value] of now) {
    const old = was.get(name) ?? null;
    if (old === value || (old === null && value === null)) continue;
    if (name === 'active') {
      result.active = value !== false;
    } else if (name === 'displayName') {
      // Derived from the names by the apps Roster knows; not a field it can write.
      continue;
    } else if (name.startsWith('attributes.')) {
      result.changes.attributes = { ...result.changes.attributes, [name.slice('attributes.'.length)]: value };
    } else {
      const key = name as 'email' | 'login' | 'firstName' | 'lastName' | 'externalId';
      result.changes[key] = text(value) ?? '';
    }
    result.changed = true;
  }
  return result;
}

/** The entitlement kind an app's SCIM Groups are: the configured one, else its groups, else its teams. */
export function groupKindOf(
  manifest: CapabilityManifest,
  configured?: EntitlementKind | null,
): EntitlementKind | null {
  if (configured !== undefined) {
    if (configured !== null && !manifest.entitlements[configured])
      throw badRequest(
        'invalidValue',
        `roster.yaml scim.apps.<app>.groups: the app has no "${configured}" entitlements to serve as Groups ` +
          `(it has: ${Object.keys(manifest.entitlements).join(', ') || 'none'}; or write none)`,
      );
    return configured;
  }
  for (const kind of ['group', 'team'] as const) if (manifest.entitlements[kind]) return kind;
  return null;
}

/** An entitlement and its members as a SCIM Group. */
export function toScimGroup(
  entitlement: Entitlement,
  members: readonly { id: string; display?: string | null }[],
  baseUrl: string,
): JsonObject {
  const group: JsonObject = { schemas: [GROUP_SCHEMA], id: entitlement.id, displayName: entitlement.name };
  if (members.length > 0)
    group['members'] = members.map((m) => ({
      value: m.id,
      $ref: `${baseUrl}/Users/${encodeURIComponent(m.id)}`,
      type: 'User',
      ...(m.display ? { display: m.display } : {}),
    }));
  group['meta'] = {
    resourceType: 'Group',
    location: `${baseUrl}/Groups/${encodeURIComponent(entitlement.id)}`,
  };
  return group;
}

function memberIds(group: JsonObject): string[] {
  const members = field(group, 'members');
  return (Array.isArray(members) ? members : [])
    .map((m) => (isObject(m) ? field(m, 'value') : null))
    .filter((v): v is string => typeof v === 'string');
}

export interface GroupChangeSet {
  added: string[];
  removed: string[];
  /** The new displayName when it changed (apps' groups are not renamed through Roster: the facade refuses). */
  displayName?: string;
}

/** Members added and removed between two versions of a SCIM Group. */
export function groupChanges(before: JsonObject, after: JsonObject): GroupChangeSet {
  const was = new Set(memberIds(before));
  const now = new Set(memberIds(after));
  const result: GroupChangeSet = {
    added: [...now].filter((id) => !was.has(id)),
    removed: [...was].filter((id) => !now.has(id)),
  };
  const name = field(after, 'displayName');
  if (typeof name === 'string' && name !== field(before, 'displayName')) result.displayName = name;
  return result;
}

/** @module SCIM PATCH for StackSpot users: add/replace/remove with attribute, sub-attribute and filtered paths. */

import { CUSTOM_SCHEMA, type ScimEmail, type ScimPhone, type SsUser } from './state.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:';

export type PatchOpName = 'add' | 'replace' | 'remove';

/** A failed operation: the SCIM scimType and a sentence for `detail`. */
export class PatchError extends Error {
  constructor(
    readonly scimType: 'invalidPath' | 'invalidValue' | 'noTarget' | 'mutability' | 'invalidSyntax',
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

const STRINGS = {
  username: 'userName',
  displayname: 'displayName',
  nickname: 'nickName',
  locale: 'locale',
  preferredlanguage: 'preferredLanguage',
  profileurl: 'profileUrl',
  timezone: 'timezone',
  title: 'title',
  usertype: 'userType',
} as const satisfies Record<string, keyof SsUser>;

const READ_ONLY = new Set(['id', 'meta', 'is_blocked', 'never_logged', 'required_actions', 'groups']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new PatchError('invalidValue', `${path} must be a string`);
  return value;
}

/** Entra and some IdPs send "True"/"False" strings for booleans; both forms are accepted. */
function asBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new PatchError('invalidValue', `${path} must be a boolean`);
}

function toEmail(value: unknown): ScimEmail {
  if (!isRecord(value) || typeof value['value'] !== 'string') {
    throw new PatchError('invalidValue', 'each email needs a string value');
  }
  const email: ScimEmail = {
    type: typeof value['type'] === 'string' ? value['type'] : 'work',
    value: value['value'],
  };
  if (typeof value['primary'] === 'boolean') email.primary = value['primary'];
  return email;
}

function toPhone(value: unknown): ScimPhone {
  if (!isRecord(value) || typeof value['value'] !== 'string') {
    throw new PatchError('invalidValue', 'each phone number needs a string value');
  }
  const phone: ScimPhone = { value: value['value'] };
  if (typeof value['type'] === 'string') phone.type = value['type'];
  if (typeof value['primary'] === 'boolean') phone.primary = value['primary'];
  return phone;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

const FILTERED = /^(emails|phonenumbers)\[\s*(type|value)\s+eq\s+"([^"]*)"\s*\](?:\.(value|type|primary))?$/i;

/** Applies one operation to `user` (a draft: the caller commits only when every operation succeeded). */
export function applyOperation(
  user: SsUser,
  op: PatchOpName,
  rawPath: string | undefined,
  value: unknown,
): void {
  if (rawPath === undefined || rawPath.trim() === '') {
    // No path: the value is an object of attribute → value, each applied as its own path.
    if (op === 'remove') throw new PatchError('noTarget', 'remove needs a path');
    if (!isRecord(value))
      throw new PatchError('invalidValue', 'an operation without a path needs an object value');
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'schemas') continue;
      applyOperation(user, op, key, inner);
    }
    return;
  }
  const path = rawPath.trim();
  if (path.toLowerCase().startsWith(CORE_PREFIX)) {
    applyOperation(user, op, path.slice(CORE_PREFIX.length), value);
    return;
  }
  if (path.toLowerCase() === CUSTOM_SCHEMA.toLowerCase()) {
    applyExtension(user, op, null, value);
    return;
  }
  if (path.toLowerCase().startsWith(`${CUSTOM_SCHEMA.toLowerCase()}:`)) {
    applyExtension(user, op, path.slice(CUSTOM_SCHEMA.length + 1), value);
    return;
  }
  const filtered = FILTERED.exec(path);
  if (filtered) {
    applyFiltered(user, op, filtered, value);
    return;
  }
  const lower = path.toLowerCase();
  if (READ_ONLY.has(lower)) throw new PatchError('mutability', `${path} is read-only`);
  if (lower in STRINGS) {
    const field = STRINGS[lower as keyof typeof STRINGS];
    if (op === 'remove') {
      if (field === 'userName')
        throw new PatchError('mutability', 'userName is required and cannot be removed');
      user[field] = '';
    } else {
      const next = asString(value, path);
      if (field === 'userName' && next.trim() === '')
        throw new PatchError('invalidValue', 'userName cannot be empty');
      user[field] = next;
    }
    return;
  }
  switch (lower) {
    case 'active':
      if (op === 'remove') throw new PatchError('mutability', 'active cannot be removed');
      user.active = asBoolean(value, path);
      return;
    case 'externalid':
      user.externalId = op === 'remove' ? null : asString(value, path);
      return;
    case 'password':
      user.password = op === 'remove' ? null : asString(value, path);
      return;
    case 'name':
      if (op === 'remove') {
        user.givenName = '';
        user.familyName = '';
        return;
      }
      if (!isRecord(value)) throw new PatchError('invalidValue', 'name must be an object');
      for (const [key, inner] of Object.entries(value)) applyOperation(user, op, `name.${key}`, inner);
      return;
    case 'name.givenname':
      user.givenName = op === 'remove' ? '' : asString(value, path);
      return;
    case 'name.familyname':
      user.familyName = op === 'remove' ? '' : asString(value, path);
      return;
    case 'name.formatted':
      // formatted is computed from givenName and familyName; what is sent is accepted and dropped.
      return;
    case 'emails':
      if (op === 'remove') user.emails = [];
      else if (op === 'add') user.emails = [...user.emails, ...asList(value).map(toEmail)];
      else user.emails = asList(value).map(toEmail);
      return;
    case 'phonenumbers':
      if (op === 'remove') user.phoneNumbers = [];
      else if (op === 'add') user.phoneNumbers = [...user.phoneNumbers, ...asList(value).map(toPhone)];
      else user.phoneNumbers = asList(value).map(toPhone);
      return;
  }
  throw new PatchError('invalidPath', `Unsupported path: ${path}`);
}

function applyFiltered(user: SsUser, op: PatchOpName, match: RegExpExecArray, value: unknown): void {
  const list = match[1]?.toLowerCase() === 'emails' ? 'emails' : 'phoneNumbers';
  const filterAttr = match[2]?.toLowerCase() === 'type' ? 'type' : 'value';
  const filterValue = (match[3] ?? '').toLowerCase();
  const sub = match[4]?.toLowerCase() as 'value' | 'type' | 'primary' | undefined;
  const entries: (ScimEmail | ScimPhone)[] = user[list];
  const hits = entries.filter((entry) => (entry[filterAttr] ?? '').toLowerCase() === filterValue);
  if (op === 'remove') {
    if (hits.length === 0) throw new PatchError('noTarget', `No ${list} entry matches ${match[0]}`);
    if (sub === undefined || sub === 'value') {
      const kept = entries.filter((entry) => !hits.includes(entry));
      if (list === 'emails') user.emails = kept as ScimEmail[];
      else user.phoneNumbers = kept as ScimPhone[];
    } else {
      for (const entry of hits) delete entry[sub];
    }
    return;
  }
  if (hits.length === 0) {
    // add may create the entry the filter names; replace has nothing to replace (RFC 7644 §3.5.2.3: noTarget).
    if (op === 'replace') throw new PatchError('noTarget', `No ${list} entry matches ${match[0]}`);
    const created =
      list === 'emails' ? toEmail({ [filterAttr]: match[3], value: '' }) : toPhone({ value: '' });
    if (filterAttr === 'type') created.type = match[3] ?? '';
    entries.push(created);
    hits.push(created);
  }
  for (const entry of hits) {
    if (sub === undefined) {
      const next = list === 'emails' ? toEmail(value) : toPhone(value);
      Object.assign(entry, next);
    } else if (sub === 'primary') entry.primary = asBoolean(value, match[0]);
    else entry[sub] = asString(value, match[0]);
  }
}

function applyExtension(user: SsUser, op: PatchOpName, attribute: string | null, value: unknown): void {
  if (attribute === null) {
    if (op === 'remove') {
      user.extension = null;
      return;
    }
    if (!isRecord(value)) throw new PatchError('invalidValue', `${CUSTOM_SCHEMA} must be an object`);
    // add and replace on a complex attribute both merge the sub-attributes given (RFC 7644 §3.5.2).
    user.extension = { ...(user.extension ?? {}), ...value };
    return;
  }
  const next = { ...(user.extension ?? {}) };
  if (op === 'remove') delete next[attribute];
  else next[attribute] = value;
  user.extension = Object.keys(next).length > 0 ? next : null;
}

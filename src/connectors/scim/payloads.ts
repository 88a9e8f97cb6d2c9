/** @module Pure builders of SCIM request bodies: the POST /Users resource and PATCH Operations for a change. */

import { RosterError } from '../../core/errors.js';
import type { AccountChanges, AccountInput } from '../sdk/types.js';
import { CORE_USER_SCHEMA, PATCH_OP_SCHEMA, type ScimMultiValue } from './schemas.js';

/** Core User attributes (RFC 7643 §4.1.1) that `AccountInput.attributes` may set by their own name. */
export const CORE_STRING_ATTRIBUTES = [
  'displayName',
  'nickName',
  'title',
  'userType',
  'locale',
  'timezone',
  'preferredLanguage',
  'profileUrl',
] as const;
const CORE_SET = new Set<string>(CORE_STRING_ATTRIBUTES);

/** Prefix of attributes that go in the app's extension schema: `ext.company` → `<urn>:company`. */
export const EXTENSION_PREFIX = 'ext.';

export interface PayloadOptions {
  appId: string;
  /** URN of the app's custom User extension, when it has one (StackSpot). */
  extensionSchema?: string;
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

type AttributeValue = string | number | boolean | null;

/** Splits `attributes` into core ones and extension ones; a name Roster cannot place is a clear error. */
function placeAttributes(
  attributes: Record<string, AttributeValue> | undefined,
  options: PayloadOptions,
): { core: Record<string, AttributeValue>; extension: Record<string, AttributeValue> } {
  const core: Record<string, AttributeValue> = {};
  const extension: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (CORE_SET.has(key)) core[key] = value;
    else if (
      options.extensionSchema &&
      key.startsWith(EXTENSION_PREFIX) &&
      key.length > EXTENSION_PREFIX.length
    )
      extension[key.slice(EXTENSION_PREFIX.length)] = value;
    else {
      const known = [...CORE_STRING_ATTRIBUTES, ...(options.extensionSchema ? ['ext.<name>'] : [])];
      throw new RosterError('invalid_input', `${options.appId}: no SCIM attribute for "${key}"`, {
        where: options.appId,
        fix: `use one of: ${known.join(', ')}`,
        details: { appId: options.appId, attribute: key },
      });
    }
  }
  return { core, extension };
}

/** POST /Users body. `active` is always explicit so no server has to pick a default. */
export function createUserBody(input: AccountInput, options: PayloadOptions): Record<string, unknown> {
  const { core, extension } = placeAttributes(input.attributes, options);
  const hasExtension = options.extensionSchema !== undefined && Object.keys(extension).length > 0;
  const body: Record<string, unknown> = {
    schemas: hasExtension ? [CORE_USER_SCHEMA, options.extensionSchema] : [CORE_USER_SCHEMA],
    userName: input.login ?? input.email,
    name: { givenName: input.firstName, familyName: input.lastName },
    displayName: `${input.firstName} ${input.lastName}`.trim(),
    emails: [{ value: input.email, type: 'work', primary: true }],
    active: true,
    ...core,
  };
  if (input.externalId !== undefined) body['externalId'] = input.externalId;
  if (input.password !== undefined) body['password'] = input.password;
  if (hasExtension && options.extensionSchema) body[options.extensionSchema] = extension;
  return body;
}

/** The emails list with the account's email (primary, else work, else first) replaced; others are kept. */
export function replacePrimaryEmail(current: readonly ScimMultiValue[], email: string): ScimMultiValue[] {
  const list = current.filter((e) => typeof e.value === 'string' && e.value !== '');
  if (list.length === 0) return [{ value: email, type: 'work', primary: true }];
  let index = list.findIndex((e) => e.primary === true);
  if (index < 0) index = list.findIndex((e) => e.type?.toLowerCase() === 'work');
  if (index < 0) index = 0;
  return list.map((e, i) =>
    i === index
      ? { value: email, type: e.type ?? 'work', primary: true }
      : { value: e.value, ...(e.type ? { type: e.type } : {}), primary: false },
  );
}

/**
 * PATCH Operations for a change, one `replace` per attribute (RFC 7644 §3.5.2.3); a null attribute is a
 * `remove`. `emails` is replaced as a whole list, built from `currentEmails` so the other addresses stay.
 */
export function changeOperations(
  changes: AccountChanges,
  options: PayloadOptions,
  currentEmails: readonly ScimMultiValue[] = [],
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const replace = (path: string, value: unknown) => ops.push({ op: 'replace', path, value });
  if (changes.login !== undefined) replace('userName', changes.login);
  if (changes.firstName !== undefined) replace('name.givenName', changes.firstName);
  if (changes.lastName !== undefined) replace('name.familyName', changes.lastName);
  if (changes.externalId !== undefined) replace('externalId', changes.externalId);
  if (changes.email !== undefined) replace('emails', replacePrimaryEmail(currentEmails, changes.email));
  const { core, extension } = placeAttributes(changes.attributes, options);
  const set = (path: string, value: AttributeValue) =>
    value === null ? ops.push({ op: 'remove', path }) : replace(path, value);
  for (const [name, value] of Object.entries(core)) set(name, value);
  for (const [name, value] of Object.entries(extension)) set(`${options.extensionSchema}:${name}`, value);
  return ops;
}

export function patchBody(operations: readonly PatchOperation[]): Record<string, unknown> {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** @module The policy as reconcile reads it: the schema (declared in src/config/policy.ts) and the field lists diff uses. */

export {
  type AppGrant,
  defaultPolicy,
  GRANT_LISTS,
  MANAGED_KINDS,
  type ManagedKind,
  type Policy,
  type PolicyRule,
  policySchema,
} from '../config/policy.js';

/** `AccountInput` fields a map may set directly; every other key goes into `AccountInput.attributes`. */
export const INPUT_FIELDS = ['email', 'firstName', 'lastName', 'login', 'externalId'] as const;
export type InputField = (typeof INPUT_FIELDS)[number];

/**
 * Fields that say who the account is: set on create, never changed by a plan (a changed login or email can
 * break SSO and sign-in; a person fixes those on purpose, in the app).
 */
export const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['email', 'login', 'externalId']);

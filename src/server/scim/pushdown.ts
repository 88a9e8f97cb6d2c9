/**
 * @module Which store lookups can stand in for a full scan under a User filter: `userName eq/sw` on the field
 * userName maps to (address or login, indexed), `externalId eq` where it is the account's own, an email value
 * (`emails[… value eq "x"]`) where every email is the account's own, and `id eq`. A
 * lookup only narrows: the facade still evaluates the whole filter on what it returns, so the answer is the
 * scan's as long as the lookups find every match.
 */

import type { Checked } from './filter.js';
import type { MapEntry } from './mapping.js';

/** One indexed read of the snapshot. */
export type Lookup =
  | { by: 'id'; id: string }
  | { by: 'email' | 'login'; op: 'eq' | 'sw'; value: string }
  | { by: 'externalId'; op: 'eq'; value: string };

/** The Account fields the filterable attributes stand for, where the store indexes them. */
export interface IndexedFields {
  userName: 'email' | 'login' | null;
  /** externalId is the account's own externalId (the default map): matched exactly, as the attribute is caseExact. */
  externalId: boolean;
  /** Every value of emails is the account's email (the default map): an email a filter names is looked up. */
  emails: boolean;
}

const EMAILS = /^emails(?:$|[[.])/i;

/** What a User mapping lets the store look up by. */
export function indexedFields(mapping: readonly MapEntry[]): IndexedFields {
  const emails = mapping.filter((e) => EMAILS.test(e.scim));
  return {
    userName: userNameField(mapping),
    externalId: mapping.some((e) => e.scim === 'externalId' && e.account === 'externalId'),
    emails: emails.length > 0 && emails.every((e) => e.account === 'email'),
  };
}

const ASCII = /^[\x20-\x7e]*$/;

/** The Account field userName stands for, when it is one the store indexes. */
export function userNameField(mapping: readonly MapEntry[]): 'email' | 'login' | null {
  const entry = mapping.find((e) => e.scim.toLowerCase() === 'username');
  return entry?.account === 'email' || entry?.account === 'login' ? entry.account : null;
}

/**
 * The lookup for `userName <op> value`, when it finds every account the in-memory comparison (lower-cased by
 * JavaScript) would match. The address is stored trimmed and lower-cased, so a prefix must carry no outer
 * space; the login is lower-cased by the database, which folds ASCII letters only, so the value must be ASCII.
 */
export function userNameLookup(field: 'email' | 'login', op: 'eq' | 'sw', value: string): Lookup | null {
  if (field === 'login' && !ASCII.test(value)) return null;
  if (field === 'email' && op === 'sw' && value !== value.trim()) return null;
  return { by: field, op, value };
}

/**
 * Lookups whose union holds every resource the filter matches, or null when the filter needs a scan: an `and`
 * narrows by either side, an `or` by both, anything else (ne, co, not, value paths, other attributes) scans.
 */
export function lookupsFor(filter: Checked, fields: IndexedFields): Lookup[] | null {
  switch (filter.op) {
    case 'and':
      return lookupsFor(filter.left, fields) ?? lookupsFor(filter.right, fields);
    case 'or': {
      const left = lookupsFor(filter.left, fields);
      const right = left && lookupsFor(filter.right, fields);
      return left && right ? [...left, ...right] : null;
    }
    case 'eq':
    case 'sw': {
      const { at, value } = filter;
      if (at.container !== null || at.sub !== null || typeof value !== 'string') return null;
      if (at.def.name === 'id' && filter.op === 'eq') return [{ by: 'id', id: value }];
      // Entra ID can match users by externalId (its objectId) instead of userName.
      if (
        at.def.name === 'externalId' &&
        filter.op === 'eq' &&
        fields.externalId &&
        at.def.caseExact === true
      )
        return [{ by: 'externalId', op: 'eq', value }];
      const field = fields.userName;
      if (at.def.name !== 'userName' || field === null) return null;
      const lookup = userNameLookup(field, filter.op, value);
      return lookup ? [lookup] : null;
    }
    case 'valuePath': {
      // Entra ID can also match users by their work email: `emails[type eq "work"].value eq "x"`, read as
      // `emails[type eq "work" and value eq "x"]`. Every value of emails is the account's email, compared as
      // userName's address is (caseExact false), so the address lookup finds every user holding it.
      if (filter.at.container !== null || filter.at.def.name !== 'emails' || !fields.emails) return null;
      const value = emailValue(filter.filter);
      return value === null ? null : [userNameLookup('email', 'eq', value) as Lookup];
    }
    default:
      return null;
  }
}

type ValueFilter = Extract<Checked, { op: 'valuePath' }>['filter'];

/** The address a value filter requires (`value eq "x"`, alone or under `and`), or null. */
function emailValue(filter: ValueFilter): string | null {
  if (filter.op === 'and') return emailValue(filter.left) ?? emailValue(filter.right);
  if (filter.op !== 'eq' || filter.sub.name !== 'value' || typeof filter.value !== 'string') return null;
  return filter.value;
}

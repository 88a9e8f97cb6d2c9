/** @module Test builders for the identity graph: a person and an account with every field defaulted. */

import type { Account, Person } from '../core/types.js';

/** A person whose names come from the email's local part and whose `idp_id` is `idp-<employeeId>`. */
export function person(employeeId: string, email: string, extra: Partial<Person> = {}): Person {
  const [first = 'X', last = 'Y'] = email.split('@')[0]!.split('.');
  return {
    employeeId,
    email,
    aliases: [],
    firstName: first,
    lastName: last,
    status: 'active',
    department: 'Engineering',
    title: 'Engineer',
    managerEmail: null,
    startDate: null,
    endDate: null,
    attributes: { idp_id: `idp-${employeeId}` },
    ...extra,
  };
}

/** An active account in app `app` with nothing filled in but its id. */
export function account(id: string, extra: Partial<Account> = {}): Account {
  return {
    appId: 'app',
    id,
    email: null,
    login: null,
    externalId: null,
    firstName: null,
    lastName: null,
    displayName: null,
    status: 'active',
    isAdmin: false,
    lastLoginAt: null,
    createdAt: null,
    updatedAt: null,
    attributes: {},
    ...extra,
  };
}

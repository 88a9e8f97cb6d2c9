/** @module Test helpers for planning: a person as the HR import gives one, with what a test changes. */

import type { Person } from '../core/types.js';

/** An active engineer `<id>@acme.com`; `over` sets whatever the test is about. */
export function person(id: string, over: Partial<Person> = {}): Person {
  return {
    employeeId: id,
    email: `${id.toLowerCase()}@acme.com`,
    aliases: [],
    firstName: 'First',
    lastName: id,
    status: 'active',
    department: 'Engineering',
    title: 'Engineer',
    managerEmail: null,
    startDate: null,
    endDate: null,
    attributes: {},
    ...over,
  };
}

/** @module Test helpers for planning: a person as the HR import gives one, with what a test changes. */

import type { Person } from '../core/types.js';
import { person as graphPerson } from '../identity/testkit.js';

/** An active engineer `<id>@acme.com` named "First <id>", no attributes; `over` sets what the test is about. */
export function person(id: string, over: Partial<Person> = {}): Person {
  return graphPerson(id, `${id.toLowerCase()}@acme.com`, {
    firstName: 'First',
    lastName: id,
    attributes: {},
    ...over,
  });
}

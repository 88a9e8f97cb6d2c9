/** @module Fixtures for the SCIM protocol tests: a full User schema and resources to filter, sort, patch. */

import {
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  GROUP_ATTRIBUTES,
  GROUP_SCHEMA,
  type JsonObject,
  type ResourceSchema,
  USER_ATTRIBUTES,
  USER_SCHEMA,
} from './schema.js';

export const userSchema: ResourceSchema = {
  core: { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: [...USER_ATTRIBUTES] },
  extensions: [
    {
      id: ENTERPRISE_USER_SCHEMA,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: [...ENTERPRISE_ATTRIBUTES],
    },
  ],
};

export const groupSchema: ResourceSchema = {
  core: { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: [...GROUP_ATTRIBUTES] },
  extensions: [],
};

export function user(
  id: string,
  userName: string,
  extra: JsonObject = {},
  dept: string | null = null,
): JsonObject {
  const [given = '', family = ''] = userName.split('@')[0]?.split('.') ?? [];
  return {
    schemas: [USER_SCHEMA, ...(dept ? [ENTERPRISE_USER_SCHEMA] : [])],
    id,
    userName,
    name: { givenName: given, familyName: family },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    meta: { resourceType: 'User', created: '2026-01-0' + (Number(id) % 9 || 1) + 'T00:00:00Z' },
    ...(dept ? { [ENTERPRISE_USER_SCHEMA]: { department: dept } } : {}),
    ...extra,
  };
}

/** Five users with different names, departments, states, emails. */
export const PEOPLE: JsonObject[] = [
  user('1', 'Ada.Lovelace@example.com', { title: 'Engineer' }, 'Research'),
  user('2', 'grace.hopper@example.com', {
    emails: [
      { value: 'grace.hopper@example.com', type: 'work', primary: true },
      { value: 'grace@home.example', type: 'home' },
    ],
  }),
  user('3', 'alan.turing@example.com', { active: false, title: 'Mathematician' }, 'Research'),
  user('4', 'edsger.dijkstra@example.org', {}, 'Algorithms'),
  user('5', 'barbara.liskov@example.com', { externalId: 'ExtID-5' }),
];

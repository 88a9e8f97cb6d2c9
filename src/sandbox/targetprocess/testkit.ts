/** @module A small hand-built company for the Targetprocess sandbox tests (only the Targetprocess part filled). */

import type { PlantedAccount, PlantedAppState, SampleCompany } from '../kit/company.js';

const EMPTY: PlantedAppState = { accounts: [], roles: [], groups: [], courses: [] };

function account(partial: Partial<PlantedAccount> & Pick<PlantedAccount, 'key' | 'email'>): PlantedAccount {
  const local = partial.email.split('@')[0]!;
  return {
    employeeId: partial.key,
    firstName: 'First',
    lastName: 'Last',
    login: local,
    externalId: null,
    state: 'active',
    admin: false,
    role: 'Developer',
    groups: [],
    courses: [],
    department: 'Engineering',
    title: 'Engineer',
    createdAt: '2024-01-10T09:00:00.000Z',
    lastLoginAt: '2024-05-20T09:00:00.000Z',
    ...partial,
  };
}

/**
 * Five planted accounts: an admin, a developer in two teams, an inactive user, a soft-deleted leaver and
 * one with an apostrophe in the address. Ids follow this order: 1..5.
 */
export function sampleCompany(extra: PlantedAccount[] = []): SampleCompany {
  return {
    seed: 7,
    domain: 'acme.com',
    aliasDomain: 'acme.io',
    asOf: '2024-06-01T00:00:00.000Z',
    hr: [],
    appDepartments: {
      targetprocess: ['Engineering'],
      'process-street': [],
      'thought-industries': [],
      'customer-directory': [],
      'stackspot-scim': [],
    },
    apps: {
      targetprocess: {
        accounts: [
          account({
            key: 'E001',
            email: 'ada@acme.com',
            firstName: 'Ada',
            lastName: 'Admin',
            admin: true,
            role: 'Administrator',
            groups: ['Alpha Team'],
          }),
          account({
            key: 'E002',
            email: 'jane@acme.com',
            firstName: 'Jane',
            lastName: 'Doe',
            login: 'jane.doe',
            groups: ['Alpha Team', 'Beta Team'],
          }),
          account({
            key: 'E003',
            email: 'ivan@acme.com',
            firstName: 'Ivan',
            state: 'inactive',
            role: 'QA Engineer',
          }),
          account({
            key: 'E004',
            email: 'leo@acme.com',
            firstName: 'Leo',
            state: 'deleted',
            groups: ['Beta Team'],
          }),
          account({
            key: 'E005',
            email: "o'brien@acme.com",
            firstName: 'Orla',
            lastName: "O'Brien",
            role: null,
          }),
          ...extra,
        ],
        roles: ['Administrator', 'Developer', 'QA Engineer'],
        groups: ['Alpha Team', 'Beta Team'],
        courses: [],
      },
      'process-street': EMPTY,
      'thought-industries': EMPTY,
      'customer-directory': EMPTY,
      'stackspot-scim': EMPTY,
    },
    planted: {
      leaversWithAccess: [],
      orphans: [],
      aliasMatches: [],
      disputed: [],
      admins: ['targetprocess:E001'],
      pendingInvites: [],
      softDeleted: ['targetprocess:E004'],
      missingAccounts: [],
      duplicates: [],
      dormant: [],
      attributeDrift: [],
    },
  };
}

/** `count` plain active developers, for paging tests. */
export function manyAccounts(count: number): PlantedAccount[] {
  return Array.from({ length: count }, (_, i) =>
    account({ key: `P${String(i + 1).padStart(5, '0')}`, email: `person${i + 1}@acme.com` }),
  );
}

/** @module Test helpers for the StackSpot SCIM sandbox: hand-built companies and a small HTTP client. */

import { SEED_APP_TYPES, type SeedAppType } from '../../core/types.js';
import type { PlantedAccount, PlantedAppState, SampleCompany } from '../kit/company.js';
import type { SandboxHandle } from '../kit/server.js';
import type { SsState } from './state.js';

const EMPTY_APP: PlantedAppState = { accounts: [], roles: [], groups: [], courses: [] };

/** A planted account; `key` doubles as the email's local part unless given. */
export function account(key: string, overrides: Partial<PlantedAccount> = {}): PlantedAccount {
  return {
    key,
    employeeId: `E-${key}`,
    email: `${key}@acme.test`,
    firstName: key.charAt(0).toUpperCase() + key.slice(1),
    lastName: 'Tester',
    login: `${key}@dev.acme.test`,
    externalId: null,
    state: 'active',
    admin: false,
    role: null,
    groups: [],
    courses: [],
    department: null,
    title: null,
    createdAt: '2025-01-15T09:00:00.000Z',
    lastLoginAt: '2026-03-01T09:00:00.000Z',
    ...overrides,
  };
}

/** A sample company whose only filled app is StackSpot SCIM. */
export function company(
  accounts: PlantedAccount[],
  roles: string[] = [],
  groups: string[] = [],
): SampleCompany {
  const apps = Object.fromEntries(SEED_APP_TYPES.map((app) => [app, EMPTY_APP])) as Record<
    SeedAppType,
    PlantedAppState
  >;
  apps['stackspot-scim'] = { accounts, roles, groups, courses: [] };
  const none = Object.fromEntries(SEED_APP_TYPES.map((app) => [app, []])) as unknown as Record<
    SeedAppType,
    string[]
  >;
  return {
    seed: 1,
    domain: 'acme.test',
    aliasDomain: 'acme-corp.test',
    asOf: '2026-03-11T00:00:00.000Z',
    hr: [],
    appDepartments: none,
    apps,
    planted: {
      leaversWithAccess: [],
      orphans: [],
      aliasMatches: [],
      disputed: [],
      admins: [],
      pendingInvites: [],
      softDeleted: [],
      missingAccounts: [],
      duplicates: [],
      dormant: [],
      attributeDrift: [],
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Calls the SCIM API with the token and X-Tenant-Id (or the given headers) and reads the JSON answer. */
export async function call(
  sandbox: SandboxHandle<SsState>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {
    authorization: `Bearer ${sandbox.credentials.token}`,
    'x-tenant-id': sandbox.credentials.tenant ?? '',
  },
): Promise<Answer> {
  const url = path.startsWith('/') ? `${sandbox.origin}${path}` : `${sandbox.baseUrl}/${path}`;
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

/** Calls the admin API (no auth) and reads the JSON answer. */
export async function admin(
  sandbox: SandboxHandle<SsState>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(`${sandbox.origin}/__admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** The user id the company planted under `key`. */
export function idOf(sandbox: SandboxHandle<SsState>, key: string): string {
  const id = sandbox.state.keys.get(key);
  if (id === undefined) throw new Error(`no planted user ${key}`);
  return id;
}

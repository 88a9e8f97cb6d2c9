/** @module Test support shared by every sandbox: planted accounts, one-app companies, and JSON calls. */

import { SEED_APP_TYPES, type SeedAppType } from '../../core/types.js';
import { emptyDrift, type PlantedAccount, type PlantedAppState, type SampleCompany } from './company.js';
import type { SandboxHandle } from './server.js';

/** A planted account; `key` doubles as the email's local part unless `overrides` say otherwise. */
export function plantedAccount(
  key: string,
  overrides: Partial<PlantedAccount> = {},
  domain = 'acme.test',
): PlantedAccount {
  return {
    key,
    employeeId: `E-${key}`,
    email: `${key}@${domain}`,
    firstName: key.charAt(0).toUpperCase() + key.slice(1),
    lastName: 'Tester',
    login: key,
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

/** A sample company in which only `app` holds anything. */
export function companyWith(
  app: SeedAppType,
  state: Partial<PlantedAppState> & { accounts: PlantedAccount[] },
  options: { domain?: string; aliasDomain?: string; asOf?: string } = {},
): SampleCompany {
  const apps = Object.fromEntries(
    SEED_APP_TYPES.map((a): [SeedAppType, PlantedAppState] => [
      a,
      { accounts: [], roles: [], groups: [], courses: [] },
    ]),
  ) as Record<SeedAppType, PlantedAppState>;
  apps[app] = { roles: [], groups: [], courses: [], ...state };
  return {
    seed: 1,
    domain: options.domain ?? 'acme.test',
    aliasDomain: options.aliasDomain ?? 'acme-corp.test',
    asOf: options.asOf ?? '2026-03-11T00:00:00.000Z',
    hr: [],
    appDepartments: Object.fromEntries(SEED_APP_TYPES.map((a) => [a, []])) as unknown as Record<
      SeedAppType,
      string[]
    >,
    apps,
    planted: emptyDrift(),
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** One HTTP call with an optional JSON body; the answer's body parsed as JSON (null when empty). */
export async function callJson<T = unknown>(
  url: string,
  method: string,
  options: { body?: unknown; headers?: Record<string, string>; contentType?: string } = {},
): Promise<Answer<T>> {
  const headers =
    options.body === undefined
      ? (options.headers ?? {})
      : { ...options.headers, 'content-type': options.contentType ?? 'application/json' };
  const res = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as T };
}

/** Calls a sandbox's admin API (no auth). */
export function adminCall<T = unknown>(
  sandbox: Pick<SandboxHandle, 'origin'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  return callJson<T>(`${sandbox.origin}/__admin${path}`, method, { body });
}

/** The app id the company planted under `key` (every sandbox state keeps a `keys` map). */
export function plantedId(sandbox: SandboxHandle<{ keys: Map<string, string> }>, key: string): string {
  const id = sandbox.state.keys.get(key);
  if (id === undefined) throw new Error(`no planted account ${key}`);
  return id;
}

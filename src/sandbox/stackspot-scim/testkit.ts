/** @module Test helpers for the StackSpot SCIM sandbox: hand-built companies and a small HTTP client. */

import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import type { SandboxHandle } from '../kit/server.js';
import { type Answer, adminCall, callJson, companyWith, plantedAccount, plantedId } from '../kit/testkit.js';
import type { SsState } from './state.js';

export type { Answer };

/** A planted account; `key` doubles as the email's local part unless given. */
export function account(key: string, overrides: Partial<PlantedAccount> = {}): PlantedAccount {
  return plantedAccount(key, { login: `${key}@dev.acme.test`, ...overrides });
}

/** A sample company whose only filled app is StackSpot SCIM. */
export function company(
  accounts: PlantedAccount[],
  roles: string[] = [],
  groups: string[] = [],
): SampleCompany {
  return companyWith('stackspot-scim', { accounts, roles, groups });
}

/** Calls the SCIM API with the token and X-Tenant-Id (or the given headers) and reads the JSON answer. */
export function call(
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
  return callJson(url, method, { body, headers, contentType: 'application/scim+json' });
}

/** Calls the admin API (no auth) and reads the JSON answer. */
export function admin(
  sandbox: SandboxHandle<SsState>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  return adminCall(sandbox, method, path, body);
}

/** The user id the company planted under `key`. */
export function idOf(sandbox: SandboxHandle<SsState>, key: string): string {
  return plantedId(sandbox, key);
}

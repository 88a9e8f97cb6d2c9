/** @module Test helpers for the customer-directory sandbox: hand-built companies and a small HTTP client. */

import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import type { SandboxHandle } from '../kit/server.js';
import { type Answer, adminCall, callJson, companyWith, plantedAccount, plantedId } from '../kit/testkit.js';
import type { CdState } from './state.js';

export type { Answer };

/** A planted account; `key` doubles as the email's local part unless given. */
export function account(key: string, overrides: Partial<PlantedAccount> = {}): PlantedAccount {
  return plantedAccount(key, overrides);
}

/** A sample company whose only filled app is customer-directory. */
export function company(
  accounts: PlantedAccount[],
  roles: string[] = [],
  groups: string[] = [],
): SampleCompany {
  return companyWith('customer-directory', { accounts, roles, groups });
}

/** Calls `path` under the sandbox's own customer (`~` stands for it) with the access token, reads JSON. */
export function call(
  sandbox: SandboxHandle<CdState>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${sandbox.credentials.token}` },
): Promise<Answer> {
  const url = `${sandbox.baseUrl}${path.replace('~', `/api/v1/customers/${sandbox.credentials.tenant}`)}`;
  return callJson(url, method, { body, headers });
}

/** Calls the admin API (no auth) and reads the JSON answer. */
export function admin(
  sandbox: SandboxHandle<CdState>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  return adminCall(sandbox, method, path, body);
}

/** The user id the company planted under `key`. */
export function idOf(sandbox: SandboxHandle<CdState>, key: string): string {
  return plantedId(sandbox, key);
}

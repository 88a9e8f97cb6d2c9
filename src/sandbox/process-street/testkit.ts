/** @module Test helpers for the Process Street sandbox: hand-built companies and a small HTTP client. */

import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import type { SandboxHandle } from '../kit/server.js';
import { type Answer, adminCall, callJson, companyWith, plantedAccount, plantedId } from '../kit/testkit.js';
import type { PsState } from './state.js';

export type { Answer };

/** A planted Process Street account; `key` doubles as the email's local part unless given. */
export function account(key: string, overrides: Partial<PlantedAccount> = {}): PlantedAccount {
  return plantedAccount(key, { role: 'member', ...overrides });
}

/** A sample company whose only filled app is Process Street. */
export function company(accounts: PlantedAccount[], groups: string[] = []): SampleCompany {
  return companyWith('process-street', { accounts, roles: ['admin', 'member', 'guest'], groups });
}

/** Calls the API with the sandbox's key (or the given headers) and reads the JSON answer. */
export function call(
  sandbox: SandboxHandle<PsState>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${sandbox.credentials.token}` },
): Promise<Answer> {
  return callJson(`${sandbox.baseUrl}${path}`, method, { body, headers });
}

/** Calls the admin API (no auth) and reads the JSON answer. */
export function admin(
  sandbox: SandboxHandle<PsState>,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  return adminCall(sandbox, method, path, body);
}

/** The member id the company planted under `key`. */
export function idOf(sandbox: SandboxHandle<PsState>, key: string): string {
  return plantedId(sandbox, key);
}

/** @module Test helpers for the Thought Industries sandbox: a hand-built company and a small HTTP client. */

import type { PlantedAccount, PlantedAppState, SampleCompany } from '../kit/company.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../kit/server.js';
import { companyWith, plantedAccount } from '../kit/testkit.js';
import { thoughtIndustriesSandbox } from './sandbox.js';
import type { TiState } from './state.js';

export function account(key: string, overrides: Partial<PlantedAccount> = {}): PlantedAccount {
  return plantedAccount(
    key,
    { lastName: 'Example', role: 'learner', lastLoginAt: '2026-10-20T12:00:00.000Z', ...overrides },
    'acme.com',
  );
}

/** The five planted accounts most tests use, plus `extra` plain learners for paging. */
export function sampleCompany(extra = 0): SampleCompany {
  const accounts: PlantedAccount[] = [
    account('ada', {
      email: 'Ada.Lovelace@Acme.com',
      admin: true,
      role: 'learner',
      externalId: 'okta|00u-ada',
      groups: ['Sales Academy'],
      courses: ['Security Awareness', 'Negotiation Basics'],
      department: 'Sales',
      title: 'VP Sales',
    }),
    account('bob', { state: 'inactive', courses: ['Security Awareness'], department: 'Support' }),
    account('cy', { role: 'manager', title: 'Support Manager', groups: ['Support Academy'] }),
    account('dee', { state: 'deleted' }),
    account('eve', { state: 'invited', lastLoginAt: null }),
  ];
  for (let i = 0; i < extra; i++) accounts.push(account(`user${String(i).padStart(4, '0')}`));
  const ti: PlantedAppState = {
    accounts,
    roles: ['learner', 'manager', 'admin'],
    groups: ['Sales Academy', 'Support Academy'],
    courses: [
      { name: 'Security Awareness', published: true },
      { name: 'Negotiation Basics', published: true },
      { name: 'New Manager Training (draft)', published: false },
    ],
  };
  return companyWith('thought-industries', ti, {
    domain: 'acme.com',
    aliasDomain: 'acme.io',
    asOf: '2026-11-01T00:00:00.000Z',
  });
}

/** A parsed answer; `T` is what the test expects the body to be (it is not checked, the assertions do that). */
export interface Answer<T = ErrorJson> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ErrorJson {
  error: { status: number; message: string };
}

export interface EnrollmentJson {
  courseId: string;
  status: string;
  completedAt: string | null;
}

export interface TiHarness {
  sandbox: SandboxHandle<TiState>;
  /** The user id of a planted account. */
  idOf(key: string): string;
  /** A REST call with the X-API-Key header; `path` is relative to /incoming/api/v1. */
  call<T = ErrorJson>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  graphql<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Answer<{ data?: T; errors?: { message: string }[] }>>;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<Answer<T>>;
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}

export async function startTi(
  options: SandboxOptions = { seed: 7, company: sampleCompany() },
): Promise<TiHarness> {
  const sandbox = await startSandbox(thoughtIndustriesSandbox, options);
  const send = <T>(url: string, method: string, body: unknown, headers: Record<string, string>) =>
    fetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((res) => answer<T>(res));
  const key = { 'x-api-key': sandbox.credentials.token };
  return {
    sandbox,
    idOf(k) {
      const id = sandbox.state.keys.get(k);
      if (id === undefined) throw new Error(`no planted account ${k}`);
      return id;
    },
    call: (method, path, body, headers = key) => send(`${sandbox.baseUrl}${path}`, method, body, headers),
    graphql: (query, variables) =>
      send(`${sandbox.origin}/incoming/api/graphql`, 'POST', { query, variables }, key),
    admin: (method, path, body) => send(`${sandbox.origin}/__admin${path}`, method, body, {}),
  };
}

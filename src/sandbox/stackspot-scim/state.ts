/** @module StackSpot SCIM sandbox state: one tenant's users, the userName index, and their JSON form. */

import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import { createRng, hashString } from '../kit/rng.js';

export const CORE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CUSTOM_SCHEMA = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';

export interface ScimEmail {
  type: string;
  value: string;
  primary?: boolean;
}

export interface ScimPhone {
  value: string;
  type?: string;
  primary?: boolean;
}

/** A user as stored: SCIM core attributes, the custom extension as sent, and StackSpot's own flags. */
export interface SsUser {
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string;
  givenName: string;
  familyName: string;
  emails: ScimEmail[];
  phoneNumbers: ScimPhone[];
  nickName: string;
  locale: string;
  preferredLanguage: string;
  profileUrl: string;
  timezone: string;
  title: string;
  userType: string;
  /** Stored, never answered. */
  password: string | null;
  /** `urn:ietf:params:scim:schemas:extension:custom:2.0:User` exactly as last sent, or null. */
  extension: Record<string, unknown> | null;
  neverLogged: boolean;
  requiredActions: string[];
  created: string;
  lastModified: string;
  version: number;
  /** Not in any response: the planted account key, for tests. */
  key: string | null;
}

/** Switches for readings the guide leaves open; the defaults are the harder ones (see README). */
export interface SsConfig {
  /** Add the standard `active` attribute to resources (the guide's resources have none). */
  echoActive: boolean;
  /** What a request for another tenant gets. */
  wrongTenantStatus: 403 | 404;
  /** A PUT without `active` makes the user active again (RFC 7644 replace), instead of leaving it. */
  putResetsActive: boolean;
}

export interface SsState {
  seed: number;
  config: SsConfig;
  /** The tenant the token is scoped to. */
  tenant: string;
  /** Users by id, in creation order: the order GET /Users pages through. */
  users: Map<string, SsUser>;
  /** Lowercased userName → id (userName is caseExact false, RFC 7643). */
  byUserName: Map<string, string>;
  /** Planted account key → user id. */
  keys: Map<string, string>;
  seq: number;
}

export const DEFAULT_CONFIG: SsConfig = { echoActive: false, wrongTenantStatus: 404, putResetsActive: true };

/** The tenant the token belongs to: a pure function of the seed so credentials can name it. */
export function tenantFor(seed: number): string {
  return `tenant-${createRng(seed).fork('stackspot-scim:tenant').hex(12)}`;
}

/** A v4-looking UUID from the seed and a counter. */
export function newUserId(state: SsState): string {
  for (;;) {
    const n = ++state.seq;
    const hex = [1, 2, 3, 4]
      .map((part) => hashString(`${state.seed}:ss:${n}:${part}`).toString(16).padStart(8, '0'))
      .join('');
    const variant = '89ab'[Number.parseInt(hex.charAt(16), 16) % 4];
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    if (!state.users.has(id)) return id;
  }
}

/** The guide's timestamps have no milliseconds: `2024-03-01T17:57:14Z`. */
export function isoSeconds(date: Date | string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function emptyState(seed: number): SsState {
  return {
    seed,
    config: { ...DEFAULT_CONFIG },
    tenant: tenantFor(seed),
    users: new Map(),
    byUserName: new Map(),
    keys: new Map(),
    seq: 0,
  };
}

export function addUser(state: SsState, user: SsUser): void {
  state.users.set(user.id, user);
  state.byUserName.set(user.userName.toLowerCase(), user.id);
  if (user.key !== null) state.keys.set(user.key, user.id);
}

export function removeUser(state: SsState, user: SsUser): void {
  state.users.delete(user.id);
  if (state.byUserName.get(user.userName.toLowerCase()) === user.id)
    state.byUserName.delete(user.userName.toLowerCase());
}

export function renameUser(state: SsState, user: SsUser, userName: string): void {
  if (state.byUserName.get(user.userName.toLowerCase()) === user.id)
    state.byUserName.delete(user.userName.toLowerCase());
  user.userName = userName;
  state.byUserName.set(userName.toLowerCase(), user.id);
}

/** Role names live in the custom extension's `properties`: admin → { role: 'admin' }. */
function propertiesOf(account: PlantedAccount): Record<string, string> | null {
  if (account.admin) return { role: 'admin' };
  return account.role === null ? null : { role: account.role };
}

/** This app's part of the sample company as SCIM users; invited and deleted accounts are not there. */
export function createState(input: { company: SampleCompany | null; seed: number; now: Date }): SsState {
  const state = emptyState(input.seed);
  const planted = input.company?.apps['stackspot-scim'];
  if (!planted) return state;
  for (const account of planted.accounts) {
    if (account.state === 'deleted' || account.state === 'invited') continue;
    if (state.byUserName.has(account.login.toLowerCase())) continue;
    const created = isoSeconds(account.createdAt);
    const properties = propertiesOf(account);
    const neverLogged = account.lastLoginAt === null;
    addUser(state, {
      id: newUserId(state),
      userName: account.login,
      externalId: account.externalId,
      active: account.state === 'active',
      displayName: `${account.firstName} ${account.lastName}`,
      givenName: account.firstName,
      familyName: account.lastName,
      emails: [{ type: 'work', value: account.email, primary: true }],
      phoneNumbers: [],
      nickName: '',
      locale: '',
      preferredLanguage: 'und',
      profileUrl: '',
      timezone: '',
      title: account.title ?? '',
      userType: '',
      password: null,
      extension: properties === null ? null : { properties },
      neverLogged,
      requiredActions: neverLogged ? ['otp-configure'] : [],
      created,
      lastModified: created,
      version: 1,
      key: account.key,
    });
  }
  return state;
}

interface SsSnapshot {
  seed: number;
  config: SsConfig;
  tenant: string;
  users: SsUser[];
  seq: number;
}

export function snapshot(state: SsState): SsSnapshot {
  return {
    seed: state.seed,
    config: state.config,
    tenant: state.tenant,
    users: [...state.users.values()],
    seq: state.seq,
  };
}

export function restore(json: unknown): SsState {
  const snap = json as Partial<SsSnapshot>;
  const state = emptyState(typeof snap.seed === 'number' ? snap.seed : 1);
  state.config = { ...DEFAULT_CONFIG, ...snap.config };
  if (typeof snap.tenant === 'string') state.tenant = snap.tenant;
  state.seq = typeof snap.seq === 'number' ? snap.seq : 0;
  for (const user of snap.users ?? []) addUser(state, { ...user, key: user.key ?? null });
  return state;
}

export function summary(state: SsState): Record<string, number> {
  let blocked = 0;
  let neverLogged = 0;
  for (const user of state.users.values()) {
    if (!user.active) blocked++;
    if (user.neverLogged) neverLogged++;
  }
  return { users: state.users.size, blocked, neverLogged };
}

/** @module customer-directory sandbox state: one customer's users, roles, groups, external identities and indexes. */

import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import { createRng, hashString } from '../kit/rng.js';

/** The guide leaves the `integration` enum blank; these are the values the sandbox accepts (see README). */
export const INTEGRATIONS = ['okta', 'google', 'azure-ad', 'bamboohr', 'slack'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** The lookup `type` enum, also blank in the guide: every integration plus email and employee_id. */
export const IDENTITY_TYPES = ['email', 'employee_id', ...INTEGRATIONS] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** The user `status` enum, blank in the guide. */
export const USER_STATUSES = ['active', 'inactive', 'pending'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** What a super delegate may do; the guide says only "list of permissions assigned to Super Delegates". */
export const SUPER_DELEGATE_PERMISSIONS = {
  manageUsers: true,
  manageRoles: true,
  manageDelegates: true,
  manageIntegrations: true,
} as const;

export const ADMIN_ROLE = 'Admin';

export interface Identity {
  type: IdentityType;
  value: string;
}

/** A user as stored: the documented fields plus the assumed roleIds/delegateIds and non-API bookkeeping. */
export interface CdUser {
  _id: string;
  createdAt: string;
  updatedAt: string;
  isSuperDelegate: boolean;
  email: string;
  firstName: string;
  jobTitle: string;
  lastName: string;
  nickname: string;
  status: UserStatus;
  seniority: string | null;
  department: string | null;
  office: string | null;
  subdepartment: string | null;
  pod: string | null;
  groupIds: string[];
  roleIds: string[];
  delegateIds: string[];
  /** Not in any response: the external identities `lookup` searches. */
  identities: Identity[];
  /** Not in any response: the planted account key, for tests. */
  key: string | null;
}

export interface CdNamed {
  _id: string;
  name: string;
}

/** Switches for readings the guide leaves open; the defaults are the harder ones (see README). */
export interface CdConfig {
  /** `array`: GET /users answers a bare JSON array; `object`: `{ users: [...] }` (also roles/groups). */
  listShape: 'array' | 'object';
  /** When true, `integration` narrows the list to users holding an identity of that type. */
  integrationFilters: boolean;
}

export interface CdState {
  seed: number;
  config: CdConfig;
  /** The customer the token is scoped to. */
  customerId: string;
  /** Users by id, in creation order: the order GET /users answers in. */
  users: Map<string, CdUser>;
  /** Lowercased email → user id. */
  byEmail: Map<string, string>;
  /** `${type}:${value}` → user id (email identities lowercased). */
  byIdentity: Map<string, string>;
  roles: Map<string, CdNamed>;
  groups: Map<string, CdNamed>;
  /** Planted account key → user id. */
  keys: Map<string, string>;
  /** Counter behind deterministic ids. */
  seq: number;
}

export const DEFAULT_CONFIG: CdConfig = { listShape: 'array', integrationFilters: false };

export const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** The customer the token belongs to: a pure function of the seed so credentials can name it. */
export function customerIdFor(seed: number): string {
  return createRng(seed).fork('customer-directory:customer').hex(24);
}

/** A 24-hex object id: a hash of seed and counter, then the counter, so ids never collide. */
export function newObjectId(state: CdState): string {
  const n = ++state.seq;
  const a = hashString(`${state.seed}:cd:${n}`).toString(16).padStart(8, '0');
  const b = hashString(`${n}:cd:${state.seed}`).toString(16).padStart(8, '0');
  return `${a}${b}${n.toString(16).padStart(8, '0')}`;
}

/** The guide's timestamps have no milliseconds: `2022-08-12T20:44:48Z`. */
export function isoSeconds(date: Date | string): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function identityKey(type: string, value: string): string {
  return `${type}:${type === 'email' ? value.toLowerCase() : value}`;
}

export function emptyState(seed: number): CdState {
  return {
    seed,
    config: { ...DEFAULT_CONFIG },
    customerId: customerIdFor(seed),
    users: new Map(),
    byEmail: new Map(),
    byIdentity: new Map(),
    roles: new Map(),
    groups: new Map(),
    keys: new Map(),
    seq: 0,
  };
}

export function addUser(state: CdState, user: CdUser): void {
  state.users.set(user._id, user);
  state.byEmail.set(user.email.toLowerCase(), user._id);
  for (const identity of user.identities)
    state.byIdentity.set(identityKey(identity.type, identity.value), user._id);
  if (user.key !== null) state.keys.set(user.key, user._id);
}

/** Hard removal: the user, its indexes, and its id from everyone's delegateIds. */
export function removeUser(state: CdState, user: CdUser): void {
  state.users.delete(user._id);
  if (state.byEmail.get(user.email.toLowerCase()) === user._id)
    state.byEmail.delete(user.email.toLowerCase());
  for (const identity of user.identities) {
    const key = identityKey(identity.type, identity.value);
    if (state.byIdentity.get(key) === user._id) state.byIdentity.delete(key);
  }
  for (const other of state.users.values()) {
    if (other.delegateIds.includes(user._id))
      other.delegateIds = other.delegateIds.filter((id) => id !== user._id);
  }
}

/** Moves the email index (and the `email` identity) when PATCH changes a user's email. */
export function changeEmail(state: CdState, user: CdUser, email: string): void {
  if (state.byEmail.get(user.email.toLowerCase()) === user._id)
    state.byEmail.delete(user.email.toLowerCase());
  for (const identity of user.identities) {
    if (identity.type !== 'email' || identity.value.toLowerCase() !== user.email.toLowerCase()) continue;
    state.byIdentity.delete(identityKey('email', identity.value));
    identity.value = email;
    state.byIdentity.set(identityKey('email', email), user._id);
  }
  user.email = email;
  state.byEmail.set(email.toLowerCase(), user._id);
}

function namedByName(state: CdState, kind: 'roles' | 'groups', name: string): CdNamed {
  for (const item of state[kind].values()) if (item.name === name) return item;
  const item = { _id: newObjectId(state), name };
  state[kind].set(item._id, item);
  return item;
}

function statusOf(account: PlantedAccount): UserStatus | null {
  if (account.state === 'deleted') return null;
  if (account.state === 'invited') return 'pending';
  return account.state;
}

/** This app's part of the sample company in customer-directory's own shapes; deleted accounts are not there. */
export function createState(input: { company: SampleCompany | null; seed: number; now: Date }): CdState {
  const state = emptyState(input.seed);
  const planted = input.company?.apps['customer-directory'];
  if (!planted) return state;
  namedByName(state, 'roles', ADMIN_ROLE);
  for (const role of planted.roles) namedByName(state, 'roles', role);
  for (const group of planted.groups) namedByName(state, 'groups', group);
  for (const account of planted.accounts) {
    const status = statusOf(account);
    if (status === null || state.byEmail.has(account.email.toLowerCase())) continue;
    const roleIds: string[] = [];
    if (account.admin) roleIds.push(namedByName(state, 'roles', ADMIN_ROLE)._id);
    if (account.role !== null) {
      const role = namedByName(state, 'roles', account.role)._id;
      if (!roleIds.includes(role)) roleIds.push(role);
    }
    const identities: Identity[] = [{ type: 'email', value: account.email }];
    if (account.externalId !== null && !state.byIdentity.has(identityKey('okta', account.externalId))) {
      identities.push({ type: 'okta', value: account.externalId });
    }
    const createdAt = isoSeconds(account.createdAt);
    addUser(state, {
      _id: newObjectId(state),
      createdAt,
      updatedAt: createdAt,
      isSuperDelegate: account.admin,
      email: account.email,
      firstName: account.firstName,
      jobTitle: account.title ?? '',
      lastName: account.lastName,
      nickname: '',
      status,
      seniority: null,
      department: account.department,
      office: null,
      subdepartment: null,
      pod: null,
      groupIds: account.groups.map((name) => namedByName(state, 'groups', name)._id),
      roleIds,
      delegateIds: [],
      identities,
      key: account.key,
    });
  }
  return state;
}

interface CdSnapshot {
  seed: number;
  config: CdConfig;
  customerId: string;
  users: CdUser[];
  roles: CdNamed[];
  groups: CdNamed[];
  seq: number;
}

export function snapshot(state: CdState): CdSnapshot {
  return {
    seed: state.seed,
    config: state.config,
    customerId: state.customerId,
    users: [...state.users.values()],
    roles: [...state.roles.values()],
    groups: [...state.groups.values()],
    seq: state.seq,
  };
}

export function restore(json: unknown): CdState {
  const snap = json as Partial<CdSnapshot>;
  const state = emptyState(typeof snap.seed === 'number' ? snap.seed : 1);
  state.config = { ...DEFAULT_CONFIG, ...snap.config };
  if (typeof snap.customerId === 'string') state.customerId = snap.customerId;
  state.seq = typeof snap.seq === 'number' ? snap.seq : 0;
  for (const role of snap.roles ?? []) state.roles.set(role._id, role);
  for (const group of snap.groups ?? []) state.groups.set(group._id, group);
  for (const user of snap.users ?? []) {
    addUser(state, {
      ...user,
      groupIds: user.groupIds ?? [],
      roleIds: user.roleIds ?? [],
      delegateIds: user.delegateIds ?? [],
      identities: user.identities ?? [{ type: 'email', value: user.email }],
      key: user.key ?? null,
    });
  }
  return state;
}

export function summary(state: CdState): Record<string, number> {
  let active = 0;
  let superDelegates = 0;
  for (const user of state.users.values()) {
    if (user.status === 'active') active++;
    if (user.isSuperDelegate) superDelegates++;
  }
  return {
    users: state.users.size,
    active,
    superDelegates,
    roles: state.roles.size,
    groups: state.groups.size,
  };
}

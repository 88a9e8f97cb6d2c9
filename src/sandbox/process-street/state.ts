/** @module Process Street sandbox state: organizations, members, groups, seat limit, indexes and their JSON form. */

import { z } from 'zod';
import type { PlantedAccount, SampleCompany } from '../kit/company.js';
import { createRng, hashString } from '../kit/rng.js';

export const PS_ROLES = ['admin', 'member', 'guest'] as const;
export type PsRole = (typeof PS_ROLES)[number];

export const PS_STATUSES = ['active', 'invited'] as const;
export type PsStatus = (typeof PS_STATUSES)[number];

/** A member exactly as the API answers it: every field of the guide's data model. */
export interface PsMember {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  role: PsRole;
  organizationId: string;
  status: PsStatus;
  avatarUrl: string | null;
  createdDate: string;
}

export interface PsGroup {
  id: string;
  name: string;
  organizationId: string;
  /** Member ids in the order they were added: the order GET /groups/{id}/members pages through. */
  memberIds: string[];
  /** The same ids, for O(1) membership checks. */
  memberSet: Set<string>;
}

export interface PsOrganization {
  id: string;
  name: string;
  /** Members in creation order: the order GET /members pages through. */
  members: PsMember[];
  /** Lowercased email → member id. Emails are unique per organization, not across them. */
  memberIdByEmail: Map<string, string>;
  /** Groups in creation order. */
  groups: PsGroup[];
}

/** Switches for readings the guide leaves open; the defaults are the harder ones (see README). */
export interface PsConfig {
  /** Hidden page size when `limit` is absent. */
  defaultPageSize: number;
  /** Hidden maximum; a larger `limit` is clamped without a word. */
  maxPageSize: number;
  /** Whether GET /groups pages like /members (true) or answers every group at once (false). */
  pageGroups: boolean;
}

export interface PsState {
  seed: number;
  config: PsConfig;
  /** The organization the API key belongs to: every API request is scoped to it. */
  organizationId: string;
  /** Every organization, the authenticated one first; the others exist only to be invisible. */
  organizations: Map<string, PsOrganization>;
  /** Seats of the authenticated organization: active + invited members may not exceed it. */
  seatLimit: number;
  membersById: Map<string, PsMember>;
  groupsById: Map<string, PsGroup>;
  /** Planted account key → member id, so tests can find the accounts the company planted. */
  keys: Map<string, string>;
  /** Member id → API requests still to come before the invitation is accepted (admin accept-after). */
  pendingAccepts: Map<string, number>;
  /** Counters behind deterministic ids. */
  seq: { member: number; group: number };
}

export const DEFAULT_CONFIG: PsConfig = { defaultPageSize: 20, maxPageSize: 100, pageGroups: true };
/** Seats left free above the planted members when the company does not say otherwise. */
export const SPARE_SEATS = 10;
export const OTHER_ORG_NAME = 'Northwind Partners';

/** The authenticated organization's id: a pure function of the seed, so credentials can name it. */
export function organizationIdFor(seed: number): string {
  return `org_${createRng(seed).fork('process-street:org').hex(12)}`;
}

function otherOrganizationIdFor(seed: number): string {
  return `org_${createRng(seed).fork('process-street:other-org').hex(12)}`;
}

/** `mem_`/`grp_` plus hex: a hash of seed, kind and counter, then the counter itself so ids never collide. */
export function newId(state: PsState, kind: keyof PsState['seq']): string {
  const prefix = kind === 'member' ? 'mem_' : 'grp_';
  for (;;) {
    const n = ++state.seq[kind];
    const hash = hashString(`${state.seed}:${kind}:${n}`).toString(16).padStart(8, '0');
    const id = `${prefix}${hash}${n.toString(16).padStart(6, '0')}`;
    const taken = kind === 'member' ? state.membersById.has(id) : state.groupsById.has(id);
    if (!taken) return id;
  }
}

/** A stable default avatar per email, like the identicon the app assigns. */
export function avatarFor(email: string): string {
  const hash = hashString(email.toLowerCase()).toString(16).padStart(8, '0');
  return `https://avatars.process.st/default/${hash}.png`;
}

function emptyOrganization(id: string, name: string): PsOrganization {
  return { id, name, members: [], memberIdByEmail: new Map(), groups: [] };
}

export function emptyState(seed: number): PsState {
  const organizationId = organizationIdFor(seed);
  return {
    seed,
    config: { ...DEFAULT_CONFIG },
    organizationId,
    organizations: new Map([[organizationId, emptyOrganization(organizationId, 'Sandbox Org')]]),
    seatLimit: SPARE_SEATS,
    membersById: new Map(),
    groupsById: new Map(),
    keys: new Map(),
    pendingAccepts: new Map(),
    seq: { member: 0, group: 0 },
  };
}

/** The organization the API key belongs to. */
export function homeOrganization(state: PsState): PsOrganization {
  const org = state.organizations.get(state.organizationId);
  if (!org) throw new Error(`organization ${state.organizationId} is missing from the state`);
  return org;
}

function organizationOf(state: PsState, organizationId: string, name = organizationId): PsOrganization {
  let org = state.organizations.get(organizationId);
  if (!org) {
    org = emptyOrganization(organizationId, name);
    state.organizations.set(organizationId, org);
  }
  return org;
}

export function addMember(state: PsState, member: PsMember): void {
  const org = organizationOf(state, member.organizationId);
  org.members.push(member);
  org.memberIdByEmail.set(member.email.toLowerCase(), member.id);
  state.membersById.set(member.id, member);
}

/** Removal from the organization: the member, its email entry, its group memberships and any pending accept. */
export function removeMember(state: PsState, member: PsMember): void {
  const org = state.organizations.get(member.organizationId);
  if (org) {
    const index = org.members.indexOf(member);
    if (index >= 0) org.members.splice(index, 1);
    if (org.memberIdByEmail.get(member.email.toLowerCase()) === member.id) {
      org.memberIdByEmail.delete(member.email.toLowerCase());
    }
    for (const group of org.groups) removeFromGroup(group, member.id);
  }
  state.membersById.delete(member.id);
  state.pendingAccepts.delete(member.id);
}

export function addGroup(state: PsState, group: Omit<PsGroup, 'memberSet'>): PsGroup {
  const full: PsGroup = { ...group, memberSet: new Set(group.memberIds) };
  organizationOf(state, full.organizationId).groups.push(full);
  state.groupsById.set(full.id, full);
  return full;
}

/** True when the member was not in the group yet. */
export function addToGroup(group: PsGroup, memberId: string): boolean {
  if (group.memberSet.has(memberId)) return false;
  group.memberSet.add(memberId);
  group.memberIds.push(memberId);
  return true;
}

/** True when the member was in the group. */
export function removeFromGroup(group: PsGroup, memberId: string): boolean {
  if (!group.memberSet.delete(memberId)) return false;
  const index = group.memberIds.indexOf(memberId);
  if (index >= 0) group.memberIds.splice(index, 1);
  return true;
}

/** Seats in use: every member of the authenticated organization, invited ones included. */
export function seatsUsed(state: PsState): number {
  return homeOrganization(state).members.length;
}

function roleOf(account: PlantedAccount): PsRole {
  if (account.admin) return 'admin';
  return PS_ROLES.includes(account.role as PsRole) ? (account.role as PsRole) : 'member';
}

/** This app's part of the sample company mapped into Process Street's own shapes, plus a second organization. */
export function createState(input: { company: SampleCompany | null; seed: number; now: Date }): PsState {
  const state = emptyState(input.seed);
  const home = homeOrganization(state);
  const planted = input.company?.apps['process-street'];
  if (input.company) home.name = input.company.domain;

  if (planted) {
    const groupByName = new Map<string, PsGroup>();
    const groupNamed = (name: string): PsGroup => {
      let group = groupByName.get(name);
      if (!group) {
        group = addGroup(state, { id: newId(state, 'group'), name, organizationId: home.id, memberIds: [] });
        groupByName.set(name, group);
      }
      return group;
    };
    for (const name of planted.groups) groupNamed(name);

    for (const account of planted.accounts) {
      // A removed member is simply absent; 'inactive' and 'deleted' have no meaning in Process Street.
      if (account.state !== 'active' && account.state !== 'invited') continue;
      // Emails are unique per organization (case-insensitive): a second planted account with one is not there.
      if (home.memberIdByEmail.has(account.email.toLowerCase())) continue;
      const id = newId(state, 'member');
      const invited = account.state === 'invited';
      addMember(state, {
        id,
        email: account.email,
        firstName: account.firstName,
        lastName: account.lastName,
        // Someone who never accepted never chose a username.
        username: invited ? null : account.login,
        role: roleOf(account),
        organizationId: home.id,
        status: account.state,
        avatarUrl: avatarFor(account.email),
        createdDate: account.createdAt,
      });
      state.keys.set(account.key, id);
      // The API refuses group membership before acceptance, so an invited member holds no groups.
      if (!invited) for (const name of account.groups) addToGroup(groupNamed(name), id);
    }
    state.seatLimit = home.members.length + SPARE_SEATS;
  }

  seedOtherOrganization(state, input.now, planted?.accounts[0]?.email ?? null);
  return state;
}

/**
 * A second organization with a few members and a group, so "member must belong to the authenticated
 * organization" is real. One member may share an email with the home org: the same person in two orgs.
 */
function seedOtherOrganization(state: PsState, now: Date, sharedEmail: string | null): void {
  const org = organizationOf(state, otherOrganizationIdFor(state.seed), OTHER_ORG_NAME);
  const created = new Date(now.getTime() - 90 * 24 * 3600 * 1000).toISOString();
  const people: [string, string, string, PsRole, PsStatus][] = [
    ['olivia.reyes@northwind.example', 'Olivia', 'Reyes', 'admin', 'active'],
    ['sam.okafor@northwind.example', 'Sam', 'Okafor', 'member', 'active'],
    ['lee.tanaka@northwind.example', 'Lee', 'Tanaka', 'guest', 'invited'],
  ];
  if (sharedEmail) people.push([sharedEmail, 'Shared', 'Person', 'member', 'active']);
  const ids: string[] = [];
  for (const [email, firstName, lastName, role, status] of people) {
    const id = newId(state, 'member');
    ids.push(id);
    addMember(state, {
      id,
      email,
      firstName,
      lastName,
      username: status === 'active' ? email.split('@')[0]! : null,
      role,
      organizationId: org.id,
      status,
      avatarUrl: avatarFor(email),
      createdDate: created,
    });
  }
  addGroup(state, {
    id: newId(state, 'group'),
    name: 'Partners',
    organizationId: org.id,
    memberIds: ids.slice(0, 2),
  });
}

const memberSchema = z.object({
  id: z.string().min(1),
  email: z.string().min(1),
  firstName: z.string().nullable().default(null),
  lastName: z.string().nullable().default(null),
  username: z.string().nullable().default(null),
  role: z.enum(PS_ROLES).default('member'),
  organizationId: z.string().min(1),
  status: z.enum(PS_STATUSES).default('active'),
  avatarUrl: z.string().nullable().default(null),
  createdDate: z.string(),
});

const snapshotSchema = z.object({
  seed: z.number().int(),
  config: z
    .object({
      defaultPageSize: z.number().int().min(1),
      maxPageSize: z.number().int().min(1),
      pageGroups: z.boolean(),
    })
    .default(DEFAULT_CONFIG),
  organizationId: z.string().min(1),
  organizations: z.array(z.object({ id: z.string().min(1), name: z.string() })).default([]),
  seatLimit: z.number().int().min(0),
  members: z.array(memberSchema).default([]),
  groups: z
    .array(
      z.object({
        id: z.string().min(1),
        name: z.string(),
        organizationId: z.string().min(1),
        memberIds: z.array(z.string()).default([]),
      }),
    )
    .default([]),
  keys: z.record(z.string(), z.string()).default({}),
  pendingAccepts: z.record(z.string(), z.number().int().min(0)).default({}),
  seq: z.object({ member: z.number().int(), group: z.number().int() }).default({ member: 0, group: 0 }),
});
export type PsSnapshot = z.infer<typeof snapshotSchema>;

export function snapshot(state: PsState): PsSnapshot {
  const organizations = [...state.organizations.values()];
  return {
    seed: state.seed,
    config: { ...state.config },
    organizationId: state.organizationId,
    organizations: organizations.map((o) => ({ id: o.id, name: o.name })),
    seatLimit: state.seatLimit,
    members: organizations.flatMap((o) => o.members.map((m) => ({ ...m }))),
    groups: organizations.flatMap((o) =>
      o.groups.map((g) => ({
        id: g.id,
        name: g.name,
        organizationId: g.organizationId,
        memberIds: [...g.memberIds],
      })),
    ),
    keys: Object.fromEntries(state.keys),
    pendingAccepts: Object.fromEntries(state.pendingAccepts),
    seq: { ...state.seq },
  };
}

export function restore(json: unknown): PsState {
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw Object.assign(
      new Error(`Invalid Process Street state: ${first?.path.join('.')}: ${first?.message}`),
      { statusCode: 400 },
    );
  }
  const data = parsed.data;
  const state = emptyState(data.seed);
  state.organizations.clear();
  state.organizationId = data.organizationId;
  state.config = data.config;
  state.seatLimit = data.seatLimit;
  state.seq = data.seq;
  organizationOf(state, data.organizationId);
  for (const org of data.organizations) organizationOf(state, org.id).name = org.name;
  for (const member of data.members) addMember(state, { ...member });
  for (const group of data.groups) {
    const memberIds = group.memberIds.filter(
      (id) => state.membersById.get(id)?.organizationId === group.organizationId,
    );
    addGroup(state, { ...group, memberIds: [...new Set(memberIds)] });
  }
  state.keys = new Map(Object.entries(data.keys));
  state.pendingAccepts = new Map(Object.entries(data.pendingAccepts));
  return state;
}

export function summary(state: PsState): Record<string, number> {
  const home = homeOrganization(state);
  let invited = 0;
  for (const m of home.members) if (m.status === 'invited') invited++;
  return {
    members: home.members.length,
    activeMembers: home.members.length - invited,
    invitedMembers: invited,
    groups: home.groups.length,
    seatLimit: state.seatLimit,
    otherOrganizationMembers: state.membersById.size - home.members.length,
  };
}

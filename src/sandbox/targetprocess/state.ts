/** @module The Targetprocess sandbox's in-memory state: users, roles, teams, team members, their indexes and JSON form. */

import { z } from 'zod';
import type { PlantedAccount, SampleCompany } from '../kit/company.js';

/** Readings of the guide's contradictions that a test can switch (see README.md). */
export interface TargetprocessSettings {
  /** SSO tenant: POST /Users no longer requires a Password. */
  sso: boolean;
  /** The guide's "deleted users are excluded by default" reading, instead of "they still list". */
  excludeDeletedByDefault: boolean;
  /** ISO 8601 dates in JSON instead of the real `/Date(ms+0000)/`. */
  isoDates: boolean;
}

export interface TpRole {
  Id: number;
  Name: string;
}

export interface TpTeam {
  Id: number;
  Name: string;
}

/** A user as stored. Dates are ISO strings; `password`, `key` and `externalId` never leave the sandbox. */
export interface TpUser {
  Id: number;
  FirstName: string;
  LastName: string;
  Email: string;
  Login: string;
  IsActive: boolean;
  IsAdministrator: boolean;
  CreateDate: string;
  ModifyDate: string;
  DeleteDate: string | null;
  LastLoginDate: string | null;
  RoleId: number | null;
  password: string | null;
  /** The planted account key (tests find planted accounts by it); null for API-created users. */
  key: string | null;
  externalId: string | null;
}

export interface TpTeamMember {
  Id: number;
  UserId: number;
  TeamId: number;
}

export interface TargetprocessState {
  settings: TargetprocessSettings;
  roles: TpRole[];
  teams: TpTeam[];
  /** In Id order (Ids only grow, users are never removed: deletes are soft). */
  users: TpUser[];
  teamMembers: Map<number, TpTeamMember>;
  nextUserId: number;
  nextTeamMemberId: number;
  usersById: Map<number, TpUser>;
  /** Lowercased email → users (planted data may hold two accounts with one address). */
  usersByEmail: Map<string, TpUser[]>;
  usersByLogin: Map<string, TpUser[]>;
  userIdByKey: Map<string, number>;
  rolesById: Map<number, TpRole>;
  teamsById: Map<number, TpTeam>;
  /** User Id → TeamMember Ids. */
  membershipsByUser: Map<number, Set<number>>;
}

export const DEFAULT_SETTINGS: TargetprocessSettings = {
  sso: false,
  excludeDeletedByDefault: false,
  isoDates: false,
};

/** Role Ids start at 1 and team Ids at 10, as in the guide's examples. */
const FIRST_ROLE_ID = 1;
const FIRST_TEAM_ID = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

function emptyState(settings: TargetprocessSettings): TargetprocessState {
  return {
    settings: { ...settings },
    roles: [],
    teams: [],
    users: [],
    teamMembers: new Map(),
    nextUserId: 1,
    nextTeamMemberId: 1,
    usersById: new Map(),
    usersByEmail: new Map(),
    usersByLogin: new Map(),
    userIdByKey: new Map(),
    rolesById: new Map(),
    teamsById: new Map(),
    membershipsByUser: new Map(),
  };
}

function addToMulti<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function removeFromMulti<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (!list) return;
  const next = list.filter((v) => v !== value);
  if (next.length === 0) map.delete(key);
  else map.set(key, next);
}

/** Adds a user to the list and every index. The caller has assigned its Id. */
export function insertUser(state: TargetprocessState, user: TpUser): void {
  state.users.push(user);
  state.usersById.set(user.Id, user);
  addToMulti(state.usersByEmail, user.Email.toLowerCase(), user);
  addToMulti(state.usersByLogin, user.Login.toLowerCase(), user);
  if (user.key !== null) state.userIdByKey.set(user.key, user.Id);
  if (user.Id >= state.nextUserId) state.nextUserId = user.Id + 1;
}

/** Changes a user's Email and/or Login, keeping the indexes right. */
export function reindexUser(
  state: TargetprocessState,
  user: TpUser,
  change: { Email?: string; Login?: string },
): void {
  if (change.Email !== undefined) {
    removeFromMulti(state.usersByEmail, user.Email.toLowerCase(), user);
    user.Email = change.Email;
    addToMulti(state.usersByEmail, user.Email.toLowerCase(), user);
  }
  if (change.Login !== undefined) {
    removeFromMulti(state.usersByLogin, user.Login.toLowerCase(), user);
    user.Login = change.Login;
    addToMulti(state.usersByLogin, user.Login.toLowerCase(), user);
  }
}

export function insertTeamMember(state: TargetprocessState, member: TpTeamMember): void {
  state.teamMembers.set(member.Id, member);
  let set = state.membershipsByUser.get(member.UserId);
  if (!set) {
    set = new Set();
    state.membershipsByUser.set(member.UserId, set);
  }
  set.add(member.Id);
  if (member.Id >= state.nextTeamMemberId) state.nextTeamMemberId = member.Id + 1;
}

export function removeTeamMember(state: TargetprocessState, member: TpTeamMember): void {
  state.teamMembers.delete(member.Id);
  state.membershipsByUser.get(member.UserId)?.delete(member.Id);
}

/** The team members of one user, in Id order. */
export function membershipsOf(state: TargetprocessState, userId: number): TpTeamMember[] {
  const ids = state.membershipsByUser.get(userId);
  if (!ids) return [];
  return [...ids]
    .sort((a, b) => a - b)
    .map((id) => state.teamMembers.get(id))
    .filter((m): m is TpTeamMember => m !== undefined);
}

function addRole(state: TargetprocessState, name: string): void {
  if (state.roles.some((r) => r.Name === name)) return;
  const role = { Id: FIRST_ROLE_ID + state.roles.length, Name: name };
  state.roles.push(role);
  state.rolesById.set(role.Id, role);
}

function addTeam(state: TargetprocessState, name: string): void {
  if (state.teams.some((t) => t.Name === name)) return;
  const team = { Id: FIRST_TEAM_ID + state.teams.length, Name: name };
  state.teams.push(team);
  state.teamsById.set(team.Id, team);
}

function latest(...isoDates: (string | null)[]): string {
  let best = 0;
  for (const d of isoDates) if (d !== null) best = Math.max(best, Date.parse(d));
  return new Date(best).toISOString();
}

function plantedUser(account: PlantedAccount, id: number, roleId: number | null, now: Date): TpUser {
  const created = new Date(Math.min(Date.parse(account.createdAt), now.getTime())).toISOString();
  const deleted =
    account.state === 'deleted'
      ? new Date(
          Math.min(Date.parse(latest(account.createdAt, account.lastLoginAt)) + DAY_MS, now.getTime()),
        ).toISOString()
      : null;
  return {
    Id: id,
    FirstName: account.firstName,
    LastName: account.lastName,
    Email: account.email,
    Login: account.login,
    // Targetprocess has no invitations: an invited account is simply an active user.
    IsActive: account.state !== 'inactive',
    IsAdministrator: account.admin,
    CreateDate: created,
    ModifyDate: deleted ?? created,
    DeleteDate: deleted,
    LastLoginDate: account.lastLoginAt,
    RoleId: roleId,
    password: null,
    key: account.key,
    externalId: account.externalId,
  };
}

/** A fresh state: empty (only the two roles the guide names), or the company's Targetprocess accounts. */
export function createState(input: {
  company: SampleCompany | null;
  seed: number;
  now: Date;
  settings?: TargetprocessSettings;
}): TargetprocessState {
  const state = emptyState(input.settings ?? DEFAULT_SETTINGS);
  const planted = input.company?.apps.targetprocess;
  // The guide's examples name Administrator and Developer; every tenant has them.
  addRole(state, 'Administrator');
  addRole(state, 'Developer');
  if (!planted) return state;
  for (const role of planted.roles) addRole(state, role);
  for (const group of planted.groups) addTeam(state, group);
  const roleByName = new Map(state.roles.map((r) => [r.Name, r.Id]));
  const teamByName = new Map(state.teams.map((t) => [t.Name, t.Id]));
  for (const account of planted.accounts) {
    if (account.role !== null && !roleByName.has(account.role)) {
      addRole(state, account.role);
      roleByName.set(account.role, state.roles[state.roles.length - 1]!.Id);
    }
    const user = plantedUser(
      account,
      state.nextUserId,
      account.role === null ? null : (roleByName.get(account.role) ?? null),
      input.now,
    );
    insertUser(state, user);
    for (const group of account.groups) {
      if (!teamByName.has(group)) {
        addTeam(state, group);
        teamByName.set(group, state.teams[state.teams.length - 1]!.Id);
      }
      insertTeamMember(state, {
        Id: state.nextTeamMemberId,
        UserId: user.Id,
        TeamId: teamByName.get(group)!,
      });
    }
  }
  return state;
}

const snapshotSchema = z.object({
  settings: z.object({ sso: z.boolean(), excludeDeletedByDefault: z.boolean(), isoDates: z.boolean() }),
  roles: z.array(z.object({ Id: z.number().int(), Name: z.string() })),
  teams: z.array(z.object({ Id: z.number().int(), Name: z.string() })),
  users: z.array(
    z.object({
      Id: z.number().int(),
      FirstName: z.string(),
      LastName: z.string(),
      Email: z.string(),
      Login: z.string(),
      IsActive: z.boolean(),
      IsAdministrator: z.boolean(),
      CreateDate: z.string(),
      ModifyDate: z.string(),
      DeleteDate: z.string().nullable(),
      LastLoginDate: z.string().nullable(),
      RoleId: z.number().int().nullable(),
      password: z.string().nullable(),
      key: z.string().nullable(),
      externalId: z.string().nullable(),
    }),
  ),
  teamMembers: z.array(
    z.object({ Id: z.number().int(), UserId: z.number().int(), TeamId: z.number().int() }),
  ),
  nextUserId: z.number().int(),
  nextTeamMemberId: z.number().int(),
});
export type TargetprocessSnapshot = z.infer<typeof snapshotSchema>;

/** Plain JSON for the admin API. */
export function snapshot(state: TargetprocessState): TargetprocessSnapshot {
  return {
    settings: { ...state.settings },
    roles: state.roles.map((r) => ({ ...r })),
    teams: state.teams.map((t) => ({ ...t })),
    users: state.users.map((u) => ({ ...u })),
    teamMembers: [...state.teamMembers.values()].map((m) => ({ ...m })),
    nextUserId: state.nextUserId,
    nextTeamMemberId: state.nextTeamMemberId,
  };
}

/** Rebuilds a state (and its indexes) from a snapshot; throws a 400-style error on a bad shape. */
export function restore(json: unknown): TargetprocessState {
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    throw Object.assign(new Error(`invalid Targetprocess state: ${parsed.error.issues[0]?.message ?? ''}`), {
      statusCode: 400,
    });
  }
  const data = parsed.data;
  const state = emptyState(data.settings);
  for (const role of data.roles) {
    state.roles.push(role);
    state.rolesById.set(role.Id, role);
  }
  for (const team of data.teams) {
    state.teams.push(team);
    state.teamsById.set(team.Id, team);
  }
  for (const user of [...data.users].sort((a, b) => a.Id - b.Id)) insertUser(state, user);
  for (const member of data.teamMembers) insertTeamMember(state, member);
  state.nextUserId = Math.max(state.nextUserId, data.nextUserId);
  state.nextTeamMemberId = Math.max(state.nextTeamMemberId, data.nextTeamMemberId);
  return state;
}

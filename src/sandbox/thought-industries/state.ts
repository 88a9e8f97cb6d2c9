/** @module Thought Industries sandbox state: users, groups, courses, enrollments, indexes and their JSON form. */

import { z } from 'zod';
import type { SampleCompany } from '../kit/company.js';
import { createRng, hashString } from '../kit/rng.js';

export const TI_ROLES = ['learner', 'admin', 'manager'] as const;
export type TiRole = (typeof TI_ROLES)[number];

export type CustomFieldValue = string | number | boolean | null;

export const ENROLLMENT_STATUSES = ['not_started', 'in_progress', 'completed'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

/** A user as stored. `passwordSet` is internal: the password itself is write-only and never kept. */
export interface TiUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: TiRole | null;
  groups: string[];
  customFields: Record<string, CustomFieldValue>;
  createdAt: string;
  updatedAt: string;
  active: boolean;
  ssoId: string | null;
  avatarUrl: string | null;
  language: string | null;
  lastActiveAt: string | null;
  passwordSet: boolean;
}

/** The user as the API answers it: everything but internal fields. */
export type TiUserBody = Omit<TiUser, 'passwordSet'>;

export interface TiGroup {
  id: string;
  name: string;
}

export interface TiCourse {
  id: string;
  title: string;
  published: boolean;
}

export interface TiEnrollment {
  courseId: string;
  status: EnrollmentStatus;
  completedAt: string | null;
  enrolledAt: string;
}

/** Switches for the readings the guide leaves open; the defaults are the harder ones (see README). */
export interface TiConfig {
  /** `replace`: PUT resets every omitted field. `merge`: PUT keeps omitted fields. */
  putSemantics: 'replace' | 'merge';
  /** Status for a duplicate email on POST/PUT. */
  duplicateEmailStatus: 400 | 409;
}

export interface TiState {
  seed: number;
  config: TiConfig;
  /** Custom field keys configured in the admin portal; writes to other keys are silently dropped. */
  customFieldKeys: string[];
  /** Users in creation order: the order GET /users pages through. */
  users: TiUser[];
  usersById: Map<string, TiUser>;
  /** Lowercased email → user id. */
  userIdByEmail: Map<string, string>;
  groups: Map<string, TiGroup>;
  courses: Map<string, TiCourse>;
  /** Courses in creation order, for paging. */
  courseOrder: TiCourse[];
  /** user id → course id → enrollment. */
  enrollments: Map<string, Map<string, TiEnrollment>>;
  /** Planted account key → user id, so tests can find the accounts the company planted. */
  keys: Map<string, string>;
  /** Counters behind deterministic ids. */
  seq: { user: number; group: number; course: number };
}

export const DEFAULT_CONFIG: TiConfig = { putSemantics: 'replace', duplicateEmailStatus: 400 };
export const DEFAULT_CUSTOM_FIELD_KEYS = ['department', 'title'];

type IdKind = keyof TiState['seq'];

/**
 * A UUID-shaped id, deterministic from the seed: the front is a hash of seed, kind and counter (so ids look
 * random), the last 12 hex digits are the counter itself (so two ids never collide).
 */
export function newId(state: TiState, kind: IdKind): string {
  for (;;) {
    const n = ++state.seq[kind];
    const a = hashString(`${state.seed}:${kind}:${n}:a`).toString(16).padStart(8, '0');
    const b = hashString(`${state.seed}:${kind}:${n}:b`).toString(16).padStart(8, '0');
    const id = `${a}-${b.slice(0, 4)}-4${b.slice(4, 7)}-8${a.slice(0, 3)}-${n.toString(16).padStart(12, '0')}`;
    const taken =
      kind === 'user'
        ? state.usersById.has(id)
        : kind === 'group'
          ? state.groups.has(id)
          : state.courses.has(id);
    if (!taken) return id;
  }
}

export function emptyState(seed: number): TiState {
  return {
    seed,
    config: { ...DEFAULT_CONFIG },
    customFieldKeys: [...DEFAULT_CUSTOM_FIELD_KEYS],
    users: [],
    usersById: new Map(),
    userIdByEmail: new Map(),
    groups: new Map(),
    courses: new Map(),
    courseOrder: [],
    enrollments: new Map(),
    keys: new Map(),
    seq: { user: 0, group: 0, course: 0 },
  };
}

export function addUser(state: TiState, user: TiUser): void {
  state.users.push(user);
  state.usersById.set(user.id, user);
  state.userIdByEmail.set(user.email.toLowerCase(), user.id);
}

/** Permanent delete: the user, its email index entry and its enrollments are gone. */
export function removeUser(state: TiState, user: TiUser): void {
  state.usersById.delete(user.id);
  state.userIdByEmail.delete(user.email.toLowerCase());
  state.enrollments.delete(user.id);
  const index = state.users.indexOf(user);
  if (index >= 0) state.users.splice(index, 1);
}

export function findUserByEmail(state: TiState, email: string): TiUser | undefined {
  const id = state.userIdByEmail.get(email.toLowerCase());
  return id === undefined ? undefined : state.usersById.get(id);
}

export function addCourse(state: TiState, course: TiCourse): void {
  state.courses.set(course.id, course);
  state.courseOrder.push(course);
}

export function userBody(user: TiUser): TiUserBody {
  const { passwordSet: _passwordSet, ...body } = user;
  return { ...body, groups: [...body.groups], customFields: { ...body.customFields } };
}

export function enrollmentsOf(state: TiState, userId: string): TiEnrollment[] {
  const byCourse = state.enrollments.get(userId);
  return byCourse ? [...byCourse.values()] : [];
}

/** This app's part of the sample company mapped into Thought Industries' own shapes. */
export function createState(input: { company: SampleCompany | null; seed: number; now: Date }): TiState {
  const state = emptyState(input.seed);
  const planted = input.company?.apps['thought-industries'];
  if (!planted) return state;

  const groupIdByName = new Map<string, string>();
  const groupId = (name: string): string => {
    let id = groupIdByName.get(name);
    if (id === undefined) {
      id = newId(state, 'group');
      groupIdByName.set(name, id);
      state.groups.set(id, { id, name });
    }
    return id;
  };
  for (const name of planted.groups) groupId(name);

  const courseIdByName = new Map<string, string>();
  const courseId = (name: string, published: boolean): string => {
    let id = courseIdByName.get(name);
    if (id === undefined) {
      id = newId(state, 'course');
      courseIdByName.set(name, id);
      addCourse(state, { id, title: name, published });
    }
    return id;
  };
  for (const course of planted.courses) courseId(course.name, course.published);

  const rng = createRng(input.seed).fork('thought-industries:enrollments');
  const nowMs = input.now.getTime();
  for (const account of planted.accounts) {
    // Deletion in Thought Industries is permanent: a planted deleted account is simply not there.
    if (account.state === 'deleted') continue;
    if (state.userIdByEmail.has(account.email.toLowerCase())) continue;
    const id = newId(state, 'user');
    const role: TiRole = account.admin
      ? 'admin'
      : TI_ROLES.includes(account.role as TiRole)
        ? (account.role as TiRole)
        : 'learner';
    const customFields: Record<string, CustomFieldValue> = {};
    if (account.department !== null) customFields['department'] = account.department;
    if (account.title !== null) customFields['title'] = account.title;
    addUser(state, {
      id,
      email: account.email,
      firstName: account.firstName,
      lastName: account.lastName,
      role,
      groups: [...new Set(account.groups.map(groupId))],
      customFields,
      createdAt: account.createdAt,
      updatedAt: account.createdAt,
      // No invite state in Thought Industries: an invited account is an active user who never signed in.
      active: account.state !== 'inactive',
      ssoId: account.externalId,
      avatarUrl: null,
      language: 'en',
      lastActiveAt: account.state === 'invited' ? null : account.lastLoginAt,
      passwordSet: account.state !== 'invited',
    });
    state.keys.set(account.key, id);

    if (account.courses.length > 0) {
      const byCourse = new Map<string, TiEnrollment>();
      const created = Date.parse(account.createdAt);
      for (const name of account.courses) {
        const cid = courseId(name, true);
        const roll = rng.next();
        const status: EnrollmentStatus =
          roll < 0.5 ? 'completed' : roll < 0.8 ? 'in_progress' : 'not_started';
        const span = Math.max(0, nowMs - created);
        byCourse.set(cid, {
          courseId: cid,
          status,
          completedAt:
            status === 'completed' ? new Date(created + Math.floor(rng.next() * span)).toISOString() : null,
          enrolledAt: account.createdAt,
        });
      }
      state.enrollments.set(id, byCourse);
    }
  }
  return state;
}

const customFieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const snapshotSchema = z.object({
  seed: z.number().int(),
  config: z
    .object({
      putSemantics: z.enum(['replace', 'merge']),
      duplicateEmailStatus: z.union([z.literal(400), z.literal(409)]),
    })
    .default(DEFAULT_CONFIG),
  customFieldKeys: z.array(z.string()).default(DEFAULT_CUSTOM_FIELD_KEYS),
  users: z.array(
    z.object({
      id: z.string(),
      email: z.string(),
      firstName: z.string().nullable().default(null),
      lastName: z.string().nullable().default(null),
      role: z.enum(TI_ROLES).nullable().default('learner'),
      groups: z.array(z.string()).default([]),
      customFields: z.record(z.string(), customFieldValue).default({}),
      createdAt: z.string(),
      updatedAt: z.string(),
      active: z.boolean().default(true),
      ssoId: z.string().nullable().default(null),
      avatarUrl: z.string().nullable().default(null),
      language: z.string().nullable().default(null),
      lastActiveAt: z.string().nullable().default(null),
      passwordSet: z.boolean().default(false),
    }),
  ),
  groups: z.array(z.object({ id: z.string(), name: z.string() })).default([]),
  courses: z.array(z.object({ id: z.string(), title: z.string(), published: z.boolean() })).default([]),
  enrollments: z
    .array(
      z.object({
        userId: z.string(),
        courseId: z.string(),
        status: z.enum(ENROLLMENT_STATUSES),
        completedAt: z.string().nullable(),
        enrolledAt: z.string(),
      }),
    )
    .default([]),
  keys: z.record(z.string(), z.string()).default({}),
  seq: z
    .object({ user: z.number().int(), group: z.number().int(), course: z.number().int() })
    .default({ user: 0, group: 0, course: 0 }),
});
export type TiSnapshot = z.infer<typeof snapshotSchema>;

export function snapshot(state: TiState): TiSnapshot {
  const enrollments: TiSnapshot['enrollments'] = [];
  for (const [userId, byCourse] of state.enrollments) {
    for (const e of byCourse.values()) enrollments.push({ userId, ...e });
  }
  return {
    seed: state.seed,
    config: { ...state.config },
    customFieldKeys: [...state.customFieldKeys],
    users: state.users.map((u) => ({ ...u, groups: [...u.groups], customFields: { ...u.customFields } })),
    groups: [...state.groups.values()].map((g) => ({ ...g })),
    courses: state.courseOrder.map((c) => ({ ...c })),
    enrollments,
    keys: Object.fromEntries(state.keys),
    seq: { ...state.seq },
  };
}

export function restore(json: unknown): TiState {
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw Object.assign(
      new Error(`Invalid Thought Industries state: ${first?.path.join('.')}: ${first?.message}`),
      { statusCode: 400 },
    );
  }
  const data = parsed.data;
  const state = emptyState(data.seed);
  state.config = data.config;
  state.customFieldKeys = data.customFieldKeys;
  state.seq = data.seq;
  for (const user of data.users) addUser(state, { ...user });
  for (const group of data.groups) state.groups.set(group.id, group);
  for (const course of data.courses) addCourse(state, course);
  for (const { userId, ...e } of data.enrollments) {
    let byCourse = state.enrollments.get(userId);
    if (!byCourse) {
      byCourse = new Map();
      state.enrollments.set(userId, byCourse);
    }
    byCourse.set(e.courseId, e);
  }
  state.keys = new Map(Object.entries(data.keys));
  return state;
}

export function summary(state: TiState): Record<string, number> {
  let enrollments = 0;
  for (const byCourse of state.enrollments.values()) enrollments += byCourse.size;
  return {
    users: state.users.length,
    activeUsers: state.users.reduce((n, u) => n + (u.active ? 1 : 0), 0),
    groups: state.groups.size,
    courses: state.courses.size,
    enrollments,
  };
}

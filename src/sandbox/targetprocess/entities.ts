/** @module How each Targetprocess resource is projected (default fields, include/exclude) and filtered (where paths). */

import { type Condition, type IncludeSpec, type Literal, QueryError } from './query.js';
import {
  membershipsOf,
  type TargetprocessState,
  type TpRole,
  type TpTeam,
  type TpTeamMember,
  type TpUser,
} from './state.js';

type FieldType = 'number' | 'string' | 'bool' | 'date';
type FieldValue = number | string | boolean | null;

interface FilterField<T> {
  type: FieldType;
  get(entity: T): FieldValue;
}

interface FieldDef<T> {
  /** For nested references and collections: the inner fields allowed, and those given by default. */
  inner?: { allowed: string[]; defaults: string[] };
  /** Dates are returned as Date objects; the renderer formats them per response format and settings. */
  render(entity: T, inner: string[]): unknown;
}

export interface EntityDef<T> {
  /** `User`, `Role`... (XML element names). */
  single: string;
  plural: string;
  defaults: string[];
  fields: Record<string, FieldDef<T>>;
  filters: Record<string, FilterField<T>>;
}

/** The fields a response carries, decided once per request. */
export type FieldPlan = { name: string; inner: string[] }[];

const date = (iso: string | null) => (iso === null ? null : new Date(iso));

function pick<T extends object>(source: T, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = source[name as keyof T];
  return out;
}

export function userEntity(state: TargetprocessState): EntityDef<TpUser> {
  const role = (u: TpUser): TpRole | null =>
    u.RoleId === null ? null : (state.rolesById.get(u.RoleId) ?? null);
  const teams = (u: TpUser): TpTeam[] =>
    membershipsOf(state, u.Id)
      .map((m) => state.teamsById.get(m.TeamId))
      .filter((t): t is TpTeam => t !== undefined);
  return {
    single: 'User',
    plural: 'Users',
    defaults: [
      'FirstName',
      'LastName',
      'Email',
      'Login',
      'IsActive',
      'IsAdministrator',
      'CreateDate',
      'ModifyDate',
      'DeleteDate',
      'Kind',
    ],
    fields: {
      FirstName: { render: (u) => u.FirstName },
      LastName: { render: (u) => u.LastName },
      Email: { render: (u) => u.Email },
      Login: { render: (u) => u.Login },
      IsActive: { render: (u) => u.IsActive },
      IsAdministrator: { render: (u) => u.IsAdministrator },
      CreateDate: { render: (u) => date(u.CreateDate) },
      ModifyDate: { render: (u) => date(u.ModifyDate) },
      DeleteDate: { render: (u) => date(u.DeleteDate) },
      LastLoginDate: { render: (u) => date(u.LastLoginDate) },
      Kind: { render: () => 'GeneralUser' },
      Role: {
        inner: { allowed: ['Id', 'Name'], defaults: ['Id', 'Name'] },
        render: (u, inner) => {
          const r = role(u);
          return r === null ? null : pick(r, inner);
        },
      },
      Teams: {
        inner: { allowed: ['Id', 'Name'], defaults: ['Id', 'Name'] },
        render: (u, inner) => ({ Items: teams(u).map((t) => pick(t, inner)) }),
      },
    },
    filters: {
      id: { type: 'number', get: (u) => u.Id },
      firstname: { type: 'string', get: (u) => u.FirstName },
      lastname: { type: 'string', get: (u) => u.LastName },
      email: { type: 'string', get: (u) => u.Email },
      login: { type: 'string', get: (u) => u.Login },
      isactive: { type: 'bool', get: (u) => u.IsActive },
      isadministrator: { type: 'bool', get: (u) => u.IsAdministrator },
      createdate: { type: 'date', get: (u) => u.CreateDate },
      modifydate: { type: 'date', get: (u) => u.ModifyDate },
      deletedate: { type: 'date', get: (u) => u.DeleteDate },
      lastlogindate: { type: 'date', get: (u) => u.LastLoginDate },
      kind: { type: 'string', get: () => 'GeneralUser' },
      role: { type: 'number', get: (u) => u.RoleId },
      'role.id': { type: 'number', get: (u) => u.RoleId },
      'role.name': { type: 'string', get: (u) => role(u)?.Name ?? null },
    },
  };
}

export function teamMemberEntity(state: TargetprocessState): EntityDef<TpTeamMember> {
  const user = (m: TpTeamMember) => state.usersById.get(m.UserId) ?? null;
  const team = (m: TpTeamMember) => state.teamsById.get(m.TeamId) ?? null;
  return {
    single: 'TeamMember',
    plural: 'TeamMembers',
    defaults: ['User', 'Team'],
    fields: {
      User: {
        inner: {
          allowed: ['Id', 'FirstName', 'LastName', 'Email', 'Login'],
          defaults: ['Id', 'FirstName', 'LastName'],
        },
        render: (m, inner) => {
          const u = user(m);
          return u === null ? null : pick(u, inner);
        },
      },
      Team: {
        inner: { allowed: ['Id', 'Name'], defaults: ['Id', 'Name'] },
        render: (m, inner) => {
          const t = team(m);
          return t === null ? null : pick(t, inner);
        },
      },
    },
    filters: {
      id: { type: 'number', get: (m) => m.Id },
      user: { type: 'number', get: (m) => m.UserId },
      'user.id': { type: 'number', get: (m) => m.UserId },
      'user.email': { type: 'string', get: (m) => user(m)?.Email ?? null },
      'user.login': { type: 'string', get: (m) => user(m)?.Login ?? null },
      team: { type: 'number', get: (m) => m.TeamId },
      'team.id': { type: 'number', get: (m) => m.TeamId },
      'team.name': { type: 'string', get: (m) => team(m)?.Name ?? null },
    },
  };
}

/** Roles and Teams: just Id and Name. */
export function namedEntity(single: 'Role' | 'Team'): EntityDef<TpRole | TpTeam> {
  return {
    single,
    plural: `${single}s`,
    defaults: ['Name'],
    fields: { Name: { render: (e) => e.Name } },
    filters: {
      id: { type: 'number', get: (e) => e.Id },
      name: { type: 'string', get: (e) => e.Name },
    },
  };
}

function canonical(names: Iterable<string>, wanted: string): string | undefined {
  const lower = wanted.toLowerCase();
  for (const name of names) if (name.toLowerCase() === lower) return name;
  return undefined;
}

/**
 * Which fields to answer with. Without `include` the default set; with it, ONLY the listed fields plus Id
 * (as the real API does); `exclude` removes fields from the default set. Unknown fields are a 400.
 */
export function planFields<T>(
  def: EntityDef<T>,
  include: IncludeSpec[] | null,
  exclude: IncludeSpec[] | null,
): FieldPlan {
  const innerOf = (name: string, spec: IncludeSpec | null): string[] => {
    const field = def.fields[name];
    if (!field?.inner) {
      if (spec?.inner) throw new QueryError(`'${name}' has no inner fields`);
      return [];
    }
    if (!spec?.inner || spec.inner.length === 0) return field.inner.defaults;
    const names = ['Id'];
    for (const s of spec.inner) {
      const inner = canonical(field.inner.allowed, s.name);
      if (!inner) throw new QueryError(`Unknown field '${name}.${s.name}'`);
      if (!names.includes(inner)) names.push(inner);
    }
    return names;
  };
  if (include) {
    const plan: FieldPlan = [];
    for (const spec of include) {
      if (spec.name.toLowerCase() === 'id') continue;
      const name = canonical(Object.keys(def.fields), spec.name);
      if (!name) throw new QueryError(`Unknown field '${spec.name}'`);
      if (!plan.some((p) => p.name === name)) plan.push({ name, inner: innerOf(name, spec) });
    }
    return plan;
  }
  const excluded = new Set<string>();
  for (const spec of exclude ?? []) {
    const name = canonical(Object.keys(def.fields), spec.name);
    if (!name) throw new QueryError(`Unknown field '${spec.name}'`);
    excluded.add(name);
  }
  return def.defaults
    .filter((name) => !excluded.has(name))
    .map((name) => ({ name, inner: innerOf(name, null) }));
}

export function project<T extends { Id: number }>(
  def: EntityDef<T>,
  entity: T,
  plan: FieldPlan,
): Record<string, unknown> {
  const out: Record<string, unknown> = { Id: entity.Id };
  for (const { name, inner } of plan) out[name] = def.fields[name]!.render(entity, inner);
  return out;
}

function parseDate(text: string): number {
  // A date without an offset is read as UTC (the sandbox's server time).
  const iso = /^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new QueryError('Invalid where clause');
  return ms;
}

function coerce(type: FieldType, lit: Literal): number | string | boolean {
  const bad = (): never => {
    throw new QueryError('Invalid where clause');
  };
  switch (type) {
    case 'number':
      if (lit.type === 'number') return lit.value;
      if (lit.type === 'string' && /^-?\d+(\.\d+)?$/.test(lit.value)) return Number(lit.value);
      return bad();
    case 'string':
      if (lit.type === 'bool') return bad();
      return String(lit.value).toLowerCase();
    case 'bool':
      if (lit.type === 'bool') return lit.value;
      if (lit.type === 'string' && /^(true|false)$/i.test(lit.value))
        return lit.value.toLowerCase() === 'true';
      return bad();
    case 'date':
      if (lit.type !== 'string') return bad();
      return parseDate(lit.value);
  }
}

function normalise(type: FieldType, value: FieldValue): number | string | boolean | null {
  if (value === null) return null;
  if (type === 'string') return String(value).toLowerCase();
  if (type === 'date') return Date.parse(String(value));
  return value;
}

export interface CompiledWhere<T> {
  test(entity: T): boolean;
  /** Paths (lowercase) the clause mentions. */
  paths: Set<string>;
  /** `path eq value` pairs, already coerced, for index lookups. */
  equalities: Map<string, number | string | boolean>;
}

/** Turns parsed conditions into a predicate. String comparisons ignore case, like the real (SQL Server) backend. */
export function compileWhere<T>(def: EntityDef<T>, conditions: Condition[]): CompiledWhere<T> {
  const tests: ((e: T) => boolean)[] = [];
  const paths = new Set<string>();
  const equalities = new Map<string, number | string | boolean>();
  for (const cond of conditions) {
    const path = cond.path.toLowerCase();
    const field = def.filters[path];
    if (!field) throw new QueryError('Invalid where clause');
    paths.add(path);
    const get = (e: T) => normalise(field.type, field.get(e));
    switch (cond.kind) {
      case 'null':
        tests.push((e) => (field.get(e) === null) !== cond.negated);
        break;
      case 'in': {
        const values = new Set(cond.values.map((v) => coerce(field.type, v)));
        tests.push((e) => {
          const v = get(e);
          return v !== null && values.has(v);
        });
        break;
      }
      case 'contains': {
        if (field.type !== 'string') throw new QueryError('Invalid where clause');
        const needle = coerce('string', cond.value) as string;
        // SQL semantics: a null field matches neither `contains` nor `not contains`.
        tests.push((e) => {
          const v = get(e);
          return v !== null && (v as string).includes(needle) !== cond.negated;
        });
        break;
      }
      case 'compare': {
        const value = coerce(field.type, cond.value);
        if (field.type === 'bool' && cond.op !== 'eq' && cond.op !== 'ne') {
          throw new QueryError('Invalid where clause');
        }
        if (cond.op === 'eq') equalities.set(path, value);
        // SQL semantics: a null field matches no comparison, `ne` included.
        tests.push((e) => {
          const v = get(e);
          if (v === null) return false;
          switch (cond.op) {
            case 'eq':
              return v === value;
            case 'ne':
              return v !== value;
            case 'gt':
              return v > value;
            case 'lt':
              return v < value;
            case 'gte':
              return v >= value;
            case 'lte':
              return v <= value;
          }
        });
        break;
      }
    }
  }
  return { test: (e) => tests.every((t) => t(e)), paths, equalities };
}

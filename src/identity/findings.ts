/** @module Findings: what the identity graph says needs a person's attention, each rule a pure function of state. */

import { traitsOf } from '../connectors/registry.js';
import type { ActivityReporting } from '../connectors/sdk/types.js';
import { compareText } from '../core/compare.js';
import { parseInstant } from '../core/instant.js';
import type { Account, AppType, Entitlement, Grant, Link, Person } from '../core/types.js';
import { accountDepartment } from './correlate.js';
import { textKey } from './normalize.js';

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_RULES = [
  'leaver_with_access',
  'orphan',
  'disputed',
  'duplicate_accounts',
  'privileged',
  'dormant',
  'invite_pending',
  'attribute_drift',
] as const;
export type FindingRule = (typeof FINDING_RULES)[number];

export type EvidenceValue = string | number | boolean | null | string[];

export interface Finding {
  /** Stable across runs: `${rule}:${appId}:${accountId}`. */
  id: string;
  rule: FindingRule;
  severity: Severity;
  appId: string;
  accountId: string;
  employeeId: string | null;
  /** One line a person can read. */
  title: string;
  /** The facts behind it: statuses, dates, emails, candidate ids, role names. */
  evidence: Record<string, EvidenceValue>;
}

/** What findings need to know about each app. */
export interface FindingsApp {
  id: string;
  type: AppType;
  /** Role/group names that make their holders privileged (config `privilegedRoles`). */
  privilegedRoles?: readonly string[];
  /** How the app reports use; by default what its connector declares (the `activity` trait). */
  activity?: ActivityReporting;
}

export interface FindingsOptions {
  apps: readonly FindingsApp[];
  /** An active account with no login for longer than this is dormant (default 90). */
  dormantDays?: number;
  /** An account created fewer days ago than this is never dormant: it has not had the time (default 30). */
  dormantGraceDays?: number;
  /** An invitation unaccepted for longer than this is pending too long (default 14). */
  inviteDays?: number;
}

export interface FindingsInput {
  /** The people, as a list or already by employee id (a caller running app by app indexes them once). */
  people: readonly Person[] | ReadonlyMap<string, Person>;
  accounts: readonly Account[];
  entitlements: readonly Entitlement[];
  grants: readonly Grant[];
  links: readonly Link[];
  /**
   * The person each of `links` is linked to, at the link's position, where the caller has them at hand (a full
   * pass's correlation): those are not looked up by id. They must be the ones `people` has under those ids.
   */
  owners?: readonly (Person | undefined)[];
  options: FindingsOptions;
  /** "Today", as an ISO date-time; findings never read the clock. */
  now: string;
}

/** Which apps can show dormancy at all: where the API reports no use, an unused account cannot be told apart. */
export interface DormancyCoverage {
  /** App ids whose connector reports logins (a date or a never-logged-in flag). */
  apps: string[];
  /** App ids where dormancy is unknown: the guide documents no login or activity field. */
  unknown: string[];
}

const activityOf = (app: FindingsApp): ActivityReporting => app.activity ?? traitsOf(app.type).activity;

export function dormancyCoverage(apps: readonly FindingsApp[]): DormancyCoverage {
  return {
    apps: apps.filter((a) => activityOf(a) !== 'none').map((a) => a.id),
    unknown: apps.filter((a) => activityOf(a) === 'none').map((a) => a.id),
  };
}

/** Account attributes each app may carry a title under (department: see accountDepartment). */
const TITLE_ATTRIBUTES = ['title', 'jobTitle', 'customFields.title', 'customFields.jobTitle'] as const;

const DAY = 86_400_000;
const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** Negative when a is more severe than b: sorts high first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[a] - RANK[b];
}

/** The findings at least as severe as `min` (`medium` keeps high and medium). */
export function filterBySeverity<T extends { severity: Severity }>(
  findings: readonly T[],
  min: Severity,
): T[] {
  return findings.filter((finding) => RANK[finding.severity] <= RANK[min]);
}

const key = (appId: string, accountId: string) => `${appId}\u0000${accountId}`;
const NO_NAMES: ReadonlySet<string> = new Set();
/** Shared by every account holding no privileged role: never written to (a role found makes a new list). */
const NOTHING_HELD: string[] = [];

const personLabel = (person: Person) => `${person.firstName} ${person.lastName} (${person.employeeId})`;

/** A map per app, so a lookup by (app, id) builds no key string: findings run it several times per account. */
class ByApp<V> {
  private readonly apps = new Map<string, Map<string, V>>();
  get(appId: string, id: string): V | undefined {
    return this.apps.get(appId)?.get(id);
  }
  set(appId: string, id: string, value: V): void {
    let map = this.apps.get(appId);
    if (map === undefined) {
      map = new Map();
      this.apps.set(appId, map);
    }
    map.set(id, value);
  }
}

/**
 * The links by account. Callers mostly pass one link per account in the accounts' own order (correlation makes
 * them so): the link at the account's position is taken when it is that account's, and a map is built only the
 * first time one is not (building and probing a map of every link was the largest cost of a full run).
 */
class LinkLookup {
  private map: ByApp<Link> | undefined;
  constructor(private readonly list: readonly Link[]) {}
  get(appId: string, id: string, at = -1): Link | undefined {
    const here = at >= 0 ? this.list[at] : undefined;
    if (here !== undefined && here.accountId === id && here.appId === appId) return here;
    if (this.map === undefined) {
      this.map = new ByApp<Link>();
      for (const l of this.list) this.map.set(l.appId, l.accountId, l);
    }
    return this.map.get(appId, id);
  }
}

/** The people by employee id. */
export function peopleById(
  people: readonly Person[] | ReadonlyMap<string, Person>,
): ReadonlyMap<string, Person> {
  if (!Array.isArray(people)) return people as ReadonlyMap<string, Person>;
  const byId = new Map<string, Person>();
  for (const p of people as readonly Person[]) byId.set(p.employeeId, p);
  return byId;
}

/** Every finding, most severe first, then by app, rule and account. */
export function findings(input: FindingsInput): Finding[] {
  const { options } = input;
  const now = Date.parse(input.now);
  const dormantDays = options.dormantDays ?? 90;
  const graceDays = options.dormantGraceDays ?? 30;
  const inviteDays = options.inviteDays ?? 14;
  const people = peopleById(input.people);
  const apps = new Map(options.apps.map((a) => [a.id, a]));
  const links = new LinkLookup(input.links);
  const owners = input.owners;
  const entitlements = new Map(input.entitlements.map((e) => [key(e.appId, e.id), e]));
  const held = new Map<string, Entitlement[]>();
  for (const grant of input.grants) {
    const entitlement = entitlements.get(key(grant.appId, grant.entitlementId));
    if (entitlement === undefined) continue;
    const k = key(grant.appId, grant.accountId);
    const list = held.get(k);
    if (list === undefined) held.set(k, [entitlement]);
    else list.push(entitlement);
  }

  const privilegedByApp = new Map(
    options.apps.map((a) => [a.id, new Set((a.privilegedRoles ?? []).map((n) => n.trim().toLowerCase()))]),
  );
  // Looked up once per app, not once per account.
  const reportingByApp = new Map(options.apps.map((a) => [a.id, activityOf(a)]));

  const out: Finding[] = [];
  const add = (
    rule: FindingRule,
    severity: Severity,
    account: Account,
    employeeId: string | null,
    title: string,
    evidence: Record<string, EvidenceValue>,
  ) => {
    out.push({
      id: `${rule}:${account.appId}:${account.id}`,
      rule,
      severity,
      appId: account.appId,
      accountId: account.id,
      employeeId,
      title,
      evidence: { accountStatus: account.status, email: account.email, ...evidence },
    });
  };
  const label = (account: Account) =>
    `${account.appId} account ${account.email ?? account.login ?? account.id}`;

  // Accounts per (app, person), for duplicate_accounts: the first one alone, a list only once there is a second
  // (most people hold one account per app).
  // Keyed by the person object (one per employee id): an identity hash, no string to hash per account.
  const owned = new Map<string, Map<Person, Account | Account[]>>();
  let ownedApp = '';
  let ownedHere = new Map<Person, Account | Account[]>();

  for (let at = 0; at < input.accounts.length; at++) {
    const account = input.accounts[at] as Account;
    const link = links.get(account.appId, account.id, at);
    const known = owners !== undefined && input.links[at] === link ? owners[at] : undefined;
    const person = known ?? (link?.employeeId ? people.get(link.employeeId) : undefined);
    const linked = link?.situation === 'linked' && person !== undefined;
    const app = apps.get(account.appId);
    const deleted = account.status === 'deleted';
    const hasAccess = account.status === 'active' || account.status === 'invited';
    const who = () => (person ? personLabel(person) : '');

    if (linked && person.status === 'leaver' && hasAccess) {
      add(
        'leaver_with_access',
        'high',
        account,
        person.employeeId,
        `${who()} has left but still has ${label(account)}`,
        {
          personStatus: person.status,
          endDate: person.endDate,
          personEmail: person.email,
          lastLoginAt: account.lastLoginAt,
        },
      );
    }

    // A manual "belongs to nobody" decision (service account) is settled, not an orphan.
    const orphan =
      link !== undefined &&
      (link.situation === 'unmatched' || link.situation === 'suggested') &&
      link.method !== 'manual';
    if (orphan && !deleted) {
      add(
        'orphan',
        account.status === 'inactive' ? 'low' : 'medium',
        account,
        null,
        `${label(account)} belongs to nobody in the source of truth`,
        { situation: link.situation, candidates: link.candidates, login: account.login },
      );
    }

    if (link?.situation === 'disputed' && !deleted) {
      add(
        'disputed',
        'medium',
        account,
        null,
        `${label(account)} could belong to ${link.candidates.join(', ')}`,
        {
          candidates: link.candidates,
          login: account.login,
          externalId: account.externalId,
        },
      );
    }

    if (linked && !deleted) {
      if (account.appId !== ownedApp || owned.size === 0) {
        ownedApp = account.appId;
        const known = owned.get(ownedApp);
        ownedHere = known ?? new Map();
        if (known === undefined) owned.set(ownedApp, ownedHere);
      }
      const first = ownedHere.get(person);
      if (first === undefined) ownedHere.set(person, account);
      else if (Array.isArray(first)) first.push(account);
      else ownedHere.set(person, [first, account]);
    }

    const privilegedNames = privilegedByApp.get(account.appId) ?? NO_NAMES;
    const holds = held.size === 0 ? undefined : held.get(key(account.appId, account.id));
    // No list is built for the many accounts that hold nothing privileged.
    let privilegedHeld: string[] = NOTHING_HELD;
    if (holds !== undefined) {
      privilegedHeld = holds
        .filter((e) => e.privileged || privilegedNames.has(e.name.trim().toLowerCase()))
        .map((e) => e.name);
    }
    const role = account.attributes['role'];
    if (
      typeof role === 'string' &&
      privilegedNames.has(role.trim().toLowerCase()) &&
      !privilegedHeld.includes(role)
    )
      privilegedHeld = [...privilegedHeld, role];
    if ((account.isAdmin || privilegedHeld.length > 0) && !deleted) {
      const risky = (linked && person.status === 'leaver') || link?.situation !== 'linked';
      add(
        'privileged',
        risky ? 'medium' : 'info',
        account,
        linked ? person.employeeId : null,
        `${label(account)} is privileged${risky ? (linked ? ` and ${who()} has left` : ' and has no owner') : ''}`,
        {
          isAdmin: account.isAdmin,
          roles: privilegedHeld === NOTHING_HELD ? [] : privilegedHeld.sort(),
          situation: link?.situation ?? null,
        },
      );
    }

    // Where the app reports no use, a null date is "unknown", never "never used" (see dormancyCoverage).
    const reporting = app ? (reportingByApp.get(account.appId) ?? 'none') : 'none';
    const created = account.createdAt === null ? Number.NaN : parseInstant(account.createdAt);
    const inGrace = now - created < graceDays * DAY;
    if (account.status === 'active' && reporting !== 'none' && !inGrace) {
      const lastLogin = account.lastLoginAt === null ? Number.NaN : parseInstant(account.lastLoginAt);
      const never =
        reporting === 'flag' ? account.attributes['neverLogged'] === true : account.lastLoginAt === null;
      const stale = reporting === 'date' && now - lastLogin > dormantDays * DAY;
      if (never || stale) {
        add(
          'dormant',
          'low',
          account,
          linked ? person.employeeId : null,
          never
            ? `${label(account)} has never been used`
            : `${label(account)} unused for over ${dormantDays} days`,
          { lastLoginAt: account.lastLoginAt, createdAt: account.createdAt, dormantDays, graceDays },
        );
      }
    }

    if (account.status === 'invited' && account.createdAt !== null) {
      const age = Math.floor((now - parseInstant(account.createdAt)) / DAY);
      if (age > inviteDays) {
        add(
          'invite_pending',
          'low',
          account,
          linked ? person.employeeId : null,
          `${label(account)}: invitation unaccepted for ${age} days`,
          {
            createdAt: account.createdAt,
            ageDays: age,
            inviteDays,
          },
        );
      }
    }

    if (linked && !deleted) {
      const drift = attributeDrift(account, person);
      if (drift.length > 0) {
        add(
          'attribute_drift',
          'low',
          account,
          person.employeeId,
          `${label(account)} differs from HR in ${drift.map((d) => d.field).join(', ')}`,
          {
            fields: drift.map((d) => d.field),
            ...Object.fromEntries(
              drift.flatMap((d) => [
                [`${d.field}.app`, d.app],
                [`${d.field}.hr`, d.hr],
              ]),
            ),
          },
        );
      }
    }
  }

  for (const byPerson of owned.values()) {
    for (const accounts of byPerson.values()) {
      if (!Array.isArray(accounts)) continue;
      const ranked = [...accounts].sort((a, b) => primaryOrder(a, b, links));
      const [primary, ...extras] = ranked as [Account, ...Account[]];
      const employeeId = links.get(primary.appId, primary.id)?.employeeId ?? null;
      for (const extra of extras) {
        add(
          'duplicate_accounts',
          'medium',
          extra,
          employeeId,
          `${employeeId} has more than one ${extra.appId} account: ${label(extra)} is extra`,
          {
            primaryAccountId: primary.id,
            accountIds: ranked.map((a) => a.id),
            emails: ranked.map((a) => a.email ?? a.login ?? a.id),
          },
        );
      }
    }
  }

  return sortFindings(out);
}

/** Most severe first, then by app, rule and account: one order wherever findings come from. */
export function sortFindings(found: Finding[]): Finding[] {
  return found.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      compareText(a.appId, b.appId) ||
      compareText(a.rule, b.rule) ||
      compareText(a.accountId, b.accountId),
  );
}

/**
 * Which of a person's accounts in one app is the real one: the best-tied, then active, then most recently
 * used, then one without a +tag address, then the oldest id. The others are the extras.
 */
function primaryOrder(a: Account, b: Account, links: LinkLookup): number {
  const conf = (x: Account) => links.get(x.appId, x.id)?.confidence ?? 0;
  const login = (x: Account) => (x.lastLoginAt === null ? 0 : parseInstant(x.lastLoginAt) || 0);
  const tagged = (x: Account) => ((x.email ?? '').split('@')[0]?.includes('+') ? 1 : 0);
  return (
    conf(b) - conf(a) ||
    Number(b.status === 'active') - Number(a.status === 'active') ||
    login(b) - login(a) ||
    tagged(a) - tagged(b) ||
    a.id.localeCompare(b.id, undefined, { numeric: true })
  );
}

interface Drift {
  field: 'firstName' | 'lastName' | 'department' | 'title';
  app: string;
  hr: string | null;
}

const DEPARTMENT_ATTRIBUTES = ['department', 'customFields.department'] as const;
const NO_DRIFT: readonly Drift[] = Object.freeze([]);

/**
 * Fields the app shows that differ from HR (trim and case ignored); fields the app lacks are not drift. Most
 * linked accounts agree with HR: they get the one shared empty list, and no list, closure or array of names is
 * made for them (about a tenth of what a first pass over 1M accounts allocated in findings).
 */
export function attributeDrift(account: Account, person: Person): readonly Drift[] {
  let drift = differs(undefined, 'firstName', account.firstName, person.firstName);
  drift = differs(drift, 'lastName', account.lastName, person.lastName);
  const department = accountDepartment(account);
  drift = differs(
    drift,
    'department',
    department === null ? null : rawAttribute(account, DEPARTMENT_ATTRIBUTES),
    person.department,
  );
  drift = differs(drift, 'title', rawAttribute(account, TITLE_ATTRIBUTES), person.title);
  return drift ?? NO_DRIFT;
}

/** `drift` with the field added when the app's value differs from HR's; the list is made at the first one. */
function differs(
  drift: Drift[] | undefined,
  field: Drift['field'],
  app: string | null,
  hr: string | null,
): Drift[] | undefined {
  // The same text is the same key: most fields agree as written, and need no normalizing.
  if (app === null || app === hr || textKey(app) === textKey(hr)) return drift;
  const found = drift ?? [];
  found.push({ field, app, hr });
  return found;
}

function rawAttribute(account: Account, names: readonly string[]): string | null {
  for (const name of names) {
    const value = account.attributes[name];
    if (value !== null && value !== undefined && String(value).trim() !== '') return String(value);
  }
  return null;
}

/** @module Generates the sample company: an HR export and five apps' states with drift planted on purpose. */

import { SEED_APP_TYPES, type SeedAppType } from '../core/types.js';
import {
  emptyDrift,
  type HrRecord,
  type PlantedAccount,
  type PlantedAppState,
  type PlantedDrift,
  type SampleCompany,
} from './kit/company.js';
import { createRng, type Rng } from './kit/rng.js';

export interface CompanyOptions {
  seed?: number;
  people?: number;
  /** "Today" for the company (default 2026-11-01): every date is relative to it, so output is stable. */
  asOf?: string;
}

const FIRST_NAMES = [
  'Ada',
  'Alan',
  'Alice',
  'Amara',
  'Andre',
  'Anika',
  'Ben',
  'Bianca',
  'Carlos',
  'Chen',
  'Chloe',
  'Dana',
  'David',
  'Diego',
  'Elena',
  'Emeka',
  'Emma',
  'Farah',
  'Felix',
  'Grace',
  'Hana',
  'Hugo',
  'Ines',
  'Ivan',
  'Jade',
  'Jamal',
  'Jane',
  'Jonas',
  'Julia',
  'Kai',
  'Kenji',
  'Lara',
  'Leo',
  'Lina',
  'Luca',
  'Maya',
  'Mei',
  'Mia',
  'Nadia',
  'Noah',
  'Nora',
  'Omar',
  'Priya',
  'Quinn',
  'Rafael',
  'Rosa',
  'Sam',
  'Sara',
  'Sofia',
  'Tariq',
  'Theo',
  'Uma',
  'Victor',
  'Wei',
  'Yara',
  'Yusuf',
  'Zoe',
  'Zainab',
  'Mateo',
  'Aisha',
  'Björn',
  'Chloé',
  'José',
  'Zoë',
];
const LAST_NAMES = [
  'Abbott',
  'Adeyemi',
  'Alvarez',
  'Andersen',
  'Baker',
  'Bianchi',
  'Brown',
  'Chen',
  'Costa',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Gupta',
  'Hansen',
  'Hughes',
  'Ito',
  'Jensen',
  'Johnson',
  'Kim',
  'Kowalski',
  'Larsen',
  'Lee',
  'Lopez',
  'Martin',
  'Meyer',
  'Moreau',
  'Müller',
  'Nakamura',
  'Nguyen',
  'Novak',
  'Okafor',
  "O'Brien",
  'Patel',
  'Petrov',
  'Rossi',
  'Santos',
  'Schmidt',
  'Silva',
  'Smith',
  'Suzuki',
  'Tanaka',
  'Taylor',
  'Walsh',
  'Weber',
  'Wilson',
  'Yamamoto',
  'Zhang',
  'Ødegaard',
  'Núñez',
];

const DEPARTMENTS: { name: string; weight: number; titles: string[] }[] = [
  {
    name: 'Engineering',
    weight: 28,
    titles: ['Software Engineer', 'Senior Software Engineer', 'QA Engineer', 'Engineering Manager', 'SRE'],
  },
  { name: 'Product', weight: 6, titles: ['Product Manager', 'Senior Product Manager'] },
  { name: 'Design', weight: 4, titles: ['Product Designer', 'UX Researcher'] },
  { name: 'Sales', weight: 16, titles: ['Account Executive', 'Sales Manager', 'SDR'] },
  { name: 'Support', weight: 14, titles: ['Support Agent', 'Support Lead'] },
  { name: 'Marketing', weight: 8, titles: ['Marketing Manager', 'Content Writer'] },
  { name: 'Operations', weight: 8, titles: ['Operations Analyst', 'Operations Manager'] },
  { name: 'Finance', weight: 6, titles: ['Accountant', 'Controller'] },
  { name: 'People', weight: 5, titles: ['HR Business Partner', 'Recruiter'] },
  { name: 'IT', weight: 5, titles: ['IT Administrator', 'Security Engineer'] },
];

/** Which departments each app serves: the birthright the sample policy grants. */
export const APP_DEPARTMENTS: Record<SeedAppType, string[]> = {
  targetprocess: ['Engineering', 'Product', 'Design', 'IT'],
  'process-street': ['Operations', 'Finance', 'People', 'Support', 'IT'],
  'thought-industries': ['Sales', 'Support', 'Marketing', 'People', 'IT'],
  'customer-directory': ['Sales', 'Support', 'Marketing', 'IT'],
  'stackspot-scim': ['Engineering', 'Design', 'IT'],
};

interface AppCatalog {
  roles: string[];
  groups: string[];
  courses: { name: string; published: boolean }[];
  role(dept: string, title: string, admin: boolean): string | null;
  groupsFor(dept: string, rng: Rng): string[];
  coursesFor(dept: string, rng: Rng): string[];
}

const CATALOG: Record<SeedAppType, AppCatalog> = {
  targetprocess: {
    roles: ['Administrator', 'Developer', 'QA Engineer', 'Product Owner', 'Designer', 'Observer'],
    groups: ['Alpha Team', 'Beta Team', 'Platform', 'Mobile', 'Design Studio'],
    courses: [],
    role: (dept, title, admin) =>
      admin
        ? 'Administrator'
        : title.includes('QA')
          ? 'QA Engineer'
          : dept === 'Product'
            ? 'Product Owner'
            : dept === 'Design'
              ? 'Designer'
              : dept === 'IT'
                ? 'Observer'
                : 'Developer',
    groupsFor: (dept, rng) =>
      dept === 'Design' ? ['Design Studio'] : [rng.pick(['Alpha Team', 'Beta Team', 'Platform', 'Mobile'])],
    coursesFor: () => [],
  },
  'process-street': {
    roles: ['admin', 'member', 'guest'],
    groups: ['Operations', 'Finance', 'People', 'Support', 'IT'],
    courses: [],
    role: (_dept, _title, admin) => (admin ? 'admin' : 'member'),
    groupsFor: (dept) => [dept],
    coursesFor: () => [],
  },
  'thought-industries': {
    roles: ['learner', 'manager', 'admin'],
    groups: ['Sales Academy', 'Support Academy', 'Marketing Academy', 'People Academy', 'IT Academy'],
    courses: [
      { name: 'Security Awareness', published: true },
      { name: 'Code of Conduct', published: true },
      { name: 'Negotiation Basics', published: true },
      { name: 'Ticket Handling 101', published: true },
      { name: 'New Manager Training (draft)', published: false },
    ],
    role: (_dept, title, admin) => (admin ? 'admin' : title.includes('Manager') ? 'manager' : 'learner'),
    groupsFor: (dept) => [`${dept} Academy`],
    coursesFor: (dept) =>
      ['Security Awareness', 'Code of Conduct'].concat(
        dept === 'Sales' ? ['Negotiation Basics'] : dept === 'Support' ? ['Ticket Handling 101'] : [],
      ),
  },
  'customer-directory': {
    roles: ['Admin', 'Manager', 'Agent', 'Viewer'],
    groups: ['Tier 1', 'Tier 2', 'EMEA', 'AMER'],
    courses: [],
    role: (dept, title, admin) =>
      admin
        ? 'Admin'
        : title.includes('Manager') || title.includes('Lead')
          ? 'Manager'
          : dept === 'Support'
            ? 'Agent'
            : 'Viewer',
    groupsFor: (dept, rng) => [
      dept === 'Support' ? rng.pick(['Tier 1', 'Tier 2']) : rng.pick(['EMEA', 'AMER']),
    ],
    coursesFor: () => [],
  },
  'stackspot-scim': {
    roles: ['admin', 'member'],
    groups: [],
    courses: [],
    role: (_dept, _title, admin) => (admin ? 'admin' : 'member'),
    groupsFor: () => [],
    coursesFor: () => [],
  },
};

/** Apps that hold an id from the IdP on the account. */
const HAS_EXTERNAL_ID: ReadonlySet<SeedAppType> = new Set([
  'thought-industries',
  'customer-directory',
  'stackspot-scim',
]);

/**
 * How a disputed match can be planted in each app so that the API shows it: an IdP id that names another
 * person, or an email (domain alias) that names another person while the login names the owner. The
 * customer-directory API shows neither identities nor a login apart from the email, so it gets none.
 */
const DISPUTE_BY: Record<SeedAppType, 'externalId' | 'login' | null> = {
  targetprocess: 'login',
  'process-street': 'login',
  'thought-industries': 'externalId',
  'customer-directory': null,
  'stackspot-scim': 'externalId',
};

const DAY = 86_400_000;

/** Build the sample company. Same options, same company, byte for byte. */
export function generateCompany(options: CompanyOptions = {}): SampleCompany {
  const seed = options.seed ?? 42;
  const size = Math.max(10, options.people ?? 200);
  const asOf = new Date(options.asOf ?? '2026-11-01T00:00:00.000Z');
  const rng = createRng(seed);
  const domain = 'acme.com';
  const aliasDomain = 'acme.io';

  const hr = generateHr(rng.fork('hr'), size, domain, asOf);
  const planted = emptyDrift();
  const apps = {} as Record<SeedAppType, PlantedAppState>;
  for (const app of SEED_APP_TYPES) {
    apps[app] = generateApp(app, hr, rng.fork(`app:${app}`), { domain, aliasDomain, asOf, planted });
  }
  return {
    seed,
    domain,
    aliasDomain,
    asOf: asOf.toISOString(),
    hr,
    appDepartments: APP_DEPARTMENTS,
    apps,
    planted,
  };
}

function generateHr(rng: Rng, size: number, domain: string, asOf: Date): HrRecord[] {
  const weights = DEPARTMENTS.map((d) => d.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const used = new Set<string>();
  const records: HrRecord[] = [];
  const managers = new Map<string, string>();
  for (let i = 0; i < size; i++) {
    const dept = pickWeighted(DEPARTMENTS, rng.int(0, total - 1));
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const base = `${asciiFold(first)}.${asciiFold(last)}`.toLowerCase();
    let local = base;
    for (let n = 2; used.has(local); n++) local = `${base}${n}`;
    used.add(local);
    const leaver = rng.chance(0.12);
    const start = new Date(asOf.getTime() - rng.int(30, 3000) * DAY);
    // A leaver left after they started, whatever the dice say.
    const end = leaver
      ? new Date(Math.max(start.getTime() + DAY, asOf.getTime() - rng.int(1, 120) * DAY))
      : null;
    const email = `${local}@${domain}`;
    const title = rng.pick(dept.titles);
    const manager = managers.get(dept.name) ?? '';
    if (!managers.has(dept.name) && !leaver) managers.set(dept.name, email);
    const aliases = rng.chance(0.06)
      ? `${asciiFold(first)[0]}${asciiFold(last)}`.toLowerCase() + `@${domain}`
      : '';
    records.push({
      employee_id: `E${String(10001 + i)}`,
      email,
      first_name: first,
      last_name: last,
      status: leaver ? 'leaver' : 'active',
      department: dept.name,
      title,
      manager_email: manager === email ? '' : manager,
      start_date: isoDate(start),
      end_date: end ? isoDate(end) : '',
      aliases: used.has(aliases.split('@')[0] ?? '') ? '' : aliases,
      idp_id: externalIdOf({ employee_id: `E${String(10001 + i)}` }),
    });
    if (aliases) used.add(aliases.split('@')[0] ?? '');
  }
  return records;
}

interface AppContext {
  domain: string;
  aliasDomain: string;
  asOf: Date;
  planted: PlantedDrift;
}

function generateApp(app: SeedAppType, hr: HrRecord[], rng: Rng, ctx: AppContext): PlantedAppState {
  const catalog = CATALOG[app];
  const departments = new Set(APP_DEPARTMENTS[app]);
  const accounts: PlantedAccount[] = [];
  const tag = (key: string) => `${app}:${key}`;
  const { planted, asOf } = ctx;
  const eligible = hr.filter((p) => departments.has(p.department));
  // Guarantee every kind of drift appears even in a small company: the first few eligible people carry it.
  let forcedAdmins = 2;
  let forcedAlias = 2;
  let forcedDisputed = DISPUTE_BY[app] ? 1 : 0;
  let forcedDuplicate = app === 'targetprocess' || app === 'thought-industries' ? 1 : 0;
  let forcedDrift = app === 'customer-directory' ? 2 : 0;

  const activePeople = eligible.filter((p) => p.status === 'active');
  for (const person of eligible) {
    const isLeaver = person.status === 'leaver';
    if (!isLeaver && rng.chance(0.04)) {
      planted.missingAccounts.push(tag(person.employee_id));
      continue;
    }
    let admin = false;
    if (!isLeaver && forcedAdmins > 0) {
      forcedAdmins--;
      admin = true;
    } else if (!isLeaver) {
      admin = rng.chance(0.02);
    }
    const account = baseAccount(app, person, admin, rng, asOf);
    accounts.push(account);
    const key = tag(account.key);
    if (admin) planted.admins.push(key);

    if (isLeaver) {
      // Leavers: about half keep access; the rest were cleaned up the app's own way.
      const keepsAccess = rng.chance(0.5);
      const cleanup = cleanupOf(app, rng);
      if (keepsAccess) {
        account.state = app === 'process-street' && rng.chance(0.3) ? 'invited' : 'active';
        planted.leaversWithAccess.push(key);
      } else if (cleanup === 'removed') {
        accounts.pop();
        continue;
      } else {
        account.state = cleanup;
        if (cleanup === 'deleted') planted.softDeleted.push(key);
      }
    } else if (app === 'process-street' && rng.chance(0.08)) {
      account.state = 'invited';
    }
    if (account.state === 'invited') {
      planted.pendingInvites.push(key);
      account.lastLoginAt = null;
    }

    // Email drift that still belongs to the person: case, domain alias, or an HR-listed alias.
    const aliasRoll = forcedAlias > 0 && !isLeaver && !admin ? 1 : rng.next() < 0.05 ? 1 : 0;
    if (aliasRoll && account.state !== 'deleted') {
      if (forcedAlias > 0) forcedAlias--;
      const variant = rng.int(0, 2);
      const [local] = person.email.split('@') as [string];
      account.email =
        variant === 0 && person.aliases
          ? person.aliases
          : variant === 1
            ? `${local}@${ctx.aliasDomain}`
            : `${capitalizeLocal(local)}@${ctx.domain.toUpperCase()}`;
      planted.aliasMatches.push(key);
    } else if (
      forcedDisputed > 0 &&
      !isLeaver &&
      !admin &&
      account.state === 'active' &&
      activePeople.length > 3
    ) {
      // Disputed: the account's email says one person, its IdP id (or login) says another. Only on an active
      // account: an invited Process Street member has no username yet, so a login-based dispute would not show.
      forcedDisputed--;
      const other = activePeople[(activePeople.indexOf(person) + 1) % activePeople.length]!;
      if (DISPUTE_BY[app] === 'externalId') account.externalId = externalIdOf(other);
      else account.email = `${other.email.split('@')[0]}@${ctx.aliasDomain}`;
      planted.disputed.push(key);
    }

    if (forcedDrift > 0 && !isLeaver && account.state === 'active') {
      forcedDrift--;
      account.department = person.department === 'Sales' ? 'Marketing' : 'Sales';
      planted.attributeDrift.push(key);
    }

    if (forcedDuplicate > 0 && !isLeaver && account.state === 'active' && !admin) {
      forcedDuplicate--;
      const dup = baseAccount(app, person, false, rng, asOf);
      dup.key = `${person.employee_id}-dup`;
      const [local] = person.email.split('@') as [string];
      dup.email = `${local}+old@${ctx.domain}`;
      dup.login = `${local}.old`;
      dup.externalId = null;
      dup.lastLoginAt = null;
      accounts.push(dup);
      planted.duplicates.push(tag(dup.key));
      planted.dormant.push(tag(dup.key));
    }
    if (isDormant(account, asOf)) planted.dormant.push(key);
  }

  // Orphans: contractors, service accounts, and test accounts nobody in HR owns.
  const orphanCount = Math.max(2, Math.round(eligible.length * 0.02));
  for (let i = 0; i < orphanCount; i++) {
    const kind = i % 3;
    const email =
      kind === 0
        ? `contractor${i + 1}@agency.example`
        : kind === 1
          ? `svc-${app}-${i + 1}@${ctx.domain}`
          : `test.user${i + 1}@${ctx.domain}`;
    const orphan: PlantedAccount = {
      key: `orphan-${i + 1}`,
      employeeId: null,
      email,
      firstName: kind === 1 ? 'Service' : kind === 0 ? 'Contractor' : 'Test',
      lastName: kind === 1 ? 'Account' : `User ${i + 1}`,
      login: email.split('@')[0]!,
      externalId: null,
      state: 'active',
      admin: kind === 1 && i < 3,
      role: catalog.role('', '', kind === 1 && i < 3),
      groups: catalog
        .groupsFor(eligible[0]?.department ?? 'IT', rng)
        .filter((g) => catalog.groups.includes(g)),
      courses: [],
      department: null,
      title: null,
      createdAt: isoDateTime(new Date(asOf.getTime() - rng.int(10, 900) * DAY)),
      lastLoginAt: rng.chance(0.5) ? isoDateTime(new Date(asOf.getTime() - rng.int(1, 60) * DAY)) : null,
    };
    accounts.push(orphan);
    const key = tag(orphan.key);
    planted.orphans.push(key);
    if (orphan.admin) planted.admins.push(key);
    if (isDormant(orphan, asOf)) planted.dormant.push(key);
  }

  return {
    accounts,
    roles: catalog.roles,
    groups: catalog.groups,
    courses: catalog.courses,
  };

  function baseAccount(a: SeedAppType, person: HrRecord, admin: boolean, r: Rng, now: Date): PlantedAccount {
    const created = new Date(Date.parse(person.start_date) + r.int(0, 5) * DAY);
    const neverLogged = r.chance(0.06);
    return {
      key: person.employee_id,
      employeeId: person.employee_id,
      email: person.email,
      firstName: person.first_name,
      lastName: person.last_name,
      login: a === 'stackspot-scim' ? person.email : person.email.split('@')[0]!,
      externalId: HAS_EXTERNAL_ID.has(a) ? externalIdOf(person) : null,
      state: 'active',
      admin,
      role: catalog.role(person.department, person.title, admin),
      groups: catalog.groupsFor(person.department, r).filter((g) => catalog.groups.includes(g)),
      courses: catalog.coursesFor(person.department, r),
      department: person.department,
      title: person.title,
      createdAt: isoDateTime(created.getTime() > now.getTime() ? now : created),
      lastLoginAt: neverLogged ? null : isoDateTime(new Date(now.getTime() - r.int(0, 20) * DAY)),
    };
  }
}

/** How an app cleaned up a leaver's account: Process Street removes, Targetprocess may soft-delete. */
function cleanupOf(app: SeedAppType, rng: Rng): 'removed' | 'deleted' | 'inactive' {
  if (app === 'process-street') return 'removed';
  if (app === 'targetprocess' && rng.chance(0.5)) return 'deleted';
  return 'inactive';
}

function pickWeighted<T extends { weight: number }>(items: readonly T[], roll: number): T {
  let left = roll;
  for (const item of items) {
    left -= item.weight;
    if (left < 0) return item;
  }
  return items[items.length - 1]!;
}

/** An active account never logged in, or an invitation older than 30 days. */
function isDormant(account: PlantedAccount, asOf: Date): boolean {
  if (account.state === 'invited') return asOf.getTime() - Date.parse(account.createdAt) > 30 * DAY;
  return account.state === 'active' && account.lastLoginAt === null;
}

/** The IdP's id for a person: stable, derived from the employee id. */
export function externalIdOf(person: Pick<HrRecord, 'employee_id'>): string {
  return `00u${person.employee_id.toLowerCase()}okta`;
}

function asciiFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .replace(/[^A-Za-z]/g, '');
}

function capitalizeLocal(local: string): string {
  return local
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('.');
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function isoDateTime(date: Date): string {
  return date.toISOString();
}

/** The HR export as CSV (RFC 4180, CRLF), the way an HR system would hand it over. */
export function hrToCsv(records: readonly HrRecord[]): string {
  const columns: (keyof HrRecord)[] = [
    'employee_id',
    'email',
    'first_name',
    'last_name',
    'status',
    'department',
    'title',
    'manager_email',
    'start_date',
    'end_date',
    'aliases',
    'idp_id',
  ];
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [columns.join(',')];
  for (const record of records) lines.push(columns.map((c) => quote(record[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

import { describe, expect, it } from 'vitest';
import type { Account, Entitlement, Grant, Link, Person } from '../core/types.js';
import {
  compareSeverity,
  dormancyCoverage,
  type FindingsApp,
  type FindingsInput,
  filterBySeverity,
  findings,
} from './findings.js';
import { account, person } from './testkit.js';

const NOW = '2026-11-01T00:00:00.000Z';
const daysAgo = (n: number) => new Date(Date.parse(NOW) - n * 86_400_000).toISOString();

const linked = (a: Account, employeeId: string, confidence = 0.95): Link => ({
  appId: a.appId,
  accountId: a.id,
  employeeId,
  situation: 'linked',
  method: 'email',
  confidence,
  candidates: [employeeId],
});
const nobody = (
  a: Account,
  situation: Link['situation'] = 'unmatched',
  method: Link['method'] = null,
): Link => ({
  appId: a.appId,
  accountId: a.id,
  employeeId: null,
  situation,
  method,
  confidence: 0,
  candidates: situation === 'disputed' ? ['E1', 'E2'] : [],
});

function run(input: {
  people?: Person[];
  accounts: Account[];
  links: Link[];
  entitlements?: Entitlement[];
  grants?: Grant[];
  type?: FindingsInput['options']['apps'][number]['type'];
  privilegedRoles?: string[];
  activity?: FindingsApp['activity'];
}) {
  return findings({
    people: input.people ?? [
      person('E1', 'ann.lee@acme.com'),
      person('E2', 'bob.ray@acme.com', { status: 'leaver' }),
    ],
    accounts: input.accounts,
    entitlements: input.entitlements ?? [],
    grants: input.grants ?? [],
    links: input.links,
    now: NOW,
    options: {
      apps: [
        {
          id: 'app',
          type: input.type ?? 'process-street',
          privilegedRoles: input.privilegedRoles ?? [],
          ...(input.activity ? { activity: input.activity } : {}),
        },
      ],
    },
  });
}
const rules = (list: ReturnType<typeof run>, rule: string) => list.filter((f) => f.rule === rule);

describe('findings', () => {
  it('leaver_with_access: a leaver linked to an active or invited account is high; an inactive one is not', () => {
    const active = account('1');
    const invited = account('2', { status: 'invited' });
    const inactive = account('3', { status: 'inactive' });
    const out = run({
      accounts: [active, invited, inactive],
      links: [linked(active, 'E2'), linked(invited, 'E2'), linked(inactive, 'E2')],
    });
    const found = rules(out, 'leaver_with_access');
    expect(found.map((f) => [f.accountId, f.severity, f.employeeId])).toEqual([
      ['1', 'high', 'E2'],
      ['2', 'high', 'E2'],
    ]);
    expect(found[0]).toMatchObject({ id: 'leaver_with_access:app:1', evidence: { personStatus: 'leaver' } });
  });

  it('orphan: unmatched or suggested accounts, low when inactive, never deleted ones or manual "nobody" decisions', () => {
    const a = [
      account('1'),
      account('2', { status: 'inactive' }),
      account('3', { status: 'deleted' }),
      account('4'),
      account('5'),
    ];
    const out = run({
      accounts: a,
      links: [
        nobody(a[0]!),
        nobody(a[1]!),
        nobody(a[2]!),
        nobody(a[3]!, 'suggested', 'name'),
        nobody(a[4]!, 'unmatched', 'manual'),
      ],
    });
    expect(rules(out, 'orphan').map((f) => [f.accountId, f.severity])).toEqual([
      ['1', 'medium'],
      ['4', 'medium'],
      ['2', 'low'],
    ]);
  });

  it('disputed: medium, with every candidate in the evidence', () => {
    const a = account('1');
    expect(rules(run({ accounts: [a], links: [nobody(a, 'disputed')] }), 'disputed')).toMatchObject([
      { severity: 'medium', evidence: { candidates: ['E1', 'E2'] } },
    ]);
  });

  it('duplicate_accounts: one finding per extra non-deleted account, naming all of them', () => {
    const original = account('1', { email: 'ann.lee@acme.com', lastLoginAt: daysAgo(1) });
    const extra = account('2', { email: 'ann.lee+old@acme.com' });
    const gone = account('3', { status: 'deleted' });
    const out = run({
      accounts: [extra, original, gone],
      links: [linked(original, 'E1'), linked(extra, 'E1', 0.9), linked(gone, 'E1')],
    });
    expect(rules(out, 'duplicate_accounts')).toMatchObject([
      {
        accountId: '2',
        employeeId: 'E1',
        severity: 'medium',
        evidence: { accountIds: ['1', '2'], primaryAccountId: '1' },
      },
    ]);
  });

  it('privileged: admins, privileged entitlements and configured role names; medium for leavers and unmatched', () => {
    const admin = account('1', { isAdmin: true });
    const viaGrant = account('2');
    const viaConfig = account('3', { attributes: { role: 'Owner' } });
    const orphanAdmin = account('4', { isAdmin: true });
    const out = run({
      accounts: [admin, viaGrant, viaConfig, orphanAdmin],
      links: [linked(admin, 'E1'), linked(viaGrant, 'E2'), linked(viaConfig, 'E1'), nobody(orphanAdmin)],
      entitlements: [{ appId: 'app', id: 'g1', kind: 'group', name: 'Admins', privileged: true }],
      grants: [{ appId: 'app', entitlementId: 'g1', accountId: '2' }],
      privilegedRoles: ['owner'],
    });
    expect(
      rules(out, 'privileged')
        .map((f) => [f.accountId, f.severity, f.evidence['roles']])
        .sort(),
    ).toEqual([
      ['1', 'info', []],
      ['2', 'medium', ['Admins']],
      ['3', 'info', ['Owner']],
      ['4', 'medium', []],
    ]);
  });

  it('dormant: never logged in, or last login older than dormantDays, where the app reports logins by date', () => {
    const never = account('1');
    const stale = account('2', { lastLoginAt: daysAgo(120) });
    const fresh = account('3', { lastLoginAt: daysAgo(3) });
    const links = [linked(never, 'E1'), linked(stale, 'E1'), linked(fresh, 'E1')];
    const dated = run({ accounts: [never, stale, fresh], links, activity: 'date' });
    expect(rules(dated, 'dormant').map((f) => f.accountId)).toEqual(['1', '2']);
    // StackSpot has only a never-logged flag.
    const flagged = account('4', { attributes: { neverLogged: true } });
    expect(
      rules(
        run({ accounts: [never, flagged], links: [...links, linked(flagged, 'E1')], type: 'stackspot-scim' }),
        'dormant',
      ),
    ).toMatchObject([{ accountId: '4', severity: 'low' }]);
  });

  it('dormancy is unknown, never "never used", where the guide documents no login time (Targetprocess, Thought Industries, Process Street)', () => {
    const never = account('1');
    const stale = account('2', { lastLoginAt: daysAgo(120) });
    const links = [linked(never, 'E1'), linked(stale, 'E1')];
    for (const type of ['targetprocess', 'thought-industries', 'process-street'] as const) {
      expect(rules(run({ accounts: [never, stale], links, type }), 'dormant'), type).toEqual([]);
    }
    const apps: FindingsApp[] = [
      { id: 'tp', type: 'targetprocess' },
      { id: 'ti', type: 'thought-industries' },
      { id: 'ss', type: 'stackspot-scim' },
    ];
    expect(dormancyCoverage(apps)).toEqual({ apps: ['ss'], unknown: ['tp', 'ti'] });
  });

  it('a new account is not dormant during the grace period after its creation', () => {
    const fresh = account('1', { createdAt: daysAgo(2), attributes: { neverLogged: true } });
    const old = account('2', { createdAt: daysAgo(45), attributes: { neverLogged: true } });
    const links = [linked(fresh, 'E1'), linked(old, 'E1')];
    const out = run({ accounts: [fresh, old], links, type: 'stackspot-scim' });
    expect(rules(out, 'dormant').map((f) => f.accountId)).toEqual(['2']);
    const shortGrace = findings({
      people: [person('E1', 'ann.lee@acme.com')],
      accounts: [fresh, old],
      entitlements: [],
      grants: [],
      links,
      now: NOW,
      options: { apps: [{ id: 'app', type: 'stackspot-scim' }], dormantGraceDays: 1 },
    });
    expect(rules(shortGrace, 'dormant').map((f) => f.accountId)).toEqual(['1', '2']);
  });

  it('invite_pending: invited for longer than inviteDays since createdAt', () => {
    const old = account('1', { status: 'invited', createdAt: daysAgo(30) });
    const recent = account('2', { status: 'invited', createdAt: daysAgo(3) });
    const out = run({ accounts: [old, recent], links: [linked(old, 'E1'), linked(recent, 'E1')] });
    expect(rules(out, 'invite_pending')).toMatchObject([
      { accountId: '1', severity: 'low', evidence: { ageDays: 30 } },
    ]);
  });

  it('attribute_drift: names, department and title that differ from HR beyond trim and case', () => {
    const same = account('1', {
      firstName: ' ANN ',
      lastName: 'lee',
      attributes: { department: 'engineering' },
    });
    const moved = account('2', {
      firstName: 'Ann',
      attributes: { department: 'Sales', jobTitle: 'Engineer' },
    });
    const out = run({ accounts: [same, moved], links: [linked(same, 'E1'), linked(moved, 'E1', 0.9)] });
    expect(rules(out, 'attribute_drift')).toMatchObject([
      {
        accountId: '2',
        evidence: { fields: ['department'], 'department.app': 'Sales', 'department.hr': 'Engineering' },
      },
    ]);
  });

  it('attribute_drift: every field that differs is named, in order, and a title alone is drift too', () => {
    const everything = account('1', {
      firstName: 'Anne',
      lastName: 'Leigh',
      attributes: { 'customFields.department': 'Sales', 'customFields.jobTitle': 'Manager' },
    });
    const title = account('2', { firstName: 'ann', attributes: { title: 'Manager' } });
    const out = run({
      accounts: [everything, title],
      links: [linked(everything, 'E1'), linked(title, 'E1', 0.9)],
    });
    expect(rules(out, 'attribute_drift').map((f) => [f.accountId, f.evidence])).toEqual([
      [
        '1',
        expect.objectContaining({
          fields: ['firstName', 'lastName', 'department', 'title'],
          'firstName.app': 'Anne',
          'firstName.hr': 'ann',
          'lastName.app': 'Leigh',
          'lastName.hr': 'lee',
          'department.app': 'Sales',
          'department.hr': 'Engineering',
          'title.app': 'Manager',
          'title.hr': 'Engineer',
        }),
      ],
      ['2', expect.objectContaining({ fields: ['title'], 'title.app': 'Manager', 'title.hr': 'Engineer' })],
    ]);
  });

  it('severity helpers order high first and filter by a minimum', () => {
    const list = [
      { severity: 'info' as const },
      { severity: 'high' as const },
      { severity: 'medium' as const },
    ];
    expect([...list].sort((a, b) => compareSeverity(a.severity, b.severity)).map((f) => f.severity)).toEqual([
      'high',
      'medium',
      'info',
    ]);
    expect(filterBySeverity(list, 'medium').map((f) => f.severity)).toEqual(['high', 'medium']);
  });
});

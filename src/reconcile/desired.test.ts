import { describe, expect, it } from 'vitest';
import { type DesiredApp, desiredAccountsOf, desiredState, desiredVerdicts } from './desired.js';
import { policySchema } from './policy.js';
import { person } from './testkit.js';

const NOW = new Date('2026-11-01T00:00:00.000Z');

const APPS: DesiredApp[] = [
  { id: 'tp', type: 'targetprocess', kinds: ['role', 'team'] },
  { id: 'ps', type: 'process-street', kinds: ['group'] },
  { id: 'ti', type: 'thought-industries', kinds: ['group', 'course'], customFieldKeys: ['region'] },
];

/** Rules that overlap, deny, replace a role, set fields and name a custom field the portal lacks. */
const policy = policySchema.parse({
  rules: [
    { name: 'everyone', when: { status: 'active' }, apps: { tp: { teams: ['Core'] }, ps: {}, ti: {} } },
    {
      name: 'sales',
      when: { department: 'Sales' },
      apps: {
        tp: { role: 'Seller', account: { attributes: { title: '{title} (sales)' } } },
        ps: { account: false },
        ti: { groups: ['Sellers'], account: { attributes: { 'customFields.quota': '{department}' } } },
      },
    },
    { name: 'leads', when: { title: 'Lead' }, apps: { tp: { role: 'Lead' }, ti: { courses: ['Leading'] } } },
  ],
});

const people = [
  person('E1'),
  person('E2', { department: 'Sales' }),
  person('E3', { department: 'Sales', title: 'Lead' }),
  person('E4', { status: 'leaver', endDate: '2026-10-01' }),
  person('E5', { title: 'Lead' }),
];

describe('the policy evaluated one app at a time', () => {
  it('gives each app the accounts the whole evaluation gives it, in the same order', () => {
    const whole = desiredState({ people, policy, apps: APPS, now: NOW });
    for (const app of APPS) {
      const oneByOne = [...desiredAccountsOf({ people, policy, apps: APPS, app: app.id })];
      expect(oneByOne).toEqual([...(whole.accounts.get(app.id)?.values() ?? [])]);
    }
    // The overlap, denial and role replacement are all in play.
    expect(whole.accounts.get('ps')?.has('E2')).toBe(false);
    expect(
      whole.accounts
        .get('tp')
        ?.get('E3')
        ?.entitlements.map((e) => e.name),
    ).toEqual(['Core', 'Lead']);
  });

  it('has the verdicts, warnings and errors of the whole evaluation, in the same order, and no accounts', () => {
    const apps = APPS.filter((a) => a.id !== 'ps');
    const whole = desiredState({ people, policy, apps, now: NOW });
    const verdicts = desiredVerdicts({ people, policy, apps, now: NOW });
    expect(whole.errors.length).toBeGreaterThan(0);
    expect(whole.warnings.length).toBeGreaterThan(0);
    expect(verdicts.errors).toEqual(whole.errors);
    expect(verdicts.warnings).toEqual(whole.warnings);
    expect(verdicts.leavers).toEqual(whole.leavers);
    expect(verdicts.denied).toEqual(whole.denied);
    expect([...verdicts.accounts.values()].every((m) => m.size === 0)).toBe(true);
  });
});

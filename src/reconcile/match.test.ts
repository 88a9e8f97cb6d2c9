import { describe, expect, it } from 'vitest';
import type { Person } from '../core/types.js';
import { matchesWhen, renderTemplate } from './match.js';
import { policySchema } from './policy.js';

const ada: Person = {
  employeeId: 'E1',
  email: 'ada.lovelace@acme.com',
  aliases: [],
  firstName: 'Ada',
  lastName: 'Lovelace',
  status: 'active',
  department: 'Engineering',
  title: 'Senior Software Engineer',
  managerEmail: null,
  startDate: null,
  endDate: null,
  attributes: { cost_center: 'CC-42', location: 'Lisbon' },
};

describe('rule conditions', () => {
  it('equality ignores case and surrounding spaces', () => {
    expect(matchesWhen(ada, { department: ' engineering ' })).toBe(true);
    expect(matchesWhen(ada, { department: 'Sales' })).toBe(false);
  });

  it('a list holds when any of its values does', () => {
    expect(matchesWhen(ada, { department: ['Sales', 'Engineering'] })).toBe(true);
    expect(matchesWhen(ada, { department: ['Sales', 'Support'] })).toBe(false);
  });

  it('globs match with * and ?', () => {
    expect(matchesWhen(ada, { title: '*Engineer' })).toBe(true);
    expect(matchesWhen(ada, { title: 'Senior*' })).toBe(true);
    expect(matchesWhen(ada, { title: 'Junior*' })).toBe(false);
    expect(matchesWhen(ada, { cost_center: 'CC-4?' })).toBe(true);
  });

  it('any HR column is a condition, and every condition must hold', () => {
    expect(matchesWhen(ada, { location: 'Lisbon', status: 'active' })).toBe(true);
    expect(matchesWhen(ada, { location: 'Lisbon', status: 'leaver' })).toBe(false);
    expect(matchesWhen(ada, { no_such_column: 'x' })).toBe(false);
  });
});

describe('attribute templates', () => {
  it('fill person fields, the email local part and HR columns', () => {
    expect(renderTemplate('{email.local}', ada)).toBe('ada.lovelace');
    expect(renderTemplate('{first_name} {last_name}', ada)).toBe('Ada Lovelace');
    expect(renderTemplate('{email}', ada)).toBe('ada.lovelace@acme.com');
    expect(renderTemplate('{cost_center}/{department}', ada)).toBe('CC-42/Engineering');
  });

  it('a template with an empty field yields nothing rather than a half-filled value', () => {
    expect(renderTemplate('{manager_email}', ada)).toBeNull();
    expect(renderTemplate('x-{unknown}', ada)).toBeNull();
  });
});

describe('policy schema', () => {
  it('fills the documented defaults', () => {
    const policy = policySchema.parse({});
    expect(policy.leavers).toEqual({ action: 'deactivate', graceDays: 0 });
    expect(policy.orphans).toBe('report');
    expect(policy.safety.approval).toEqual({ delete: true, privileged: true, opsPerApp: 100 });
  });

  it('refuses two rules with the same name and unknown keys', () => {
    expect(
      policySchema.safeParse({
        rules: [
          { name: 'a', apps: {} },
          { name: 'a', apps: {} },
        ],
      }).success,
    ).toBe(false);
    expect(policySchema.safeParse({ rules: [{ name: 'a', apps: { x: { team: 'T' } } }] }).success).toBe(
      false,
    );
  });
});

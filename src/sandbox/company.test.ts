import { describe, expect, it } from 'vitest';
import { SEED_APP_TYPES } from '../core/types.js';
import { generateCompany, hrToCsv } from './company.js';

describe('sample company', () => {
  it('is the same company for the same seed and a different one for another seed', () => {
    expect(JSON.stringify(generateCompany({ seed: 7 }))).toBe(JSON.stringify(generateCompany({ seed: 7 })));
    expect(generateCompany({ seed: 7 }).hr[0]).not.toEqual(generateCompany({ seed: 8 }).hr[0]);
  });

  it('plants every kind of drift in a company of 200', () => {
    const company = generateCompany({ seed: 42, people: 200 });
    expect(company.hr).toHaveLength(200);
    for (const [kind, keys] of Object.entries(company.planted)) {
      expect(keys.length, kind).toBeGreaterThan(0);
    }
    for (const app of SEED_APP_TYPES) {
      const prefix = `${app}:`;
      expect(company.planted.orphans.filter((k) => k.startsWith(prefix)).length, app).toBeGreaterThanOrEqual(
        2,
      );
      expect(company.planted.admins.filter((k) => k.startsWith(prefix)).length, app).toBeGreaterThanOrEqual(
        2,
      );
      expect(
        company.planted.leaversWithAccess.filter((k) => k.startsWith(prefix)).length,
        app,
      ).toBeGreaterThan(0);
    }
  });

  it('every planted key names an account that exists in its app (missing accounts excepted)', () => {
    const company = generateCompany({ seed: 3, people: 300 });
    const existing = new Set(
      SEED_APP_TYPES.flatMap((app) => company.apps[app].accounts.map((a) => `${app}:${a.key}`)),
    );
    const { missingAccounts, ...rest } = company.planted;
    for (const [kind, keys] of Object.entries(rest)) {
      for (const key of keys) expect(existing.has(key), `${kind} ${key}`).toBe(true);
    }
    for (const key of missingAccounts) expect(existing.has(key)).toBe(false);
  });

  it('emails are unique per app, case-insensitively, and unique in HR', () => {
    const company = generateCompany({ seed: 11, people: 2000 });
    const hrEmails = company.hr.map((p) => p.email.toLowerCase());
    expect(new Set(hrEmails).size).toBe(hrEmails.length);
    for (const app of SEED_APP_TYPES) {
      const emails = company.apps[app].accounts.map((a) => a.email.toLowerCase());
      expect(new Set(emails).size, app).toBe(emails.length);
    }
  });

  it('the HR CSV quotes fields that need it and ends lines with CRLF', () => {
    const csv = hrToCsv([{ ...generateCompany({ seed: 1, people: 10 }).hr[0]!, title: 'Lead, "Platform"' }]);
    expect(csv).toContain('"Lead, ""Platform"""');
    expect(csv.split('\r\n')).toHaveLength(3);
  });
});

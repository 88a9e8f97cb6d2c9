import { describe, expect, it } from 'vitest';
import { type AccessRow, scopeItems } from './scope.js';

const row = (over: Partial<AccessRow>): AccessRow => ({
  app: 'tp',
  accountId: '1',
  accountEmail: 'ana@acme.com',
  accountStatus: 'active',
  personId: 'E1',
  personEmail: 'ana@acme.com',
  personName: 'Ana Lee',
  manager: 'bo@acme.com',
  entitlementKind: '',
  entitlementId: '',
  entitlement: '',
  privileged: false,
  lastActivity: '',
  findings: '',
  ...over,
});

const rows: AccessRow[] = [
  row({
    accountId: '1',
    entitlementKind: 'role',
    entitlementId: 'r1',
    entitlement: 'Admin',
    privileged: true,
    findings: 'privileged',
  }),
  row({
    accountId: '1',
    entitlementKind: 'team',
    entitlementId: 't1',
    entitlement: 'Core',
    findings: 'privileged',
  }),
  row({ accountId: '2', personId: '', personEmail: '', manager: '', findings: 'orphan' }),
  // Privileged by the app's admin flag, with no privileged entitlement of its own.
  row({
    accountId: '3',
    entitlementKind: 'team',
    entitlementId: 't1',
    entitlement: 'Core',
    findings: 'privileged dormant',
  }),
  row({ accountId: '4', accountStatus: 'deleted', privileged: true, findings: 'privileged' }),
];

describe('what a campaign reviews', () => {
  it('privileged only: privileged entitlements, and the whole account where the account itself is privileged', () => {
    const items = scopeItems(rows, 'privileged');
    expect(items.map((i) => [i.accountId, i.subject.entitlement?.name ?? 'account'])).toEqual([
      ['3', 'account'],
      ['1', 'Admin'],
    ]);
    expect(items.every((i) => i.subject.privileged)).toBe(true);
  });

  it('flagged items (leaver, orphan, dormant) come first, with revoke suggested and why', () => {
    const items = scopeItems(rows, 'all');
    expect(items.map((i) => i.accountId)).toEqual(['2', '3', '1', '1']);
    expect(items[0]?.subject.suggestion).toEqual({
      decision: 'revoke',
      why: 'nobody in the HR export owns this account',
    });
    expect(items[0]?.subject.person).toBeNull();
    expect(items[2]?.subject.suggestion).toBeNull();
  });

  it('accounts with findings only, and never a deleted account', () => {
    const items = scopeItems([...rows, row({ accountId: '5' })], 'findings');
    expect(new Set(items.map((i) => i.accountId))).toEqual(new Set(['1', '2', '3']));
  });
});

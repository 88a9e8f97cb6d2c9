import { describe, expect, it } from 'vitest';
import type { CapabilityManifest } from '../../connectors/sdk/types.js';
import type { Account } from '../../core/types.js';
import { buildProfile } from './discovery.js';
import { createOps, deleteOps, memberOps, userOps } from './ops.js';

const all = {
  list: true,
  get: true,
  findByEmail: true,
  create: true,
  update: true,
  deactivate: true,
  reactivate: true,
  delete: true,
};
const manifest = (
  accounts: Partial<typeof all>,
  notes: CapabilityManifest['notes'] = {},
): CapabilityManifest => ({
  type: 'scim',
  accounts: { ...all, ...accounts },
  entitlements: { group: { list: true, grant: true, revoke: false } },
  incremental: false,
  notes,
});
const profileOf = (m: CapabilityManifest, deactivateByDelete = false) =>
  buildProfile({
    appId: 'app',
    title: 'App',
    manifest: m,
    traits: { attributeMap: { email: '', firstName: '', lastName: '', department: '' }, deactivateByDelete },
    baseUrl: 'https://r/scim/v2/app',
  });
const full = profileOf(manifest({}));
const request = { method: 'PATCH', path: '/Users/7', tokenName: 'okta-prod' };
const account: Account = {
  appId: 'app',
  id: '7',
  email: 'jane@example.com',
  login: null,
  externalId: null,
  firstName: 'Jane',
  lastName: 'Doe',
  displayName: 'Jane Doe',
  status: 'active',
  isAdmin: false,
  lastLoginAt: null,
  createdAt: null,
  updatedAt: null,
  attributes: { department: 'Sales' },
};

describe('IdP writes become plan ops that name the request and the token', () => {
  it('a create carries the input; created inactive, it is deactivated after', () => {
    const ops = createOps(
      full,
      { email: 'n@example.com', firstName: 'N', lastName: 'M', attributes: { department: 'R' } },
      false,
      {
        ...request,
        method: 'POST',
        path: '/Users',
      },
    );
    expect(ops.map((o) => [o.kind, o.account, o.dependsOn])).toEqual([
      ['create', null, []],
      ['deactivate', { createdBy: 'scim-create' }, ['scim-create']],
    ]);
    expect(ops[0]?.input).toEqual({
      email: 'n@example.com',
      firstName: 'N',
      lastName: 'M',
      attributes: { department: 'R' },
    });
    expect(ops[0]?.reason.text).toBe('SCIM POST /Users (token okta-prod)');
  });
  it('reactivate, then update with from/to, then nothing else; deactivation comes last', () => {
    const back = userOps(
      full,
      { ...account, status: 'inactive' },
      { active: true, changes: { lastName: 'Roe', attributes: { department: null } }, changed: true },
      request,
    );
    expect(back.map((o) => o.kind)).toEqual(['reactivate', 'update']);
    expect(back[1]?.changes).toEqual({
      lastName: { from: 'Doe', to: 'Roe' },
      department: { from: 'Sales', to: '' },
    });
    expect(back[1]?.dependsOn).toEqual(['scim-reactivate']);
    const off = userOps(
      full,
      account,
      { active: false, changes: { firstName: 'J', email: 'JANE@example.com' }, changed: true },
      request,
    );
    expect(off.map((o) => o.kind)).toEqual(['update', 'deactivate']);
    expect(off[0]?.changes).toEqual({ firstName: { from: 'Jane', to: 'J' } });
    expect(off.every((o) => (o.account as { id: string }).id === '7')).toBe(true);
  });
  it('a change of email, login or externalId is a mutability error that names where to change it', () => {
    expect(() =>
      userOps(
        full,
        account,
        { active: undefined, changes: { email: 'j@example.com' }, changed: true },
        request,
      ),
    ).toThrow(expect.objectContaining({ status: 400, scimType: 'mutability' }));
  });
  it('a deactivation of an account already inactive asks for nothing', () => {
    expect(
      userOps(
        full,
        { ...account, status: 'inactive' },
        { active: false, changes: {}, changed: true },
        request,
      ),
    ).toEqual([]);
  });
  it('an app without deactivation removes the account instead (Process Street)', () => {
    const ps = profileOf(manifest({ deactivate: false, reactivate: false, update: false }), true);
    expect(
      userOps(ps, account, { active: false, changes: {}, changed: true }, request).map((o) => o.kind),
    ).toEqual(['delete']);
  });
  it('what the API cannot do becomes a task with the connector reason', () => {
    const cd = profileOf(
      manifest(
        { create: false, deactivate: false },
        { create: 'No create endpoint.', deactivate: 'No status field.' },
      ),
    );
    const [create] = createOps(cd, { email: 'n@example.com', firstName: '', lastName: '' }, true, request);
    // Who was asked for is in the task, and two people asked for are two tasks (the key is the ref).
    expect(create).toMatchObject({
      kind: 'task',
      ref: 'scim-create:n@example.com',
      task: {
        instead: 'create',
        instructions: expect.stringMatching(/^Create n@example\.com .*No create endpoint\.$/),
      },
    });
    const [off] = userOps(cd, account, { active: false, changes: {}, changed: true }, request);
    expect(off).toMatchObject({
      kind: 'task',
      task: { instead: 'deactivate', instructions: 'No status field.' },
    });
    expect(deleteOps(cd, account, request)[0]?.kind).toBe('delete');
  });
  it('group members: a grant per member added, a revoke (here a task: no revoke) per member removed', () => {
    const ops = memberOps(
      full,
      { appId: 'app', id: 'g1', kind: 'group', name: 'Eng', privileged: false },
      { added: ['1', '2'], removed: ['3'] },
      request,
    );
    expect(ops.map((o) => [o.kind, (o.account as { id: string }).id, o.entitlement?.id])).toEqual([
      ['grant', '1', 'g1'],
      ['grant', '2', 'g1'],
      ['task', '3', 'g1'],
    ]);
  });
});

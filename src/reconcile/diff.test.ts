import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/schema.js';
import { connectorFor } from '../connectors/registry.js';
import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { Account, AppType, Entitlement, Grant, Link, Person } from '../core/types.js';
import { desiredState } from './desired.js';
import { type DiffApp, diff } from './diff.js';
import { type Policy, policySchema } from './policy.js';
import { person } from './testkit.js';

const NOW = new Date('2026-11-01T00:00:00.000Z');

const CONFIGS: Record<string, Record<string, unknown>> = {
  targetprocess: { auth: { type: 'bearer', token: 't' } },
  'process-street': { auth: { type: 'bearer', token: 't' } },
  'customer-directory': {
    auth: { type: 'bearer', token: 't' },
    customerId: '64b7f0c2a1e4d5f6a7b8c9d0',
    integration: 'okta',
  },
};

/** The real connector's manifest: building a connector makes no request. */
function manifestOf(type: AppType): CapabilityManifest {
  const connector = connectorFor({
    id: type,
    type,
    baseUrl: 'http://localhost:1',
    ...CONFIGS[type],
  } as unknown as AppConfig);
  void connector.close();
  return connector.manifest;
}

function account(appId: string, id: string, over: Partial<Account> = {}): Account {
  return {
    appId,
    id,
    email: `${id}@acme.com`,
    login: id,
    externalId: null,
    firstName: 'First',
    lastName: id,
    displayName: null,
    status: 'active',
    isAdmin: false,
    lastLoginAt: null,
    createdAt: null,
    updatedAt: null,
    attributes: {},
    ...over,
  };
}

const link = (
  appId: string,
  accountId: string,
  employeeId: string | null,
  over: Partial<Link> = {},
): Link => ({
  appId,
  accountId,
  employeeId,
  situation: employeeId ? 'linked' : 'unmatched',
  method: employeeId ? 'email' : null,
  confidence: 1,
  candidates: [],
  ...over,
});

interface World {
  people: Person[];
  links: Link[];
  apps: DiffApp[];
}

function plan(policyInput: unknown, world: World) {
  const policy: Policy = policySchema.parse(policyInput);
  const desired = desiredState({
    people: world.people,
    policy,
    apps: world.apps.map((a) => ({
      id: a.id,
      type: a.type,
      kinds: Object.keys(a.manifest.entitlements) as Entitlement['kind'][],
    })),
    now: NOW,
  });
  return diff({ desired, people: world.people, links: world.links, apps: world.apps, policy });
}

const tpEntitlements: Entitlement[] = [
  { appId: 'targetprocess', id: 'role:1', kind: 'role', name: 'Developer', privileged: false },
  { appId: 'targetprocess', id: 'role:2', kind: 'role', name: 'Administrator', privileged: true },
  { appId: 'targetprocess', id: 'team:1', kind: 'team', name: 'Platform', privileged: false },
  { appId: 'targetprocess', id: 'team:2', kind: 'team', name: 'Mobile', privileged: false },
];

function tpApp(accounts: Account[], grants: Grant[] = []): DiffApp {
  return {
    id: 'targetprocess',
    type: 'targetprocess',
    manifest: manifestOf('targetprocess'),
    accounts,
    entitlements: tpEntitlements,
    grants,
  };
}

const engineering = {
  rules: [
    {
      name: 'engineering',
      when: { department: 'Engineering' },
      apps: { targetprocess: { role: 'Developer', teams: ['Platform'] } },
    },
  ],
};

describe('diff', () => {
  it('a missing account becomes a create with its attributes, and its grants depend on the create', () => {
    const result = plan(engineering, { people: [person('E1')], links: [], apps: [tpApp([])] });
    const [create, ...grants] = result.ops;
    expect(create).toMatchObject({
      kind: 'create',
      input: { email: 'e1@acme.com', login: 'e1', firstName: 'First', lastName: 'E1' },
      reason: { rule: 'engineering' },
      risk: 'low',
    });
    expect(grants.map((g) => [g.kind, g.entitlement?.name, g.dependsOn])).toEqual([
      ['grant', 'Developer', [create!.ref]],
      ['grant', 'Platform', [create!.ref]],
    ]);
    expect(grants[0]!.account).toEqual({ createdBy: create!.ref });
  });

  it('updates only the managed attributes that differ, never the email or login', () => {
    const acct = account('targetprocess', '7', {
      firstName: 'Old',
      lastName: 'E1',
      email: 'OTHER@acme.io',
      login: 'x',
    });
    const result = plan(engineering, {
      people: [person('E1')],
      links: [link('targetprocess', '7', 'E1')],
      apps: [tpApp([acct], [{ appId: 'targetprocess', accountId: '7', entitlementId: 'role:1' }])],
    });
    const update = result.ops.find((o) => o.kind === 'update');
    expect(update?.changes).toEqual({ firstName: { from: 'Old', to: 'First' } });
    expect(update?.account).toEqual({ id: '7' });
  });

  it('an inactive account of someone the policy covers is reactivated before its grants', () => {
    const result = plan(engineering, {
      people: [person('E1')],
      links: [link('targetprocess', '7', 'E1')],
      apps: [tpApp([account('targetprocess', '7', { status: 'inactive', lastName: 'E1' })])],
    });
    const reactivate = result.ops.find((o) => o.kind === 'reactivate')!;
    expect(reactivate.risk).toBe('medium');
    for (const g of result.ops.filter((o) => o.kind === 'grant'))
      expect(g.dependsOn).toEqual([reactivate.ref]);
  });

  it('movers: managed kinds are revoked, unmanaged ones are left alone', () => {
    const acct = account('targetprocess', '7', { lastName: 'E1' });
    const grants: Grant[] = [
      { appId: 'targetprocess', accountId: '7', entitlementId: 'role:1' },
      { appId: 'targetprocess', accountId: '7', entitlementId: 'team:1' },
      { appId: 'targetprocess', accountId: '7', entitlementId: 'team:2' },
    ];
    const world = {
      people: [person('E1')],
      links: [link('targetprocess', '7', 'E1')],
      apps: [tpApp([acct], grants)],
    };
    expect(plan(engineering, world).ops).toEqual([]);
    const managed = plan({ ...engineering, managed: { targetprocess: ['team'] } }, world).ops;
    expect(managed.map((o) => [o.kind, o.entitlement?.name])).toEqual([['revoke', 'Mobile']]);
  });

  it('entitlements the policy lists as unmanaged are never revoked, even of a managed kind', () => {
    const acct = account('targetprocess', '7', { lastName: 'E1' });
    const grants: Grant[] = [
      { appId: 'targetprocess', accountId: '7', entitlementId: 'role:1' },
      { appId: 'targetprocess', accountId: '7', entitlementId: 'team:1' },
      { appId: 'targetprocess', accountId: '7', entitlementId: 'team:2' },
    ];
    const world = {
      people: [person('E1')],
      links: [link('targetprocess', '7', 'E1')],
      apps: [tpApp([acct], grants)],
    };
    const kept = plan(
      { ...engineering, managed: { targetprocess: ['team'] }, unmanaged: { targetprocess: ['mobile'] } },
      world,
    ).ops;
    expect(kept).toEqual([]);
  });

  it('StackSpot accounts get no default title: its resources never answer one, so it could never converge', () => {
    const policy = policySchema.parse({ rules: [{ name: 'all', apps: { stackspot: {} } }] });
    const desired = desiredState({
      people: [person('E1')],
      policy,
      apps: [{ id: 'stackspot', type: 'stackspot-scim', kinds: [] }],
      now: NOW,
    });
    const fields = desired.accounts.get('stackspot')?.get('E1')?.fields ?? {};
    expect(Object.keys(fields).sort()).toEqual(['email', 'firstName', 'lastName', 'login']);
  });

  it('leavers within the grace period keep access; past it they are deactivated', () => {
    const leaver = person('E2', { status: 'leaver', endDate: '2026-10-28' });
    const world = {
      people: [leaver],
      links: [link('targetprocess', '8', 'E2')],
      apps: [tpApp([account('targetprocess', '8')])],
    };
    const inGrace = plan({ ...engineering, leavers: { action: 'deactivate', graceDays: 7 } }, world);
    expect(inGrace.ops).toEqual([]);
    expect(inGrace.untouched['leaver in grace']).toEqual(['targetprocess:8']);
    const due = plan({ ...engineering, leavers: { action: 'deactivate', graceDays: 2 } }, world);
    expect(due.ops).toMatchObject([
      { kind: 'deactivate', account: { id: '8' }, reason: { finding: 'leaver_with_access' } },
    ]);
  });

  it('deletions and privileged grants need approval', () => {
    const world = {
      people: [person('E1'), person('E2', { status: 'leaver' })],
      links: [link('targetprocess', '8', 'E2')],
      apps: [tpApp([account('targetprocess', '8')])],
    };
    const result = plan(
      {
        rules: [
          {
            name: 'admins',
            when: { department: 'Engineering' },
            apps: { targetprocess: { role: 'Administrator' } },
          },
        ],
        leavers: { action: 'delete' },
      },
      world,
    );
    const grant = result.ops.find((o) => o.kind === 'grant')!;
    expect(grant).toMatchObject({ requiresApproval: true, risk: 'high' });
    expect(result.ops.find((o) => o.kind === 'delete')).toMatchObject({
      requiresApproval: true,
      risk: 'high',
    });
    expect(result.ops.find((o) => o.kind === 'create')?.requiresApproval).toBe(false);
  });

  it('more ops in one app than opsPerApp all need approval', () => {
    const people = [person('E1'), person('E3'), person('E4')];
    const result = plan(
      { ...engineering, safety: { approval: { opsPerApp: 2 } } },
      { people, links: [], apps: [tpApp([])] },
    );
    expect(result.ops.length).toBeGreaterThan(2);
    expect(result.ops.every((o) => o.requiresApproval)).toBe(true);
  });

  it('an entitlement name the app does not have is a plan error naming the rule and the name', () => {
    const result = plan(
      { rules: [{ name: 'eng', when: {}, apps: { targetprocess: { teams: ['Nope'] } } }] },
      { people: [person('E1')], links: [], apps: [tpApp([])] },
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toContain('rule "eng"');
    expect(result.errors[0]!.message).toContain('team "Nope"');
  });

  it('one unknown name shared by many people is one error, with how many people it affects and a guess', () => {
    const people = Array.from({ length: 262 }, (_, i) => person(`E${i}`));
    const result = plan(
      { rules: [{ name: 'eng', when: {}, apps: { targetprocess: { teams: ['Platfrom'] } } }] },
      { people, links: [], apps: [tpApp([])] },
    );
    expect(result.errors).toEqual([
      {
        appId: 'targetprocess',
        rule: 'eng',
        people: 262,
        message:
          'rule "eng" gives team "Platfrom" in targetprocess, which has no such team (did you mean "Platform"?); 262 people do not get it',
      },
    ]);
  });

  it('a condition on a field no person has is an error with "did you mean", not a rule that silently matches nobody', () => {
    const people = [person('E1', { attributes: { cost_center: 'R&D' } })];
    const policy = policySchema.parse({
      rules: [
        { name: 'eng', when: { departmnet: 'Engineering' }, apps: { targetprocess: {} } },
        { name: 'rd', when: { cost_centre: 'R&D', firstName: 'First' }, apps: { targetprocess: {} } },
      ],
    });
    const desired = desiredState({
      people,
      policy,
      apps: [{ id: 'targetprocess', type: 'targetprocess', kinds: ['role', 'team'] }],
      now: NOW,
    });
    expect(desired.errors.map((e) => [e.rule, e.message])).toEqual([
      [
        'eng',
        'rule "eng" has a condition on "departmnet", which no person in the HR import has, so it matches nobody — did you mean "department"?',
      ],
      [
        'rd',
        'rule "rd" has a condition on "cost_centre", which no person in the HR import has, so it matches nobody — did you mean "cost_center"?',
      ],
    ]);
  });

  it('a single-valued role given over a plain one is a low-risk change saying what it replaces', () => {
    const entitlements: Entitlement[] = [
      ...tpEntitlements,
      { appId: 'targetprocess', id: 'role:3', kind: 'role', name: 'QA Engineer', privileged: false },
    ];
    const app = {
      ...tpApp(
        [account('targetprocess', '7', { lastName: 'E1' })],
        [{ appId: 'targetprocess', accountId: '7', entitlementId: 'role:3' }],
      ),
      entitlements,
    };
    const result = plan(engineering, {
      people: [person('E1')],
      links: [link('targetprocess', '7', 'E1')],
      apps: [app],
    });
    const change = result.ops.find((o) => o.entitlement?.kind === 'role');
    expect(change).toMatchObject({
      kind: 'grant',
      entitlement: { name: 'Developer' },
      replaces: { id: 'role:3', name: 'QA Engineer', privileged: false },
      risk: 'low',
      requiresApproval: false,
    });
    // The grant is the change: no revoke or task for the role it replaces, even with roles managed.
    const managed = plan(
      { ...engineering, managed: { targetprocess: ['role'] } },
      { people: [person('E1')], links: [link('targetprocess', '7', 'E1')], apps: [app] },
    );
    expect(managed.ops.filter((o) => o.entitlement?.kind === 'role').map((o) => o.kind)).toEqual(['grant']);
  });

  it('disputed and suggested accounts are never touched; orphans only when the policy says deactivate', () => {
    const accounts = [
      account('targetprocess', '1'),
      account('targetprocess', '2'),
      account('targetprocess', '3'),
    ];
    const links = [
      link('targetprocess', '1', 'E2', { situation: 'disputed', candidates: ['E2', 'E5'] }),
      link('targetprocess', '2', 'E2', { situation: 'suggested' }),
      link('targetprocess', '3', null),
    ];
    const world = { people: [person('E2', { status: 'leaver' })], links, apps: [tpApp(accounts)] };
    const reported = plan({}, world);
    expect(reported.ops).toEqual([]);
    expect(reported.untouched).toMatchObject({
      disputed: ['targetprocess:1'],
      suggested: ['targetprocess:2'],
    });
    const cleaned = plan({ orphans: 'deactivate' }, world);
    expect(cleaned.ops).toMatchObject([
      { kind: 'deactivate', account: { id: '3' }, reason: { finding: 'orphan' } },
    ]);
  });

  it('no account is created for someone a disputed account may already belong to', () => {
    const links = [link('targetprocess', '1', null, { situation: 'disputed', candidates: ['E1', 'E2'] })];
    const world = {
      people: [person('E1'), person('E2'), person('E3')],
      links,
      apps: [tpApp([account('targetprocess', '1')])],
    };
    const result = plan({ rules: [{ name: 'eng', when: {}, apps: { targetprocess: {} } }] }, world);
    expect(result.ops.filter((o) => o.kind === 'create').map((o) => o.person?.employeeId)).toEqual(['E3']);
    expect(result.untouched['candidate of a disputed or suggested account']).toEqual([
      'targetprocess:1 (E1)',
      'targetprocess:1 (E2)',
    ]);
  });

  it('what the API cannot do becomes a task with instructions (customer-directory create)', () => {
    const app: DiffApp = {
      id: 'customer-directory',
      type: 'customer-directory',
      manifest: manifestOf('customer-directory'),
      accounts: [],
      entitlements: [],
      grants: [],
    };
    const result = plan(
      { rules: [{ name: 'support', when: {}, apps: { 'customer-directory': {} } }] },
      { people: [person('E1')], links: [], apps: [app] },
    );
    expect(result.ops).toMatchObject([{ kind: 'task', task: { instead: 'create' } }]);
    expect(result.ops[0]!.task!.instructions).toContain('directory admin');
    expect(result.ops[0]!.task!.instructions).toContain('e1@acme.com');
  });

  it('a Process Street create is an invite, and group adds wait for its acceptance', () => {
    const app: DiffApp = {
      id: 'process-street',
      type: 'process-street',
      manifest: manifestOf('process-street'),
      accounts: [],
      entitlements: [
        { appId: 'process-street', id: 'g1', kind: 'group', name: 'Operations', privileged: false },
      ],
      grants: [],
    };
    const result = plan(
      { rules: [{ name: 'ops', when: {}, apps: { 'process-street': { groups: ['Operations'] } } }] },
      { people: [person('E1')], links: [], apps: [app] },
    );
    const [create, wait, grant] = result.ops;
    expect(create).toMatchObject({ kind: 'create', invite: true });
    expect(wait).toMatchObject({ kind: 'wait', waitFor: 'invite_acceptance', dependsOn: [create!.ref] });
    expect(grant).toMatchObject({ kind: 'grant', dependsOn: [wait!.ref] });
  });

  it('an empty HR file blocks the plan, saying how many of how many accounts would go', () => {
    const accounts = Array.from({ length: 10 }, (_, i) => account('targetprocess', String(i)));
    const links = accounts.map((a) => link('targetprocess', a.id, null));
    const result = plan(
      { orphans: 'deactivate', safety: { maxDeactivations: { count: 5, share: 0.5 } } },
      { people: [], links, apps: [tpApp(accounts)] },
    );
    expect(result.blocks).toHaveLength(1);
    expect(result.blocks[0]).toMatchObject({ appId: 'targetprocess', removals: 10, liveAccounts: 10 });
    expect(result.blocks[0]!.message).toContain('10 of 10');
    expect(result.blocks[0]!.message).toContain('empty or truncated HR file');
  });
});

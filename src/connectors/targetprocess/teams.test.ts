import { afterEach, describe, expect, it } from 'vitest';
import { type Connector, grantKey, readAll } from '../sdk/index.js';
import { apiRequests, startTp, strip, type TpSandbox } from './testkit.js';

let env: { sandbox: TpSandbox; connector: Connector; close(): Promise<void> } | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('Targetprocess teams', () => {
  it('team grants come from /TeamMembers, paged with take=1000, as principal ids only', async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    const teams = await readAll(connector.entitlements.team!.list, (e) => e.id);
    expect(teams.map((t) => [t.id, t.name])).toEqual([
      ['team:10', 'Alpha Team'],
      ['team:11', 'Beta Team'],
    ]);
    const grants = await readAll(connector.entitlements.team!.listGrants!, grantKey);
    expect(grants.map(strip)).toEqual([
      { appId: 'tp', entitlementId: 'team:10', accountId: '1' },
      { appId: 'tp', entitlementId: 'team:10', accountId: '2' },
      { appId: 'tp', entitlementId: 'team:11', accountId: '2' },
      { appId: 'tp', entitlementId: 'team:11', accountId: '4' },
    ]);
    const sent = apiRequests(sandbox).find((r) => r.path === '/TeamMembers')!;
    expect(sent.query.get('take')).toBe('1000');
    expect(sent.query.get('include')).toBe('[User[Id],Team[Id]]');
  });

  it('grant POSTs /TeamMembers {User:{Id},Team:{Id}}; a membership that exists already says alreadyGranted', async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    const team = connector.entitlements.team!;
    expect(await team.grant!({ accountId: '5', entitlementId: 'team:11' })).toEqual({
      alreadyGranted: false,
    });
    const post = apiRequests(sandbox).find((r) => r.method === 'POST')!;
    expect([post.path, post.body]).toEqual(['/TeamMembers', { User: { Id: 5 }, Team: { Id: 11 } }]);
    expect(await team.grant!({ accountId: '5', entitlementId: 'team:11' })).toEqual({ alreadyGranted: true });
    const held = [...sandbox.state.teamMembers.values()].filter((m) => m.UserId === 5 && m.TeamId === 11);
    expect(held).toHaveLength(1);
  });

  it('a membership POST whose answer is lost is looked up, not repeated', async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    sandbox.setFaults('clean', { lostResponse: 1 });
    expect(await connector.entitlements.team!.grant!({ accountId: '5', entitlementId: 'team:10' })).toEqual({
      alreadyGranted: false,
    });
    expect(apiRequests(sandbox).filter((r) => r.method === 'POST')).toHaveLength(1);
    expect([...sandbox.state.teamMembers.values()].filter((m) => m.UserId === 5)).toHaveLength(1);
  });

  it('revoke finds the TeamMember by User.Id and Team.Id and DELETEs it; a second revoke says alreadyAbsent', async () => {
    env = await startTp();
    const { connector, sandbox } = env;
    const team = connector.entitlements.team!;
    const memberId = [...sandbox.state.teamMembers.values()].find(
      (m) => m.UserId === 2 && m.TeamId === 11,
    )!.Id;
    expect(await team.revoke!({ accountId: '2', entitlementId: 'team:11' })).toEqual({
      alreadyAbsent: false,
    });
    expect(sandbox.state.teamMembers.has(memberId)).toBe(false);
    expect(await team.revoke!({ accountId: '2', entitlementId: 'team:11' })).toEqual({ alreadyAbsent: true });
    const sent = apiRequests(sandbox);
    expect(sent[0]?.query.get('where')).toBe('(User.Id eq 2) and (Team.Id eq 11)');
    expect(sent.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `/TeamMembers/${memberId}`,
    ]);
  });
});

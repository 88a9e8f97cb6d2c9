import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { endpointsOf, startTiConnector, type TiSetup } from './testkit.js';

let setup: TiSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function start(): Promise<TiSetup> {
  setup = await startTiConnector(sampleCompany(), { config: { privilegedRoles: ['Support Academy'] } });
  return setup;
}

const idOf = (s: TiSetup, key: string): string => s.sandbox.state.keys.get(key)!;
const groupId = (s: TiSetup, name: string): string =>
  [...s.sandbox.state.groups.values()].find((g) => g.name === name)!.id;

describe('groups', () => {
  it('groups list in one request, privileged when configured so', async () => {
    const s = await start();
    const page = await s.connector.entitlements.group!.list({ pageToken: null });
    expect(page.nextPageToken).toBeNull();
    expect(page.items.map((g) => [g.name, g.privileged])).toEqual([
      ['Sales Academy', false],
      ['Support Academy', true],
    ]);
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/groups']);
  });

  it('adding a member posts {userId} to the group, and adding again is alreadyGranted with no add sent', async () => {
    const s = await start();
    const pair = { accountId: idOf(s, 'bob'), entitlementId: groupId(s, 'Sales Academy') };
    const ops = s.connector.entitlements.group!;
    expect(await ops.grant!(pair)).toEqual({ alreadyGranted: false });
    expect(s.sandbox.state.usersById.get(pair.accountId)?.groups).toEqual([pair.entitlementId]);
    const post = s.sandbox.requests().find((r) => r.method === 'POST');
    expect(post?.body).toEqual({ userId: pair.accountId });
    s.sandbox.clearRequests();
    expect(await ops.grant!(pair)).toEqual({ alreadyGranted: true });
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/users/{id}']);
  });

  it('removing a member who is not one is alreadyAbsent (the app answers 404)', async () => {
    const s = await start();
    const pair = { accountId: idOf(s, 'ada'), entitlementId: groupId(s, 'Sales Academy') };
    const ops = s.connector.entitlements.group!;
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: false });
    expect(s.sandbox.state.usersById.get(pair.accountId)?.groups).toEqual([]);
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: true });
    expect(s.sandbox.requests().map((r) => r.status)).toEqual([200, 404]);
  });

  it('adding to a group that does not exist is not_found', async () => {
    const s = await start();
    const error = await s.connector.entitlements.group!.grant!({
      accountId: idOf(s, 'ada'),
      entitlementId: '00000000-0000-4000-8000-00000000ffff',
    }).catch((e: unknown) => e);
    expect(isRosterError(error) && error.code).toBe('not_found');
  });
});

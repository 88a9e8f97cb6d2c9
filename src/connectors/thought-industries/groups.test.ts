import { afterEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { sampleCompany } from '../../sandbox/thought-industries/testkit.js';
import { captureLogger } from '../sdk/optional.testkit.js';
import { readAll } from '../sdk/paging.js';
import { connectorFor, DOCUMENTED_PATHS, endpointsOf, startTiConnector, type TiSetup } from './testkit.js';

let setup: TiSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function start(options: Parameters<typeof startTiConnector>[1] = {}): Promise<TiSetup> {
  setup = await startTiConnector(sampleCompany(), {
    ...options,
    config: { privilegedRoles: ['Support Academy'], ...options.config },
  });
  return setup;
}

const idOf = (s: TiSetup, key: string): string => s.sandbox.state.keys.get(key)!;
const groupId = (s: TiSetup, name: string): string =>
  [...s.sandbox.state.groups.values()].find((g) => g.name === name)!.id;

describe('groups', () => {
  it('groups are named from the config map, privileged when configured so, with no group list asked for', async () => {
    const s = await start();
    const page = await s.connector.entitlements.group!.list({ pageToken: null });
    expect(page.nextPageToken).toBeNull();
    expect(page.items.map((g) => [g.name, g.privileged])).toEqual([
      ['Sales Academy', false],
      ['Support Academy', true],
    ]);
    // No account listing came first in this connector: the user list is read once for the ids users hold.
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/users']);
  });

  it('after the account listing, the group list needs no request and names every group a user holds', async () => {
    const s = await start();
    const connector = connectorFor(s.sandbox, { groups: {} });
    try {
      await readAll(connector.accounts.list!, (a) => a.id);
      s.sandbox.clearRequests();
      const groups = await readAll(connector.entitlements.group!.list, (g) => g.id);
      // The map names none: the ids Ada and Cy hold stand in for their names.
      expect(groups.map((g) => g.name).sort()).toEqual(
        [groupId(s, 'Sales Academy'), groupId(s, 'Support Academy')].sort(),
      );
      expect(s.sandbox.requests()).toEqual([]);
    } finally {
      await connector.close();
    }
  });

  it('with groups-endpoint opted in and served, GET /groups names the groups', async () => {
    const s = await start({
      undocumented: ['groups-endpoint'],
      config: { groups: {}, undocumented: ['groups-endpoint'] },
    });
    const groups = await readAll(s.connector.entitlements.group!.list, (g) => g.id);
    expect(groups.map((g) => g.name)).toEqual(['Sales Academy', 'Support Academy']);
    // The list names them; the user list still gives the ids users hold (none here that it lacks).
    expect(endpointsOf(s.sandbox)).toEqual(['GET /incoming/api/v1/groups', 'GET /incoming/api/v1/users']);
  });

  it('opted in but not served (404): the documented path names them, once, without blaming the base URL', async () => {
    const logger = captureLogger();
    const s = await start({ logger, config: { undocumented: ['groups-endpoint'] } });
    const ops = s.connector.entitlements.group!;
    for (let i = 0; i < 2; i++) {
      const groups = await readAll(ops.list, (g) => g.id);
      expect(groups.map((g) => g.name)).toEqual(['Sales Academy', 'Support Academy']);
    }
    // The probe is made once; its absence is remembered.
    expect(endpointsOf(s.sandbox).filter((e) => e === 'GET /incoming/api/v1/groups')).toHaveLength(1);
    const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warned).toEqual([
      expect.stringContaining('GET /groups is not served (404); using the documented path'),
    ]);
    expect(warned.join(' ')).not.toMatch(/baseUrl/);
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

  it('removing a member is a PUT of the whole user without the group; removing again is alreadyAbsent', async () => {
    const s = await start();
    const pair = { accountId: idOf(s, 'ada'), entitlementId: groupId(s, 'Sales Academy') };
    const before = structuredClone(s.sandbox.state.usersById.get(pair.accountId)!);
    const ops = s.connector.entitlements.group!;
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: false });
    const after = s.sandbox.state.usersById.get(pair.accountId)!;
    expect(after.groups).toEqual([]);
    // PUT replaces the whole object: everything else is kept.
    expect({ ...after, groups: before.groups, updatedAt: before.updatedAt }).toEqual(before);
    expect(await ops.revoke!(pair)).toEqual({ alreadyAbsent: true });
    expect(endpointsOf(s.sandbox)).toEqual([
      'GET /incoming/api/v1/users/{id}',
      'PUT /incoming/api/v1/users/{id}',
      'GET /incoming/api/v1/users/{id}',
    ]);
    expect(endpointsOf(s.sandbox).every((e) => DOCUMENTED_PATHS.includes(e))).toBe(true);
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

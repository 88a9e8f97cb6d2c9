import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OP_LEASE_MS, openRoster, type Roster, syncApps } from '../../app/index.js';
import { issueToken } from '../../app/tokens.js';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { tokenStore } from '../../store/tokens.js';
import { startTestServer, type TestServer, until } from '../testkit.js';
import { cutShort, OWNER_ELSEWHERE } from './resume.testkit.js';

/**
 * The server's passes over facade writes a stopped server left half done, as timers drive them: again every claim's
 * length (what finds a cluster's other servers' writes once their claims run out), and the wait an app's writes
 * give its pass at start, which an app that takes its time must not stretch.
 */

const APP = 'thought-industries';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

let fleet: Fleet;
let dir: string;
let config: RosterConfig;
let store: Store;
let roster: Roster;
let scimToken: string;
/** The test's server, closed after it. */
let running: TestServer | undefined;
/** The tokens the first server made: a server started again on the store uses them. */
let tokens: TestServer['tokens'] | undefined;

async function serve(options: Partial<Parameters<typeof startTestServer>[0]>): Promise<TestServer> {
  const server = await startTestServer({ dir, config, store, ...(tokens ? { tokens } : {}), ...options });
  running = server;
  tokens = server.tokens;
  return server;
}

beforeAll(async () => {
  fleet = await startFleet({ apps: [APP], seed: 43, people: 8 });
  const ws = fleetWorkspace(fleet, { prefix: 'roster-scim-passes-' });
  dir = ws.dir;
  config = await loadConfig(ws.file, { env: {} });
  store = await openStore(config.store);
  roster = await openRoster(config, { actor: 'test', store });
  await syncApps(roster, {});
  scimToken = (
    await issueToken(
      { store, tokens: tokenStore(store) },
      { name: 'okta-prod', scope: `scim:${APP}`, createdBy: 'test' },
    )
  ).token;
}, 60_000);

afterEach(async () => {
  await running?.close();
  running = undefined;
  fleet.get(APP).clearScriptedFaults();
});

afterAll(async () => {
  await roster?.close();
  await store?.close();
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

const planStatus = async (planId: string) => (await store.getPlan({ id: planId }))?.status;
const appStatus = async (accountId: string) =>
  (await roster.connector(APP).accounts.get!({ id: accountId }))?.status;

describe("the facade's passes over interrupted writes", () => {
  it("comes back every claim's length: another host's write is carried on once its claims have run out, with no restart", async () => {
    const { planId, accountId } = await cutShort(
      roster,
      store,
      APP,
      'elsewhere@example.com',
      OWNER_ELSEWHERE,
    );
    let now = Date.now();
    const server = await serve({ clock: () => new Date(now), scimResume: { everyMs: 100 } });
    // Its owner may still be at it: the pass at start and the ones after it leave the write alone.
    await new Promise((r) => setTimeout(r, 500));
    expect(await planStatus(planId)).toBe('draft');
    expect(await appStatus(accountId)).toBe('active');
    // Every claim it could hold has run out: a later pass, not a restart, finishes it.
    now += OP_LEASE_MS + 60_000;
    await until('the next pass to carry the write on', async () =>
      (await planStatus(planId)) === 'applied' ? true : undefined,
    );
    expect(await appStatus(accountId)).toBe('inactive');
    expect(await store.getAccount({ appId: APP, id: accountId })).toMatchObject({ status: 'inactive' });
    const metrics = await server.call('GET', '/metrics', { token: server.tokens.read });
    expect(metrics.text).toContain('roster_interrupted_total{kind="scim_write",outcome="finished"} 1');
  });

  it("an app's writes wait for its pass at start no longer than they are let to: an app slow to answer holds them up that long, not its whole while", async () => {
    const { planId, accountId } = await cutShort(roster, store, APP, 'slow.app@example.com');
    // The pass's write, the deactivation, goes unanswered: the connector gives up on it after its timeout (3 s for
    // a sandbox) and sends it again, answered then. The pass takes that long; the write below, milliseconds.
    fleet.get(APP).scriptFaults([{ method: 'PUT', path: `/users/${accountId}$`, delayMs: 6000, times: 1 }]);
    const server = await serve({ scimResume: { waitMs: 200 } });
    const email = 'arrived.meanwhile@example.com';
    const created = await server.call('POST', `/scim/v2/${APP}/Users`, {
      token: scimToken,
      body: {
        schemas: [USER],
        userName: email,
        name: { givenName: 'Arrived', familyName: 'Meanwhile' },
        emails: [{ value: email, type: 'work', primary: true }],
        active: true,
      },
    });
    expect(created.status).toBe(201);
    // Answered while the pass still waits on the app: the write did not wait for the pass to end.
    expect(await planStatus(planId)).toBe('draft');
    const id = (created.body as { id: string }).id;
    expect(await store.getAccount({ appId: APP, id })).toMatchObject({ email, status: 'active' });
    // The pass then ends as it would have.
    await until('the pass at start to carry the write on', async () =>
      (await planStatus(planId)) === 'applied' ? true : undefined,
    );
    expect(await appStatus(accountId)).toBe('inactive');
  });
});

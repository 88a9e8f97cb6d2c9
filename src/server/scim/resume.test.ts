import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../app/tokens.js';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { connectorFor } from '../../connectors/registry.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import type { Store } from '../../store/store.js';
import { tokenStore } from '../../store/tokens.js';
import { syncApps } from '../../sync/sync.js';
import { serveChild, withStoreAt } from '../child.testkit.js';
import { RESUMING_ACTOR } from './routes.js';

const APP = 'thought-industries';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** The read of one user by id: the read-back after a create. */
const READ_BACK = { method: 'GET', path: '/users/[^/]+$', status: 503 } as const;

let fleet: Fleet;
let dir: string;
let config: RosterConfig;
let token: string;
/** A read token: /metrics. */
let readToken: string;

const serve = () => serveChild(dir);

const scim = (url: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}/scim/v2/${APP}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const withStore = <T>(fn: (store: Store) => Promise<T>) => withStoreAt(config.store, fn);

beforeAll(async () => {
  fleet = await startFleet({ apps: [APP], seed: 37, people: 16 });
  const ws = fleetWorkspace(fleet, { prefix: 'roster-scim-resume-' });
  dir = ws.dir;
  config = await loadConfig(ws.file, { env: {} });
  const connector = connectorFor(config.apps[0]!);
  try {
    token = await withStore(async (store) => {
      const [synced] = await syncApps({ store, connectors: [connector], full: true });
      expect(synced?.status).toBe('succeeded');
      const issued = await issueToken(
        { store, tokens: tokenStore(store) },
        { name: 'okta-prod', scope: `scim:${APP}`, createdBy: 'test' },
      );
      const reader = await issueToken(
        { store, tokens: tokenStore(store) },
        { name: 'monitoring', scope: 'read', createdBy: 'test' },
      );
      readToken = reader.token;
      return issued.token;
    });
  } finally {
    await connector.close();
  }
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

describe('a facade write the server was killed in the middle of', () => {
  it('is carried on when the server starts again, so the IdP retry finds the user instead of making it twice', async () => {
    const sandbox = fleet.get(APP);
    const email = 'ada.resumed@example.com';
    const user = {
      schemas: [USER],
      userName: email,
      name: { givenName: 'Ada', familyName: 'Resumed' },
      emails: [{ value: email, type: 'work', primary: true }],
      active: true,
    };
    const creates = () =>
      sandbox
        .requests()
        .filter(
          (r) => r.method === 'POST' && /\/users$/.test(r.url.split('?')[0] ?? '') && (r.status ?? 500) < 300,
        );

    // The app makes the user; every read of it answers 503 while the server retries, and is killed meanwhile.
    sandbox.scriptFaults([READ_BACK]);
    const first = await serve();
    const answer = scim(first.url, 'POST', '/Users', user).then(
      (r) => r.status,
      () => 'no answer',
    );
    for (let i = 0; i < 1000 && !sandbox.requests().some((r) => r.method === 'GET' && r.status === 503); i++)
      await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await answer).toBe('no answer');
    sandbox.clearScriptedFaults();
    expect(creates()).toHaveLength(1);
    const createdId = await withStore(async (store) => {
      // What the kill left: the op running, the id the app answered recorded, nothing in the snapshot.
      const [plan] = await store.listPlans({ facade: true, status: 'draft' });
      const [op] = await store.listOps({ planId: plan?.id ?? '' });
      expect(op).toMatchObject({ kind: 'create', status: 'running' });
      const id = op?.outcome?.['accountId'];
      expect(typeof id).toBe('string');
      expect(await store.getAccount({ appId: APP, id: id as string })).toBeNull();
      return id as string;
    });

    const second = await serve();
    try {
      // The IdP's retry: Okta and Entra look the user up by userName first, then create only when it is absent.
      const retried = await scim(second.url, 'POST', '/Users', user);
      expect(retried.status).toBe(409);
      expect(((await retried.json()) as { scimType?: string }).scimType).toBe('uniqueness');
      const found = await scim(
        second.url,
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`,
      );
      const listed = (await found.json()) as { totalResults: number; Resources: { id: string }[] };
      expect(listed.totalResults).toBe(1);
      expect(listed.Resources[0]?.id).toBe(createdId);
      const metrics = await fetch(`${second.url}/metrics`, {
        headers: { authorization: `Bearer ${readToken}` },
      });
      expect(await metrics.text()).toContain(
        'roster_interrupted_total{kind="scim_write",outcome="finished"} 1',
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    // The app was asked to create the user once, and holds it once.
    expect(creates()).toHaveLength(1);
    const connector = connectorFor(config.apps[0]!);
    try {
      const held = await connector.accounts.findByEmail!({ email });
      expect(held.map((a) => a.id)).toEqual([createdId]);
    } finally {
      await connector.close();
    }
    await withStore(async (store) => {
      // The plan is settled and its op verified: begun under the token's name, finished by the server that carried
      // it on (the op keeps the intent it had: it is not begun again).
      const plans = await store.listPlans({ facade: true });
      expect(plans.map((p) => p.status)).toEqual(['applied']);
      const [op] = await store.listOps({ planId: plans[0]?.id ?? '' });
      expect(op).toMatchObject({ status: 'succeeded', claimedBy: null, outcome: { accountId: createdId } });
      expect(op?.outcome?.['verified']).toBe(true);
      const events = (await store.listAudit({ limit: 1000 })).filter((e) => e.kind.startsWith('op.'));
      expect(events.map((e) => [e.kind, e.actor])).toEqual([
        ['op.intent', 'okta-prod'],
        ['op.succeeded', RESUMING_ACTOR],
      ]);
      expect((await store.verifyAudit()).ok).toBe(true);
    });
  }, 90_000);
});

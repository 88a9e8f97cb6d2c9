import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, findPlan, planChanges, withRoster } from '../../app/index.js';
import { loadConfig } from '../../config/load.js';
import type { RosterConfig } from '../../config/schema.js';
import { isRosterError } from '../../core/errors.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { startTestServer, type TestServer } from '../testkit.js';

const APP = 'thought-industries';
const LEFT = 'managed by the IdP (SCIM facade)';

describe('accounts an IdP provisions through the facade are its own: Roster’s policy does not remove them', () => {
  let fleet: Fleet;
  let t: TestServer;
  let config: RosterConfig;
  let id: string;
  beforeAll(async () => {
    fleet = await startFleet({ people: 8, seed: 41, apps: [APP] });
    // A policy that deactivates every account HR knows nothing about: the IdP's user is one of them.
    const ws = fleetWorkspace(fleet, {
      prefix: 'roster-scim-owned-',
      policy: { orphans: 'deactivate', safety: { maxDeactivations: { count: null, share: null } } },
    });
    config = await loadConfig(ws.file, { env: {} });
    t = await startTestServer({ dir: ws.dir, config });
    await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
    for (let i = 0; i < 1000 && t.server.context.jobs.list().length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    id = await provision('contractor.from.okta@partner.example', { givenName: 'Con', familyName: 'Tractor' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
  });

  /** An IdP's create through the facade, as Okta sends it; answers the new user's id. */
  async function provision(userName: string, name: { givenName: string; familyName: string }) {
    const created = await fetch(`${t.server.url}/scim/v2/${APP}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.tokens.operate}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name,
        active: true,
      }),
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }

  const plan = (cfg: RosterConfig) =>
    withRoster(cfg, { actor: 'test', store: t.store }, (roster) => planChanges(roster, { apps: [APP] }));

  it('by default the plan leaves the IdP’s account alone, saying why, while other orphans are deactivated', async () => {
    const computed = await plan(config);
    const ops = computed.body.ops.filter((op) => op.account && 'id' in op.account && op.account.id === id);
    expect(ops).toEqual([]);
    expect(computed.body.untouched?.[LEFT] ?? []).toContain(`${APP}:${id}`);
    expect(computed.body.ops.some((op) => op.kind === 'deactivate')).toBe(true);
  });

  it('with scim.protectIdpManaged: false, the same policy deactivates it', async () => {
    const computed = await plan({
      ...config,
      scim: { ...(config.scim ?? {}), protectIdpManaged: false },
    } as RosterConfig);
    const ops = computed.body.ops.filter((op) => op.account && 'id' in op.account && op.account.id === id);
    expect(ops.map((op) => op.kind)).toEqual(['deactivate']);
  });

  it('an IdP write after `roster plan` does not become the latest plan, and apply refuses a facade plan by id', async () => {
    const policyPlan = (await plan(config)).plan;
    await provision('second.contractor@partner.example', { givenName: 'Sec', familyName: 'Ond' });
    const [facadePlan] = await t.store.listPlans({ limit: 1, facade: true });
    expect(facadePlan && facadePlan.createdAt > policyPlan.createdAt).toBe(true);
    await withRoster(config, { actor: 'test', store: t.store }, async (roster) => {
      expect((await findPlan(roster, 'latest')).id).toBe(policyPlan.id);
      const refused = await applyPlan(roster, { plan: facadePlan!.id, yes: true }).catch((e: unknown) => e);
      expect(isRosterError(refused) && refused.code).toBe('invalid_input');
      expect((refused as Error).message).toContain('SCIM facade');
    });
  });
});

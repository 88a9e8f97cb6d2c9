import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { hrToCsv } from '../sandbox/company.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../sandbox/fleet.js';
import { ADMIN_PREFIX } from '../sandbox/kit/server.js';
import { accountOfEvent } from './routes/webhooks.js';
import { startTestServer, type TestServer } from './testkit.js';

async function until<T>(what: string, check: () => Promise<T | undefined>, attempts = 500): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface AccountView {
  account: { id: string; firstName: string | null; email: string | null };
  owner: { employeeId: string } | null;
}

describe('webhooks in', () => {
  let fleet: Fleet;
  let t: TestServer;
  const SECRET = 'hook-secret-for-tests';

  beforeAll(async () => {
    fleet = await startFleet({ people: 40, seed: 9, apps: ['thought-industries', 'targetprocess'] });
    const dir = mkdtempSync(join(tmpdir(), 'roster-webhooks-'));
    writeFileSync(join(dir, 'hr.csv'), hrToCsv(fleet.company.hr));
    const doc = parse(
      fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }),
    ) as Record<string, unknown>;
    // The sandbox cannot sign, so Thought Industries is unverified here; Targetprocess events must be signed.
    doc.server = { webhooks: { targetprocess: { secret: SECRET } } };
    writeFileSync(join(dir, 'roster.yaml'), stringify(doc));
    t = await startTestServer({ dir, config: await loadConfig(join(dir, 'roster.yaml'), { env: {} }) });
    const operate = t.tokens.operate;
    await t.call('POST', '/people/import', { token: operate, body: {} });
    await t.call('POST', '/syncs', { token: operate, body: {} });
    await until('the syncs', async () => (t.server.context.jobs.list().length === 0 ? true : undefined));
  });
  afterAll(async () => {
    await t?.close();
    await fleet?.close();
  });

  it('a Thought Industries user.updated re-reads that one user (no listing), updates the snapshot, plans for its owner; a redelivery is ignored', async () => {
    const ti = fleet.get('thought-industries');
    const accounts = (
      await t.call('GET', '/accounts?appId=thought-industries&situation=linked&status=active&limit=1', {
        token: t.tokens.read,
      })
    ).body as { items: AccountView[] };
    const target = accounts.items[0];
    expect(target).toBeDefined();
    const id = target?.account.id ?? '';

    // Roster's receiver is registered in the app (its admin portal: the sandbox's admin API).
    const hookUrl = `${t.server.url}/webhooks/thought-industries`;
    await fetch(`${ti.origin}${ADMIN_PREFIX}/webhooks`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: hookUrl }),
    });
    // Someone renames the user in Thought Industries; the app calls Roster.
    const put = await fetch(`${ti.baseUrl}/users/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': ti.credentials.token },
      body: JSON.stringify({ firstName: 'Renamed', lastName: 'ByWebhook' }),
    });
    expect(put.status).toBe(200);
    ti.clearRequests();

    const updated = await until('the snapshot to show the rename', async () => {
      const r = (
        await t.call('GET', `/accounts?appId=thought-industries&limit=1000`, { token: t.tokens.read })
      ).body as { items: AccountView[] };
      const row = r.items.find((a) => a.account.id === id);
      return row?.account.firstName === 'Renamed' ? row : undefined;
    });
    expect(updated.owner?.employeeId).toBe(target?.owner?.employeeId);

    // Targeted: the one user read by id; never the user listing.
    await until('the re-sync to finish', async () =>
      t.server.context.jobs.list().length === 0 ? true : undefined,
    );
    const calls = ti.requests().map((e) => `${e.method} ${e.url.split('?')[0]}`);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatch(new RegExp(`^GET .*/users/${id}$`));

    const events = (await t.call('GET', '/webhooks/thought-industries/events', { token: t.tokens.read }))
      .body as {
      items: {
        kind: string;
        outcome: { outcome: string; employeeId: string | null; planId: string | null } | null;
      }[];
    };
    const event = events.items.find((e) => e.kind === 'user.updated');
    expect(event?.outcome).toMatchObject({ outcome: 'updated', employeeId: target?.owner?.employeeId });
    expect(event?.outcome?.planId).toMatch(/\S/);
    const plan = (await t.call('GET', `/plans/${event?.outcome?.planId}`, { token: t.tokens.read })).body as {
      body: { person: { employeeId: string } | null; apps: string[] };
    };
    expect(plan.body.person?.employeeId).toBe(target?.owner?.employeeId);
    expect(plan.body.apps).toEqual(['thought-industries']);

    // The app delivers the same event again: acknowledged, not acted on.
    const same = { event: 'user.updated', occurredAt: '2026-01-01T00:00:00.000Z', data: { user: { id } } };
    const first = await t.call('POST', '/webhooks/thought-industries', { body: same });
    const again = await t.call('POST', '/webhooks/thought-industries', { body: same });
    expect(first.body).toMatchObject({ accepted: true, duplicate: false });
    expect(again.body).toMatchObject({ accepted: false, duplicate: true });
  });

  it("a user moved to another person's address is linked to them, without the server reading everyone again", async () => {
    const ti = fleet.get('thought-industries');
    const list = async () =>
      (
        (await t.call('GET', '/accounts?appId=thought-industries&limit=1000', { token: t.tokens.read }))
          .body as {
          items: AccountView[];
        }
      ).items;
    const accounts = await list();
    const target = accounts.find((a) => a.owner !== null && a.account.id !== accounts[0]?.account.id);
    const taken = new Set(accounts.map((a) => a.account.email?.toLowerCase()));
    const other = fleet.company.hr.find(
      (p) => p.status === 'active' && p.employee_id !== target?.owner?.employeeId && !taken.has(p.email),
    );
    expect(target).toBeDefined();
    expect(other).toBeDefined();
    const id = target?.account.id ?? '';
    await fetch(`${ti.origin}${ADMIN_PREFIX}/webhooks`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${t.server.url}/webhooks/thought-industries` }),
    });
    // The server kept the people indexed from its last graph run: this event's re-sync correlates the one
    // account against that index, without reading everyone again.
    const everyone = vi.spyOn(t.server.context.store, 'listGraphPeople');
    const put = await fetch(`${ti.baseUrl}/users/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': ti.credentials.token },
      body: JSON.stringify({ email: other?.email }),
    });
    expect(put.status).toBe(200);
    const event = await until('the event to be handled', async () => {
      const events = (await t.call('GET', '/webhooks/thought-industries/events', { token: t.tokens.read }))
        .body as {
        items: { kind: string; outcome: { employeeId: string | null } | null }[];
      };
      return events.items.find((e) => e.outcome?.employeeId === other?.employee_id);
    });
    expect(event.kind).toBe('user.updated');
    await until('the re-sync to finish', async () =>
      t.server.context.jobs.list().length === 0 ? true : undefined,
    );
    const fullReads = everyone.mock.calls.filter(([input]) => input?.employeeIds === undefined);
    everyone.mockRestore();
    // One read of everyone: the plan for the account's owner (a plan for one person is computed whole, then
    // kept to theirs). The graph read nobody: a second read here is the index not kept.
    expect(fullReads).toHaveLength(1);
    const moved = (await list()).find((a) => a.account.id === id);
    expect(moved?.account.email).toBe(other?.email);
    expect(moved?.owner?.employeeId).toBe(other?.employee_id);
  });

  it('with a secret configured, refuses an unsigned or wrongly signed event and accepts a signed one', async () => {
    const account = (
      (await t.call('GET', '/accounts?appId=targetprocess&limit=1', { token: t.tokens.read })).body as {
        items: AccountView[];
      }
    ).items[0];
    const body = JSON.stringify({ id: 'evt-1', accountId: account?.account.id });
    const post = (headers: Record<string, string>) =>
      fetch(`${t.server.url}/webhooks/targetprocess`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-roster-signature': 'sha256=00' })).status).toBe(401);
    const good = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect((await post({ 'x-roster-signature': good })).status).toBe(202);
    expect((await post({ 'x-webhook-secret': SECRET })).status).toBe(202);
  });

  it('finds the account in each event shape', () => {
    expect(accountOfEvent({ data: { user: { id: 'u1' } } })).toEqual({ accountId: 'u1' });
    expect(accountOfEvent({ data: { enrollment: { userId: 'u2' } } })).toEqual({ accountId: 'u2' });
    expect(accountOfEvent({ email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
    expect(accountOfEvent({})).toEqual({});
  });
});

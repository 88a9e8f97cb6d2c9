import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigOf } from '../config/schema.js';
import { type ScriptedReply, type ScriptedServer, startScriptedServer } from '../connectors/http/testkit.js';
import { scimConnector } from '../connectors/scim/connector.js';
import { createConnector } from '../connectors/sdk/create.js';
import { defineConnector } from '../connectors/sdk/define.js';
import { decodePageToken, encodePageToken } from '../connectors/sdk/paging.js';
import type { Connector } from '../connectors/sdk/types.js';
import type { Account } from '../core/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { syncApp } from './sync.js';

const TOKEN = 'guard-token-0123456789';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function freshStore(): Promise<Store> {
  const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'roster-guard-')), 'roster.db')}`);
  open.push(store);
  return store;
}

const fast = { backoff: { baseMs: 1, capMs: 5 }, timeoutMs: 30_000 };

function config(server: ScriptedServer, sync?: AppConfigOf<'scim'>['sync']): AppConfigOf<'scim'> {
  return {
    id: 'hostile',
    type: 'scim',
    baseUrl: `${server.origin}/scim/v2`,
    auth: { type: 'bearer', token: TOKEN },
    ...(sync ? { sync } : {}),
  };
}

/** A SCIM server as small as it gets: Users only, and whatever the test says for a Users listing. */
async function scimServer(users: () => ScriptedReply): Promise<ScriptedServer> {
  const server = await startScriptedServer((request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.endsWith('/Users')) return users();
    return { status: 404, body: { detail: 'not here' } };
  });
  open.push(server);
  return server;
}

function scimUsers(count: number, from = 0): ScriptedReply {
  const Resources = Array.from({ length: count }, (_, i) => ({
    id: `u${from + i}`,
    userName: `user${from + i}@acme.com`,
    active: true,
  }));
  return { status: 200, body: { totalResults: count, Resources } };
}

function scim(server: ScriptedServer, sync?: AppConfigOf<'scim'>['sync']): Connector {
  const connector = createConnector(scimConnector, config(server, sync), { http: fast });
  open.push(connector);
  return connector;
}

describe('a bad answer never wipes a snapshot', () => {
  it('a sync that would remove more than maxDropShare of the accounts is refused with the numbers and the way to accept it', async () => {
    let reply = scimUsers(10);
    const server = await scimServer(() => reply);
    const store = await freshStore();
    const connector = scim(server);
    // No accounts before: nothing to guard.
    expect(await syncApp(connector, { store, connectors: [connector] })).toMatchObject({
      status: 'succeeded',
    });
    reply = scimUsers(2);
    const refused = await syncApp(connector, {
      store,
      connectors: [connector],
      configPaths: { hostile: 'apps[4]' },
    });
    expect(refused.status).toBe('failed');
    expect(refused.error).toEqual({
      code: 'conflict',
      message:
        'hostile: this sync would remove 8 of the 10 accounts Roster holds for it (80%), more than the 30% limit (apps[4].sync.maxDropShare); nothing was changed',
      fix: 'if 8 accounts really left hostile, run roster sync --accept-drop (or raise apps[4].sync.maxDropShare); otherwise check hostile: a listing cut short looks just like a mass removal',
    });
    expect(await store.listAccounts({ appId: 'hostile' })).toHaveLength(10);
    // Accepted: the snapshot now holds what the app holds.
    const accepted = await syncApp(connector, { store, connectors: [connector], acceptDrop: true });
    expect(accepted).toMatchObject({ status: 'succeeded', counts: { accounts: 2 } });
    expect(await store.listAccounts({ appId: 'hostile' })).toHaveLength(2);
  });

  it('a drop within the limit, or within an app’s own maxDropShare, is committed', async () => {
    let reply = scimUsers(10);
    const server = await scimServer(() => reply);
    const store = await freshStore();
    const lenient = scim(server, { maxDropShare: 0.9 });
    await syncApp(lenient, { store, connectors: [lenient] });
    reply = scimUsers(8);
    expect((await syncApp(lenient, { store, connectors: [lenient] })).status).toBe('succeeded');
    reply = scimUsers(2);
    expect((await syncApp(lenient, { store, connectors: [lenient] })).counts.accounts).toBe(2);
  });

  it('a listing answered {} is an error naming the field, never an empty snapshot', async () => {
    let reply: ScriptedReply = scimUsers(5);
    const server = await scimServer(() => reply);
    const store = await freshStore();
    const connector = scim(server);
    await syncApp(connector, { store, connectors: [connector] });
    reply = { status: 200, body: {} };
    const result = await syncApp(connector, { store, connectors: [connector] });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      /^hostile: GET \/Users answered a payload Roster cannot read \(totalResults: /,
    );
    reply = { status: 200, body: { totalResults: 5 } };
    expect((await syncApp(connector, { store, connectors: [connector] })).error?.message).toMatch(
      /totalResults 5 at startIndex 1 but no Resources/,
    );
    expect(await store.listAccounts({ appId: 'hostile' })).toHaveLength(5);
  });

  it('a 302 is a failed sync naming the redirect; the token never follows it and the snapshot stays', async () => {
    let reply: ScriptedReply = scimUsers(5);
    const server = await scimServer(() => reply);
    const store = await freshStore();
    const connector = scim(server);
    await syncApp(connector, { store, connectors: [connector] });
    reply = { status: 302, headers: { location: 'https://sso.example.com/login?from=scim' }, body: '' };
    const result = await syncApp(connector, { store, connectors: [connector] });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('302 Found');
    expect(result.error?.message).toContain('Location https://sso.example.com/login');
    expect(result.error?.fix).toMatch(/baseUrl/);
    expect(await store.listAccounts({ appId: 'hostile' })).toHaveLength(5);
  });
});

/** A cursor-paged app as small as it gets: GET /items?cursor= answers items, a next cursor and maybe a total. */
const cursorConnector = defineConnector({
  type: 'scim',
  title: 'cursor test app',
  config: scimConnector.config,
  configExample: () => '',
  traits: scimConnector.traits,
  create: (ctx) => ({
    accounts: {
      async list({ pageToken }) {
        const { c } = decodePageToken(pageToken, { c: '' });
        const res = await ctx.http.request({
          method: 'GET',
          path: '/items',
          endpoint: 'GET /items',
          query: { cursor: c || undefined },
        });
        const body = res.body as { items: string[]; next: string | null; total?: number };
        const items: Account[] = body.items.map((id) => ({
          appId: ctx.appId,
          id,
          email: `${id}@acme.com`,
          login: null,
          externalId: null,
          firstName: null,
          lastName: null,
          displayName: null,
          status: 'active',
          isAdmin: false,
          lastLoginAt: null,
          createdAt: null,
          updatedAt: null,
          attributes: {},
        }));
        return {
          items,
          nextPageToken: body.next === null ? null : encodePageToken({ c: body.next }),
          total: body.total ?? null,
        };
      },
    },
    entitlements: {},
  }),
});

async function cursorApp(
  answer: (cursor: string) => { items: string[]; next: string | null; total?: number },
  sync?: AppConfigOf<'scim'>['sync'],
) {
  const server = await startScriptedServer((request) => {
    const cursor = new URL(request.url, 'http://x').searchParams.get('cursor') ?? '';
    return { status: 200, body: answer(cursor) };
  });
  open.push(server);
  const connector = createConnector(
    cursorConnector,
    { ...config(server, sync), baseUrl: server.origin },
    { http: fast },
  );
  open.push(connector);
  return { server, connector };
}

describe('listings that never end are stopped', () => {
  it('a cursor that comes back is an error naming the app and the cursor', async () => {
    // c1 → c2 → c1: each page new ids, so only the repeated cursor shows the loop.
    let n = 0;
    const { server, connector } = await cursorApp((cursor) => ({
      items: [`i${n++}`],
      next: cursor === 'c1' ? 'c2' : 'c1',
    }));
    const store = await freshStore();
    const result = await syncApp(connector, { store, connectors: [connector] });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe(
      'hostile: the accounts listing loops: it handed out the page token {"c":"c1"} a second time, after 3 items',
    );
    expect(server.received).toHaveLength(3);
    expect(await store.listAccounts({ appId: 'hostile' })).toEqual([]);
  });

  it('an app that keeps inventing records is stopped past the total it reports', async () => {
    let n = 0;
    const { server, connector } = await cursorApp(() => {
      const items = [`i${n++}`, `i${n++}`];
      return { items, next: `after-${items[1]}`, total: 5 };
    });
    const store = await freshStore();
    const result = await syncApp(connector, { store, connectors: [connector] });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe(
      'hostile: the accounts listing has sent 8 items, but the app reports 5 in all; stopped rather than read without end',
    );
    expect(server.received).toHaveLength(4);
  });

  it('an app that reports no total is stopped at the ceiling, which says where to raise it', async () => {
    let n = 0;
    const { connector } = await cursorApp(
      () => {
        const items = Array.from({ length: 10 }, () => `i${n++}`);
        return { items, next: `after-${items[9]}` };
      },
      { maxItemsPerListing: 45 },
    );
    const store = await freshStore();
    const result = await syncApp(connector, {
      store,
      connectors: [connector],
      configPaths: { hostile: 'apps[0]' },
    });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe(
      'hostile: the accounts listing has passed 45 items, the most one listing may hold; stopped rather than read without end',
    );
    expect(result.error?.fix).toBe(
      'if hostile really holds more, raise apps[0].sync.maxItemsPerListing for it in roster.yaml',
    );
    expect(await store.listAccounts({ appId: 'hostile' })).toEqual([]);
  });
});

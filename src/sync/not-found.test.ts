import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedServer } from '../connectors/http/testkit.js';
import { createConnector } from '../connectors/sdk/create.js';
import { defineConnector } from '../connectors/sdk/define.js';
import type { Connector } from '../connectors/sdk/types.js';
import { thoughtIndustriesConnector } from '../connectors/thought-industries/index.js';
import { openStore } from '../store/open.js';
import { syncApp } from './sync.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** A connector whose listing reads the user list, then one more path: where a 404 lands decides the fix. */
const twoStep = defineConnector({
  type: 'thought-industries',
  title: 'two-step',
  config: thoughtIndustriesConnector.config,
  configExample: () => '',
  traits: thoughtIndustriesConnector.traits,
  create: (ctx) => ({
    accounts: {
      async list() {
        await ctx.http.request({ method: 'GET', path: '/users', endpoint: 'GET /users' });
        await ctx.http.request({ method: 'GET', path: '/users/u1/extra', endpoint: 'GET /users/{id}/extra' });
        return { items: [], nextPageToken: null };
      },
    },
    entitlements: {},
  }),
});

async function syncAgainst(answers: Record<string, number>) {
  const server = await startScriptedServer((request) => {
    const status = answers[request.url.split('?')[0]!] ?? 404;
    return { status, body: status === 200 ? {} : { error: { status, message: 'Not Found' } } };
  });
  open.push(server);
  const connector: Connector = createConnector(twoStep, {
    id: 'ti',
    type: 'thought-industries',
    baseUrl: server.origin,
    auth: { type: 'api-key', key: 'k', header: 'X-API-Key' },
  });
  const store = await openStore(':memory:');
  open.push(connector, store);
  return syncApp(connector, { store, connectors: [connector], configPaths: { ti: 'apps[2]' } });
}

describe('a 404 blames the base URL only when nothing at that base URL answered', () => {
  it('a 404 after the app answered this sync names the path, not apps[N].baseUrl', async () => {
    const result = await syncAgainst({ '/users': 200 });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('not_found');
    expect(result.error?.message).toContain('/users/u1/extra');
    expect(result.error?.fix).not.toContain('baseUrl');
    expect(result.error?.fix).toContain('the base URL is right (the app answered 1 request of this sync)');
  });

  it('a 404 on the first request still says to check apps[N].baseUrl', async () => {
    const result = await syncAgainst({});
    expect(result.error?.code).toBe('not_found');
    expect(result.error?.fix).toBe('check apps[2].baseUrl: the app does not know this path');
  });
});

/**
 * @module The second peer of the SCIM benchmark: SCIMMY (scimmy-routers on express) as an honest SCIM-to-app
 * gateway. Its handlers hold nothing: each translates to the app through Roster's connector — a create is
 * the uniqueness lookup, the app's create and a read-back; a PATCH (SCIMMY reads, patches, writes) is a read,
 * the app's update and a read-back; a read by id or `userName eq` is one app call; any other listing reads
 * every page of the app. The same work a gateway without a store must do for each request.
 */

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import type { AccountPage, Connector } from '../src/connectors/sdk/types.js';
import type { Account } from '../src/core/types.js';
import { accountInputFrom, type MapEntry, toScimUser, userChanges } from '../src/server/scim/mapping.js';
import { isObject, type JsonObject } from '../src/server/scim/schema.js';

type Json = Record<string, unknown>;

export interface GatewayPeer {
  baseUrl: string;
  token: string;
  close(): Promise<void>;
}

const fail = (status: number, scimType: string | null, message: string) =>
  new SCIMMY.Types.Error(status, scimType as never, message);
const plain = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

/** The `userName eq "…"` a SCIMMY filter holds, when that is all it holds. */
function userNameEq(filter: unknown): string | null {
  if (!Array.isArray(filter) || filter.length !== 1 || !isObject(filter[0])) return null;
  const entry = Object.entries(filter[0] as Json);
  const [key, test] = entry[0] ?? [];
  if (entry.length !== 1 || key?.toLowerCase() !== 'username' || !Array.isArray(test)) return null;
  return test[0] === 'eq' && typeof test[1] === 'string' ? test[1] : null;
}

export async function startScimmyGateway(input: {
  connector: Connector;
  mapping: readonly MapEntry[];
}): Promise<GatewayPeer> {
  const { connector, mapping } = input;
  const accounts = connector.accounts;
  const token = `gateway_${randomUUID().replaceAll('-', '')}`;
  let baseUrl = '';
  const render = (account: Account) =>
    toScimUser(account, mapping, { baseUrl: `${baseUrl}` }) as unknown as Record<string, unknown>;
  const read = async (id: string): Promise<Account> => {
    const account = await accounts.get?.({ id });
    if (!account || account.status === 'deleted') throw fail(404, null, `User ${id} not found`);
    return account;
  };

  if (!SCIMMY.Resources.declared(SCIMMY.Resources.User)) SCIMMY.Resources.declare(SCIMMY.Resources.User);
  // SCIMMY's handlers are static: these replace whatever another SCIMMY server in this process declared.
  SCIMMY.Resources.User.ingress(async (resource, instance) => {
    const data = plain(instance);
    if (!resource.id) {
      const { account: wanted } = accountInputFrom(data, mapping);
      const holders = (await accounts.findByEmail?.({ email: wanted.email })) ?? [];
      if (holders.some((a) => a.status !== 'deleted'))
        throw fail(409, 'uniqueness', `userName ${wanted.email} is already taken`);
      const { account } = await accounts.create!.call(accounts, { account: wanted });
      return render(await read(account.id)) as never;
    }
    const current = await read(resource.id);
    // Diffed against the current user as SCIMMY's schema passes it in (its User schema has no enterprise
    // extension, so `department` is absent from both): only what the request changed goes to the app.
    const { changes } = userChanges(plain(new SCIMMY.Schemas.User(render(current), 'in')), data, mapping);
    if (Object.keys(changes).length > 0) await accounts.update!.call(accounts, { id: current.id, changes });
    return render(await read(current.id)) as never;
  })
    .egress(async (resource) => {
      if (resource.id) return render(await read(resource.id)) as never;
      const userName = userNameEq(resource.filter);
      if (userName !== null)
        return ((await accounts.findByEmail?.({ email: userName })) ?? [])
          .filter((a) => a.status !== 'deleted')
          .map(render) as never;
      const all: Account[] = [];
      let pageToken: string | null = null;
      do {
        const page: AccountPage = await accounts.list!.call(accounts, { pageToken });
        all.push(...page.items.filter((a) => a.status !== 'deleted'));
        pageToken = page.nextPageToken;
      } while (pageToken !== null);
      const users = all.map(render);
      return (
        resource.filter ? (resource.filter as { match(v: Json[]): Json[] }).match(users) : users
      ) as never;
    })
    .degress(async (resource) => {
      if (!resource.id) throw fail(404, null, 'no User id');
      await accounts.delete?.call(accounts, { id: resource.id });
    });

  const app = express();
  app.set('query parser', (raw: string) => {
    const out: Json = {};
    for (const [key, value] of new URLSearchParams(raw))
      out[key] = (key === 'startIndex' || key === 'count') && /^\d+$/.test(value) ? Number(value) : value;
    return out;
  });
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      handler: (request) => {
        if (request.header('authorization') !== `Bearer ${token}`) throw new Error('Invalid bearer token');
        return 'gateway';
      },
    }),
  );
  SCIMMY.Config.set({
    patch: { supported: true },
    filter: { supported: true, maxResults: 200 },
    etag: { supported: false },
  } as never);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  return {
    baseUrl,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

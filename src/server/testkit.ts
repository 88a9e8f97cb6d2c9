/** @module Test support for the server: start it on a store, make tokens of each scope, call it over HTTP. */

import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueToken } from '../app/tokens.js';
import { parseConfig } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { TOKEN_SCOPES, type TokenScope, tokenStore } from '../store/tokens.js';
import { type RunningServer, type StartServerOptions, startServer } from './serve.js';

export interface TestServer {
  server: RunningServer;
  store: Store;
  config: RosterConfig;
  /** A token per scope, named after it. */
  tokens: Record<TokenScope, string>;
  call(
    method: string,
    path: string,
    init?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One page of a cursor-paged API list. */
export interface ListPage<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

/**
 * Every page of a cursor-paged list, first to last: `path` (with its query) as given, then each page's nextCursor
 * added to it, until a page has none. Each page must be a 200.
 */
export async function everyPage<T>(
  t: Pick<TestServer, 'call'>,
  path: string,
  token: string,
): Promise<ListPage<T>[]> {
  const pages: ListPage<T>[] = [];
  let cursor: string | null = null;
  do {
    const next: string = cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`;
    const response = await t.call('GET', next, { token });
    if (response.status !== 200) throw new Error(`GET ${next}: ${response.status} ${response.text}`);
    const page = response.body as ListPage<T>;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return pages;
}

/** A config with no apps (or the given document merged in), parsed the way roster.yaml is. */
export function testConfig(dir: string, doc: Record<string, unknown> = {}): RosterConfig {
  const base = {
    store: `sqlite:${join(dir, 'roster.db')}`,
    source: { type: 'csv', path: 'hr.csv' },
    apps: [],
  };
  return parseConfig(stringify({ ...base, ...doc }), { file: join(dir, 'roster.yaml'), env: {} });
}

export async function startTestServer(
  options: {
    dir: string;
    config?: RosterConfig;
    store?: Store;
    /** Tokens made by an earlier server on the same store (a restart); otherwise one per scope is made. */
    tokens?: Record<TokenScope, string>;
  } & Partial<StartServerOptions>,
): Promise<TestServer> {
  const config = options.config ?? testConfig(options.dir);
  const store = options.store ?? (await openStore(config.store));
  const tokens = options.tokens ?? ({} as Record<TokenScope, string>);
  for (const scope of options.tokens ? [] : TOKEN_SCOPES) {
    const issued = await issueToken(
      { store, tokens: tokenStore(store) },
      { name: `${scope}-bot`, scope, createdBy: 'test' },
    );
    tokens[scope] = issued.token;
  }
  const server = await startServer({
    configPath: join(options.dir, 'roster.yaml'),
    port: 0,
    ...options,
    config,
    store,
  });
  return {
    server,
    store,
    config,
    tokens,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (docs, metrics): the text is the body
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    async close() {
      await server.close();
      if (!options.store) await store.close();
    },
  };
}

/** Polls until check returns a value; bounded by attempts, not by a clock assertion. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  attempts = 600,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

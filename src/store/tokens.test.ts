import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from './kysely-store.js';
import { openSqliteStore } from './sqlite.js';
import type { WatchHandlers } from './store.js';
import { tokenStore } from './tokens.js';

/**
 * The keeping of checked tokens, driven by hand: a store that says it hears every change (as Postgres does, see
 * postgres.test.ts for the real thing), whose tokens are then changed behind its back (unannounced), so what the
 * token store answers shows whether it read the row or kept it.
 */
describe('checked tokens', () => {
  let store: KyselyStore;
  afterEach(() => store.close());

  const setUp = async () => {
    store = (await openSqliteStore(':memory:')) as KyselyStore;
    let handlers: WatchHandlers | undefined;
    store.watchTokens = (h) => {
      handlers = h;
      return true;
    };
    const tokens = tokenStore(store);
    await tokens.create({ name: 'idp', scope: 'scim:app', hash: 'h', prefix: 'rst_x', createdBy: 'test' });
    const find = () => tokens.findByHash('h');
    // The first check starts the watch.
    expect(await find()).not.toBeNull();
    const revoked = (yes: boolean) =>
      sql`update api_tokens set revoked_at = ${yes ? '2026-12-06T00:00:00Z' : null}`.execute(store.db);
    return { tokens, find, revoked, heard: () => handlers as WatchHandlers };
  };

  it('are read afresh until the store listens, kept while it does, and dropped by anything heard', async () => {
    const { find, revoked, heard } = await setUp();
    await revoked(true);
    expect(await find()).toBeNull();
    await revoked(false);
    heard().listening();
    expect(await find()).not.toBeNull();
    // Kept: a change nobody announced is not seen.
    await revoked(true);
    expect(await find()).not.toBeNull();
    heard().changed();
    expect(await find()).toBeNull();
  });

  it('are read afresh once the store stops listening, and kept again when it listens again', async () => {
    const { find, revoked, heard } = await setUp();
    heard().listening();
    expect(await find()).not.toBeNull();
    await revoked(true);
    heard().lost();
    expect(await find()).toBeNull();
    await revoked(false);
    expect(await find()).not.toBeNull();
    await revoked(true);
    expect(await find()).toBeNull();
    await revoked(false);
    heard().listening();
    expect(await find()).not.toBeNull();
    await revoked(true);
    expect(await find()).not.toBeNull();
  });

  it('a check under way when a change is heard keeps nothing: what it read may be what just changed', async () => {
    const { find, revoked, heard } = await setUp();
    heard().listening();
    const checking = find();
    heard().changed();
    expect(await checking).not.toBeNull();
    await revoked(true);
    expect(await find()).toBeNull();
  });

  it('a revocation through the token store that kept the token is refused at once', async () => {
    const { tokens, find, heard } = await setUp();
    heard().listening();
    expect(await find()).not.toBeNull();
    await tokens.revoke({ idOrName: 'idp' });
    expect(await find()).toBeNull();
  });

  it('kept tokens cannot be changed by whoever is handed one', async () => {
    const { find, heard } = await setUp();
    heard().listening();
    const token = await find();
    expect(() => {
      (token as { scope: string }).scope = 'admin';
    }).toThrow(TypeError);
  });
});

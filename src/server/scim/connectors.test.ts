import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { AppConfig } from '../../config/schema.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { connectorCache } from './connectors.js';

const APP = 'thought-industries';

describe('the facade keeps one connector per app and config generation', () => {
  let fleet: Fleet;
  let file: string;
  const appOf = async (): Promise<AppConfig> => {
    const app = (await loadConfig(file, { env: {} })).apps.find((a) => a.id === APP);
    if (!app) throw new Error(`the workspace names no ${APP}`);
    return app;
  };
  beforeAll(async () => {
    fleet = await startFleet({ people: 3, seed: 5, apps: [APP] });
    file = fleetWorkspace(fleet, { prefix: 'roster-scim-connectors-' }).file;
  });
  afterAll(async () => {
    await fleet.close();
  });

  it('answers every request of one config with the same connector, a reloaded config with a fresh one', async () => {
    const cache = connectorCache();
    const app = await appOf();
    const first = cache.get(app);
    expect(cache.get(app)).toBe(first);
    const reloaded = cache.get(await appOf());
    expect(reloaded).not.toBe(first);
    expect(cache.get(app)).not.toBe(reloaded);
    const closed = [vi.spyOn(first, 'close'), vi.spyOn(reloaded, 'close')];
    await cache.close();
    // The retired generation's connector too: a request may have used it until the end.
    for (const close of closed) expect(close).toHaveBeenCalledOnce();
  });
});

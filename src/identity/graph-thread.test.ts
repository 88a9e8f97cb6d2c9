/**
 * @module A first pass whose writes run on the store's write thread (a large SQLite fleet) stores exactly what one
 * writing on its own connection stores: the same links, the same findings, for both ways a first pass starts
 * (`updateLinks`, what `plan` runs after a first sync, and `refreshGraph`).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Account, Person } from '../core/types.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { refreshGraph, updateLinks } from './graph.js';
import { account, person } from './testkit.js';

const apps = [
  { id: 'tp', type: 'targetprocess' as const },
  { id: 'ps', type: 'process-street' as const },
];
const config = {
  apps,
  domains: { aliases: [['acme.com', 'acme.io']] as [string, string][] },
  identity: { externalIdAttribute: 'idp_id', dormantDays: 90, inviteDays: 14, nameSuggestions: true },
};
const now = '2026-11-01T00:00:00.000Z';

const people: Person[] = Array.from({ length: 60 }, (_, i) =>
  person(`E${i}`, `first${i % 7}.last${i}@acme.com`, {
    status: i % 9 === 0 ? 'leaver' : 'active',
    aliases: i % 10 === 0 ? [`alias${i}@acme.com`] : [],
  }),
);

/** Every way an account finds (or misses) its owner: IdP id, email, alias domain, login, name only, two, nobody. */
function accountsOf(appId: string, offset: number): Account[] {
  return Array.from({ length: 90 }, (_, n) => {
    const i = (n + offset) % people.length;
    const kind = n % 8;
    return account(String(n + 1), {
      appId,
      email:
        kind === 6
          ? `svc${n}@vendor.example`
          : kind === 1
            ? `First${i % 7}.Last${i}@acme.io`
            : kind === 3 || kind === 4
              ? null
              : `first${i % 7}.last${i}@acme.com`,
      login: kind === 3 ? `first${i % 7}.last${i}` : null,
      // Kind 5: one person's email and another's IdP id, a dispute. Kind 6: a service account, nobody's name.
      externalId: kind === 0 ? `idp-E${i}` : kind === 5 ? `idp-E${(i + 1) % people.length}` : null,
      firstName: kind === 6 ? null : `first${i % 7}`,
      lastName: kind === 6 ? null : `last${i}`,
      status: n % 11 === 0 ? 'invited' : 'active',
      isAdmin: n % 13 === 0,
      lastLoginAt: n % 5 === 0 ? null : '2026-01-01T00:00:00.000Z',
      createdAt: '2025-06-01T00:00:00.000Z',
    });
  });
}

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function seeded(writeThreadFrom: number): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-graph-thread-'));
  dirs.push(dir);
  const store = await openStore(`sqlite:${join(dir, 'roster.db')}`, { writeThreadFrom });
  stores.push(store);
  await store.replacePeople({ sourcePath: 'hr.csv', hash: 'h', people });
  for (const [index, app] of apps.entries()) {
    await store.upsertApp({ id: app.id, type: app.type, baseUrl: 'http://127.0.0.1:1/api' });
    await store.replaceSnapshot({
      appId: app.id,
      runId: null,
      accounts: accountsOf(app.id, index * 17),
      entitlements: [],
      grants: [],
    });
  }
  return store;
}

const linksOf = async (store: Store) =>
  (await store.listLinks()).map(({ updatedAt: _, ...link }) => link as Record<string, unknown>);

describe('a first pass on the write thread', () => {
  it('updateLinks stores the same links as on the store connection', async () => {
    const [threaded, plain] = await Promise.all([seeded(0), seeded(Number.POSITIVE_INFINITY)]);
    const a = await updateLinks({ store: threaded, config });
    const b = await updateLinks({ store: plain, config });
    expect(a).toMatchObject({ upToDate: false, written: 180, removed: 0 });
    expect(b).toMatchObject({ upToDate: false, written: 180, removed: 0 });
    const links = await linksOf(threaded);
    expect(new Set(links.map((l) => l['situation']))).toEqual(
      new Set(['linked', 'suggested', 'disputed', 'unmatched']),
    );
    expect(links).toEqual(await linksOf(plain));
    // The graph's state was recorded in the same transaction: nothing is left to do.
    expect(await updateLinks({ store: threaded, config })).toMatchObject({ upToDate: true });
  });

  it('refreshGraph stores the same links and findings as on the store connection', async () => {
    const [threaded, plain] = await Promise.all([seeded(0), seeded(Number.POSITIVE_INFINITY)]);
    const a = await refreshGraph({ store: threaded, config, now });
    const b = await refreshGraph({ store: plain, config, now });
    expect(a.findings.length).toBeGreaterThan(0);
    expect(a.findings).toEqual(b.findings);
    expect(a.summary).toEqual(b.summary);
    expect(await linksOf(threaded)).toEqual(await linksOf(plain));
    const again = await refreshGraph({ store: threaded, config, now });
    expect(again).toMatchObject({ upToDate: true, findings: a.findings });
  });
});

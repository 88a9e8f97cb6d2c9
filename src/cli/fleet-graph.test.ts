/**
 * @module `roster graph` on a fleet past the write thread's threshold (100k accounts): the first pass runs its
 * writes on a second thread, through the CLI as a user runs it, and stores what the one-thread pass stores.
 */

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Account, Person } from '../core/types.js';
import { refreshGraph } from '../identity/graph.js';
import { account, person } from '../identity/testkit.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { seedSyncedApp } from '../store/synced.testkit.js';
import { jsonData, roster } from './testkit.js';

const PEOPLE = 21_000;
const PER_APP = 52_500;
const APPS = [
  { id: 'targetprocess', type: 'targetprocess', baseUrl: 'https://acme.tpondemand.com/api/v1' },
  { id: 'process-street', type: 'process-street', baseUrl: 'https://api.process.st/api/v1' },
] as const;

const where = mkdtempSync(join(tmpdir(), 'roster-fleet-graph-'));
afterAll(() => rmSync(where, { recursive: true, force: true }));

const people: Person[] = Array.from({ length: PEOPLE }, (_, i) =>
  person(`E${i}`, `first${i % 50}.last${i}@acme.com`, { status: i % 9 === 0 ? 'leaver' : 'active' }),
);

/** Accounts by address, by alias domain, by name only, and service accounts nobody owns. */
function accountsOf(appId: string, offset: number): Account[] {
  return Array.from({ length: PER_APP }, (_, n) => {
    const i = (n + offset) % PEOPLE;
    const kind = n % 10;
    return account(String(n + 1), {
      appId,
      email: kind === 9 ? `svc${n}@vendor.example` : kind === 8 ? null : `first${i % 50}.last${i}@acme.com`,
      firstName: kind === 9 ? null : `first${i % 50}`,
      lastName: kind === 9 ? null : `last${i}`,
      isAdmin: n % 500 === 0,
    });
  });
}

async function links(store: Store) {
  return (await store.listLinks()).map(({ updatedAt: _, ...link }) => link);
}

describe('roster graph at fleet size', () => {
  it('links every account of 105k through the CLI, as the one-thread pass does', async () => {
    writeFileSync(
      join(where, 'roster.yaml'),
      [
        'store: sqlite:./roster.db',
        'source: { type: csv, path: hr.csv }',
        'apps:',
        ...APPS.flatMap((a) => [
          `  - id: ${a.id}`,
          `    type: ${a.type}`,
          `    baseUrl: ${a.baseUrl}`,
          '    auth: { type: bearer, token: t }',
        ]),
        '',
      ].join('\n'),
    );
    const seeded = await openStore(`sqlite:${join(where, 'roster.db')}`);
    await seeded.replacePeople({ sourcePath: 'hr.csv', hash: 'h', people });
    // As a sync leaves it (generating 105k accounts in sandboxes would be most of this test's time).
    for (const [index, app] of APPS.entries()) {
      await seedSyncedApp(
        seeded,
        { id: app.id, type: app.type, baseUrl: app.baseUrl },
        accountsOf(app.id, index * 7),
      );
    }
    await seeded.close();
    // The same store, for the pass on one thread (closed, the file holds everything: no WAL to copy).
    copyFileSync(join(where, 'roster.db'), join(where, 'one-thread.db'));

    const graph = await roster('-c', join(where, 'roster.yaml'), 'graph', '--json');
    expect(graph.code, graph.stderr + graph.stdout).toBe(0);
    const summary = jsonData<{ apps: Record<string, { accounts: number; unmatched: number }> }>(graph.stdout);
    for (const app of APPS) {
      expect(summary.apps[app.id]?.accounts).toBe(PER_APP);
      expect(summary.apps[app.id]?.unmatched).toBeGreaterThan(0);
    }

    const [threaded, oneThread] = await Promise.all([
      openStore(`sqlite:${join(where, 'roster.db')}`),
      openStore(`sqlite:${join(where, 'one-thread.db')}`, { writeThreadFrom: Number.POSITIVE_INFINITY }),
    ]);
    try {
      const config = { apps: APPS.map((a) => ({ id: a.id, type: a.type })) };
      const expected = await refreshGraph({ store: oneThread, config, now: new Date().toISOString() });
      expect(expected.summary.apps).toEqual(summary.apps);
      const stored = await links(threaded);
      expect(stored).toHaveLength(2 * PER_APP);
      expect(stored).toEqual(await links(oneThread));
      expect((await threaded.listGraphFindings()).length).toBe(expected.findings.length);
    } finally {
      await Promise.all([threaded.close(), oneThread.close()]);
    }
  }, 120_000);
});

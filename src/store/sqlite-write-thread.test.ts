/**
 * @module A graph's first pass writing on a thread of its own (SQLite file stores): the writes land whole at the
 * commit or not at all, the pass's reads see the store as it began, and every other writer waits its turn.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emailLink } from './kysely/testkit.js';
import { openStore } from './open.js';
import type { Store } from './store.js';

const link = (appId: string, accountId: string, employeeId: string) =>
  emailLink(accountId, employeeId, appId);

describe('bulkLinks on a write thread', () => {
  let dir: string;
  let file: string;
  let store: Store;
  const opened: Store[] = [];
  const open = async (writeThreadFrom: number) => {
    const s = await openStore(`sqlite:${file}`, { writeThreadFrom });
    opened.push(s);
    return s;
  };
  /** The links' index by person as committed (read on a connection of its own). */
  const employeeIndex = () => {
    const db = new Sqlite(file, { readonly: true });
    try {
      return (
        db.prepare(`select sql from sqlite_master where type = 'index' and name = 'links_employee'`).get() as
          | { sql: string }
          | undefined
      )?.sql;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-write-thread-'));
    file = join(dir, 'roster.db');
    store = await open(0);
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands the links at the commit, while the pass reads the store as it began', async () => {
    const index = employeeIndex();
    expect(index).toContain('links_employee');
    const reader = await open(0);
    let inside: unknown[] = ['not read'];
    let elsewhere: unknown[] = ['not read'];
    await store.bulkLinks(async (bulk) => {
      await bulk.upsertLinks({
        links: [link('app', 'a1', 'E1'), link('app', 'a2', 'E2'), link('app', 'a3', 'E1')],
      });
      // On the write thread the pass's own writes are not visible to its reads, nor to anyone before the commit.
      inside = await bulk.listLinks({});
      elsewhere = await reader.listLinks({});
    });
    expect(inside).toEqual([]);
    expect(elsewhere).toEqual([]);
    expect((await reader.listLinks({ employeeId: 'E1' })).map((l) => l.accountId)).toEqual(['a1', 'a3']);
    expect(employeeIndex()).toBe(index);
  });

  it('below its threshold the pass writes on its own connection and reads its own writes', async () => {
    const small = await open(1_000);
    let inside = -1;
    await small.bulkLinks(async (bulk) => {
      await bulk.upsertLinks({ links: [link('app', 'a1', 'E1')] });
      inside = (await bulk.listLinks({})).length;
    });
    expect(inside).toBe(1);
  });

  it('rolls everything back when a write fails on the thread, says why, and the store goes on', async () => {
    const index = employeeIndex();
    await expect(
      store.bulkLinks(async (bulk) => {
        await bulk.upsertLinks({ links: [link('app', 'a1', 'E1')] });
        // No such app: the thread's connection refuses the row (foreign keys are on there too).
        await bulk.upsertLinks({ links: [link('nowhere', 'b1', 'E2')] });
      }),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(await store.listLinks({})).toEqual([]);
    expect(employeeIndex()).toBe(index);
    await store.bulkLinks(async (bulk) => {
      await bulk.upsertLinks({ links: [link('app', 'a2', 'E2')] });
    });
    expect((await store.listLinks({})).map((l) => l.accountId)).toEqual(['a2']);
  });

  it('rolls everything back when the pass itself fails', async () => {
    await expect(
      store.bulkLinks(async (bulk) => {
        await bulk.upsertLinks({ links: [link('app', 'a1', 'E1')] });
        throw new Error('stopped half-way');
      }),
    ).rejects.toThrow('stopped half-way');
    expect(await store.listLinks({})).toEqual([]);
    expect(employeeIndex()).toContain('links_employee');
  });

  it('holds the write lock: this store and another process wait their turn, then write', async () => {
    const other = await open(0);
    let mine: Promise<unknown> | undefined;
    let theirs: Promise<unknown> | undefined;
    await store.bulkLinks(async (bulk) => {
      mine = store.upsertApp({ id: 'mine', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
      theirs = other.upsertApp({ id: 'theirs', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
      await bulk.upsertLinks({ links: [link('app', 'a1', 'E1')] });
      // Neither has landed while the pass runs: the thread holds the lock, and this store's connection is held.
      expect((await bulk.listApps()).map((a) => a.id)).toEqual(['app']);
    });
    await Promise.all([mine, theirs]);
    expect((await store.listApps()).map((a) => a.id).sort()).toEqual(['app', 'mine', 'theirs']);
    expect((await other.listLinks({})).map((l) => l.accountId)).toEqual(['a1']);
  });
});

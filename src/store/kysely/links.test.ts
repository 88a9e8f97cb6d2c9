/** @module Links written in bulk (a graph's first pass): the index by person dropped and rebuilt, never lost. */

import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest } from '../migrations/index.js';
import type { Database } from '../schema.js';
import { MEMORY, sqliteDialect } from '../sqlite.js';
import { WaitingSqliteDialect } from '../sqlite-driver.js';
import { emailLink } from './testkit.js';

const link = (accountId: string, employeeId: string) => emailLink(accountId, employeeId);

describe('bulkLinks', () => {
  let sqlite: Sqlite.Database;
  let opened: KyselyStore;
  const store = () => opened;
  /** The stored definition of the links' index by person (read on the connection itself: it sees the open transaction). */
  const employeeIndex = () =>
    (
      sqlite
        .prepare(`select sql from sqlite_master where type = 'index' and name = 'links_employee'`)
        .get() as { sql: string } | undefined
    )?.sql;

  beforeEach(async () => {
    sqlite = new Sqlite(MEMORY);
    const db = new Kysely<Database>({
      dialect: new WaitingSqliteDialect(sqlite, { waitMs: 1000, where: MEMORY }),
    });
    await migrateToLatest(db as unknown as Kysely<unknown>, MEMORY);
    opened = new KyselyStore(db, sqliteDialect(MEMORY));
    await opened.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('writes the first links without the index by person, then builds it again as it was', async () => {
    const before = employeeIndex();
    expect(before).toContain('links_employee');
    let during: string | undefined = 'not run';
    await store().bulkLinks(async (bulk) => {
      during = employeeIndex();
      await bulk.upsertLinks({ links: [link('a1', 'E1'), link('a2', 'E2'), link('a3', 'E1')] });
    });
    expect(during).toBeUndefined();
    expect(employeeIndex()).toBe(before);
    const owned = await store().listLinks({ employeeId: 'E1' });
    expect(owned.map((l) => l.accountId)).toEqual(['a1', 'a3']);
  });

  it('rolls the drop back with the links when the writer fails', async () => {
    const before = employeeIndex();
    await expect(
      store().bulkLinks(async (bulk) => {
        await bulk.upsertLinks({ links: [link('a1', 'E1')] });
        throw new Error('stopped half-way');
      }),
    ).rejects.toThrow('stopped half-way');
    expect(employeeIndex()).toBe(before);
    expect(await store().listLinks({})).toEqual([]);
  });

  it('leaves the index alone when links are already stored', async () => {
    await store().upsertLinks({ links: [link('a1', 'E1')] });
    let during: string | undefined;
    await store().bulkLinks(async (bulk) => {
      during = employeeIndex();
      await bulk.upsertLinks({ links: [link('a2', 'E2')] });
    });
    expect(during).toContain('links_employee');
    expect((await store().listLinks({ employeeId: 'E2' })).map((l) => l.accountId)).toEqual(['a2']);
  });
});

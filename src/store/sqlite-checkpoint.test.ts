import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite.js';
import { checkpointInBackground } from './sqlite-checkpoint.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-checkpoint-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Waits (up to 10 s) until `done` holds; false if it never did. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return done();
}

describe('a busy store checkpoints its WAL in a thread of its own, never on the commit', () => {
  it('the connection stops checkpointing itself, the worker copies the WAL in, and stop gives it back', async () => {
    const path = join(freshDir(), 'wal.db');
    const db = new Sqlite(path);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id integer primary key, v blob)');
    const background = checkpointInBackground(db, path, 20);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(path).size;
    // Past SQLite's 1000-page limit: a connection checkpointing itself would do it on this very commit.
    const insert = db.prepare('insert into t (v) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 1500; i++) insert.run(Buffer.alloc(4000, i % 256));
    })();
    // The pages reach the database file by the worker's checkpoint, not by the commit.
    expect(await eventually(() => statSync(path).size > before + 4_000_000)).toBe(true);
    await background.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(1500);
    db.close();
  });

  it('a store moves its checkpoints once it has committed enough, and closes with them', async () => {
    const dir = freshDir();
    const store = await openSqliteStore(join(dir, 'roster.db'), { backgroundCheckpointAfter: 1 });
    for (let i = 0; i < 50; i++)
      await store.appendAudit({ actor: 't', kind: 'test.write', appId: null, subject: `s${i}`, data: { i } });
    expect((await store.verifyAudit()).ok).toBe(true);
    await store.close();
    const reopened = await openSqliteStore(join(dir, 'roster.db'));
    expect((await reopened.listAudit({})).filter((e) => e.kind === 'test.write')).toHaveLength(50);
    await reopened.close();
  });
});

describe('a transaction that leaves the WAL past its limit does not checkpoint on its own commit', () => {
  it('the commit leaves the pages in the WAL, and the worker it starts copies them in', async () => {
    const dir = freshDir();
    const path = join(dir, 'roster.db');
    const store = await openSqliteStore(path, { backgroundCheckpointAfter: 1_000_000 });
    await store.upsertApp({ id: 'a', type: 'scim', baseUrl: 'http://a.local' });
    const before = statSync(path).size;
    // About 6 MB of ops in one transaction: past SQLite's 1000-page limit (4 MB at 4 KiB pages).
    await store.createPlan({
      stateHash: 's',
      summary: {},
      body: {},
      ops: Array.from({ length: 3000 }, (_, i) => ({
        appId: 'a',
        kind: 'create' as const,
        target: { i, note: 'x'.repeat(2000) },
      })),
    });
    // A connection checkpointing itself would have copied them into the file on that commit.
    expect(statSync(path).size).toBeLessThan(before + 1_000_000);
    expect(await eventually(() => statSync(path).size > before + 4_000_000)).toBe(true);
    await store.close();
    const reopened = await openSqliteStore(path);
    expect((await reopened.listPlans({})).length).toBe(1);
    await reopened.close();
  });

  it('a small transaction leaves the connection checkpointing itself as SQLite does', async () => {
    const dir = freshDir();
    const store = await openSqliteStore(join(dir, 'roster.db'), { backgroundCheckpointAfter: 1_000_000 });
    await store.upsertApp({ id: 'a', type: 'scim', baseUrl: 'http://a.local' });
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    expect(rows[0]?.wal_autocheckpoint).toBe(1000);
    await store.close();
  });
});

describe('a process whose store checkpoints in the background closes it whole', () => {
  it('closing waits for the worker’s last checkpoint even when nothing else keeps the process alive', async () => {
    const dir = freshDir();
    // The built store (as `roster` runs it), in a process of its own that does nothing after closing it.
    const store = pathToFileURL(resolve(import.meta.dirname, '../../dist/store/sqlite.js')).href;
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(store)});
      const s = await openSqliteStore(${JSON.stringify(join(dir, 'roster.db'))}, { backgroundCheckpointAfter: 1 });
      for (let i = 0; i < 5; i++) await s.appendAudit({ actor: 't', kind: 'k', appId: null, subject: 's', data: {} });
      await s.close();
      process.stdout.write('closed');`;
    const { status, stdout } = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect({ status, stdout }).toEqual({ status: 0, stdout: 'closed' });
  });
});

/**
 * @module Benchmark: writing one app's accounts into the snapshot (a first full sync's commit) on a SQLite store,
 * against the same write with the two indexes migration 0031 dropped put back (`accounts_email`,
 * `accounts_login`: the schema before it), alternating in one process. Prints wall and CPU of each round and the
 * ratio of the medians. Addresses, logins and external ids are spread over the key space as an app's are, so each
 * secondary index is written at random places.
 *
 *   npm run bench:account-writes [-- --accounts 200000 --rounds 3]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { Account } from '../src/core/types.js';
import { openSqliteStore } from '../src/store/sqlite.js';

const { values: flags } = parseArgs({
  options: {
    accounts: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
  },
});
const COUNT = Number(flags.accounts);
const ROUNDS = Number(flags.rounds);
if (!Number.isSafeInteger(COUNT) || COUNT < 1)
  throw new Error(`--accounts: a whole number, not ${flags.accounts}`);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds: a whole number, not ${flags.rounds}`);

const APP = 'app';
const accounts: Account[] = Array.from({ length: COUNT }, (_, i) => ({
  appId: APP,
  id: `u${String(i).padStart(8, '0')}`,
  email: `Person.${(i * 7919) % COUNT}@Example.com`,
  login: `login${(i * 104_729) % COUNT}`,
  externalId: `ext-${(i * 15_485_863) % COUNT}`,
  firstName: 'First',
  lastName: `Last${i}`,
  displayName: null,
  status: 'active',
  isAdmin: false,
  lastLoginAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: null,
  attributes: { department: `Dept${i % 12}` },
}));

/** One write of every account into a fresh store; `before`: with the two dropped indexes made again. */
async function round(dir: string, before: boolean): Promise<{ wall: number; cpu: number }> {
  const file = join(dir, `${before ? 'before' : 'now'}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  await (await openSqliteStore(file)).close();
  if (before) {
    const db = new Database(file);
    db.exec(
      'create index accounts_email on accounts (email_normalized); create index accounts_login on accounts (login);',
    );
    db.close();
  }
  const store = await openSqliteStore(file);
  try {
    await store.upsertApp({ id: APP, type: 'scim', baseUrl: 'http://app.local' });
    const cpu = process.cpuUsage();
    const started = performance.now();
    await store.replaceSnapshot({ appId: APP, runId: null, accounts, entitlements: [], grants: [] });
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
  } finally {
    await store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const print = (line: string) => process.stdout.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'roster-bench-account-writes-'));
try {
  const now: { wall: number; cpu: number }[] = [];
  const before: { wall: number; cpu: number }[] = [];
  print(
    `${COUNT} accounts of one app written into an empty snapshot (SQLite), ${ROUNDS} rounds each, alternating`,
  );
  for (let r = 0; r < ROUNDS; r++) {
    const b = await round(dir, true);
    const n = await round(dir, false);
    before.push(b);
    now.push(n);
    print(
      `  round ${r + 1}: with accounts_email and accounts_login ${(b.wall / 1000).toFixed(2)} s wall, ${(b.cpu / 1000).toFixed(2)} s CPU; without ${(n.wall / 1000).toFixed(2)} s wall, ${(n.cpu / 1000).toFixed(2)} s CPU`,
    );
  }
  const ratio = (key: 'wall' | 'cpu') => median(now.map((x) => x[key])) / median(before.map((x) => x[key]));
  print(
    `ratio now / before 0031 (medians): wall ${ratio('wall').toFixed(2)}, CPU ${ratio('cpu').toFixed(2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** @module The identity graph's links: correlation results, a person's decisions, pruning. */

import { CompiledQuery, SqliteAdapter, sql } from 'kysely';
import type { Link } from '../../core/types.js';
import { rowToLink } from '../rows.js';
import type { StoredLink } from '../store.js';
import { recordChanges } from './changes.js';
import { COLUMN_CHUNK, isPostgres, Sql } from './context.js';

/** Ids JSON writes as they are: printable ASCII but for the quote and the backslash it would escape. */
const PLAIN_ID = /^[ !#-[\]-~]*$/;
const isPlainId = (id: string) => PLAIN_ID.test(id);

/** Rows one upsert statement carries: small enough that preparing it stays cheap, large enough to batch. */
const LINK_CHUNK = 500;

export async function upsertLinks(
  s: Sql,
  input: { links: Link[] },
): Promise<{ written: number; keptManual: number }> {
  const now = s.now();
  return s.write(async (tx) => {
    // A graph run writes one app's links at a time: the app is looked up once per run of the same id, and no list
    // of every link's app is built.
    const appIds = new Set<string>();
    let last: string | undefined;
    for (const l of input.links) {
      if (l.appId === last) continue;
      last = l.appId;
      appIds.add(last);
    }
    const manual = new Set<string>();
    for (const appId of appIds) {
      const rows = await tx.db
        .selectFrom('links')
        .select('account_id')
        .where('app_id', '=', appId)
        .where('manual', '=', 1)
        .execute();
      for (const r of rows) manual.add(`${appId}\u0000${r.account_id}`);
    }
    const rows =
      manual.size === 0
        ? input.links
        : input.links.filter((l) => !manual.has(`${l.appId}\u0000${l.accountId}`));
    if (upsertOneByOne(tx, rows, now))
      return { written: rows.length, keptManual: input.links.length - rows.length };
    if (isPostgres(tx)) await upsertByColumns(tx, rows, now);
    else await upsertInChunks(tx, rows, now);
    return { written: rows.length, keptManual: input.links.length - rows.length };
  });
}

/** Values bound per link row (the other columns are constants in the statement's text). */
const LINK_VALUES = 8;

/** A link's values in the order of {@link upsertLinkRows}' parameters, written into `out` from `at`. */
function linkValues(l: Link, now: string, out: unknown[], at: number): void {
  out[at] = l.appId;
  out[at + 1] = l.accountId;
  out[at + 2] = l.employeeId;
  out[at + 3] = l.situation;
  out[at + 4] = l.method;
  out[at + 5] = l.confidence;
  // A string array's JSON is already canonical: no key to sort.
  // One candidate (every link but a dispute or a suggestion) needs no JSON writer.
  out[at + 6] =
    l.candidates.length === 1 && isPlainId(l.candidates[0] as string)
      ? `["${l.candidates[0]}"]`
      : JSON.stringify(l.candidates);
  out[at + 7] = now;
}

/**
 * Upserts the links one prepared one-row statement at a time, where the dialect runs statements directly on the
 * transaction's connection (SQLite). Measured on 250k links (better-sqlite3 alone, one transaction per app),
 * 250k runs of a one-row statement cost about a quarter less CPU than 500 runs of a 500-row one (1.4 s against
 * 1.9 s). False, having written nothing, where the dialect cannot (a pool: Postgres).
 */
function upsertOneByOne(tx: Sql, rows: readonly Link[], now: string): boolean {
  const first = rows[0];
  if (first === undefined) return false;
  return tx.runEachNow(
    'links.upsertOne',
    LINK_VALUES,
    rows.length,
    () => upsertLinkRows(tx, [first], now),
    (i, values) => linkValues(rows[i] as Link, now, values, 0),
  );
}

/**
 * Upserts the links in statements of LINK_CHUNK rows, compiled once per chunk size and re-run with each chunk's
 * values: building a query object per chunk costs more than the engine's own work on it.
 */
async function upsertInChunks(tx: Sql, rows: readonly Link[], now: string): Promise<void> {
  const compiled = new Map<number, string>();
  for (let i = 0; i < rows.length; i += LINK_CHUNK) {
    const chunk = rows.slice(i, i + LINK_CHUNK);
    const params: unknown[] = new Array(chunk.length * LINK_VALUES);
    for (let j = 0; j < chunk.length; j++) linkValues(chunk[j] as Link, now, params, j * LINK_VALUES);
    let text = compiled.get(chunk.length);
    if (text === undefined) {
      const query = upsertLinkRows(tx, chunk, now).compile();
      if (query.parameters.length !== params.length) {
        throw new Error(`link upsert expects ${query.parameters.length} values, not ${params.length}`);
      }
      text = query.sql;
      compiled.set(chunk.length, text);
    }
    await tx.db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/**
 * Upserts the links as one array per column, unnested by Postgres, COLUMN_CHUNK rows a statement: a statement of
 * 500 rows' VALUES carries 4,000 parameters, which Postgres parses and plans anew each time (250k links of a first
 * pass took 7.9 s so).
 */
async function upsertByColumns(tx: Sql, given: readonly Link[], now: string): Promise<void> {
  // One statement may not upsert a key twice: the last link given for an account stands, as row by row.
  const rows = [...new Map(given.map((l) => [`${l.appId}\u0000${l.accountId}`, l])).values()];
  for (let i = 0; i < rows.length; i += COLUMN_CHUNK) {
    const chunk = rows.slice(i, i + COLUMN_CHUNK);
    const candidates = chunk.map((l) => JSON.stringify(l.candidates));
    await sql`
      insert into links (app_id, account_id, employee_id, situation, method, confidence, candidates, manual,
        decided_by, decided_at, updated_at)
      select r.app_id, r.account_id, r.employee_id, r.situation, r.method, r.confidence, r.candidates, 0, null,
        null, ${now}
      from unnest(
        ${chunk.map((l) => l.appId)}::text[], ${chunk.map((l) => l.accountId)}::text[],
        ${chunk.map((l) => l.employeeId)}::text[], ${chunk.map((l) => l.situation)}::text[],
        ${chunk.map((l) => l.method)}::text[], ${chunk.map((l) => l.confidence)}::real[], ${candidates}::text[]
      ) as r(app_id, account_id, employee_id, situation, method, confidence, candidates)
      on conflict (app_id, account_id) do update set
        employee_id = excluded.employee_id, situation = excluded.situation, method = excluded.method,
        confidence = excluded.confidence, candidates = excluded.candidates, updated_at = excluded.updated_at
    `.execute(tx.db);
  }
}

function upsertLinkRows(s: Sql, links: readonly Link[], now: string) {
  return s.db
    .insertInto('links')
    .values(
      links.map((l) => ({
        app_id: l.appId,
        account_id: l.accountId,
        employee_id: l.employeeId,
        situation: l.situation,
        method: l.method,
        confidence: l.confidence,
        candidates: JSON.stringify(l.candidates),
        // Constants in the statement's text: fewer values to bind on every row.
        manual: sql<number>`0`,
        decided_by: sql<null>`null`,
        decided_at: sql<null>`null`,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['app_id', 'account_id']).doUpdateSet((eb) => ({
        employee_id: eb.ref('excluded.employee_id'),
        situation: eb.ref('excluded.situation'),
        method: eb.ref('excluded.method'),
        confidence: eb.ref('excluded.confidence'),
        candidates: eb.ref('excluded.candidates'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    );
}

/** The links' index by person: dropped while a first pass writes every link, then built again as it was. */
const EMPLOYEE_INDEX = 'links_employee';

/**
 * See Store.bulkLinks. SQLite only: Postgres would hold the links locked against readers until the commit, and
 * its writes do not pay for the index as much. The index is rebuilt from its own stored definition, so it comes
 * back exactly as the migrations made it. From the dialect's `writeThread.from` accounts on, the writes run on a
 * thread of their own (see StoreDialect.writeThread) while this one reads and correlates.
 */
export async function bulkLinks<T>(s: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  const empty = async (db: Sql) =>
    (await db.db.selectFrom('links').select('app_id').limit(1).executeTakeFirst()) === undefined;
  if (!(s.db.getExecutor().adapter instanceof SqliteAdapter) || !(await empty(s))) return fn(s);
  const bulk = async (tx: Sql) => {
    // Checked again under the write lock: another writer may have stored links since.
    const index =
      (await empty(tx)) &&
      (
        await sql<{
          sql: string | null;
        }>`select sql from sqlite_master where type = 'index' and name = ${EMPLOYEE_INDEX}`.execute(tx.db)
      ).rows[0]?.sql;
    if (!index) return fn(tx);
    await sql`drop index ${sql.id(EMPLOYEE_INDEX)}`.execute(tx.db);
    const value = await fn(tx);
    await sql.raw(index).execute(tx.db);
    return value;
  };
  const thread = s.dialect.writeThread;
  if (thread === undefined || s.db.isTransaction || !(await atLeast(s, thread.from))) return s.write(bulk);
  return thread.run(async (db, dialect) => {
    const tx = new Sql(db, dialect, s.clock);
    const value = await bulk(tx);
    // Its transaction is the thread's, not Sql.write's: what it queued is written here, as at any other's end.
    await tx.writeQueued();
    return value;
  });
}

/** Whether the store holds at least `count` accounts (counting no further). */
async function atLeast(s: Sql, count: number): Promise<boolean> {
  if (count <= 0) return true;
  const row = await s.db
    .selectFrom((eb) => eb.selectFrom('accounts').select('id').limit(count).as('some'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n) >= count;
}

export async function decideLink(
  s: Sql,
  input: {
    appId: string;
    accountId: string;
    employeeId: string | null;
    decidedBy: string;
  },
): Promise<StoredLink> {
  const now = s.now();
  const decided = {
    employee_id: input.employeeId,
    situation: input.employeeId === null ? 'unmatched' : 'linked',
    method: 'manual',
    confidence: 1,
    manual: 1,
    decided_by: input.decidedBy,
    decided_at: now,
    updated_at: now,
  };
  const row = await s.write(async (tx) => {
    await tx.db
      .insertInto('links')
      .values({ app_id: input.appId, account_id: input.accountId, candidates: '[]', ...decided })
      .onConflict((oc) => oc.columns(['app_id', 'account_id']).doUpdateSet(decided))
      .execute();
    // A decision changes who owns the account: it enters the change set the graph runs from.
    await recordChanges(tx, 'account', input.appId, new Map([[input.accountId, 'changed']]));
    return tx.db
      .selectFrom('links')
      .selectAll()
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.accountId)
      .executeTakeFirstOrThrow();
  });
  return rowToLink(row);
}

export async function undecideLink(s: Sql, input: { appId: string; accountId: string }): Promise<void> {
  await s.write(async (tx) => {
    await tx.db
      .deleteFrom('links')
      .where('app_id', '=', input.appId)
      .where('account_id', '=', input.accountId)
      .where('manual', '=', 1)
      .execute();
    await recordChanges(tx, 'account', input.appId, new Map([[input.accountId, 'changed']]));
  });
}

export async function pruneLinks(
  s: Sql,
  input: { appId: string; accountIds?: readonly string[] },
): Promise<{ removed: number }> {
  const prune = (ids?: readonly string[]) => {
    const query = s.db.deleteFrom('links').where('app_id', '=', input.appId).where('manual', '=', 0);
    if (ids === undefined) {
      return query
        .where('account_id', 'not in', (eb) =>
          eb.selectFrom('accounts').select('id').where('app_id', '=', input.appId),
        )
        .executeTakeFirst();
    }
    // A probe of the accounts' key per link named, not a list of every account of the app.
    return query
      .where('account_id', 'in', ids)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('accounts')
              .select('id')
              .where('accounts.app_id', '=', input.appId)
              .whereRef('accounts.id', '=', 'links.account_id'),
          ),
        ),
      )
      .executeTakeFirst();
  };
  if (input.accountIds === undefined) return { removed: Number((await prune()).numDeletedRows) };
  // Only the links named: the snapshot's other accounts are not walked.
  let removed = 0;
  for (let i = 0; i < input.accountIds.length; i += s.inListSize) {
    const slice = input.accountIds.slice(i, i + s.inListSize);
    if (slice.length > 0) removed += Number((await prune(slice)).numDeletedRows);
  }
  return { removed };
}

/** The links' columns but the app's, in the order {@link linkOfRow} reads them. */
const LINK_COLUMNS = [
  'account_id',
  'employee_id',
  'situation',
  'method',
  'confidence',
  'candidates',
  'manual',
  'decided_by',
  'decided_at',
  'updated_at',
] as const;

/** Rows one read of a whole app's links takes at a time (see listGraphAccounts). */
const LINK_PAGE = 2000;

/** One row of LINK_COLUMNS of app `appId`. */
function linkOfRow(r: unknown[], appId: string): StoredLink {
  return rowToLink({
    app_id: appId,
    account_id: r[0] as string,
    employee_id: r[1] as string | null,
    situation: r[2] as string,
    method: r[3] as string | null,
    confidence: r[4] as number,
    candidates: r[5] as string,
    manual: r[6] as number,
    decided_by: r[7] as string | null,
    decided_at: r[8] as string | null,
    updated_at: r[9] as string,
  });
}

export async function listLinks(
  s: Sql,
  input: { appId?: string; employeeId?: string; situation?: StoredLink['situation'] } = {},
): Promise<StoredLink[]> {
  const { appId, situation } = input;
  if (appId !== undefined && input.employeeId === undefined) {
    // A whole app's links (an account listing, the graph correlating an app again): array rows, page after page
    // by key, read as objects they were a third of listing 1M accounts with their owners.
    const links: StoredLink[] = [];
    const query = () => {
      const q = s.db.selectFrom('links').select(LINK_COLUMNS).where('app_id', '=', appId);
      return situation === undefined ? q : q.where('situation', '=', situation);
    };
    await s.eachKeyPage(
      LINK_PAGE,
      (after) =>
        (after === undefined ? query() : query().where('account_id', '>', after))
          .orderBy('account_id')
          .limit(LINK_PAGE)
          .compile(),
      (row) => links.push(linkOfRow(row, appId)),
    );
    return links;
  }
  let query = s.db.selectFrom('links').selectAll().orderBy('app_id').orderBy('account_id');
  if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
  if (input.employeeId !== undefined) query = query.where('employee_id', '=', input.employeeId);
  if (input.situation !== undefined) query = query.where('situation', '=', input.situation);
  return (await query.execute()).map(rowToLink);
}

/**
 * @module What incremental findings read and write: the stored findings, the accounts whose links moved since they
 * ran, and lean reads of just the accounts, links, people and grants one run must look at again.
 */

import { sql } from 'kysely';
import { compareText } from '../../core/compare.js';
import type { LinkSituation } from '../../core/types.js';
import { parseEnum, parseJsonColumnOf, stringArray, stringRecord } from '../json.js';
import { LINK_SITUATIONS, PERSON_STATUSES, rowToGrant, rowToLink } from '../rows.js';
import type {
  AccountKey,
  GraphDirtyRow,
  GraphFindingRow,
  GraphFindingsState,
  StoredGrant,
  StoredLink,
  StoredPerson,
} from '../store.js';
import { COLUMN_CHUNK, isPostgres, POSTGRES_PAGE, type Sql } from './context.js';

/** Runs `read` over `values` in slices an `in (...)` list can hold, concatenating what each returns. */
async function inSlices<V, R>(
  s: Sql,
  values: readonly V[],
  read: (slice: V[]) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += s.inListSize) {
    for (const row of await read(values.slice(i, i + s.inListSize))) out.push(row);
  }
  return out;
}

/** Account keys grouped by app: deletes and reads go app by app, so one index range serves each. */
function byApp(keys: readonly AccountKey[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of keys) {
    const list = out.get(key.appId);
    if (list === undefined) out.set(key.appId, [key.accountId]);
    else list.push(key.accountId);
  }
  return out;
}

export async function listGraphLinks(
  s: Sql,
  input: { appId: string; accountIds?: readonly string[]; employeeIds?: readonly string[] },
): Promise<StoredLink[]> {
  const base = () => s.db.selectFrom('links').selectAll().where('app_id', '=', input.appId);
  const out: StoredLink[] = [];
  if (input.accountIds !== undefined) {
    const rows = await inSlices(s, input.accountIds, (ids) =>
      base().where('account_id', 'in', ids).execute(),
    );
    for (const row of rows) out.push(rowToLink(row));
  }
  if (input.employeeIds !== undefined) {
    const rows = await inSlices(s, input.employeeIds, (ids) =>
      base().where('employee_id', 'in', ids).execute(),
    );
    for (const row of rows) out.push(rowToLink(row));
  }
  return out;
}

const PERSON_COLUMNS = [
  'employee_id',
  'email',
  'aliases',
  'first_name',
  'last_name',
  'status',
  'department',
  'title',
  'manager_email',
  'start_date',
  'end_date',
  'attributes',
  'import_id',
] as const;

/** Where a person's column is, named only for a value that fails its check (a full pass reads 200k people). */
const personWhere = (column: string) => (r: unknown[]) => `people[${r[0] as string}].${column}`;
const aliasesWhere = personWhere('aliases');
const attributesWhere = personWhere('attributes');

/** One row of PERSON_COLUMNS, in that order. */
function toPerson(r: unknown[]): StoredPerson {
  const employeeId = r[0] as string;
  const status = r[5] as string;
  return {
    employeeId,
    email: r[1] as string,
    aliases: r[2] === '[]' ? [] : parseJsonColumnOf(stringArray, r[2] as string, aliasesWhere, r),
    firstName: r[3] as string,
    lastName: r[4] as string,
    status: PERSON_STATUS_SET.has(status)
      ? (status as StoredPerson['status'])
      : parseEnum(PERSON_STATUSES, status, `people[${employeeId}].status`),
    department: r[6] as string | null,
    title: r[7] as string | null,
    managerEmail: r[8] as string | null,
    startDate: r[9] as string | null,
    endDate: r[10] as string | null,
    attributes: parseJsonColumnOf(stringRecord, r[11] as string, attributesWhere, r),
    importId: r[12] as string,
  };
}

const PERSON_STATUS_SET = new Set<string>(PERSON_STATUSES);

/** People one read of everyone takes at a time. */
const PEOPLE_PAGE = 2000;

export async function listGraphPeople(
  s: Sql,
  input: { employeeIds?: readonly string[] },
): Promise<StoredPerson[]> {
  const query = () => s.db.selectFrom('people').select(PERSON_COLUMNS);
  const ids = input.employeeIds;
  // Every person on a full pass: read as array rows (see ARRAY_ROWS), an object per row being most of the cost,
  // page after page by key, so each page's rows are dropped while still young to the collector (see
  // listGraphAccounts).
  if (ids === undefined) {
    const people: StoredPerson[] = [];
    const page = isPostgres(s) ? POSTGRES_PAGE : PEOPLE_PAGE;
    await s.eachKeyPage(
      page,
      (after) =>
        (after === undefined ? query() : query().where('employee_id', '>', after))
          .orderBy('employee_id')
          .limit(page)
          .compile(),
      (row) => people.push(toPerson(row)),
    );
    return people;
  }
  const rows = await inSlices(s, ids, async (slice) =>
    s.arrayRows(query().where('employee_id', 'in', slice).compile()),
  );
  return rows.map(toPerson);
}

export async function listGraphGrants(
  s: Sql,
  input: { appId: string; accountIds: readonly string[] },
): Promise<StoredGrant[]> {
  const rows = await inSlices(s, input.accountIds, (ids) =>
    s.db
      .selectFrom('grants')
      .selectAll()
      .where('app_id', '=', input.appId)
      .where('account_id', 'in', ids)
      .execute(),
  );
  return rows.map(rowToGrant);
}

export async function listGraphTimeCandidates(
  s: Sql,
  input: { lastLogin: readonly [string, string]; created: readonly [string, string]; invitedBefore: string },
): Promise<AccountKey[]> {
  // Timestamps compare as text: the callers widen each window by a day, so a stored value in another ISO form
  // (a space for the T, an offset) still falls inside, and the findings rules decide exactly.
  const rows = await s.db
    .selectFrom('accounts')
    .select(['app_id', 'id'])
    .where((eb) =>
      eb.or([
        eb.and([
          eb('status', '=', 'active'),
          eb('last_login_at', '>=', input.lastLogin[0]),
          eb('last_login_at', '<=', input.lastLogin[1]),
        ]),
        eb.and([eb('created_at', '>=', input.created[0]), eb('created_at', '<=', input.created[1])]),
        eb.and([eb('status', '=', 'invited'), eb('created_at', '<=', input.invitedBefore)]),
      ]),
    )
    .execute();
  return rows.map((r) => ({ appId: r.app_id, accountId: r.id }));
}

export async function listGraphFindings(
  s: Sql,
  input: { employeeId?: string } = {},
): Promise<GraphFindingRow[]> {
  // Array rows (see ARRAY_ROWS): an unchanged graph returns what it stored, and this read is all it does.
  let query = s.db
    .selectFrom('graph_findings')
    .select(['app_id', 'account_id', 'rule', 'severity', 'employee_id', 'title', 'evidence']);
  // One person's (`roster explain`): a scan that parses only their rows, not every finding's evidence.
  if (input.employeeId !== undefined) query = query.where('employee_id', '=', input.employeeId);
  const rows = await s.arrayRows(query.compile());
  // Each row is replaced by its finding as it is read, so the two lists are never held whole at once.
  const out = rows as unknown[] as GraphFindingRow[];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as unknown[];
    out[i] = {
      appId: r[0] as string,
      accountId: r[1] as string,
      rule: r[2] as string,
      severity: r[3] as string,
      employeeId: r[4] as string | null,
      title: r[5] as string,
      // Written by the graph from its own objects a moment before: JSON it made, read back as it is.
      evidence: JSON.parse(r[6] as string) as Record<string, unknown>,
    };
  }
  return out;
}

export async function graphFindingCounts(s: Sql): Promise<Record<string, number>> {
  const rows = await s.db
    .selectFrom('graph_findings')
    .select((eb) => ['rule', eb.fn.countAll().as('n')])
    .groupBy('rule')
    .execute();
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.rule] = Number(r.n);
  return counts;
}

function findingRow(f: GraphFindingRow) {
  return {
    app_id: f.appId,
    account_id: f.accountId,
    rule: f.rule,
    severity: f.severity,
    employee_id: f.employeeId,
    title: f.title,
    evidence: JSON.stringify(f.evidence),
  };
}

/**
 * Inserts the findings one prepared one-row statement at a time where the dialect runs statements directly on
 * the transaction's connection (SQLite), which costs SQLite less than multi-row VALUES lists (measured on the
 * links, see links.ts), and builds no row object per finding. False, having written nothing, where it cannot.
 */
function insertFindings(tx: Sql, findings: readonly GraphFindingRow[]): boolean {
  const first = findings[0];
  if (first === undefined) return tx.dialect.runNow !== undefined;
  // In key order: each row lands next to the last in the primary key's index, not on a page of its own
  // (findings come most severe first, which scatters them over the whole index).
  const order = keyOrder(findings);
  return tx.runEachNow(
    'graphFindings.insertOne',
    FINDING_VALUES,
    findings.length,
    () => tx.db.insertInto('graph_findings').values(findingRow(first)),
    (i, values) => {
      const f = findings[order[i] as number] as GraphFindingRow;
      values[0] = f.appId;
      values[1] = f.accountId;
      values[2] = f.rule;
      values[3] = f.severity;
      values[4] = f.employeeId;
      values[5] = f.title;
      values[6] = JSON.stringify(f.evidence);
    },
  );
}

/** Inserts the findings as one array per column, unnested by Postgres (see links.ts' upsertByColumns). */
async function insertFindingColumns(tx: Sql, findings: readonly GraphFindingRow[]): Promise<void> {
  for (let i = 0; i < findings.length; i += COLUMN_CHUNK) {
    const chunk = findings.slice(i, i + COLUMN_CHUNK);
    await sql`
      insert into graph_findings (app_id, account_id, rule, severity, employee_id, title, evidence)
      select * from unnest(
        ${chunk.map((f) => f.appId)}::text[], ${chunk.map((f) => f.accountId)}::text[],
        ${chunk.map((f) => f.rule)}::text[], ${chunk.map((f) => f.severity)}::text[],
        ${chunk.map((f) => f.employeeId)}::text[], ${chunk.map((f) => f.title)}::text[],
        ${chunk.map((f) => JSON.stringify(f.evidence))}::text[]
      )
    `.execute(tx.db);
  }
}

/** Positions of the findings in the order of graph_findings' key (app, account, rule). */
function keyOrder(findings: readonly GraphFindingRow[]): Uint32Array {
  const order = new Uint32Array(findings.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((x, y) => {
    const a = findings[x] as GraphFindingRow;
    const b = findings[y] as GraphFindingRow;
    return (
      compareText(a.appId, b.appId) || compareText(a.accountId, b.accountId) || compareText(a.rule, b.rule)
    );
  });
}

/** Values bound per finding row: every column of {@link findingRow}. */
const FINDING_VALUES = 7;

export async function replaceGraphFindings(
  s: Sql,
  input: {
    accounts: readonly AccountKey[] | 'all';
    findings: readonly GraphFindingRow[];
    consumed: readonly GraphDirtyRow[];
    state?: GraphFindingsState | null;
  },
): Promise<void> {
  await s.write(async (tx) => {
    await s.dialect.lockGraphFindings?.(tx.db);
    if (input.accounts === 'all') await tx.db.deleteFrom('graph_findings').execute();
    else {
      // The accounts named and those the new findings are about: another process's refresh (a worker after its
      // sync) may have written findings for them since this one read, and the last writer's must stand whole.
      const keys = [
        ...input.accounts,
        ...input.findings.map((f) => ({ appId: f.appId, accountId: f.accountId })),
      ];
      for (const [appId, all] of byApp(keys)) {
        const ids = [...new Set(all)];
        await inSlices(tx, ids, async (slice) => {
          await tx.db
            .deleteFrom('graph_findings')
            .where('app_id', '=', appId)
            .where('account_id', 'in', slice)
            .execute();
          return [];
        });
      }
    }
    if (!insertFindings(tx, input.findings)) {
      if (isPostgres(tx)) await insertFindingColumns(tx, input.findings);
      else await tx.insertRows('graph_findings', input.findings.map(findingRow));
    }
    for (const row of input.consumed) {
      await tx.db
        .deleteFrom('graph_dirty')
        .where('app_id', '=', row.appId)
        .where('account_id', '=', row.accountId)
        .where('employee_id', '=', row.employeeId)
        .execute();
    }
    if (input.state !== undefined) {
      const findings = input.state === null ? null : JSON.stringify(input.state);
      await tx.db.updateTable('graph_state').set({ findings }).where('id', '=', 'graph').execute();
    }
  });
}

export async function markGraphDirty(s: Sql, input: { rows: readonly GraphDirtyRow[] }): Promise<void> {
  const rows = input.rows.map((r) => ({
    app_id: r.appId,
    account_id: r.accountId,
    employee_id: r.employeeId,
  }));
  const chunk = Math.floor(s.dialect.maxParams / 3);
  await s.write(async (tx) => {
    for (let i = 0; i < rows.length; i += chunk) {
      await tx.db
        .insertInto('graph_dirty')
        .values(rows.slice(i, i + chunk))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  });
}

export async function listGraphDirty(s: Sql): Promise<GraphDirtyRow[]> {
  const rows = await s.db.selectFrom('graph_dirty').selectAll().execute();
  return rows.map((r) => ({ appId: r.app_id, accountId: r.account_id, employeeId: r.employee_id }));
}

export async function graphLinkCounts(
  s: Sql,
  input: { appIds?: readonly string[] } = {},
): Promise<{
  apps: { appId: string; situation: LinkSituation; count: number }[];
  owners: number;
  people: number;
}> {
  // Only links of accounts still in a snapshot count: a manual link outlives its account.
  const counted = (appId?: string) => sql<{ app_id: string; situation: string; n: number | string }>`
    select l.app_id, l.situation, count(*) as n from links l
    where ${appId === undefined ? sql`1 = 1` : sql`l.app_id = ${appId}`}
    and exists (select 1 from accounts a where a.app_id = l.app_id and a.id = l.account_id)
    group by l.app_id, l.situation`;
  const counts: { rows: { app_id: string; situation: string; n: number | string }[] } = { rows: [] };
  // App by app when named: each one range of the links' key, not every link.
  for (const appId of input.appIds ?? [undefined]) {
    for (const row of (await counted(appId).execute(s.db)).rows) counts.rows.push(row);
  }
  const owners = await sql<{ n: number | string }>`
    select count(*) as n from people p where exists (
      select 1 from links l join accounts a on a.app_id = l.app_id and a.id = l.account_id
      where l.employee_id = p.employee_id and l.situation = 'linked')`.execute(s.db);
  const people = await s.db
    .selectFrom('people')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  const situations = new Set<string>(LINK_SITUATIONS);
  return {
    apps: counts.rows
      .filter((r) => situations.has(r.situation))
      .map((r) => ({ appId: r.app_id, situation: r.situation as LinkSituation, count: Number(r.n) })),
    owners: Number(owners.rows[0]?.n ?? 0),
    people: Number(people?.n ?? 0),
  };
}

/** @module The change set: which accounts and people each write changed, stamped with a generation the graph can resume from. */

import type { Change, ChangeSet } from '../store.js';
import { isPostgres, type Sql, WITH_NEXT } from './context.js';

export type ChangeKind = 'account' | 'person';

/** The app id people are recorded under (the key column holds their employee id). */
const PEOPLE = '';

/** Changes a transaction recorded, for one kind and app, written when it is about to commit. */
export interface QueuedChanges {
  kind: ChangeKind;
  appId: string | null;
  changes: Map<string, Change>;
}

/**
 * Records changes under the next generation. In a transaction they are queued and written just before it commits
 * (see {@link writeQueuedChanges}), so the counter row is held only from there to the commit; outside one they are
 * a transaction of their own.
 */
export async function recordChanges(
  s: Sql,
  kind: ChangeKind,
  appId: string | null,
  changes: ReadonlyMap<string, Change>,
): Promise<void> {
  if (changes.size === 0) return;
  if (s.db.isTransaction) s.queueChanges(kind, appId, changes);
  else await s.write(async (tx) => tx.queueChanges(kind, appId, changes));
}

/**
 * Writes the changes the transaction queued, all under one generation: the counter row's update holds its lock
 * until the transaction ends, so generations become visible in the order they were taken. Taken last, it is held
 * for the commit only, not for the whole transaction: transactions on other connections (Postgres) that record
 * changes run side by side until here.
 */
export async function writeQueuedChanges(s: Sql): Promise<void> {
  const queued = s.takeQueuedChanges();
  if (queued.length === 0) return;
  const [one] = queued;
  if (queued.length === 1 && one !== undefined && isPostgres(s)) {
    // Postgres: the generation taken and the rows written in one statement, one round trip while the counter is held.
    const { cte, parameters } = postgresChanges(one, s.now(), 1);
    // Its answer says nothing: it goes out with the commit (a failure fails the transaction, as it would here).
    await s.run(`${WITH_NEXT}with ${cte} select 1`, parameters);
    return;
  }
  // One statement taking the next generation (built once: the SCIM facade records a change per write).
  const [taken] = await s.runBuilt('changes.nextGeneration', { one: 1 }, (v) =>
    s.db
      .updateTable('change_counter')
      .set((eb) => ({ generation: eb('generation', '+', v.one) }))
      .where('id', '=', v.one)
      .returning('generation'),
  );
  if (taken === undefined) throw new Error('the change_counter row is missing');
  const generation = Number(taken.generation);
  const at = s.now();
  for (const { kind, appId, changes } of queued) await insertChanges(s, kind, appId, changes, generation, at);
}

/**
 * Postgres: the transaction's changes when they are one kind and app's (a facade write, a webhook's re-sync), taken
 * from its queue, for a statement that writes them along with others (see {@link postgresChanges}); undefined,
 * leaving the queue as it is, otherwise.
 */
export function takePostgresChanges(s: Sql): QueuedChanges | undefined {
  if (!isPostgres(s) || s.queuedChangeGroups() !== 1) return undefined;
  return s.takeQueuedChanges()[0];
}

/**
 * Two common table expressions that take the next generation and upsert one kind and app's changes under it (the
 * keys and changes as arrays), their parameters numbered from `first`: a statement made of them writes the
 * changes whatever else it does (Postgres runs every data-modifying CTE to its end).
 */
export function postgresChanges(
  one: QueuedChanges,
  at: string,
  first: number,
): { cte: string; parameters: unknown[] } {
  const [kind, app, when, keys, values] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return {
    cte:
      'taken as (update change_counter set generation = generation + 1 where id = 1 returning generation), ' +
      'recorded as (insert into changes (kind, app_id, key, change, generation, at) ' +
      `select ${kind}, ${app}, u.key, u.change, taken.generation, ${when} ` +
      `from taken, unnest(${keys}::text[], ${values}::text[]) as u(key, change) ` +
      'on conflict (kind, app_id, key) do update set change = excluded.change, generation = excluded.generation, ' +
      'at = excluded.at)',
    parameters: [one.kind, one.appId ?? PEOPLE, at, [...one.changes.keys()], [...one.changes.values()]],
  };
}

async function insertChanges(
  s: Sql,
  kind: ChangeKind,
  appId: string | null,
  changes: ReadonlyMap<string, Change>,
  generation: number,
  at: string,
): Promise<void> {
  const rows = [...changes].map(([key, change]) => ({
    kind,
    app_id: appId ?? PEOPLE,
    key,
    change,
    generation,
    at,
  }));
  const chunk = Math.floor(s.dialect.maxParams / 6);
  const [only] = rows;
  if (rows.length === 1 && only !== undefined) {
    // One account written (a facade write, a webhook): the statement is built once.
    await s.runBuilt('changes.recordOne', only, (v) =>
      s.db
        .insertInto('changes')
        .values(v)
        .onConflict((oc) =>
          oc.columns(['kind', 'app_id', 'key']).doUpdateSet((eb) => ({
            change: eb.ref('excluded.change'),
            generation: eb.ref('excluded.generation'),
            at: eb.ref('excluded.at'),
          })),
        ),
    );
    return;
  }
  for (let i = 0; i < rows.length; i += chunk) {
    await s.db
      .insertInto('changes')
      .values(rows.slice(i, i + chunk))
      .onConflict((oc) =>
        oc.columns(['kind', 'app_id', 'key']).doUpdateSet((eb) => ({
          change: eb.ref('excluded.change'),
          generation: eb.ref('excluded.generation'),
          at: eb.ref('excluded.at'),
        })),
      )
      .execute();
  }
}

/** The change set's newest generation: every recorded change moves it on. */
export async function headGeneration(s: Sql): Promise<number> {
  // A transaction's own changes, recorded and not yet written, are read as written.
  await writeQueuedChanges(s);
  const head = await s.db
    .selectFrom('change_counter')
    .select('generation')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(head.generation);
}

export async function changedSince(s: Sql, input: { since: number }): Promise<ChangeSet> {
  // Read in one transaction so the head generation and the rows agree.
  return s.write(async (tx) => {
    const generation = await headGeneration(tx);
    const rows = await tx.db
      .selectFrom('changes')
      .select(['kind', 'app_id', 'key', 'change', 'generation'])
      .where('generation', '>', input.since)
      .orderBy('generation')
      .orderBy('kind')
      .orderBy('app_id')
      .orderBy('key')
      .execute();
    const set: ChangeSet = { generation, accounts: [], people: [] };
    for (const r of rows) {
      const change = r.change as Change;
      const generation = Number(r.generation);
      if (r.kind === 'person') set.people.push({ employeeId: r.key, change, generation });
      else set.accounts.push({ appId: r.app_id, id: r.key, change, generation });
    }
    return set;
  });
}

/**
 * Compares stored rows with new ones by their stored text, all but the columns that only say where a row came
 * from: what is new, changed or gone, keyed by id.
 */
export function diffRows<R extends object>(
  before: ReadonlyMap<string, R>,
  after: ReadonlyMap<string, R>,
  ignored: readonly (keyof R)[],
): Map<string, Change> {
  const out = new Map<string, Change>();
  for (const [id, row] of after) {
    const old = before.get(id);
    if (old === undefined) out.set(id, 'added');
    else if (!sameRow(old, row, ignored)) out.set(id, 'changed');
  }
  for (const id of before.keys()) if (!after.has(id)) out.set(id, 'removed');
  return out;
}

function sameRow<R extends object>(a: R, b: R, ignored: readonly (keyof R)[]): boolean {
  for (const key of Object.keys(b) as (keyof R)[]) {
    if (ignored.includes(key)) continue;
    const x: unknown = a[key];
    const y: unknown = b[key];
    if (x === y) continue;
    // Drivers hand back integers as number or bigint; those compare by value.
    const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
    if (!(numeric(x) && numeric(y) && String(x) === String(y))) return false;
  }
  return true;
}

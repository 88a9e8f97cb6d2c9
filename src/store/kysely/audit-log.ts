/** @module The audit log in SQL: chained appends that take turns, reads, and walking the chain. */

import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import { auditBreak, auditHashWithData, GENESIS_HASH } from '../audit.js';
import { canonicalJson } from '../json.js';
import { rowToAudit } from '../rows.js';
import type { Database } from '../schema.js';
import type { AuditEvent, AuditInput, AuditListing, AuditSearch, AuditVerification } from '../store.js';
import { postgresChanges, takePostgresChanges } from './changes.js';
import { type AuditTail, COLUMN_CHUNK, isPostgres, type Sql, WITH_NEXT } from './context.js';
import { likeLiteral } from './like.js';

const AUDIT_APPEND_ATTEMPTS = 5;

/** An event appended in a transaction, chained and written when the transaction is about to commit. */
export interface QueuedAudit {
  input: AuditInput;
  /** The data's canonical text, built (and so validated) when the event was appended. */
  dataJson: string;
}

/**
 * Appends an event to the chain. In a transaction it is queued, and written with the transaction's other events
 * in one statement just before the commit (see {@link writeQueuedAudit}); outside one it is a transaction of its
 * own. Either way it is durable exactly when the caller's writes are, and an error in its data (a value JSON
 * cannot hold) is thrown here, at the append.
 */
export async function appendAudit(s: Sql, input: AuditInput): Promise<void> {
  // The data's canonical text is built once: it is validated here, stored as the column, and hashed.
  const event: QueuedAudit = { input, dataJson: canonicalJson(input.data ?? {}) };
  if (s.db.isTransaction) {
    s.queueAudit(event);
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await s.write(async (tx) => tx.queueAudit(event), { rerunnable: true });
      return;
    } catch (error) {
      // Another writer appended after the same tail (the seq it took refused ours): chain onto theirs.
      if (!(error instanceof ChainRace) && !s.dialect.isUniqueViolation(error)) throw error;
      if (attempt >= AUDIT_APPEND_ATTEMPTS) {
        throw new RosterError('conflict', 'another writer kept appending to the audit log', {
          cause: error,
          retryable: true,
        });
      }
    }
  }
}

/**
 * Another writer appended after the tail this transaction read (a writer without the dialect's lock): the
 * transaction fails whole, and may be run again.
 */
class ChainRace extends RosterError {
  constructor(message: string) {
    super('conflict', message, { retryable: true });
  }
}

/**
 * Writes the events the transaction queued, chained after the tail in queue order, in one statement (a chunk of
 * them per statement past the dialect's parameter limit), under the dialect's tail lock where it has one: on
 * Postgres the lock is then held only from here to the commit, so transactions on other connections run side by
 * side until their own last step. The tail this store last wrote is tried first, with no read: the insert is
 * guarded on no event after it, so when another writer has appended since, nothing is written, and the tail is read
 * as usual. Each event's `at` is the time it is written, so the chain's times follow its order.
 */
export async function writeQueuedAudit(s: Sql): Promise<void> {
  await lockQueuedAudit(s);
  const queued = s.takeQueuedAudit();
  if (queued.length === 0) return;
  const at = s.now();
  // Postgres: the transaction's changes, when it has some, ride on the first statement (one round trip fewer
  // while the chain is held); they are written whether or not its events are.
  const changes = takePostgresChanges(s);
  const hint = s.auditTailHint();
  if (hint !== undefined && s.ridesCommit() && queued.length <= COLUMN_CHUNK) {
    await appendWithCommit(s, chained(queued, at, hint), hint, changes && postgresChanges(changes, at, 12));
    return;
  }
  if (hint !== undefined || changes !== undefined) {
    const events = chained(queued, at, hint);
    if (await insertEvents(s, events, hint, changes && postgresChanges(changes, at, 12))) return;
    s.forgetAuditTail();
  }
  const last = await s.db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const tail = last && { seq: Number(last.seq), hash: last.hash };
  if (!(await insertEvents(s, chained(queued, at, tail), tail))) {
    throw new ChainRace('another writer appended to the audit log after the tail this one read');
  }
}

/** Takes the dialect's tail lock, where it has one, when the transaction has events to write and does not hold it. */
export async function lockQueuedAudit(s: Sql): Promise<void> {
  if (s.dialect.lockAuditTail === undefined || !s.hasQueuedAudit() || s.holdsAuditTail()) return;
  await s.dialect.lockAuditTail(s.db);
  s.tookAuditTail();
}

/** The events after `tail` (undefined: the chain is empty), hashed, in queue order. */
function chained(queued: readonly QueuedAudit[], at: string, tail: AuditTail | undefined): AuditRow[] {
  let seq = tail?.seq ?? 0;
  let prevHash = tail?.hash ?? GENESIS_HASH;
  return queued.map(({ input, dataJson }) => {
    const fields = {
      seq: ++seq,
      at,
      actor: input.actor,
      kind: input.kind,
      appId: input.appId ?? null,
      subject: input.subject ?? null,
    };
    const row: AuditRow = {
      ...fields,
      data: dataJson,
      prevHash,
      hash: auditHashWithData(prevHash, fields, dataJson),
    };
    prevHash = row.hash;
    return row;
  });
}

/** An event as stored: its data as canonical JSON text. */
type AuditRow = Omit<AuditEvent, 'data'> & { data: string };

const AUDIT_COLUMNS = 'seq, at, actor, kind, app_id, subject, data, prev_hash, hash';
const AUDIT_WIDTH = 9;

/**
 * Inserts the rows, chunk by chunk, each only when no event follows the one before it (for the first, `tail`),
 * so a chunk is written whole or not at all. False when the first found the tail taken, having written nothing;
 * a later chunk cannot (the tail is this transaction's), and throws if it does.
 */
async function insertEvents(
  s: Sql,
  rows: readonly AuditRow[],
  tail: AuditTail | undefined,
  before?: { cte: string; parameters: unknown[] },
): Promise<boolean> {
  const postgres = isPostgres(s);
  // Postgres takes a column per parameter, whatever the rows (in chunks, as every column-array write here).
  const chunk = postgres ? COLUMN_CHUNK : Math.floor((s.dialect.maxParams - 1) / AUDIT_WIDTH);
  let after = tail?.seq ?? 0;
  const last = rows[rows.length - 1] as AuditRow;
  const end = { seq: last.seq, hash: last.hash };
  // Another transaction of this store that appends before this one commits chains after these events.
  s.sendingAudit(end);
  for (let i = 0; i < rows.length; i += chunk) {
    const slice = rows.slice(i, i + chunk);
    const linked = (slice[0] as AuditRow).prevHash;
    const written = await s.run<{ seq: number }>(
      postgres
        ? (before && i === 0 ? `with ${before.cte} ` : '') + unnestInsert()
        : valuesInsert(slice.length),
      postgres
        ? [...columnsOf(slice), after, linked, ...(before && i === 0 ? before.parameters : [])]
        : [...valuesOf(slice), after, after, after, linked],
    );
    if (written.length !== slice.length) {
      if (i === 0 && written.length === 0) {
        s.refusedAudit(end);
        return false;
      }
      throw new ChainRace(`audit events ${after + 1}… were taken while this transaction held the tail`);
    }
    after = (slice[slice.length - 1] as AuditRow).seq;
  }
  s.appendedAudit(end);
  return true;
}

/**
 * Sends the rows (one chunk's worth) after `tail` with the transaction's commit, unanswered ({@link WITH_NEXT}): the guard raises
 * (`roster_refused`, migration 0032) where it would otherwise write nothing, failing the transaction, and
 * Sql.write runs it again. Noted as appended as it is sent (sendingAudit): the transaction commits with them or not
 * at all.
 */
async function appendWithCommit(
  s: Sql,
  rows: readonly AuditRow[],
  tail: AuditTail,
  before?: { cte: string; parameters: unknown[] },
): Promise<void> {
  const last = rows[rows.length - 1] as AuditRow;
  const end = { seq: last.seq, hash: last.hash };
  s.sendingAudit(end);
  // Awaited all the same: held by the connection, it answers at once, and must be queued before the commit is.
  await s.run(WITH_NEXT + (before ? `with ${before.cte} ` : '') + unnestInsert(true), [
    ...columnsOf(rows),
    tail.seq,
    (rows[0] as AuditRow).prevHash,
    ...(before?.parameters ?? []),
  ]);
}

/**
 * The chain ends where the events link to: no event holds the seq after the tail (the chain's seqs follow one
 * another), and the tail is the event the first one links to (its seq and hash; 0: the chain is empty). The tail
 * may be an append still in flight on another connection (see inflightTails in context.ts), which can roll back.
 * Each is an equality on the key, one index probe on every engine; written `seq > tail`, Postgres without
 * statistics on the table (a new store, until autovacuum analyzes it) read every event to find none, on every
 * write (10 % of its CPU under SCIM PATCHes, growing with the log).
 */
const ENDS_AT =
  'not exists (select 1 from audit_events where seq = ?1 + 1) ' +
  'and (?1 = 0 or exists (select 1 from audit_events where seq = ?1 and hash = ?2))';
const GUARD = `where ${ENDS_AT} returning seq`;

/**
 * Postgres: one array per column, whatever the number of rows (exported for the test of its plan). `refusing`:
 * the guard raises instead of writing nothing (an append sent with the commit, see appendWithCommit).
 */
export function unnestInsert(refusing = false): string {
  const guard = refusing
    ? `where case when ${ENDS_AT} then true else roster_refused('the audit chain no longer ends at event ' || ?1) end`
    : GUARD;
  return (
    `insert into audit_events (${AUDIT_COLUMNS}) select * from unnest($1::bigint[], $2::text[], $3::text[], ` +
    `$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) ` +
    guard.replaceAll('?1', '$10').replaceAll('?2', '$11')
  );
}

const valuesInserts = new Map<number, string>();

/** SQLite: a VALUES list of `count` rows (text built once per count). */
function valuesInsert(count: number): string {
  let text = valuesInserts.get(count);
  if (text === undefined) {
    const row = `(${Array.from({ length: AUDIT_WIDTH }, () => '?').join(', ')})`;
    text = `insert into audit_events (${AUDIT_COLUMNS}) select * from (values ${Array.from({ length: count }, () => row).join(', ')}) ${GUARD.replaceAll(/\?\d/g, '?')}`;
    valuesInserts.set(count, text);
  }
  return text;
}

function valuesOf(rows: readonly AuditRow[]): unknown[] {
  const out: unknown[] = [];
  for (const r of rows)
    out.push(r.seq, r.at, r.actor, r.kind, r.appId, r.subject, r.data, r.prevHash, r.hash);
  return out;
}

function columnsOf(rows: readonly AuditRow[]): unknown[][] {
  return [
    rows.map((r) => r.seq),
    rows.map((r) => r.at),
    rows.map((r) => r.actor),
    rows.map((r) => r.kind),
    rows.map((r) => r.appId),
    rows.map((r) => r.subject),
    rows.map((r) => r.data),
    rows.map((r) => r.prevHash),
    rows.map((r) => r.hash),
  ];
}

/** The events a search matches, as a condition (ASCII letters compared without case in every engine). */
function matching(search: AuditSearch) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) => {
    const all: Expression<SqlBool>[] = [];
    if (search.kind !== undefined) all.push(eb('kind', '=', search.kind));
    if (search.text !== undefined) {
      const pattern = `%${likeLiteral(search.text.toLowerCase())}%`;
      all.push(
        eb.or(
          (['actor', 'kind', 'app_id', 'subject', 'data'] as const).map(
            (column) => sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
          ),
        ),
      );
    }
    return eb.and(all);
  };
}

/** How many events a search matches. */
export async function countAudit(s: Sql, search: AuditSearch = {}): Promise<number> {
  await writeQueuedAudit(s);
  const row = await s.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where(matching(search))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The kinds of event the log holds, sorted. */
export async function auditKinds(s: Sql): Promise<string[]> {
  await writeQueuedAudit(s);
  const rows = await s.db.selectFrom('audit_events').select('kind').distinct().orderBy('kind').execute();
  return rows.map((r) => r.kind);
}

export async function listAudit(s: Sql, input: AuditListing = {}): Promise<AuditEvent[]> {
  await writeQueuedAudit(s);
  let query = s.db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', input.afterSeq ?? 0)
    .orderBy('seq', input.newest ? 'desc' : 'asc')
    .limit(input.limit ?? 1000);
  if (input.offset !== undefined && input.offset > 0) query = query.offset(input.offset);
  if (input.search !== undefined) query = query.where(matching(input.search));
  if (input.beforeSeq !== undefined) query = query.where('seq', '<', input.beforeSeq);
  if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
  if (input.actor !== undefined) query = query.where('actor', '=', input.actor);
  if (input.subjects !== undefined) {
    // Compared without regard to case, as people type addresses; none named is no event.
    const subjects = [...new Set(input.subjects.map((x) => x.toLowerCase()))];
    if (subjects.length === 0) return [];
    query = query.where((eb) => eb(eb.fn('lower', ['subject']), 'in', subjects));
  }
  return (await query.execute()).map(rowToAudit);
}

export async function verifyAudit(s: Sql): Promise<AuditVerification> {
  await writeQueuedAudit(s);
  let previous: AuditEvent | null = null;
  let count = 0;
  for (;;) {
    const rows = await s.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', previous?.seq ?? 0)
      .orderBy('seq')
      .limit(1000)
      .execute();
    if (rows.length === 0) return { ok: true, count };
    for (const row of rows) {
      let event: AuditEvent;
      try {
        event = rowToAudit(row);
      } catch (error) {
        return { ok: false, count, brokenAt: Number(row.seq), reason: (error as Error).message };
      }
      const reason = auditBreak(previous, event);
      if (reason !== null) return { ok: false, count, brokenAt: event.seq, reason };
      previous = event;
      count++;
    }
  }
}

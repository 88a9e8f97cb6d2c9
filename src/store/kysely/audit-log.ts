/** @module The audit log in SQL: chained appends that take turns, reads, and walking the chain. */

import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import { auditBreak, auditHashWithData, GENESIS_HASH } from '../audit.js';
import { canonicalJson } from '../json.js';
import { rowToAudit } from '../rows.js';
import type { Database } from '../schema.js';
import type { AuditEvent, AuditInput, AuditListing, AuditSearch, AuditVerification } from '../store.js';
import type { AuditTail, Sql } from './context.js';
import { likeLiteral } from './like.js';

const AUDIT_APPEND_ATTEMPTS = 5;

export async function appendAudit(s: Sql, input: AuditInput): Promise<AuditEvent> {
  // The data's canonical text is built once: it is validated here, stored as the column, and hashed.
  const dataJson = canonicalJson(input.data ?? {});
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.write((tx) => appendAuditOnce(tx, input, dataJson));
    } catch (error) {
      // Another writer appended after the same tail (the seq it took refused ours): chain onto theirs.
      const raced = s.dialect.isUniqueViolation(error);
      if (!raced) throw error;
      if (s.db.isTransaction || attempt >= AUDIT_APPEND_ATTEMPTS) {
        throw new RosterError('conflict', 'another writer kept appending to the audit log', {
          cause: error,
          retryable: true,
        });
      }
    }
  }
}

/**
 * Appends one event after the tail. The tail this store last wrote is tried first, with no read: when another
 * writer has appended since, the event's seq (the tail's + 1) is already taken, the insert does nothing, and the
 * tail is read as usual. So a single writer reads the tail once, and the chain never forks either way: two events
 * after one tail would share their seq, the table's key.
 */
export async function appendAuditOnce(s: Sql, input: AuditInput, dataJson: string): Promise<AuditEvent> {
  if (s.dialect.lockAuditTail !== undefined && !s.holdsAuditTail()) await s.dialect.lockAuditTail(s.db);
  const hint = s.auditTailHint();
  if (hint !== undefined) {
    const event = auditEvent(s, input, dataJson, hint);
    if (await insertEvent(s, event, dataJson, { ifFree: true })) {
      s.appendedAudit({ seq: event.seq, hash: event.hash });
      return event;
    }
    s.forgetAuditTail();
  }
  const last = await s.db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const event = auditEvent(s, input, dataJson, last && { seq: Number(last.seq), hash: last.hash });
  await insertEvent(s, event, dataJson, { ifFree: false });
  s.appendedAudit({ seq: event.seq, hash: event.hash });
  return event;
}

/** The event that follows `tail` (undefined: the chain is empty), hashed. */
function auditEvent(s: Sql, input: AuditInput, dataJson: string, tail: AuditTail | undefined): AuditEvent {
  const prevHash = tail?.hash ?? GENESIS_HASH;
  const fields = {
    seq: tail === undefined ? 1 : tail.seq + 1,
    at: s.now(),
    actor: input.actor,
    kind: input.kind,
    appId: input.appId ?? null,
    subject: input.subject ?? null,
  };
  // Data as it is stored (canonical JSON, parsed back), so what a caller gets equals what verify re-reads.
  const data = JSON.parse(dataJson) as Record<string, unknown>;
  return { ...fields, data, prevHash, hash: auditHashWithData(prevHash, fields, dataJson) };
}

/**
 * Inserts the event (built once per store: every op writes two). `ifFree`: does nothing when its seq is taken, and
 * says whether it was inserted; otherwise such a conflict throws.
 */
async function insertEvent(
  s: Sql,
  event: AuditEvent,
  dataJson: string,
  { ifFree }: { ifFree: boolean },
): Promise<boolean> {
  const values = {
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    kind: event.kind,
    appId: event.appId,
    subject: event.subject,
    data: dataJson,
    prevHash: event.prevHash,
    hash: event.hash,
  };
  const rows = await s.runBuilt(`audit.append:${ifFree}`, values, (v) => {
    const insert = s.db.insertInto('audit_events').values({
      seq: v.seq,
      at: v.at,
      actor: v.actor,
      kind: v.kind,
      app_id: v.appId,
      subject: v.subject,
      data: v.data,
      prev_hash: v.prevHash,
      hash: v.hash,
    });
    return ifFree ? insert.onConflict((oc) => oc.doNothing()).returning('seq') : insert.returning('seq');
  });
  return rows.length > 0;
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
  const row = await s.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where(matching(search))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The kinds of event the log holds, sorted. */
export async function auditKinds(s: Sql): Promise<string[]> {
  const rows = await s.db.selectFrom('audit_events').select('kind').distinct().orderBy('kind').execute();
  return rows.map((r) => r.kind);
}

export async function listAudit(s: Sql, input: AuditListing = {}): Promise<AuditEvent[]> {
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

/** @module The audit log in SQL: chained appends that take turns, reads, and walking the chain. */

import { RosterError } from '../../core/errors.js';
import { auditBreak, auditHash, GENESIS_HASH } from '../audit.js';
import { canonicalJson } from '../json.js';
import { rowToAudit } from '../rows.js';
import type { AuditEvent, AuditInput, AuditVerification } from '../store.js';
import type { Sql } from './context.js';

const AUDIT_APPEND_ATTEMPTS = 5;

export async function appendAudit(s: Sql, input: AuditInput): Promise<AuditEvent> {
  const data = input.data ?? {};
  canonicalJson(data);
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.write((tx) => appendAuditOnce(tx, input, data));
    } catch (error) {
      // Another writer appended after the same tail (the unique prev_hash refused ours): chain onto theirs.
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

export async function appendAuditOnce(
  s: Sql,
  input: AuditInput,
  data: Record<string, unknown>,
): Promise<AuditEvent> {
  await s.dialect.lockAuditTail?.(s.db);
  const last = await s.db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const seq = last === undefined ? 1 : Number(last.seq) + 1;
  const prevHash = last?.hash ?? GENESIS_HASH;
  const event = {
    seq,
    at: s.now(),
    actor: input.actor,
    kind: input.kind,
    appId: input.appId ?? null,
    subject: input.subject ?? null,
    // Stored and hashed as its canonical JSON, so what verify re-reads hashes the same.
    data: JSON.parse(canonicalJson(data)) as Record<string, unknown>,
  };
  const hash = auditHash(prevHash, event);
  await s.db
    .insertInto('audit_events')
    .values({
      seq,
      at: event.at,
      actor: event.actor,
      kind: event.kind,
      app_id: event.appId,
      subject: event.subject,
      data: canonicalJson(event.data),
      prev_hash: prevHash,
      hash,
    })
    .execute();
  return { ...event, prevHash, hash };
}

export async function listAudit(
  s: Sql,
  input: { afterSeq?: number; appId?: string; limit?: number } = {},
): Promise<AuditEvent[]> {
  let query = s.db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', input.afterSeq ?? 0)
    .orderBy('seq')
    .limit(input.limit ?? 1000);
  if (input.appId !== undefined) query = query.where('app_id', '=', input.appId);
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

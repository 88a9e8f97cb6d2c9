/** @module The audit chain's arithmetic: what is hashed for an event and how the chain is checked. */

import { sha256 } from '../core/sha256.js';
import { canonicalJson } from './json.js';
import type { AuditEvent } from './store.js';

/** The prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** hash = sha256(prev_hash + canonical JSON of the event's own fields, seq included so order is bound too). */
export function auditHash(prevHash: string, event: Omit<AuditEvent, 'prevHash' | 'hash'>): string {
  return auditHashWithData(prevHash, event, canonicalJson(event.data));
}

/**
 * The same hash, given the canonical JSON of the event's data (an append has it already: it is the stored
 * column). The body is the canonical JSON of the event's fields, keys in their sorted order, spelled out so the
 * data's text is not built twice.
 */
export function auditHashWithData(
  prevHash: string,
  event: Omit<AuditEvent, 'prevHash' | 'hash' | 'data'>,
  dataJson: string,
): string {
  const body =
    `{"actor":${canonicalJson(event.actor)},"appId":${canonicalJson(event.appId)},"at":${canonicalJson(event.at)}` +
    `,"data":${dataJson},"kind":${canonicalJson(event.kind)},"seq":${canonicalJson(event.seq)}` +
    `,"subject":${canonicalJson(event.subject)}}`;
  return sha256(prevHash + body, 'hex');
}

/** Why `event` does not follow `previous` (null when it does). */
export function auditBreak(previous: AuditEvent | null, event: AuditEvent): string | null {
  const expectedSeq = previous === null ? 1 : previous.seq + 1;
  if (event.seq !== expectedSeq) return `expected event ${expectedSeq}, found ${event.seq}`;
  const expectedPrev = previous === null ? GENESIS_HASH : previous.hash;
  if (event.prevHash !== expectedPrev) return 'prev_hash does not match the previous event';
  if (auditHash(event.prevHash, event) !== event.hash) return 'hash does not match the event';
  return null;
}

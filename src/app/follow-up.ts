/** @module Manual tasks and the audit log: what people must do by hand, and what was done, verifiably. */

import type { AuditEvent, AuditSearch, AuditVerification, TaskRecord } from '../store/store.js';
import type { Roster } from './context.js';

export async function listTasks(
  roster: Roster,
  filter: { all?: boolean; appId?: string } = {},
): Promise<TaskRecord[]> {
  return roster.store.listTasks({
    ...(filter.all ? {} : { status: 'open' as const }),
    ...(filter.appId ? { appId: filter.appId } : {}),
  });
}

/**
 * The newest audit events, newest first: what a page showing recent activity reads, rather than the whole log (a
 * year of IdP writes through the facade is millions of events).
 */
export function recentAudit(roster: Roster, input: { limit: number }): Promise<AuditEvent[]> {
  return roster.store.listAudit({ newest: true, limit: input.limit });
}

/**
 * Every audit event about one of `subjects` (a person's employee id, address, account ids; a plan's id), oldest
 * first, picked out by the store (case ignored: ASCII letters in every engine) rather than from the whole log.
 */
export function auditAbout(roster: Roster, subjects: readonly string[]): Promise<AuditEvent[]> {
  return everyEvent(roster, { subjects });
}

/** Every event a filter of the store's keeps, oldest first, read a thousand at a time. */
async function everyEvent(
  roster: Roster,
  filter: { appId?: string; subjects?: readonly string[] },
): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await roster.store.listAudit({ ...filter, afterSeq, limit: 1000 });
    if (page.length === 0) return events;
    events.push(...page);
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
}

/**
 * One page of the audit events a search matches, newest first, with how many match in all and the kinds of event
 * the log holds; with `verify`, the chain check. The store does the searching: the log is never read whole.
 */
export async function searchAudit(
  roster: Roster,
  input: AuditSearch & { page: number; size: number; verify?: boolean },
): Promise<{ events: AuditEvent[]; total: number; kinds: string[]; verification: AuditVerification | null }> {
  const search: AuditSearch = {
    ...(input.kind ? { kind: input.kind } : {}),
    ...(input.text ? { text: input.text } : {}),
  };
  const { store } = roster;
  return {
    events: await store.listAudit({
      newest: true,
      search,
      offset: (input.page - 1) * input.size,
      limit: input.size,
    }),
    total: await store.countAudit(search),
    kinds: await store.auditKinds(),
    verification: input.verify ? await store.verifyAudit() : null,
  };
}

/** Audit events oldest first, optionally about one person (subject) or in one app; with `verify`, the chain check. */
export async function readAudit(
  roster: Roster,
  filter: { person?: string; appId?: string; verify?: boolean } = {},
): Promise<{ events: AuditEvent[]; verification: AuditVerification | null }> {
  return {
    // One person's events picked out by the store (case ignored), not from every event read.
    events: await everyEvent(roster, {
      ...(filter.appId ? { appId: filter.appId } : {}),
      ...(filter.person ? { subjects: [filter.person] } : {}),
    }),
    verification: filter.verify ? await roster.store.verifyAudit() : null,
  };
}

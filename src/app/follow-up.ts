/** @module Manual tasks and the audit log: what people must do by hand, and what was done, verifiably. */

import type { AuditEvent, AuditVerification, TaskRecord } from '../store/store.js';
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

/** Audit events oldest first, optionally about one person (subject) or in one app; with `verify`, the chain check. */
export async function readAudit(
  roster: Roster,
  filter: { person?: string; appId?: string; verify?: boolean } = {},
): Promise<{ events: AuditEvent[]; verification: AuditVerification | null }> {
  const events: AuditEvent[] = [];
  let afterSeq = 0;
  for (;;) {
    const page = await roster.store.listAudit({
      afterSeq,
      limit: 1000,
      ...(filter.appId ? { appId: filter.appId } : {}),
    });
    if (page.length === 0) break;
    events.push(...page);
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
  const person = filter.person?.toLowerCase();
  return {
    events: person ? events.filter((e) => e.subject?.toLowerCase() === person) : events,
    verification: filter.verify ? await roster.store.verifyAudit() : null,
  };
}

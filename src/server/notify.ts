/**
 * @module Notifications out: Slack-compatible incoming webhooks and HMAC-signed JSON webhooks, for new high-severity
 * findings, approvals waiting, tasks opened, failed applies and quarantined apps. One message per new thing (a
 * dedupe key per sink and thing, in the store), delivered with retries, and every attempt recorded.
 */

import { createHmac, randomUUID } from 'node:crypto';
import type { ServerConfig } from '../config/server.js';
import type { Finding } from '../identity/index.js';
import { isUniqueViolation, serverDb } from '../store/server-tables.js';
import type { Store } from '../store/store.js';

export const NOTIFICATION_EVENTS = [
  'finding.high',
  'approval.waiting',
  'task.opened',
  'apply.failed',
  'app.quarantined',
  'review.reminder',
  'review.escalated',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationItem {
  /** What makes it new: a finding id, a plan id, a task id… */
  key: string;
  text: string;
}

type Sink = ServerConfig['notifications'][number];

export interface NotificationRecord {
  id: string;
  sink: string;
  event: string;
  key: string;
  status: string;
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
  error: string | null;
}

const ATTEMPTS = 4;

export class Notifier {
  private readonly db;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    store: Store,
    private readonly sinks: readonly Sink[],
    private readonly options: {
      publicUrl?: string | undefined;
      clock: () => Date;
      log: { warn(obj: object, msg: string): void };
      /** Waits between attempts; tests pass a short one. */
      retryDelayMs?: number;
    },
  ) {
    this.db = serverDb(store);
  }

  /** Says what is new among `items` to every sink that wants `event`; items seen before are left out. */
  async notify(
    event: NotificationEvent,
    title: string,
    items: readonly NotificationItem[],
    link?: string,
  ): Promise<void> {
    for (const [index, sink] of this.sinks.entries()) {
      if (sink.events && !sink.events.includes(event)) continue;
      const sinkName = sink.name ?? `${sink.type}[${index}]`;
      const fresh: { id: string; item: NotificationItem }[] = [];
      for (const item of items) {
        const id = randomUUID();
        try {
          await this.db
            .insertInto('notifications')
            .values({
              id,
              sink: sinkName,
              dedupe_key: `${event}:${item.key}`,
              event,
              payload: JSON.stringify({ title, text: item.text }),
              status: 'pending',
              attempts: 0,
              created_at: this.options.clock().toISOString(),
              delivered_at: null,
              error: null,
            })
            .execute();
          fresh.push({ id, item });
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
      if (fresh.length === 0) continue;
      const delivery = this.deliver(sink, event, title, fresh, link).finally(() =>
        this.inFlight.delete(delivery),
      );
      this.inFlight.add(delivery);
    }
  }

  /** Waits for deliveries in flight (shutdown, tests). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Newest first, keyset-paged by (created_at, id). */
  async list(input: { limit: number; after?: { at: string; id: string } }): Promise<NotificationRecord[]> {
    let query = this.db.selectFrom('notifications').selectAll();
    const after = input.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      sink: r.sink,
      event: r.event,
      key: r.dedupe_key,
      status: r.status,
      attempts: Number(r.attempts),
      createdAt: r.created_at,
      deliveredAt: r.delivered_at,
      error: r.error,
    }));
  }

  private async deliver(
    sink: Sink,
    event: NotificationEvent,
    title: string,
    items: readonly { id: string; item: NotificationItem }[],
    link: string | undefined,
  ): Promise<void> {
    const url =
      link && this.options.publicUrl ? `${this.options.publicUrl.replace(/\/+$/, '')}${link}` : undefined;
    const lines = items.slice(0, 20).map((i) => `• ${i.item.text}`);
    if (items.length > 20) lines.push(`… and ${items.length - 20} more`);
    const body =
      sink.type === 'slack'
        ? // Slack incoming webhook: `text` is required; mrkdwn bold and <url|label> links.
          JSON.stringify({ text: `*${title}*\n${lines.join('\n')}${url ? `\n<${url}|Open in Roster>` : ''}` })
        : JSON.stringify({
            event,
            title,
            items: items.map((i) => ({ key: i.item.key, text: i.item.text })),
            ...(url ? { url } : {}),
            at: this.options.clock().toISOString(),
          });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-roster-event': event };
    if (sink.type === 'webhook' && sink.secret) {
      headers['x-roster-signature'] =
        `sha256=${createHmac('sha256', sink.secret).update(body).digest('hex')}`;
    }
    let error: string | null = null;
    let attempts = 0;
    for (; attempts < ATTEMPTS; ) {
      attempts++;
      try {
        const response = await fetch(sink.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.ok) {
          error = null;
          break;
        }
        error = `HTTP ${response.status}`;
        // A 4xx other than 429 will not get better by asking again.
        if (response.status < 500 && response.status !== 429) break;
      } catch (cause) {
        error = cause instanceof Error ? cause.message : String(cause);
      }
      if (attempts < ATTEMPTS) {
        await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? 1000) * 2 ** (attempts - 1)));
      }
    }
    if (error) this.options.log.warn({ event, error, attempts }, 'notification not delivered');
    await this.db
      .updateTable('notifications')
      .set({
        status: error ? 'failed' : 'delivered',
        attempts,
        error,
        delivered_at: error ? null : this.options.clock().toISOString(),
      })
      .where(
        'id',
        'in',
        items.map((i) => i.id),
      )
      .execute();
  }
}

/** The new high-severity findings, as notification items. */
export function highFindings(findings: readonly Finding[]): NotificationItem[] {
  return findings
    .filter((f) => f.severity === 'high')
    .map((f) => ({ key: f.id, text: `${f.appId}: ${f.title}` }));
}

/** What the server announces after its work: each helper reads what is new from the store and says it. */
export async function announceFindings(notifier: Notifier, findings: readonly Finding[]): Promise<void> {
  await notifier.notify(
    'finding.high',
    'New high-severity findings',
    highFindings(findings),
    '/findings?minSeverity=high',
  );
}

export async function announcePlan(notifier: Notifier, store: Store, planId: string): Promise<void> {
  const plan = await store.getPlan({ id: planId });
  const approvals = Number((plan?.summary as { approvals?: unknown } | undefined)?.approvals ?? 0);
  if (!plan || approvals === 0) return;
  await notifier.notify(
    'approval.waiting',
    'Approvals waiting',
    [{ key: plan.id, text: `plan ${plan.id}: ${approvals} change(s) need approval` }],
    `/plans/${plan.id}`,
  );
}

export async function announceApply(
  notifier: Notifier,
  store: Store,
  input: { planId: string; failed: string | null },
): Promise<void> {
  if (input.failed !== null) {
    await notifier.notify(
      'apply.failed',
      'Apply failed',
      [{ key: input.planId, text: `plan ${input.planId}: ${input.failed}` }],
      `/plans/${input.planId}`,
    );
  }
  const tasks = await store.listTasks({ status: 'open' });
  await notifier.notify(
    'task.opened',
    'Manual tasks opened',
    tasks.map((t) => ({ key: t.id, text: `${t.appId}: ${t.instructions}` })),
    '/tasks?status=open',
  );
}

/** Reminders to reviewers with undecided items, and overdue items escalated to the reviewer's manager. */
export async function announceReviewReminders(
  notifier: Notifier,
  input: {
    reminders: readonly { reviewId: string; name: string; reviewer: string; items: number; dueAt: string }[];
    escalations: readonly {
      reviewId: string;
      name: string;
      seq: number;
      from: string;
      to: string;
      item: string;
    }[];
  },
  day: string,
): Promise<void> {
  // One reminder per reviewer, campaign and day: a second run the same day says nothing new.
  await notifier.notify(
    'review.reminder',
    'Access reviews waiting',
    input.reminders.map((r) => ({
      key: `${r.reviewId}:${r.reviewer}:${day}`,
      text: `${r.reviewer}: ${r.items} item(s) to review in "${r.name}", due ${r.dueAt.slice(0, 10)}`,
    })),
    '/reviews',
  );
  await notifier.notify(
    'review.escalated',
    'Overdue access reviews escalated',
    input.escalations.map((e) => ({
      key: `${e.reviewId}#${e.seq}`,
      text: `"${e.name}" item ${e.seq} (${e.item}): overdue with ${e.from}, now with ${e.to}`,
    })),
    '/reviews',
  );
}

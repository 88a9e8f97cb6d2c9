/**
 * @module Webhooks in: `/webhooks/{appId}` (Thought Industries events, or any app that can call out with an account
 * id or email) and `/people/{id}/changed` (HR systems). Verified when a secret is configured, deduplicated, and
 * answered by a targeted re-sync of that one account, then graph and plan for its owner.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importPeople, planChanges } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { isUniqueViolation, serverDb } from '../../store/server-tables.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor, resyncAccount } from '../core.js';
import { decodeKeyCursor, encodeKeyCursor } from '../paging.js';
import { problemResponses } from '../problem.js';
import type { RosterFastify } from '../server.js';
import { knownApp } from './apps.js';

export const SIGNATURE_HEADER = 'x-roster-signature';
export const SECRET_HEADER = 'x-webhook-secret';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/**
 * Thought Industries' guide lists user.created, user.updated and user.enrolled but documents no payload; the
 * sandbox sends `{event, occurredAt, data}` with `data.user` or `data.enrollment`. A generic sender posts
 * `{accountId}` or `{email}`, with an optional `id` to dedupe on.
 */
const webhookBody = z.object({
  id: z.string().optional().describe('the event id, if the sender has one (redeliveries repeat it)'),
  event: z.string().optional(),
  occurredAt: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  accountId: z.string().optional(),
  email: z.string().optional(),
});
type WebhookBody = z.infer<typeof webhookBody>;

/** The account an event is about: a user object's id, an enrollment's userId, or what a generic sender named. */
export function accountOfEvent(body: WebhookBody): { accountId?: string; email?: string } {
  const data = body.data ?? {};
  const user = data.user as { id?: unknown; email?: unknown } | undefined;
  const enrollment = data.enrollment as { userId?: unknown } | undefined;
  const id = body.accountId ?? user?.id ?? enrollment?.userId ?? data.userId;
  if (typeof id === 'string' || typeof id === 'number') return { accountId: String(id) };
  const email = body.email ?? user?.email;
  if (typeof email === 'string') return { email };
  return {};
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** With a secret configured, the sender proves it: an HMAC-SHA256 of the raw body, or the secret itself. */
export function verifyWebhook(
  secret: string | undefined,
  headers: Record<string, unknown>,
  raw: string,
): void {
  if (secret === undefined) return;
  const signature = headers[SIGNATURE_HEADER];
  const shared = headers[SECRET_HEADER];
  if (typeof signature === 'string') {
    const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    if (safeEqual(signature, expected)) return;
  } else if (typeof shared === 'string' && safeEqual(shared, secret)) {
    return;
  }
  throw new RosterError('unauthenticated', 'the webhook is not signed with the configured secret', {
    fix: `sign the raw body: ${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 with the secret>, or send ${SECRET_HEADER}`,
  });
}

export async function registerWebhookRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  const db = serverDb(ctx.store);
  const hooks = ctx.config.server?.webhooks ?? {};

  await app.register(async (scoped) => {
    // The signature is over the bytes sent, so the raw body is kept beside the parsed one.
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      request.rawBody = body as string;
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch {
        done(new RosterError('invalid_input', 'the webhook body is not JSON', { where: 'body' }), undefined);
      }
    });

    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/webhooks/:appId',
      {
        config: { scope: 'webhook' },
        schema: {
          tags: ['webhooks'],
          summary:
            'An app says an account changed: re-read that one account, then graph and plan for its owner',
          description:
            `Verified when server.webhooks.<appId>.secret is set (${SIGNATURE_HEADER}: sha256=<HMAC of the body>, ` +
            `or ${SECRET_HEADER}). A redelivered event (same id, or the same bytes) is acknowledged and ignored.`,
          security: [],
          params: z.object({ appId: z.string() }),
          body: webhookBody,
          response: {
            202: z.object({
              accepted: z.boolean(),
              duplicate: z.boolean(),
              accountId: z.string().nullable(),
            }),
            ...problemResponses('not_found'),
          },
        },
      },
      async (request, reply) => {
        const appId = knownApp(ctx, request.params.appId, 'path.appId').id;
        const raw = request.rawBody ?? JSON.stringify(request.body);
        verifyWebhook(hooks[appId]?.secret, request.headers, raw);
        const target = accountOfEvent(request.body);
        if (target.accountId === undefined && target.email === undefined) {
          throw new RosterError('invalid_input', 'the event names no account', {
            where: 'body',
            fix: 'send accountId or email (or a Thought Industries user/enrollment event)',
          });
        }
        const eventId = request.body.id ?? createHash('sha256').update(raw).digest('hex');
        try {
          await db
            .insertInto('webhook_events')
            .values({
              app_id: appId,
              event_id: eventId,
              kind: request.body.event ?? 'account.changed',
              received_at: ctx.clock().toISOString(),
              outcome: null,
            })
            .execute();
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          return reply
            .code(202)
            .send({ accepted: false, duplicate: true, accountId: target.accountId ?? null });
        }
        const key = `resync:${appId}:${target.accountId ?? target.email}`;
        ctx.jobs.start(key, async () => {
          const result = await asActor(ctx, `webhook:${appId}`, (roster) =>
            resyncAccount(roster, { appId, ...target, plan: true }),
          );
          ctx.findings.invalidate();
          await db
            .updateTable('webhook_events')
            .set({ outcome: JSON.stringify(result) })
            .where('app_id', '=', appId)
            .where('event_id', '=', eventId)
            .execute();
          return result;
        });
        return reply
          .code(202)
          .send({ accepted: true, duplicate: false, accountId: target.accountId ?? null });
      },
    );
  });

  app.get(
    '/webhooks/:appId/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['webhooks'],
        summary: 'Webhook events received for an app, newest first, with what came of each',
        params: z.object({ appId: z.string() }),
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          cursor: z.string().optional().describe('nextCursor of the previous page'),
        }),
        response: {
          200: z.object({
            nextCursor: z.string().nullable(),
            items: z.array(
              z.object({
                eventId: z.string(),
                kind: z.string(),
                receivedAt: z.string(),
                outcome: z.record(z.string(), z.unknown()).nullable(),
              }),
            ),
          }),
          ...problemResponses('not_found'),
        },
      },
    },
    async (request) => {
      const appId = knownApp(ctx, request.params.appId, 'path.appId').id;
      const { limit, cursor } = request.query;
      let query = db.selectFrom('webhook_events').selectAll().where('app_id', '=', appId);
      if (cursor) {
        const after = decodeKeyCursor(cursor);
        query = query.where((eb) =>
          eb.or([
            eb('received_at', '<', after.at),
            eb.and([eb('received_at', '=', after.at), eb('event_id', '<', after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('received_at', 'desc')
        .orderBy('event_id', 'desc')
        .limit(limit)
        .execute();
      const last = rows[rows.length - 1];
      return {
        nextCursor: rows.length === limit && last ? encodeKeyCursor(last.received_at, last.event_id) : null,
        items: rows.map((r) => ({
          eventId: r.event_id,
          kind: r.kind,
          receivedAt: r.received_at,
          outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as Record<string, unknown>),
        })),
      };
    },
  );

  app.post(
    '/people/:id/changed',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['people', 'webhooks'],
        summary: 'The HR system says a person changed: re-read the HR export, then plan for that person',
        params: z.object({ id: z.string() }),
        response: {
          200: z.object({
            import: z.enum(['applied', 'unchanged']),
            planId: z.string(),
            planned: z.number().int(),
          }),
          ...problemResponses('not_found', 'conflict'),
        },
      },
    },
    async (request) =>
      ctx.jobs.start(`person:${request.params.id}`, () =>
        asActor(ctx, actorOf(request), async (roster) => {
          const imported = await importPeople(roster);
          const planned = await planChanges(roster, { person: request.params.id });
          return { import: imported.status, planId: planned.plan.id, planned: planned.summary.total };
        }),
      ).promise,
  );
}

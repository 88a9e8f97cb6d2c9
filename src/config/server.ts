/** @module The roster.yaml blocks `roster serve` reads: `schedule:` (continuous reconciliation) and `server:`. */

import { Cron } from 'croner';
import { z } from 'zod';

const nonEmpty = z.string().trim().min(1);

/** `30s`, `15m`, `2h`, `1d` or a number of milliseconds → milliseconds. */
export const duration = z.union([z.number().int().min(1), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a duration`,
      params: { fix: 'write a number and a unit: 30s, 15m, 2h or 1d' },
    });
    return z.NEVER;
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Math.round(Number(match[1]) * unit);
});

const cron = nonEmpty.superRefine((value, ctx) => {
  try {
    new Cron(value, { paused: true });
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a cron pattern (${(error as Error).message})`,
      params: { fix: "write five or six fields, e.g. '*/15 * * * *' for every 15 minutes" },
    });
  }
});

/** When a job runs: every N (an interval) or on a cron pattern; exactly one of the two. */
export const cadenceSchema = z
  .strictObject({ every: duration.optional(), cron: cron.optional() })
  .superRefine((value, ctx) => {
    if ((value.every === undefined) === (value.cron === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either every or cron',
        params: { fix: "e.g. { every: 15m } or { cron: '0 * * * *' }" },
      });
    }
  });
export type Cadence = z.output<typeof cadenceSchema>;

const appCadence = z
  .strictObject({
    every: duration.optional(),
    cron: cron.optional(),
    /** A full listing on its own cadence, for apps whose regular sync is incremental. */
    full: cadenceSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.every !== undefined && value.cron !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'give every or cron, not both',
        params: { fix: 'remove one' },
      });
    }
    if (value.every === undefined && value.cron === undefined && value.full === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'no cadence',
        params: { fix: "give every (e.g. 15m) or cron (e.g. '0 * * * *'), and/or full: { … }" },
      });
    }
  });

export const scheduleSchema = z.strictObject({
  /** Per app id (`'*'` for every app not named): when to sync it. */
  apps: z.record(nonEmpty, appCadence).default({}),
  /** When to re-read the HR export; a changed file is imported and the graph and plan follow. */
  people: cadenceSchema.optional(),
  /** When to remind access reviewers of undecided items and escalate overdue ones (e.g. { cron: '0 9 * * 1-5' }). */
  reviews: cadenceSchema.optional(),
  /** What follows each successful sync or import. */
  afterSync: z
    .strictObject({
      /** Compute and save a plan (the graph is always refreshed). */
      plan: z.boolean().default(true),
      /** Apply that plan's ops that need no approval (leaver deactivations, birthright grants); the rest wait. */
      autoApply: z.boolean().default(false),
    })
    .default({ plan: true, autoApply: false }),
  /** A failing job retries at growing intervals and is shown quarantined after this many failures in a row. */
  backoff: z
    .strictObject({
      initial: duration.default(60_000),
      max: duration.default(3_600_000),
      quarantineAfter: z.number().int().min(1).default(3),
    })
    .default({ initial: 60_000, max: 3_600_000, quarantineAfter: 3 }),
});
export type ScheduleConfig = z.output<typeof scheduleSchema>;

const notificationSink = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('slack'),
    name: nonEmpty.optional(),
    /** A Slack (or compatible: Mattermost, Rocket.Chat) incoming-webhook URL. A secret: write ${ENV}. */
    url: nonEmpty,
    events: z.array(nonEmpty).optional(),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    name: nonEmpty.optional(),
    url: nonEmpty,
    /** Signs each body: X-Roster-Signature: sha256=<hex HMAC of the body>. */
    secret: nonEmpty.optional(),
    events: z.array(nonEmpty).optional(),
  }),
]);

export const serverSchema = z.strictObject({
  /** Requests per token per window, beyond which the API answers 429. */
  rateLimit: z
    .strictObject({ max: z.number().int().min(1).default(600), window: duration.default(60_000) })
    .default({ max: 600, window: 60_000 }),
  /** The console's address, for links in notifications. */
  publicUrl: nonEmpty.optional(),
  /** Per app id: how its webhooks are verified. */
  webhooks: z
    .record(
      nonEmpty,
      z.strictObject({
        /** Shared secret: the sender's HMAC-SHA256 signature of the body, or the secret itself in a header. */
        secret: nonEmpty.optional(),
      }),
    )
    .default({}),
  notifications: z.array(notificationSink).default([]),
});
export type ServerConfig = z.output<typeof serverSchema>;

/** @module The shape of roster.yaml as a zod schema, and the typed config every other module reads. */

import { z } from 'zod';
import {
  APP_AUTH_TYPES,
  APP_CONFIG_SCHEMAS,
  type AppConfig,
  type AppConfigOf,
} from '../connectors/registry.js';
import { closest } from '../core/suggest.js';
import { DATE_FORMATS } from '../sources/dates.js';
import { DELIMITERS } from '../sources/types.js';
import { fail, nonEmpty } from './parts.js';
import { policySchema } from './policy.js';
import { scimSchema } from './scim.js';
import { scheduleSchema, serverSchema } from './server.js';

export { AUTH_TYPES, type AuthType, httpUrl } from './parts.js';
export { APP_AUTH_TYPES, type AppConfig, type AppConfigOf };

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const domain = z
  .string()
  .superRefine((value, ctx) => {
    if (!DOMAIN.test(value)) {
      fail(ctx, `"${value}" is not an email domain`, 'write the part after the @, e.g. acme.com');
    }
  })
  .transform((value) => value.toLowerCase());

/** `sqlite:<file>` (embedded, the default) or `postgres://…` (cluster mode). */
const store = z
  .string()
  .default('sqlite:./roster.db')
  .superRefine((value, ctx) => {
    if (/^sqlite:.+/.test(value)) return;
    if (/^postgres(ql)?:\/\//.test(value)) {
      try {
        new URL(value);
      } catch {
        fail(
          ctx,
          `"${value}" is not a valid Postgres URL`,
          `write it as postgres://user:\${PGPASSWORD}@host:5432/db`,
        );
      }
      return;
    }
    fail(
      ctx,
      `"${value}" is not a store Roster knows`,
      `use sqlite:./roster.db (embedded) or postgres://user:\${PGPASSWORD}@host:5432/roster`,
    );
  });

/** `redis://…` turns on cluster mode: `roster serve` enqueues, `roster worker` processes run the jobs. */
const queue = z.string().superRefine((value, ctx) => {
  if (/^rediss?:\/\/[^/]/.test(value)) return;
  fail(ctx, `"${value}" is not a Redis URL`, 'write it as redis://host:6379 (rediss:// for TLS)');
});

/** The Roster person fields a source column can feed (see core Person). */
export const SOURCE_FIELDS = [
  'employee_id',
  'email',
  'first_name',
  'last_name',
  'status',
  'department',
  'title',
  'manager_email',
  'start_date',
  'end_date',
  'aliases',
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

export const PERSON_STATUSES = ['active', 'leaver', 'on_leave', 'pending'] as const;

const columns = z.strictObject(
  Object.fromEntries(SOURCE_FIELDS.map((field) => [field, nonEmpty.optional()])) as Record<
    SourceField,
    z.ZodOptional<typeof nonEmpty>
  >,
);

const source = z
  .strictObject({
    type: z.enum(['csv', 'json']),
    /** Relative paths are resolved against the folder of roster.yaml by the loader. */
    path: nonEmpty,
    /** Roster field → the column (CSV header or JSON key) that holds it; unnamed fields use their own name. */
    columns: columns.default({}),
    /** The file's own status words (e.g. "Terminated") → a Roster status. */
    statusValues: z.record(nonEmpty, z.enum(PERSON_STATUSES)).default({}),
    /** Refuse an import that would drop more than this share of the people seen last time. */
    maxDropShare: z.number().min(0).max(1).default(0.3),
    /** How the export writes dates (day order and separator); ISO dates are read whatever this says. */
    dateFormat: z
      .enum(DATE_FORMATS)
      .default('YYYY-MM-DD')
      .describe('How the HR export writes dates; ISO dates (YYYY-MM-DD) are read whatever this says.'),
    /** The CSV field separator; unset, a header line without a comma is read by its `;` (or tab, or `|`). */
    delimiter: z
      .enum(DELIMITERS)
      .optional()
      .describe(
        'The CSV field separator. Unset: a comma, unless the header line has none (then ;, tab or |).',
      ),
  })
  .superRefine((value, ctx) => {
    // A JSON export has no separator: a delimiter there is a leftover that would silently do nothing.
    if (value.type === 'json' && value.delimiter !== undefined) {
      fail(ctx, 'delimiter is for CSV exports, and this source is json', 'remove source.delimiter', [
        'delimiter',
      ]);
    }
  });

const domains = z
  .strictObject({
    primary: domain.optional(),
    /** Pairs of domains that name the same mailbox, e.g. [acme.com, acme.io]. */
    aliases: z.array(z.tuple([domain, domain])).default([]),
  })
  .superRefine((value, ctx) => {
    value.aliases.forEach(([a, b], index) => {
      if (a === b) fail(ctx, `"${a}" is aliased to itself`, 'pair two different domains', ['aliases', index]);
    });
  });

/** How the identity graph ties accounts to people and when it flags them. */
const identity = z.strictObject({
  /** The people-source column (kept in person attributes) that holds the IdP id accounts carry as externalId. */
  externalIdAttribute: nonEmpty.default('idp_id'),
  /** An active account unused for longer than this many days is reported dormant. */
  dormantDays: z.number().int().min(1).default(90),
  /** An account created less than this many days ago is never reported dormant (where the app reports creation). */
  dormantGraceDays: z.number().int().min(0).default(30),
  /** An invitation unaccepted for longer than this many days is reported. */
  inviteDays: z.number().int().min(1).default(14),
  /** Offer same-name (and department) people as suggestions for accounts nothing else ties; never links. */
  nameSuggestions: z.boolean().default(true),
});

/** Every app entry: the union of the schemas the connectors declare, chosen by `type`. */
export const appSchema = z.discriminatedUnion(
  'type',
  APP_CONFIG_SCHEMAS as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<AppConfig>;

export const rosterConfigSchema = z
  .strictObject({
    store,
    /** Cluster mode's work queue (needs a postgres:// store): see README "Cluster mode". */
    queue: queue.optional(),
    source,
    domains: domains.optional(),
    identity: identity.optional(),
    apps: z.array(appSchema).superRefine(
      (apps, ctx) => {
        // Runs even when some entries are invalid (see `when`), so it reads ids defensively.
        const seen = new Map<string, number>();
        (apps as unknown[]).forEach((app, index) => {
          const id = (app as { id?: unknown } | null)?.id;
          if (typeof id !== 'string') return;
          const first = seen.get(id);
          if (first === undefined) {
            seen.set(id, index);
            return;
          }
          ctx.addIssue({
            code: 'custom',
            path: [index, 'id'],
            message: `app id "${id}" is already used by apps[${first}]`,
            params: { fix: 'give each app its own id', otherPath: ['apps', first, 'id'] },
          });
        });
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
    /** Desired state: rules per app, leavers, orphans, managed kinds and safety limits (src/config/policy.ts). */
    policy: policySchema.optional(),
    /** `roster serve`: when each app syncs, when people are re-read, what follows (src/config/server.ts). */
    schedule: scheduleSchema.optional(),
    /** `roster serve`: rate limit, webhook secrets, notification sinks (src/config/server.ts). */
    server: serverSchema.optional(),
    /** The SCIM facade: per-app Groups and attribute overrides, the hold threshold (src/config/scim.ts). */
    scim: scimSchema.optional(),
  })
  .superRefine((config, ctx) => {
    // Workers on several machines share one store: a SQLite file cannot be that store.
    if (config.queue !== undefined && !/^postgres(ql)?:\/\//.test(config.store)) {
      fail(
        ctx,
        'cluster mode (queue:) needs a Postgres store',
        'set store: postgres://user@host:5432/roster',
        ['store'],
      );
    }
  })
  .superRefine(
    (config, ctx) => {
      // A rule or a managed/unmanaged entry for an app roster.yaml does not have would silently do nothing.
      const ids = (config.apps ?? [])
        .map((app) => (app as { id?: unknown } | null)?.id)
        .filter((id): id is string => typeof id === 'string');
      const policy = config.policy as Partial<z.output<typeof policySchema>> | undefined;
      const unknownApp = (appId: string, path: PropertyKey[], what: string) => {
        if (ids.includes(appId)) return;
        const guess = closest(appId, ids);
        ctx.addIssue({
          code: 'custom',
          path: ['policy', ...path],
          message: `${what} names app "${appId}", which roster.yaml does not have`,
          params: {
            fix: guess
              ? `did you mean "${guess}"?`
              : `use one of the app ids under apps: ${ids.join(', ') || '(none yet)'}`,
          },
        });
      };
      (policy?.rules ?? []).forEach((rule, index) => {
        for (const appId of Object.keys(rule.apps ?? {}))
          unknownApp(appId, ['rules', index, 'apps', appId], `rule "${rule.name}"`);
      });
      for (const appId of Object.keys(policy?.managed ?? {}))
        unknownApp(appId, ['managed', appId], 'policy.managed');
      for (const appId of Object.keys(policy?.unmanaged ?? {}))
        unknownApp(appId, ['unmanaged', appId], 'policy.unmanaged');
      for (const appId of Object.keys(config.scim?.apps ?? {})) {
        if (ids.includes(appId)) continue;
        const guess = closest(appId, ids);
        ctx.addIssue({
          code: 'custom',
          path: ['scim', 'apps', appId],
          message: `scim.apps names app "${appId}", which roster.yaml does not have`,
          params: {
            fix: guess
              ? `did you mean "${guess}"?`
              : `use one of the app ids under apps: ${ids.join(', ') || '(none yet)'}`,
          },
        });
      }
    },
    // Only once apps and policy parsed: ids of broken entries would give confusing guesses.
    { when: (payload) => payload.issues.length === 0 },
  );

export type RosterConfig = z.output<typeof rosterConfigSchema>;
export type AuthConfig = AppConfig['auth'];
export type SourceConfig = RosterConfig['source'];
export type IdentityConfig = NonNullable<RosterConfig['identity']>;

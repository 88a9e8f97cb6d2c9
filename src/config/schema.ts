/** @module The shape of roster.yaml as a zod schema, and the typed config every other module reads. */

import { z } from 'zod';
import type { AppType } from '../core/types.js';
import { policySchema } from '../reconcile/policy.js';
import { scheduleSchema, serverSchema } from './server.js';

/** A check's advice to the user travels in the issue's params, so the loader can print "what — fix". */
function fail(ctx: z.RefinementCtx, message: string, fix: string, path?: PropertyKey[]): void {
  ctx.addIssue({ code: 'custom', message, params: { fix }, ...(path ? { path } : {}) });
}

const nonEmpty = z.string().trim().min(1);

/** An app's API root. Trailing slashes are dropped so connectors can append `/Users` safely. */
export const httpUrl = z
  .string()
  .superRefine((value, ctx) => {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      const bare = value.replace(/^\/+/, '') || 'api.example.com';
      // Local sandboxes speak plain http; everything else should be https.
      const scheme = /^(localhost|127\.|\[::1\])/.test(bare) ? 'http' : 'https';
      fail(ctx, `"${value}" is not a URL`, `write it with its scheme, e.g. ${scheme}://${bare}`);
      return;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      fail(ctx, `"${value}" is not a URL`, 'write a full address, e.g. https://api.example.com/api/v1');
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      fail(ctx, `"${value}" uses ${url.protocol} — Roster only calls http(s) APIs`, 'start it with https://');
      return;
    }
    // Credentials in a URL end up in logs; the auth block is where they are kept and masked.
    if (url.username || url.password) {
      fail(
        ctx,
        'the URL carries a user name or password',
        'remove them from baseUrl and put them under auth',
      );
    }
  })
  .transform((value) => value.replace(/\/+$/, ''));

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

const source = z.strictObject({
  type: z.enum(['csv', 'json']),
  /** Relative paths are resolved against the folder of roster.yaml by the loader. */
  path: nonEmpty,
  /** Roster field → the column (CSV header or JSON key) that holds it; unnamed fields use their own name. */
  columns: columns.default({}),
  /** The file's own status words (e.g. "Terminated") → a Roster status. */
  statusValues: z.record(nonEmpty, z.enum(PERSON_STATUSES)).default({}),
  /** Refuse an import that would drop more than this share of the people seen last time. */
  maxDropShare: z.number().min(0).max(1).default(0.3),
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
  /** An invitation unaccepted for longer than this many days is reported. */
  inviteDays: z.number().int().min(1).default(14),
  /** Offer same-name (and department) people as suggestions for accounts nothing else ties; never links. */
  nameSuggestions: z.boolean().default(true),
});

export const AUTH_TYPES = ['bearer', 'basic', 'api-key'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

const bearerAuth = z.strictObject({ type: z.literal('bearer'), token: nonEmpty });
const basicAuth = z.strictObject({ type: z.literal('basic'), username: nonEmpty, password: nonEmpty });
const apiKeyAuth = z.strictObject({
  type: z.literal('api-key'),
  key: nonEmpty,
  header: nonEmpty.default('X-API-Key'),
});

/** Which auth each app type accepts; the loader names these when `auth.type` is wrong. */
export const APP_AUTH_TYPES = {
  targetprocess: ['bearer', 'basic'],
  'process-street': ['bearer'],
  'thought-industries': ['api-key'],
  'customer-directory': ['bearer'],
  'stackspot-scim': ['bearer'],
  scim: ['bearer', 'basic', 'api-key'],
} as const satisfies Record<AppType, readonly AuthType[]>;

/** Keys every app takes, whatever its type. */
const common = {
  /** How Roster names this app everywhere (CLI, plans, audit, SCIM facade URL). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
    error: 'must be lowercase letters, digits, - or _ (at most 64), starting with a letter or digit',
  }),
  baseUrl: httpUrl,
  /** Most requests in flight at once against this app. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** Role/group names that make an account privileged (reported, and approvals required to grant). */
  privilegedRoles: z.array(nonEmpty).optional(),
};

const targetprocess = z
  .strictObject({
    ...common,
    type: z.literal('targetprocess'),
    // Guide: Access Token as Bearer (preferred) or Basic; never the access_token query parameter.
    auth: z.discriminatedUnion('type', [bearerAuth, basicAuth]),
    /** Guide: "Password is required for non-SSO accounts" — with sso true, Roster sends none. */
    sso: z.boolean().default(false),
    /**
     * Where the Password for a non-SSO create comes from: `generate` (a random one per user, shown to
     * nobody; people reset it) or the name of a column in the people source.
     */
    passwordFrom: nonEmpty.optional(),
  })
  .superRefine((app, ctx) => {
    if (app.sso && app.passwordFrom !== undefined) {
      fail(
        ctx,
        'passwordFrom is set but sso is true, so no Password is ever sent',
        'remove passwordFrom, or set sso: false',
        ['passwordFrom'],
      );
    }
  });

const processStreet = z.strictObject({
  ...common,
  type: z.literal('process-street'),
  // Guide: one org-scoped API key, sent as "Authorization: Bearer".
  auth: z.discriminatedUnion('type', [bearerAuth]),
});

const thoughtIndustries = z.strictObject({
  ...common,
  type: z.literal('thought-industries'),
  // Guide: apiKey query parameter or X-API-Key header; only the header keeps the key out of logs.
  auth: z.discriminatedUnion('type', [
    apiKeyAuth.extend({
      header: z
        .literal('X-API-Key', { error: 'Thought Industries reads the key from the X-API-Key header only' })
        .default('X-API-Key'),
    }),
  ]),
  /** Guide: custom field keys must exist in the admin portal or writes are silently ignored. */
  customFieldKeys: z.array(nonEmpty).optional(),
});

const customerDirectory = z.strictObject({
  ...common,
  type: z.literal('customer-directory'),
  auth: z.discriminatedUnion('type', [bearerAuth]),
  // Guide: every path is /customers/{customerId}/…, an objectid.
  customerId: z.string().superRefine((value, ctx) => {
    if (!/^[0-9a-f]{24}$/i.test(value)) {
      fail(
        ctx,
        `"${value}" is not a customer id (24 hexadecimal characters)`,
        'copy the customer id from the directory admin, e.g. 64b7f0c2a1e4d5f6a7b8c9d0',
      );
    }
  }),
  // Guide: `integration` is a required query parameter on user calls.
  integration: nonEmpty,
});

const stackspotScim = z.strictObject({
  ...common,
  type: z.literal('stackspot-scim'),
  auth: z.discriminatedUnion('type', [bearerAuth]),
  // Guide: every call carries the X-Tenant-Id header.
  tenantId: nonEmpty,
});

const scim = z.strictObject({
  ...common,
  type: z.literal('scim'),
  auth: z.discriminatedUnion('type', [
    bearerAuth,
    basicAuth,
    // A generic SCIM service has no default header name for its key, so it must be said.
    apiKeyAuth.extend({ header: nonEmpty }),
  ]),
});

export const appSchema = z.discriminatedUnion('type', [
  targetprocess,
  processStreet,
  thoughtIndustries,
  customerDirectory,
  stackspotScim,
  scim,
]);

export const rosterConfigSchema = z.strictObject({
  store,
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
  /** Desired state: rules per app, leavers, orphans, managed kinds and safety limits (src/reconcile/policy.ts). */
  policy: policySchema.optional(),
  /** `roster serve`: when each app syncs, when people are re-read, what follows (src/config/server.ts). */
  schedule: scheduleSchema.optional(),
  /** `roster serve`: rate limit, webhook secrets, notification sinks (src/config/server.ts). */
  server: serverSchema.optional(),
});

export type RosterConfig = z.output<typeof rosterConfigSchema>;
export type AppConfig = RosterConfig['apps'][number];
export type AppConfigOf<T extends AppType> = Extract<AppConfig, { type: T }>;
export type AuthConfig = AppConfig['auth'];
export type SourceConfig = RosterConfig['source'];
export type IdentityConfig = NonNullable<RosterConfig['identity']>;

// Every app type core knows has a schema here, and no other.
const _everyAppType: AppConfig['type'] extends AppType
  ? AppType extends AppConfig['type']
    ? true
    : never
  : never = true;
void _everyAppType;

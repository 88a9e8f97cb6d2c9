/** @module The pieces each connector's config schema is built from: URL, auth kinds, the keys every app takes. */

// Nothing of Roster's is imported here, so connectors/<app>/config.ts can use it without an import cycle.

import { z } from 'zod';

/** A check's advice to the user travels in the issue's params, so the loader can print "what — fix". */
export function fail(ctx: z.RefinementCtx, message: string, fix: string, path?: PropertyKey[]): void {
  ctx.addIssue({ code: 'custom', message, params: { fix }, ...(path ? { path } : {}) });
}

export const nonEmpty = z.string().trim().min(1);

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

export const AUTH_TYPES = ['bearer', 'basic', 'api-key'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const bearerAuth = z.strictObject({ type: z.literal('bearer'), token: nonEmpty });
export const basicAuth = z.strictObject({
  type: z.literal('basic'),
  username: nonEmpty,
  password: nonEmpty,
});
export const apiKeyAuth = z.strictObject({
  type: z.literal('api-key'),
  key: nonEmpty,
  header: nonEmpty.default('X-API-Key'),
});

/** How far a sync of one app may go before it stops and asks (src/sync). */
export const syncLimits = z.strictObject({
  /** Refuse a full sync that would remove more than this share of the app's accounts (default 0.3). */
  maxDropShare: z.number().min(0).max(1).optional(),
  /** The most items one listing may hold before it is taken for a runaway (default 1,000,000). */
  maxItemsPerListing: z.number().int().min(1).optional(),
  /** A crashed sync's staged pages older than this are thrown away and the sync starts over (default 60). */
  resumeWithinMinutes: z.number().int().min(0).optional(),
});

/** Keys every app takes, whatever its type: spread into each connector's own schema. */
export const appCommon = {
  /** How Roster names this app everywhere (CLI, plans, audit, SCIM facade URL). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
    error: 'must be lowercase letters, digits, - or _ (at most 64), starting with a letter or digit',
  }),
  baseUrl: httpUrl,
  /** Most requests in flight at once against this app. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** The largest answer body read from this app, in bytes (default 64 MiB); a bigger one is an error. */
  maxResponseBytes: z.number().int().min(1024).optional(),
  sync: syncLimits.optional(),
  /** Role/group names that make an account privileged (reported, and approvals required to grant). */
  privilegedRoles: z.array(nonEmpty).optional(),
  /** Who answers for this app (an email): the reviewer of its access reviews when the rule asks the owner. */
  owner: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+$/, { error: 'must be an email address, e.g. it-owner@acme.com' })
    .transform((v) => v.toLowerCase())
    .optional(),
};

/** What every app entry holds once parsed, whatever its type: what the generic modules may read. */
export interface AppEntry {
  id: string;
  type: string;
  baseUrl: string;
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  maxResponseBytes?: number | undefined;
  sync?: z.output<typeof syncLimits> | undefined;
  privilegedRoles?: string[] | undefined;
  owner?: string | undefined;
  auth:
    | z.output<typeof bearerAuth>
    | z.output<typeof basicAuth>
    | { type: 'api-key'; key: string; header: string };
}

/**
 * `{ <name in the app>: <id> }`, e.g. `groups: { Sales Academy: grp-1 }`: where a guide documents no list of an
 * app's groups, roles or courses, roster.yaml names them.
 */
export const nameToId = (id: z.ZodType<string>) =>
  z.record(nonEmpty, id).superRefine((map, ctx) => {
    const seen = new Map<string, string>();
    for (const [name, value] of Object.entries(map)) {
      const other = seen.get(value.toLowerCase());
      if (other !== undefined) {
        fail(ctx, `"${name}" and "${other}" name the same id ${value}`, 'give each name its own id', [name]);
      }
      seen.set(value.toLowerCase(), name);
    }
  });

/** Undocumented endpoints a connector may try, only when roster.yaml lists them (a 404/405 falls back). */
export const undocumentedList = <T extends readonly [string, ...string[]]>(values: T) =>
  z.array(z.enum(values, { error: `must be one of: ${values.join(', ')}` })).optional();

/** @module The policy section of roster.yaml (who should have what in which app) as a zod schema, with its defaults. */

import { z } from 'zod';
import type { EntitlementKind } from '../core/types.js';

const nonEmpty = z.string().trim().min(1);

/** One condition: equal to a value, to one of a list, or matching a glob (`Sales*`, `*Engineer`). */
const conditionValue = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

/** What an app account should carry: false means the rule says "no account here", even if others say yes. */
const accountSpec = z.union([
  z.literal(false),
  z.strictObject({
    /** App field → template (`{first_name}`, `{email.local}`); overrides the connector type's default map. */
    attributes: z.record(nonEmpty, z.string()).optional(),
  }),
]);

const appGrant = z.strictObject({
  account: accountSpec.optional(),
  /** The one role the account holds (an entitlement where the app has roles, else the `role` attribute). */
  role: nonEmpty.optional(),
  teams: z.array(nonEmpty).optional(),
  groups: z.array(nonEmpty).optional(),
  courses: z.array(nonEmpty).optional(),
  roles: z.array(nonEmpty).optional(),
  /**
   * Leave the privileged entitlements this person holds here alone: an Administrator keeps the role a `role`
   * would replace, and managed privileged groups are not revoked because of this rule.
   */
  keepPrivileged: z.boolean().optional(),
});

const rule = z.strictObject({
  name: nonEmpty,
  /** Person field (department, title, status, first_name...) or any other HR column → condition; all must hold. */
  when: z.record(nonEmpty, conditionValue).default({}),
  apps: z.record(nonEmpty, appGrant),
});

export const MANAGED_KINDS = ['account', 'role', 'team', 'group', 'course', 'delegate'] as const;
export type ManagedKind = (typeof MANAGED_KINDS)[number];

export const policySchema = z
  .strictObject({
    rules: z.array(rule).default([]),
    leavers: z
      .strictObject({
        action: z.enum(['deactivate', 'delete']).default('deactivate'),
        /** Days after a leaver's end date before their access goes (0: at once). */
        graceDays: z.number().int().min(0).default(0),
      })
      .default({ action: 'deactivate', graceDays: 0 }),
    /** Accounts nobody in HR owns: only reported, or deactivated. */
    orphans: z.enum(['report', 'deactivate']).default('report'),
    /**
     * Per app, the kinds Roster manages: only these are ever revoked when a person no longer qualifies.
     * `account` also lets Roster deactivate the account of an active person no rule gives the app any more.
     */
    managed: z.record(nonEmpty, z.array(z.enum(MANAGED_KINDS))).default({}),
    /**
     * Per app, entitlement names (any kind, any case) Roster never revokes even where their kind is managed:
     * groups or teams made by hand for something the HR file knows nothing about.
     */
    unmanaged: z.record(nonEmpty, z.array(nonEmpty)).default({}),
    safety: z
      .strictObject({
        maxDeactivations: z
          .strictObject({
            /** More deactivations/deletions than this in one app blocks the plan (null: no count limit). */
            count: z.number().int().min(0).nullable().default(25),
            /** More than this share of an app's live accounts blocks the plan (null: no share limit). */
            share: z.number().min(0).max(1).nullable().default(0.2),
          })
          .default({ count: 25, share: 0.2 }),
        approval: z
          .strictObject({
            delete: z.boolean().default(true),
            privileged: z.boolean().default(true),
            /** An app with more ops than this needs every one of them approved. */
            opsPerApp: z.number().int().min(1).default(100),
          })
          .default({ delete: true, privileged: true, opsPerApp: 100 }),
        /** Approvals must come from someone other than whoever asked for the plan (a different API token). */
        fourEyes: z.boolean().default(false),
      })
      .default({
        maxDeactivations: { count: 25, share: 0.2 },
        approval: { delete: true, privileged: true, opsPerApp: 100 },
        fourEyes: false,
      }),
  })
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.rules.forEach((r, index) => {
      if (seen.has(r.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `rule name "${r.name}" is used twice`,
          params: { fix: 'give each rule its own name: plans cite it as the reason for each change' },
        });
      }
      seen.add(r.name);
    });
  });

export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
export type AppGrant = z.output<typeof appGrant>;

/** The policy a config without one gets: nothing is created, granted or revoked; leavers are deactivated. */
export function defaultPolicy(): Policy {
  return policySchema.parse({});
}

/** Which entitlement kind each list of a rule's app entry names. */
export const GRANT_LISTS: readonly {
  key: 'teams' | 'groups' | 'courses' | 'roles';
  kind: EntitlementKind;
}[] = [
  { key: 'teams', kind: 'team' },
  { key: 'groups', kind: 'group' },
  { key: 'courses', kind: 'course' },
  { key: 'roles', kind: 'role' },
];

/** @module The demo's policy for the sample company: birthright rules per app and department, from its catalog. */

import type { SeedAppType } from '../core/types.js';
import type { AppGrant, ManagedKind } from '../reconcile/policy.js';
import { APP_DEPARTMENTS } from './company.js';

/**
 * The sample policy, from the generator's catalog (src/sandbox/company.ts, which keeps it private): per app,
 * the departments it is for (APP_DEPARTMENTS) and, per department, the groups/teams/courses/roles its people
 * hold there.
 */
const CATALOG: Partial<Record<SeedAppType, (dept: string) => AppGrant>> = {
  targetprocess: (dept) => ({
    teams: dept === 'Design' ? ['Design Studio'] : dept === 'Engineering' ? ['Platform'] : [],
  }),
  'process-street': (dept) => ({ groups: [dept] }),
  'thought-industries': (dept) => ({
    groups: [`${dept} Academy`],
    courses: ['Security Awareness', 'Code of Conduct'].concat(
      dept === 'Sales' ? ['Negotiation Basics'] : dept === 'Support' ? ['Ticket Handling 101'] : [],
    ),
  }),
  // Its API cannot grant groups (each would be a manual task), so the demo gives accounts only.
  'customer-directory': () => ({}),
  'stackspot-scim': () => ({}),
};

/** Kinds Roster manages per app in the demo: accounts everywhere, and the lists the policy gives in full. */
const MANAGED: Record<SeedAppType, ManagedKind[]> = {
  targetprocess: ['account'],
  'process-street': ['account', 'group'],
  'thought-industries': ['account', 'group', 'course'],
  'customer-directory': ['account'],
  'stackspot-scim': ['account'],
};

/** The demo's policy: birthright rules per app and department, leavers deactivated, orphans reported. */
export function demoPolicy(apps: readonly SeedAppType[]): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [];
  for (const app of apps) {
    for (const dept of APP_DEPARTMENTS[app]) {
      const grant = Object.fromEntries(
        Object.entries(CATALOG[app]?.(dept) ?? {}).filter(([, v]) => !Array.isArray(v) || v.length > 0),
      );
      rules.push({
        name: `${app}: ${dept}`,
        when: { department: dept, status: 'active' },
        apps: { [app]: grant },
      });
    }
  }
  return {
    rules,
    leavers: { action: 'deactivate', graceDays: 0 },
    orphans: 'report',
    managed: Object.fromEntries(apps.map((a) => [a, MANAGED[a]])),
  };
}

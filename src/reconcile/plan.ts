/** @module computePlan: reads people, links and app snapshots from the store, diffs them against policy, saves the plan. */

import { createHash } from 'node:crypto';
import type { RosterConfig } from '../config/schema.js';
import { traitsOf } from '../connectors/registry.js';
import type { CapabilityManifest } from '../connectors/sdk/types.js';
import type { EntitlementKind } from '../core/types.js';
import { idpManagedAccounts } from '../store/idp-managed.js';
import type { OpRecord, PlanRecord, Store } from '../store/store.js';
import { type DesiredApp, desiredAccountsOf, desiredFieldsOf, desiredVerdicts } from './desired.js';
import {
  type AppBlock,
  comparesAttributes,
  type DiffResult,
  diffApp,
  diffShared,
  type PlanError,
  type PlanOp,
} from './diff.js';
import { defaultPolicy, GRANT_LISTS, type Policy } from './policy.js';
import { storedBodyOf, toOpSource } from './stored-plan.js';

export { bodyWithOps, toOpInputs } from './stored-plan.js';

/** What apply must be given to run a blocked plan; recorded in the plan so nobody has to guess. */
export const OVERRIDE_FLAG = '--override-safety';

export interface PlanBody {
  version: 1;
  createdAt: string;
  /** What the state hash was computed from. */
  inputs: StateInputs;
  apps: string[];
  ops: PlanOp[];
  errors: PlanError[];
  /**
   * False when the plan has errors: it is shown, never applied (apply refuses; re-plan once they are fixed).
   * Absent in plans saved before it existed; apply reads `errors` itself.
   */
  applicable?: boolean;
  warnings: string[];
  blocked: { reasons: AppBlock[]; override: { required: true; flag: string } } | null;
  untouched: Record<string, string[]>;
  /** Apps the plan leaves alone because their snapshot cannot be trusted, with what to run. */
  skipped?: SkippedApp[];
  /** Only this person's ops (provisioning on demand); safety limits and approvals as usual. */
  person?: { employeeId: string; email: string } | null;
  /** Who asked for the plan (a person, a token, "assistant via <token>"). */
  requestedBy?: string;
  /** Only the ops that fix these findings (and what those ops depend on): a plan made from a selection. */
  findings?: string[];
}

export interface SkippedApp {
  appId: string;
  reason: string;
  fix: string;
}

export interface PlanSummary {
  total: number;
  byApp: Record<string, Partial<Record<PlanOp['kind'], number>>>;
  approvals: number;
  errors: number;
  /** Same as the body's: false when the plan has errors. */
  applicable: boolean;
  blocked: boolean;
  [key: string]: unknown;
}

export interface StateInputs {
  syncRuns: Record<string, string | null>;
  importId: string | null;
  linksUpdatedAt: string | null;
  policy: Policy;
}

export interface ComputedPlan {
  plan: PlanRecord;
  /** The ops as saved (made when first read: a big plan's are tens of thousands of records). */
  ops: OpRecord[];
  body: PlanBody;
  summary: PlanSummary;
}

/** JSON with keys sorted at every level, so the same inputs always hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 over the identity of the inputs: a plan whose inputs moved on is stale. */
export function stateHashOf(inputs: StateInputs): string {
  return createHash('sha256').update(canonical(inputs)).digest('hex');
}

export function summarize(body: Pick<PlanBody, 'ops' | 'errors' | 'blocked'>): PlanSummary {
  const byApp: PlanSummary['byApp'] = {};
  let approvals = 0;
  for (const op of body.ops) {
    const counts = byApp[op.appId] ?? {};
    counts[op.kind] = (counts[op.kind] ?? 0) + 1;
    byApp[op.appId] = counts;
    if (op.requiresApproval) approvals += 1;
  }
  return {
    total: body.ops.length,
    byApp,
    approvals,
    errors: body.errors.length,
    applicable: body.errors.length === 0,
    blocked: body.blocked !== null,
  };
}

/** Computes and saves a plan for the configured apps (or some of them). */
export async function computePlan(input: {
  store: Store;
  config: Pick<RosterConfig, 'apps' | 'policy' | 'scim'>;
  manifests: Readonly<Record<string, CapabilityManifest>>;
  now: Date;
  apps?: readonly string[];
  /** Apps left out with the reason (their sync failed or never ran): recorded in the plan, given no ops. */
  skipped?: readonly SkippedApp[];
  /** Keep only this person's ops. */
  person?: { employeeId: string; email: string };
  /** Keep only the ops that touch these findings' accounts (plus the ops they depend on). */
  findings?: readonly { id: string; appId: string; accountId: string }[];
  requestedBy?: string;
}): Promise<ComputedPlan> {
  const { store, config, manifests, now } = input;
  const policy: Policy = (config.policy as Policy | undefined) ?? defaultPolicy();
  const apps = config.apps.filter((a) => !input.apps || input.apps.includes(a.id));
  // Every person (as the graph reads them: rows as arrays), and what the policy gives each, before any app.
  const people = await store.listGraphPeople({});
  const desiredApps = apps.map((app) => desiredAppOf(app, manifests[app.id] as CapabilityManifest));
  // The verdicts now; each app's desired accounts only while that app is diffed (see desiredAccountsOf).
  const desired = desiredVerdicts({ people, policy, apps: desiredApps, now });
  const result: DiffResult = { ops: [], errors: [], blocks: [], untouched: {} };
  const shared = diffShared({ desired, people, policy });
  const syncRuns: Record<string, string | null> = {};
  // One app at a time: its snapshot and desired accounts are read, diffed and let go before the next app's.
  for (const app of apps) {
    const manifest = manifests[app.id];
    if (!manifest) throw new Error(`no capability manifest for ${app.id}`);
    const [run] = await store.listSyncRuns({ appId: app.id, status: 'succeeded', limit: 1 });
    syncRuns[app.id] = run?.id ?? null;
    const desiredApp = desiredApps.find((a) => a.id === app.id) as DesiredApp;
    const snapshot = await store.readPlanApp({
      appId: app.id,
      grants: needsGrants(app, desiredApps, policy),
      // Attributes only where a field the policy sets is one (not a name or an identity field).
      attributes: comparesAttributes(desiredFieldsOf(desiredApp, policy)),
    });
    diffApp(
      {
        id: app.id,
        type: app.type,
        manifest,
        ...(app.privilegedRoles ? { privilegedRoles: app.privilegedRoles } : {}),
        accounts: snapshot.accounts,
        entitlements: snapshot.entitlements,
        grants: snapshot.grants,
        // roster.yaml scim.protectIdpManaged (default on): what an IdP provisions through the facade is its own.
        ...(config.scim?.protectIdpManaged === false
          ? {}
          : { idpManaged: await idpManagedAccounts(store, app.id) }),
      },
      snapshot.links,
      shared,
      result,
      desiredAccountsOf({ people, policy, apps: desiredApps, app: app.id }),
    );
  }
  const imports = await store.listImports({ limit: 20 });
  const inputs: StateInputs = {
    syncRuns,
    importId: imports.find((i) => i.status === 'applied')?.id ?? null,
    linksUpdatedAt: await store.linksUpdatedAt(),
    policy,
  };
  const person = input.person;
  const byPerson = person
    ? result.ops.filter((op) => op.person?.employeeId === person.employeeId)
    : result.ops;
  const ops = input.findings ? fixing(byPerson, input.findings) : byPerson;
  const errors = [...desired.errors, ...result.errors];
  const body: PlanBody = {
    version: 1,
    createdAt: now.toISOString(),
    inputs,
    apps: apps.map((a) => a.id),
    ops,
    errors,
    applicable: errors.length === 0,
    warnings: desired.warnings,
    blocked:
      result.blocks.length > 0
        ? { reasons: result.blocks, override: { required: true, flag: OVERRIDE_FLAG } }
        : null,
    untouched: result.untouched,
    ...(input.skipped && input.skipped.length > 0 ? { skipped: [...input.skipped] } : {}),
    ...(person ? { person } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    ...(input.findings ? { findings: input.findings.map((f) => f.id) } : {}),
  };
  const summary = summarize(body);
  const saved = await store.createPlan({
    stateHash: stateHashOf(inputs),
    summary,
    // Each op is kept once, in its row: the body goes without them (bodyWithOps puts them back).
    body: storedBodyOf(body),
    ops: toOpSource(body.ops),
  });
  // The op records as the store makes them: only if read (`roster plan` shows the body and never does).
  return {
    plan: saved.plan,
    body,
    summary,
    get ops() {
      return saved.ops;
    },
  };
}

/**
 * Whether the app's grants matter to this plan: a rule giving the app names an entitlement, or the policy manages
 * one of its entitlement kinds (revokes). Otherwise no grant can make or change an op, and they are not read.
 */
function needsGrants(app: { id: string }, apps: readonly DesiredApp[], policy: Policy): boolean {
  if ((policy.managed[app.id] ?? []).some((kind) => kind !== 'account')) return true;
  const kinds = apps.find((a) => a.id === app.id)?.kinds ?? [];
  return policy.rules.some((rule) => {
    const grant = rule.apps[app.id];
    if (grant === undefined) return false;
    // A role is an entitlement only where the app has roles; elsewhere it is an attribute.
    if (grant.role !== undefined && kinds.includes('role')) return true;
    return GRANT_LISTS.some(({ key }) => (grant[key] ?? []).length > 0);
  });
}

/** The ops that act on the findings' accounts (or name a finding), with every op they depend on, in plan order. */
function fixing(
  ops: readonly PlanOp[],
  findings: readonly { id: string; appId: string; accountId: string }[],
) {
  const ids = new Set(findings.map((f) => f.id));
  const accounts = new Set(findings.map((f) => `${f.appId}\u0000${f.accountId}`));
  const keep = new Set(
    ops
      .filter(
        (op) =>
          (op.reason.finding !== undefined && ids.has(op.reason.finding)) ||
          (op.account !== null && 'id' in op.account && accounts.has(`${op.appId}\u0000${op.account.id}`)),
      )
      .map((op) => op.ref),
  );
  const byRef = new Map(ops.map((op) => [op.ref, op]));
  const pending = [...keep];
  while (pending.length > 0) {
    for (const dep of byRef.get(pending.pop() as string)?.dependsOn ?? []) {
      if (!keep.has(dep)) {
        keep.add(dep);
        pending.push(dep);
      }
    }
  }
  return ops.filter((op) => keep.has(op.ref));
}

/** What desired-state evaluation needs to know about one configured app. */
export function desiredAppOf(app: RosterConfig['apps'][number], manifest: CapabilityManifest): DesiredApp {
  // The connector says which attributes are custom fields the app drops unless its config lists them.
  const custom = traitsOf(app.type).customFields;
  return {
    id: app.id,
    type: app.type,
    kinds: Object.keys(manifest.entitlements) as EntitlementKind[],
    ...(custom ? { customFieldKeys: custom.keys(app) } : {}),
  };
}

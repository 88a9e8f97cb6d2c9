/** @module The API's resource shapes as zod schemas: they validate responses and become the OpenAPI components. */

import { z } from 'zod';
import { FINDING_RULES, SEVERITIES } from '../identity/findings.js';
import { OP_KINDS, OP_STATUSES, PLAN_STATUSES } from '../store/rows.js';

const json = z.record(z.string(), z.unknown());
const timestamp = z.string().describe('ISO-8601 UTC');

export const personSchema = z
  .object({
    employeeId: z.string(),
    email: z.string(),
    aliases: z.array(z.string()),
    firstName: z.string(),
    lastName: z.string(),
    status: z.enum(['active', 'leaver', 'on_leave', 'pending']),
    department: z.string().nullable(),
    title: z.string().nullable(),
    managerEmail: z.string().nullable(),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    attributes: z.record(z.string(), z.string()),
    importId: z.string(),
  })
  .meta({ id: 'Person' });

export const accountSchema = z
  .object({
    appId: z.string(),
    id: z.string(),
    email: z.string().nullable(),
    login: z.string().nullable(),
    externalId: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    displayName: z.string().nullable(),
    status: z.enum(['active', 'inactive', 'invited', 'deleted']),
    isAdmin: z.boolean(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  })
  .meta({ id: 'Account' });

const situation = z.enum(['linked', 'unmatched', 'disputed', 'suggested']);
const method = z.enum(['manual', 'external_id', 'email', 'login', 'name']);

export const accountViewSchema = z
  .object({
    account: accountSchema,
    situation: situation.nullable(),
    owner: z
      .object({
        employeeId: z.string(),
        email: z.string(),
        name: z.string(),
        status: z.enum(['active', 'leaver', 'on_leave', 'pending']),
      })
      .nullable(),
    method: method.nullable(),
    candidates: z.array(z.string()),
  })
  .meta({ id: 'AccountView' });

export const personViewSchema = z
  .object({
    person: personSchema,
    accounts: z.array(
      z.object({
        appId: z.string(),
        account: accountSchema,
        method: method.nullable(),
        confidence: z.number(),
        entitlements: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'PersonView' });

export const entitlementSchema = z
  .object({
    appId: z.string(),
    id: z.string(),
    kind: z.enum(['role', 'team', 'group', 'course', 'delegate']),
    name: z.string(),
    privileged: z.boolean(),
  })
  .meta({ id: 'Entitlement' });

export const linkSchema = z
  .object({
    appId: z.string(),
    accountId: z.string(),
    employeeId: z.string().nullable(),
    situation,
    method: method.nullable(),
    confidence: z.number(),
    candidates: z.array(z.string()),
    manual: z.boolean(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'Link' });

export const findingSchema = z
  .object({
    id: z.string(),
    rule: z.enum(FINDING_RULES),
    severity: z.enum(SEVERITIES),
    appId: z.string(),
    accountId: z.string(),
    employeeId: z.string().nullable(),
    title: z.string(),
    evidence: z.record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]),
    ),
  })
  .meta({ id: 'Finding' });

export const syncRunSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    mode: z.enum(['full', 'incremental']),
    status: z.enum(['running', 'succeeded', 'failed']),
    startedAt: timestamp,
    finishedAt: z.string().nullable(),
    counts: z.record(z.string(), z.number()),
    requests: z.record(z.string(), z.number()),
    error: z.string().nullable(),
  })
  .meta({ id: 'SyncRun' });

export const appSchema = z
  .object({
    id: z.string(),
    type: z.string().describe('the connector type (targetprocess, scim, …)'),
    baseUrl: z.string(),
    health: z.enum(['ok', 'failing', 'never_synced', 'syncing', 'quarantined']),
    syncing: z.boolean(),
    nextSyncAt: z.string().nullable().describe('the next scheduled sync (null: not scheduled)'),
    lastSync: syncRunSchema.nullable(),
    lastSuccess: syncRunSchema.nullable(),
    capabilities: json.describe('what the connector can do, and why not the rest'),
  })
  .meta({ id: 'App' });

// The store's own lists, so a status the store learns is one the API can answer.
export const planStatus = z.enum(PLAN_STATUSES);

export const opSchema = z
  .object({
    planId: z.string(),
    seq: z.number().int(),
    appId: z.string(),
    kind: z.enum(OP_KINDS),
    target: json,
    status: z.enum(OP_STATUSES),
    attempts: z.number().int(),
    intentAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    outcome: json.nullable(),
    error: z.string().nullable(),
    dependsOn: z.array(z.number().int()),
    requiresApproval: z.boolean(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
  })
  .meta({ id: 'Op' });

export const planSchema = z
  .object({
    id: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    stateHash: z.string(),
    status: planStatus,
    summary: json,
    applying: z.boolean().describe('an apply of this plan is running in this server now'),
    applyError: z.string().nullable().describe('why the last apply started here was refused or failed'),
  })
  .meta({ id: 'Plan' });

export const planDetailSchema = z
  .object({
    plan: planSchema,
    body: json.describe('ops with reasons, errors, warnings, the safety block'),
    ops: z.array(opSchema),
  })
  .meta({ id: 'PlanDetail' });

export const taskSchema = z
  .object({
    id: z.string(),
    planId: z.string().nullable(),
    opSeq: z.number().int().nullable(),
    appId: z.string(),
    kind: z.string(),
    instructions: z.string(),
    status: z.enum(['open', 'done', 'cancelled']),
    createdAt: timestamp,
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
  })
  .meta({ id: 'Task' });

export const auditEventSchema = z
  .object({
    seq: z.number().int(),
    at: timestamp,
    actor: z.string(),
    kind: z.string(),
    appId: z.string().nullable(),
    subject: z.string().nullable(),
    data: json,
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const appIdParams = z.object({ appId: z.string() });
export const idParams = z.object({ id: z.string() });

export const scheduledJobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['sync', 'people', 'reviews']),
    appId: z.string().nullable(),
    cadence: z.object({ every: z.number().int().optional(), cron: z.string().optional() }),
    full: z.boolean(),
    running: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    lastStatus: z.enum(['succeeded', 'failed']).nullable(),
    lastError: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    runs: z.number().int(),
    failures: z.number().int(),
    quarantined: z.boolean(),
    quarantinedAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ScheduledJob' });

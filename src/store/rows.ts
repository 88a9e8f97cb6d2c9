/** @module Turning domain objects into table rows and rows back into validated domain objects. */

import type { Selectable } from 'kysely';
import { APP_TYPES } from '../connectors/registry.js';
import type { Person } from '../core/types.js';
import {
  anyJson,
  attributeRecord,
  intArray,
  nullableObjectRecord,
  numberRecord,
  objectRecord,
  parseEnum,
  parseEnumOf,
  parseJsonColumn,
  parseJsonColumnOf,
  stringArray,
  stringRecord,
  toJsonColumn,
} from './json.js';
import type {
  AccountsTable,
  AppsTable,
  AuditEventsTable,
  EntitlementsTable,
  GrantsTable,
  ImportsTable,
  LinksTable,
  OpsTable,
  PeopleTable,
  PlanLocksTable,
  PlansTable,
  SyncCheckpointsTable,
  SyncRunsTable,
  TasksTable,
} from './schema.js';
import type {
  AppRecord,
  AuditEvent,
  Checkpoint,
  ImportRecord,
  OpRecord,
  PlanLock,
  PlanRecord,
  SnapshotAccount,
  SnapshotEntitlement,
  StoredAccount,
  StoredEntitlement,
  StoredGrant,
  StoredLink,
  StoredPerson,
  SyncRun,
  TaskRecord,
} from './store.js';

/** How Roster compares addresses: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const bool = (n: number): boolean => n !== 0;
const int = (b: boolean): number => (b ? 1 : 0);

export const PERSON_STATUSES = ['active', 'leaver', 'on_leave', 'pending'] as const;
export const ACCOUNT_STATUSES = ['active', 'inactive', 'invited', 'deleted'] as const;
export const ENTITLEMENT_KINDS = ['role', 'team', 'group', 'course', 'delegate'] as const;
export const LINK_SITUATIONS = ['linked', 'unmatched', 'disputed', 'suggested'] as const;
export const LINK_METHODS = ['manual', 'external_id', 'email', 'login', 'name'] as const;
export const SYNC_MODES = ['full', 'incremental'] as const;
export const SYNC_STATUSES = ['running', 'succeeded', 'failed'] as const;
export const GRANTED_BY = ['roster', 'external'] as const;
export const IMPORT_STATUSES = ['applied', 'rejected'] as const;
export const PLAN_STATUSES = [
  'draft',
  'approved',
  'applying',
  'applied',
  'tasks_open',
  'failed',
  'cancelled',
] as const;
export const OP_STATUSES = [
  'pending',
  'approved',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'task_open',
] as const;
export const OP_KINDS = [
  'create',
  'update',
  'deactivate',
  'reactivate',
  'delete',
  'grant',
  'revoke',
  'wait',
  'task',
] as const;
export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;

export function personToRow(p: Person, importId: string): PeopleTable {
  return {
    employee_id: p.employeeId,
    email: p.email,
    email_normalized: normalizeEmail(p.email),
    aliases: toJsonColumn(p.aliases),
    first_name: p.firstName,
    last_name: p.lastName,
    status: p.status,
    department: p.department,
    title: p.title,
    manager_email: p.managerEmail,
    start_date: p.startDate,
    end_date: p.endDate,
    attributes: toJsonColumn(p.attributes),
    import_id: importId,
  };
}

// Every plan reads every person: the place names are built only for a row that fails its check.
const personAliasesWhere = (r: Selectable<PeopleTable>) => `people[${r.employee_id}].aliases`;
const personStatusWhere = (r: Selectable<PeopleTable>) => `people[${r.employee_id}].status`;
const personAttributesWhere = (r: Selectable<PeopleTable>) => `people[${r.employee_id}].attributes`;

export function rowToPerson(r: Selectable<PeopleTable>): StoredPerson {
  return {
    employeeId: r.employee_id,
    email: r.email,
    aliases: parseJsonColumnOf(stringArray, r.aliases, personAliasesWhere, r),
    firstName: r.first_name,
    lastName: r.last_name,
    status: parseEnumOf(PERSON_STATUSES, r.status, personStatusWhere, r),
    department: r.department,
    title: r.title,
    managerEmail: r.manager_email,
    startDate: r.start_date,
    endDate: r.end_date,
    attributes: parseJsonColumnOf(stringRecord, r.attributes, personAttributesWhere, r),
    importId: r.import_id,
  };
}

export function rowToImport(r: Selectable<ImportsTable>): ImportRecord {
  return {
    id: r.id,
    sourcePath: r.source_path,
    hash: r.hash,
    counts: parseJsonColumn(numberRecord, r.counts, `imports[${r.id}].counts`),
    createdAt: r.created_at,
    status: parseEnum(IMPORT_STATUSES, r.status, `imports[${r.id}].status`),
    error: r.error,
  };
}

export function rowToApp(r: Selectable<AppsTable>): AppRecord {
  return {
    id: r.id,
    type: parseEnum(APP_TYPES, r.type, `apps[${r.id}].type`),
    baseUrl: r.base_url,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function rowToSyncRun(r: Selectable<SyncRunsTable>): SyncRun {
  const where = `sync_runs[${r.id}]`;
  return {
    id: r.id,
    appId: r.app_id,
    mode: parseEnum(SYNC_MODES, r.mode, `${where}.mode`),
    status: parseEnum(SYNC_STATUSES, r.status, `${where}.status`),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    counts: parseJsonColumn(numberRecord, r.counts, `${where}.counts`),
    requests: parseJsonColumn(numberRecord, r.requests, `${where}.requests`),
    error: r.error,
  };
}

export function rowToCheckpoint(r: Selectable<SyncCheckpointsTable>): Checkpoint {
  return {
    appId: r.app_id,
    resource: r.resource,
    cursor: r.cursor,
    watermark: r.watermark,
    runId: r.run_id,
    updatedAt: r.updated_at,
  };
}

export function accountToRow(a: SnapshotAccount, runId: string | null): AccountsTable {
  return {
    app_id: a.appId,
    id: a.id,
    email: a.email,
    email_normalized: a.email === null ? null : normalizeEmail(a.email),
    login: a.login,
    external_id: a.externalId,
    first_name: a.firstName,
    last_name: a.lastName,
    display_name: a.displayName,
    status: a.status,
    is_admin: int(a.isAdmin),
    last_login_at: a.lastLoginAt,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    attributes: toJsonColumn(a.attributes),
    raw: a.raw === undefined ? null : toJsonColumn(a.raw),
    sync_run_id: runId,
    row_hash: null,
  };
}

export function rowToAccount(r: Selectable<AccountsTable>): StoredAccount {
  const where = `accounts[${r.app_id}/${r.id}]`;
  return {
    appId: r.app_id,
    id: r.id,
    email: r.email,
    login: r.login,
    externalId: r.external_id,
    firstName: r.first_name,
    lastName: r.last_name,
    displayName: r.display_name,
    status: parseEnum(ACCOUNT_STATUSES, r.status, `${where}.status`),
    isAdmin: bool(r.is_admin),
    lastLoginAt: r.last_login_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    attributes: parseJsonColumn(attributeRecord, r.attributes, `${where}.attributes`),
    raw: parseJsonColumn(anyJson, r.raw, `${where}.raw`),
    syncRunId: r.sync_run_id,
  };
}

export function entitlementToRow(e: SnapshotEntitlement, runId: string | null): EntitlementsTable {
  return {
    app_id: e.appId,
    id: e.id,
    kind: e.kind,
    name: e.name,
    privileged: int(e.privileged),
    raw: e.raw === undefined ? null : toJsonColumn(e.raw),
    sync_run_id: runId,
  };
}

export function rowToEntitlement(r: Selectable<EntitlementsTable>): StoredEntitlement {
  const where = `entitlements[${r.app_id}/${r.id}]`;
  return {
    appId: r.app_id,
    id: r.id,
    kind: parseEnum(ENTITLEMENT_KINDS, r.kind, `${where}.kind`),
    name: r.name,
    privileged: bool(r.privileged),
    raw: parseJsonColumn(anyJson, r.raw, `${where}.raw`),
    syncRunId: r.sync_run_id,
  };
}

export function rowToGrant(r: Selectable<GrantsTable>): StoredGrant {
  return {
    appId: r.app_id,
    entitlementId: r.entitlement_id,
    accountId: r.account_id,
    grantedBy: parseEnum(GRANTED_BY, r.granted_by, `grants[${r.app_id}/${r.entitlement_id}/${r.account_id}]`),
    syncRunId: r.sync_run_id,
  };
}

// Read once per account by the graph and by every plan: the place names are built only for a row that fails its
// check (by functions made once, not a closure per row).
const linkWhere = (r: Selectable<LinksTable>, column: string) =>
  `links[${r.app_id}/${r.account_id}].${column}`;
const linkCandidatesWhere = (r: Selectable<LinksTable>) => linkWhere(r, 'candidates');

export function rowToLink(r: Selectable<LinksTable>): StoredLink {
  const situation = (LINK_SITUATIONS as readonly string[]).includes(r.situation)
    ? (r.situation as StoredLink['situation'])
    : parseEnum(LINK_SITUATIONS, r.situation, linkWhere(r, 'situation'));
  const method =
    r.method === null || (LINK_METHODS as readonly string[]).includes(r.method)
      ? (r.method as StoredLink['method'])
      : parseEnum(LINK_METHODS, r.method, linkWhere(r, 'method'));
  return {
    appId: r.app_id,
    accountId: r.account_id,
    employeeId: r.employee_id,
    situation,
    method,
    confidence: r.confidence,
    // Most accounts have no other candidate: the empty list needs no parse.
    candidates:
      r.candidates === '[]' ? [] : parseJsonColumnOf(stringArray, r.candidates, linkCandidatesWhere, r),
    manual: bool(r.manual),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    updatedAt: r.updated_at,
  };
}

export function rowToPlan(r: Selectable<PlansTable>): PlanRecord {
  const where = `plans[${r.id}]`;
  return {
    id: r.id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    stateHash: r.state_hash,
    status: parseEnum(PLAN_STATUSES, r.status, `${where}.status`),
    summary: parseJsonColumn(objectRecord, r.summary, `${where}.summary`),
    body: parseJsonColumn(anyJson, r.body, `${where}.body`),
  };
}

export function rowToOp(r: Selectable<OpsTable>): OpRecord {
  return rowToOpWithTarget(r, parseJsonColumn(objectRecord, r.target, `ops[${r.plan_id}#${r.seq}].target`));
}

/** Every column of an op but its target, which {@link rowToOpWithTarget} takes from the caller. */
export const OP_STATE_COLUMNS = [
  'plan_id',
  'seq',
  'app_id',
  'kind',
  'status',
  'attempts',
  'intent_at',
  'finished_at',
  'outcome',
  'error',
  'depends_on',
  'requires_approval',
  'approved_by',
  'approved_at',
  'claimed_by',
  'claim_expires_at',
  'task_id',
] as const;

/** A column added to ops must be read with the op's state too, or a write answering it would leave it out. */
type UnreadOpColumn = Exclude<keyof OpsTable, 'target' | (typeof OP_STATE_COLUMNS)[number]>;
export const EVERY_OP_COLUMN_READ: [UnreadOpColumn] extends [never] ? true : never = true;

/**
 * An op read without its target (see OP_STATE_COLUMNS), the target given by a caller that holds the op: a plan
 * writes each op's target once and nothing changes it, so the longest text of the row is neither sent nor parsed.
 */
export function rowToOpWithTarget(
  r: Omit<Selectable<OpsTable>, 'target'>,
  target: OpRecord['target'],
): OpRecord {
  const where = `ops[${r.plan_id}#${r.seq}]`;
  return {
    planId: r.plan_id,
    seq: r.seq,
    appId: r.app_id,
    kind: parseEnum(OP_KINDS, r.kind, `${where}.kind`),
    target,
    status: parseEnum(OP_STATUSES, r.status, `${where}.status`),
    attempts: r.attempts,
    intentAt: r.intent_at,
    finishedAt: r.finished_at,
    outcome: parseJsonColumn(nullableObjectRecord, r.outcome, `${where}.outcome`),
    error: r.error,
    dependsOn: parseJsonColumn(intArray, r.depends_on, `${where}.depends_on`),
    requiresApproval: bool(r.requires_approval),
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    claimedBy: r.claimed_by,
    claimExpiresAt: r.claim_expires_at,
    taskId: r.task_id,
  };
}

export function rowToTask(r: Selectable<TasksTable>): TaskRecord {
  return {
    id: r.id,
    planId: r.plan_id,
    opSeq: r.op_seq,
    appId: r.app_id,
    kind: r.kind,
    instructions: r.instructions,
    status: parseEnum(TASK_STATUSES, r.status, `tasks[${r.id}].status`),
    createdAt: r.created_at,
    closedAt: r.closed_at,
    closedBy: r.closed_by,
    key: r.key,
  };
}

export function rowToAudit(r: Selectable<AuditEventsTable>): AuditEvent {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    kind: r.kind,
    appId: r.app_id,
    subject: r.subject,
    data: parseJsonColumn(objectRecord, r.data, `audit_events[${r.seq}].data`),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function rowToPlanLock(r: Selectable<PlanLocksTable>): PlanLock {
  return { planId: r.plan_id, owner: r.owner, acquiredAt: r.acquired_at, expiresAt: r.expires_at };
}

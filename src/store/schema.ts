/** @module The store's tables and column types as Kysely sees them (snake_case, JSON and timestamps as text, booleans 0/1). */

import type { ColumnType, Generated } from 'kysely';

/**
 * Column conventions, kept so the same migrations run on SQLite and Postgres:
 * ids are text, JSON is text (parsed and validated on read), timestamps are ISO-8601 text in UTC,
 * booleans are integers 0/1.
 */

export interface PeopleTable {
  employee_id: string;
  email: string;
  email_normalized: string;
  aliases: string;
  first_name: string;
  last_name: string;
  status: string;
  department: string | null;
  title: string | null;
  manager_email: string | null;
  start_date: string | null;
  end_date: string | null;
  attributes: string;
  import_id: string;
}

/** Every address (primary and aliases) a person answers to, normalized, for lookups by email. */
export interface PersonEmailsTable {
  email_normalized: string;
  employee_id: string;
  is_primary: number;
}

export interface ImportsTable {
  id: string;
  source_path: string;
  hash: string;
  counts: string;
  created_at: string;
  status: string;
  error: string | null;
}

export interface AppsTable {
  id: string;
  type: string;
  base_url: string;
  created_at: string;
  updated_at: string;
}

export interface SyncRunsTable {
  id: string;
  app_id: string;
  mode: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  counts: string;
  requests: string;
  error: string | null;
}

export interface SyncCheckpointsTable {
  app_id: string;
  resource: string;
  cursor: string | null;
  watermark: string | null;
  run_id: string | null;
  updated_at: string;
}

export interface AccountsTable {
  app_id: string;
  id: string;
  email: string | null;
  email_normalized: string | null;
  login: string | null;
  external_id: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  status: string;
  is_admin: number;
  last_login_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  attributes: string;
  raw: string | null;
  sync_run_id: string | null;
  /** A sync's hash of the record this row was written from; null when another writer wrote the row. */
  row_hash: string | null;
}

export interface EntitlementsTable {
  app_id: string;
  id: string;
  kind: string;
  name: string;
  privileged: number;
  raw: string | null;
  sync_run_id: string | null;
}

export interface GrantsTable {
  app_id: string;
  entitlement_id: string;
  account_id: string;
  sync_run_id: string | null;
  granted_by: string;
}

/** The staging area of a staged sync: the same rows as the live tables, keyed by the run that wrote them. */
export interface StagedAccountsTable extends AccountsTable {
  run_id: string;
}

export interface StagedEntitlementsTable extends EntitlementsTable {
  run_id: string;
}

export interface StagedGrantsTable extends GrantsTable {
  run_id: string;
}

/**
 * The grants one staged batch added to its run (0025): `grants` is a JSON array of
 * [entitlement_id, account_id, granted_by] triples, flattened, none already staged in the run.
 */
export interface StagedGrantListsTable {
  run_id: string;
  batch: number;
  grants: string;
}

/** The accounts one staged batch kept by id (0025): `ids` is a JSON array of account ids. */
export interface StagedKeptListsTable {
  run_id: string;
  batch: number;
  ids: string;
}

/** An account a staged run saw exactly as the snapshot holds it: kept by id, its row not copied (0018). */
export interface StagedKeptAccountsTable {
  run_id: string;
  id: string;
}

/** How far a staged run got per resource, so a re-run can resume from the last staged page. */
export interface StagedProgressTable {
  run_id: string;
  resource: string;
  cursor: string | null;
  batches: number;
  updated_at: string;
  /** Rows staged so far, kept on the run's `''` row only (0 on the per-resource rows). */
  accounts: ColumnType<number, number | undefined, number>;
  entitlements: ColumnType<number, number | undefined, number>;
  grants: ColumnType<number, number | undefined, number>;
}

/** The one row (id 1) whose generation every write that records changes takes the next of. */
export interface ChangeCounterTable {
  id: number;
  generation: number;
}

/** The change set: the last change of each account (`kind` account, its app) and person (`kind` person, app ''). */
export interface ChangesTable {
  kind: string;
  app_id: string;
  key: string;
  change: string;
  generation: number;
  at: string;
}

export interface LinksTable {
  app_id: string;
  account_id: string;
  employee_id: string | null;
  situation: string;
  method: string | null;
  confidence: number;
  candidates: string;
  manual: number;
  decided_by: string | null;
  decided_at: string | null;
  updated_at: string;
}

export interface PlansTable {
  id: string;
  created_at: string;
  updated_at: string;
  state_hash: string;
  status: string;
  summary: string;
  body: string;
}

export interface OpsTable {
  plan_id: string;
  seq: number;
  app_id: string;
  kind: string;
  target: string;
  status: string;
  attempts: number;
  intent_at: string | null;
  finished_at: string | null;
  outcome: string | null;
  error: string | null;
  depends_on: string;
  requires_approval: number;
  approved_by: string | null;
  approved_at: string | null;
  claimed_by: string | null;
  claim_expires_at: string | null;
  task_id: string | null;
}

export interface TasksTable {
  id: string;
  plan_id: string | null;
  op_seq: number | null;
  app_id: string;
  kind: string;
  instructions: string;
  status: string;
  created_at: string;
  closed_at: string | null;
  closed_by: string | null;
  key: string | null;
}

export interface PlanLocksTable {
  plan_id: string;
  owner: string;
  acquired_at: string;
  expires_at: string;
}

/**
 * The audit log. `seq` is assigned by the store (last + 1) inside the append's transaction rather than by an
 * autoincrement column, so the migration stays dialect-neutral and the sequence has no gaps to explain.
 */
export interface AuditEventsTable {
  seq: number;
  at: string;
  actor: string;
  kind: string;
  app_id: string | null;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface GraphStateTable {
  id: string;
  marks: string;
  config: string;
  updated_at: string;
  generation: Generated<number>;
  findings: string | null;
}

export interface GraphFindingsTable {
  app_id: string;
  account_id: string;
  rule: string;
  severity: string;
  employee_id: string | null;
  title: string;
  evidence: string;
}

export interface GraphDirtyTable {
  app_id: string;
  account_id: string;
  /** The owner the account's link had before it changed; '' for none. */
  employee_id: string;
}

/** An account an IdP manages through the SCIM facade (migration 0027): Roster's own policy leaves it alone. */
export interface IdpManagedAccountsTable {
  app_id: string;
  account_id: string;
  /** The facade plan that first wrote it. */
  plan_id: string;
  marked_at: string;
}

export interface Database {
  people: PeopleTable;
  person_emails: PersonEmailsTable;
  imports: ImportsTable;
  apps: AppsTable;
  sync_runs: SyncRunsTable;
  sync_checkpoints: SyncCheckpointsTable;
  accounts: AccountsTable;
  entitlements: EntitlementsTable;
  grants: GrantsTable;
  staged_accounts: StagedAccountsTable;
  staged_entitlements: StagedEntitlementsTable;
  staged_grants: StagedGrantsTable;
  staged_grant_lists: StagedGrantListsTable;
  staged_kept_lists: StagedKeptListsTable;
  staged_kept_accounts: StagedKeptAccountsTable;
  staged_progress: StagedProgressTable;
  change_counter: ChangeCounterTable;
  changes: ChangesTable;
  links: LinksTable;
  plans: PlansTable;
  ops: OpsTable;
  tasks: TasksTable;
  plan_locks: PlanLocksTable;
  audit_events: AuditEventsTable;
  graph_state: GraphStateTable;
  graph_findings: GraphFindingsTable;
  graph_dirty: GraphDirtyTable;
  idp_managed_accounts: IdpManagedAccountsTable;
  reviews: ReviewsTable;
  review_items: ReviewItemsTable;
}

export interface ReviewsTable {
  id: string;
  name: string;
  scope: string;
  rule: string;
  due_at: string;
  revoke_when: string;
  status: string;
  created_at: string;
  created_by: string;
  closed_at: string | null;
  closed_by: string | null;
  plan_ids: string;
}

export interface ReviewItemsTable {
  review_id: string;
  seq: number;
  app_id: string;
  account_id: string;
  subject: string;
  reviewer: string;
  reviewer_reason: string;
  history: string;
  decision: string | null;
  change_to: string | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
  reminded_at: string | null;
  escalated_at: string | null;
  plan_id: string | null;
  op_seq: number | null;
  verified_at: string | null;
  verified_by: string | null;
}

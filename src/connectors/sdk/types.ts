/** @module The connector contract: what a connector may implement, one object in and one object out. */

import type { z } from 'zod';
import type { AppEntry } from '../../config/parts.js';
import type { Account, AppType, Entitlement, EntitlementKind, Grant } from '../../core/types.js';
import type { HttpClient, HttpLogger } from '../http/index.js';

/** Everything a connector gets to do its work. Only `http` touches the network. */
export interface ConnectorContext<C = AppEntry> {
  appId: string;
  /** The app's entry in roster.yaml, validated by the schema the connector's definition declares. */
  config: C;
  http: HttpClient;
  logger: HttpLogger;
  now(): Date;
}

/** A page request. `pageToken` is opaque: what the previous page returned, or null for the first page. */
export interface ListInput {
  pageToken: string | null;
  /** Incremental sync: only what changed after this watermark (connectors that support it). */
  since?: string | null;
}

/** Something read, with the payload it came from (stored for audits, never used for logic). */
export type WithRaw<T> = T & { raw?: unknown };

export interface Page<T> {
  items: WithRaw<T>[];
  /** Null when this was the last page. Stored by sync so an interrupted run resumes here. */
  nextPageToken: string | null;
  /** What the app says the total is, where it says so. */
  total?: number | null;
  /** The high-water mark to pass as `since` next time (incremental connectors). */
  watermark?: string | null;
}

/** An account page also carries the grants embedded in the accounts (Role on a user, groupIds...). */
export interface AccountPage extends Page<Account> {
  grants?: Grant[];
}

/** What Roster asks an app to create. App-specific fields go in `attributes` under the names the connector documents. */
export interface AccountInput {
  email: string;
  firstName: string;
  lastName: string;
  login?: string;
  externalId?: string;
  /** Only for apps that need one on create (Targetprocess without SSO). Never logged. */
  password?: string;
  attributes?: Record<string, string | number | boolean | null>;
}

export type AccountChanges = Partial<Omit<AccountInput, 'password'>>;

export interface AccountOps {
  /** All accounts, paged. Soft-deleted ones are returned with status `deleted`. */
  list?(input: ListInput): Promise<AccountPage>;
  /** Null when the app does not hold it (any more). */
  get?(input: { id: string }): Promise<WithRaw<Account> | null>;
  /** Case-insensitive exact match; several when the app holds duplicates. */
  findByEmail?(input: { email: string }): Promise<WithRaw<Account>[]>;
  /** `recovered`: an earlier attempt had in fact succeeded and the account was found, not created twice. */
  create?(input: { account: AccountInput }): Promise<{ account: WithRaw<Account>; recovered: boolean }>;
  update?(input: { id: string; changes: AccountChanges }): Promise<{ account: WithRaw<Account> }>;
  deactivate?(input: { id: string }): Promise<{ account: WithRaw<Account>; alreadyInactive: boolean }>;
  reactivate?(input: { id: string }): Promise<{ account: WithRaw<Account>; alreadyActive: boolean }>;
  delete?(input: { id: string }): Promise<{ alreadyAbsent: boolean }>;
}

export interface EntitlementOps {
  kind: EntitlementKind;
  list(input: ListInput): Promise<Page<Entitlement>>;
  /**
   * Every grant of this kind, principal ids only. Absent when the account listing already carries them
   * (`grantsFromAccounts`), so sync makes no extra request.
   */
  listGrants?(input: ListInput): Promise<Page<Grant>>;
  grantsFromAccounts?: boolean;
  grant?(input: { accountId: string; entitlementId: string }): Promise<{ alreadyGranted: boolean }>;
  revoke?(input: { accountId: string; entitlementId: string }): Promise<{ alreadyAbsent: boolean }>;
}

/** What a connector's `create` returns: the operations it implements. */
export interface ConnectorOps {
  accounts: AccountOps;
  entitlements: Partial<Record<EntitlementKind, EntitlementOps>>;
}

/**
 * How an app reports use. `date`: lastLoginAt is the last login, null only when there was none. `flag`: no date,
 * only a never-logged-in flag (kept as the `neverLogged` attribute). `none`: the guide documents no login or
 * activity field, so nothing can be said about use.
 */
export type ActivityReporting = 'date' | 'flag' | 'none';

/** What the generic modules (desired state, diff, findings, apply) must know about an app: asked, never tabled. */
export interface ConnectorTraits<C = AppEntry> {
  /** A create is an invitation: the account exists, and can join groups, only once the person accepts. */
  inviteOnCreate?: boolean;
  /** The app has no deactivation: removing the account is the only way to take access away. */
  deactivateByDelete?: boolean;
  activity: ActivityReporting;
  /** Entitlement kinds an account holds exactly one of (a Targetprocess user has one Role): a grant replaces. */
  singleValued?: readonly EntitlementKind[];
  /**
   * The default HR → app field map, under the attribute names the connector's `AccountInput` documents
   * (templates: `{first_name}`, `{email.local}`). A rule's `account.attributes` overrides entries.
   */
  attributeMap: Readonly<Record<string, string>>;
  /** Attributes under `prefix` are custom fields the app drops silently unless `keys(config)` lists them. */
  customFields?: { prefix: string; keys(config: C): readonly string[] };
  /** Whether a create must carry a password for this config (Targetprocess without SSO). */
  createNeedsPassword?(config: C): boolean;
}

/** A schema for one app entry of roster.yaml: an object whose `type` is the connector's literal. */
export type AppEntrySchema = z.ZodType<AppEntry>;

export interface ConnectorDefinition<T extends string = string, S extends AppEntrySchema = AppEntrySchema> {
  type: T;
  title: string;
  /** The app's entry in roster.yaml (declared in the connector's own `config.ts`); the config loader composes them. */
  config: S;
  /** The commented example block `roster init` writes for this app: the lines under `- `, indented for `apps:`. */
  configExample(id: string, envPrefix: string): string;
  traits: ConnectorTraits<z.output<S>>;
  /** Why an operation is missing, for the manifest and the manual task it becomes. */
  unsupported?: Partial<Record<Capability, string>>;
  /** `accounts.list` honours `since` (Targetprocess ModifyDate); others sync in full with deletion detection. */
  incremental?: boolean;
  /** Static headers beyond auth (StackSpot's X-Tenant-Id). */
  headers?(config: z.output<S>): Record<string, string>;
  create(ctx: ConnectorContext<z.output<S>>): ConnectorOps;
}

export const ACCOUNT_CAPABILITIES = [
  'list',
  'get',
  'findByEmail',
  'create',
  'update',
  'deactivate',
  'reactivate',
  'delete',
] as const;
export const ENTITLEMENT_CAPABILITIES = ['list', 'grant', 'revoke'] as const;
export type Capability = (typeof ACCOUNT_CAPABILITIES)[number] | 'grant' | 'revoke';

/** What roster.yaml says about syncing this app (`apps[].sync`), defaults filled in. */
export interface SyncLimits {
  /** A full sync removing this share of the app's accounts or more is refused unless accepted. */
  maxDropShare: number;
  /** The most items one listing may hold. */
  maxItemsPerListing: number;
  /** Staged pages of a crashed sync older than this are not committed: the sync starts over. */
  resumeWithinMs: number;
}

/** A live connector for one configured app. */
export interface Connector extends ConnectorOps {
  appId: string;
  type: AppType;
  title: string;
  manifest: CapabilityManifest;
  http: HttpClient;
  sync: SyncLimits;
  close(): Promise<void>;
}

export interface CapabilityManifest {
  type: AppType;
  accounts: Record<(typeof ACCOUNT_CAPABILITIES)[number], boolean>;
  entitlements: Partial<Record<EntitlementKind, Record<(typeof ENTITLEMENT_CAPABILITIES)[number], boolean>>>;
  incremental: boolean;
  /** Why each missing operation is missing. */
  notes: Partial<Record<Capability, string>>;
}

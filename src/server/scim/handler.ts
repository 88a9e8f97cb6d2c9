/**
 * @module One app's SCIM endpoints, transport-free: a request in, a response out, over a backend that reads the
 * store and runs plan ops. The HTTP routes only carry requests here and responses back.
 */

import type { Account, Entitlement, Grant } from '../../core/types.js';
import type { PlanOp } from '../../reconcile/diff.js';
import { type BulkOutcome, parseBulkRequest, runBulk } from './bulk.js';
import {
  type AppProfile,
  discoveryList,
  resourceTypeById,
  resourceTypes,
  schemaById,
  schemas,
  serviceProviderConfig,
} from './discovery.js';
import { badRequest, notFound, notImplemented, ScimError, toScimError } from './errors.js';
import { checkIfMatch, notModified, withGroupVersion, withVersion } from './etag.js';
import { type Checked, evaluate, reads } from './filter.js';
import {
  type ListQuery,
  type ListResponse,
  listPage,
  listResources,
  parseListQuery,
  parseSearchRequest,
  project,
} from './listing.js';
import { accountInputFrom, groupChanges, toScimGroup, toScimUser, userChanges } from './mapping.js';
import { cannot, createOps, deleteOps, type FacadeRequest, memberOps, unableOp, userOps } from './ops.js';
import {
  applyPatch,
  checkUniqueness,
  createResource,
  keepsUniqueValues,
  parsePatchRequest,
  replaceResource,
} from './patch.js';
import { indexedFields, type Lookup, lookupsFor, userNameField, userNameLookup } from './pushdown.js';
import { cachedRender, renderKey } from './render-cache.js';
import { isObject, type Json, type JsonObject, keyOf, type ResourceSchema } from './schema.js';
import { serially } from './serial.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** How one op ended, as the facade needs to know it. */
export interface OpOutcome {
  status: 'succeeded' | 'task_open' | 'skipped';
  /** The account the op acted on or created. */
  accountId: string | null;
  /**
   * That account as the snapshot holds it once the whole write is done (null: no longer in it), as a read of it
   * would give it: the answer is rendered from it, not read again. Absent when the write did not record it.
   */
  account?: Account | null;
  /**
   * The op made this account in the app just now (a create the app answered anew: neither adopted nor found
   * made by an earlier attempt), so it is in no group yet. Absent when not known.
   */
  made?: boolean;
}

/** A group an account is in, as its User shows it. */
export interface HeldGroup {
  accountId: string;
  id: string;
  name: string;
}

/**
 * Indexed reads of the snapshot, so a request reads what it answers and no more. Without them the facade
 * renders every account and filters in memory (the same answers, slower).
 */
export interface FacadeLookups {
  /** Accounts of the snapshot only (no read from the app), deleted ones included, for one lookup. */
  find(lookup: Lookup): Promise<Account[]>;
  /** One page of the snapshot's accounts that are not deleted, in the order `accounts()` gives, and the total. */
  page(input: { offset: number; limit: number }): Promise<{ items: Account[]; total: number }>;
  /** The groups (of the profile's group kind) these accounts are in. */
  memberships(accountIds: readonly string[]): Promise<HeldGroup[]>;
  /** The snapshot's accounts with these ids (deleted ones included): a group's members, not every account. */
  accounts(ids: readonly string[]): Promise<Account[]>;
  /**
   * The snapshot's account with this id (deleted included) and the groups it is in, in one read where the store
   * can: every read and write of one User shows it with its groups. Null when the snapshot does not hold it.
   */
  accountWithGroups?(id: string): Promise<{ account: Account; groups: HeldGroup[] } | null>;
}

/** What the facade reads and how it writes: the store's last snapshot, and runOp over a plan of these ops. */
export interface FacadeBackend {
  lookups?: FacadeLookups;
  accounts(): Promise<Account[]>;
  /** Null when neither the store nor the app holds it. */
  account(id: string): Promise<Account | null>;
  /** The app's entitlements of the profile's group kind. */
  groups(): Promise<Entitlement[]>;
  /** The app's grants; where the backend can, of one entitlement only when it is named. */
  grants(entitlementId?: string): Promise<Grant[]>;
  /** Runs the ops in order (each through runOp); a failed op throws its RosterError. */
  run(ops: PlanOp[]): Promise<OpOutcome[]>;
}

export interface ScimRequest {
  method: string;
  /** The path under the app's base (`/Users/42`), without the query. */
  path: string;
  query?: Readonly<Record<string, string | undefined>>;
  ifMatch?: string;
  ifNoneMatch?: string;
  body?: unknown;
  /** The raw body's size, for the bulk limit. */
  bodyBytes?: number;
  /** The name of the token the request came with (for the ops' reasons and the audit). */
  tokenName: string;
}

export interface ScimResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function ok(status: number, body: unknown, extra: Record<string, string> = {}): ScimResponse {
  return { status, headers: body === null ? extra : { 'content-type': SCIM_CONTENT_TYPE, ...extra }, body };
}

function versionOfResource(resource: JsonObject): string {
  const meta = resource['meta'];
  return isObject(meta) && typeof meta['version'] === 'string' ? meta['version'] : '';
}

/** One resource answered: projected as the query asks, its version as the ETag header. */
function single(status: number, full: JsonObject, schema: ResourceSchema, query?: ListQuery): ScimResponse {
  const headers: Record<string, string> = { etag: versionOfResource(full) };
  const meta = full['meta'];
  if (status === 201 && isObject(meta) && typeof meta['location'] === 'string')
    headers['location'] = meta['location'];
  return ok(status, query ? project(full, schema, query) : full, headers);
}

export function errorResponse(error: unknown): ScimResponse {
  const scim = toScimError(error);
  const headers: Record<string, string> = { 'content-type': SCIM_CONTENT_TYPE };
  if (scim.retryAfter !== undefined) headers['retry-after'] = String(scim.retryAfter);
  return { status: scim.status, headers, body: scim.toJSON() };
}

const ROUTE = /^\/(Users|Groups)(?:\/([^/]+))?$/;

/** What a Group's members change in it: a filter reading neither is judged on the group without them. */
const MEMBER_DEPENDENT: ReadonlySet<string> = new Set(['members', 'meta']);
const MEMBERS: ReadonlySet<string> = new Set(['members']);

/** How a Group is rendered with its members: named (with each user's name), listed by id, or without them. */
type MemberDetail = 'named' | 'listed' | 'none';

/** A boolean as IdPs send it: true/false, or "True"/"False" as strings (Entra). */
function booleanOf(value: Json | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

/**
 * A PUT leaves readOnly attributes as they are (RFC 7644 §3.5.1), but `active` is readOnly only because the
 * app's API cannot (de)activate (customer-directory): a PUT that asks to change it is refused as mutability,
 * which the caller turns into a manual task and a 501, as a PATCH of it is, never a silent 200.
 */
function refuseReadOnlyActive(body: unknown, current: JsonObject, schema: ResourceSchema): void {
  const def = schema.core.attributes.find((d) => d.name === 'active');
  if (!isObject(body) || def?.mutability !== 'readOnly') return;
  const key = keyOf(body, 'active');
  const wanted = key === undefined ? undefined : booleanOf(body[key]);
  if (wanted === undefined || wanted === booleanOf(current['active'])) return;
  throw badRequest('mutability', 'active is readOnly and cannot be changed', 'active');
}

/** A user as answered: the account, its rendering, and the groups it was rendered with. */
interface ShownUser {
  account: Account;
  resource: JsonObject;
  groups: readonly HeldGroup[] | undefined;
}

export function createScimHandler(profile: AppProfile, backend: FacadeBackend) {
  const limits = { maxResults: profile.limits.maxResults, maxFilterTerms: 50 };

  /** The groups of the kind served as Groups: a Targetprocess role or a Thought Industries course is not one. */
  async function groupsOnly(): Promise<Entitlement[]> {
    if (!profile.groupKind) return [];
    return (await backend.groups()).filter((g) => g.kind === profile.groupKind);
  }

  /**
   * The groups (only those whose ids `only` holds, if given) and their members' grants: every grant for every
   * group, else each named group's holders read on their own (a page of groups, one group).
   */
  async function memberships(
    only?: ReadonlySet<string>,
  ): Promise<{ groups: Entitlement[]; grants: Grant[] }> {
    if (!profile.groupKind) return { groups: [], grants: [] };
    if (only === undefined) {
      const [groups, grants] = await Promise.all([groupsOnly(), backend.grants()]);
      const ids = new Set(groups.map((g) => g.id));
      return { groups, grants: grants.filter((g) => ids.has(g.entitlementId)) };
    }
    const groups = (await groupsOnly()).filter((g) => only.has(g.id));
    const grants: Grant[] = [];
    for (const group of groups) {
      // A backend that cannot read one entitlement's grants answers every grant: only this group's are kept.
      for (const g of await backend.grants(group.id)) if (g.entitlementId === group.id) grants.push(g);
    }
    return { groups, grants };
  }

  /** The groups each of these accounts is in: read for them alone where the store can, else from every grant. */
  async function heldBy(accounts: readonly Account[]): Promise<Map<string, HeldGroup[]>> {
    const held = new Map<string, HeldGroup[]>();
    if (!profile.groupKind || accounts.length === 0) return held;
    let rows: HeldGroup[];
    if (backend.lookups) rows = await backend.lookups.memberships(accounts.map((a) => a.id));
    else {
      const { groups, grants } = await memberships();
      const names = new Map(groups.map((g) => [g.id, g.name]));
      const wanted = new Set(accounts.map((a) => a.id));
      // In the groups' order, as the store gives them (by entitlement id).
      const order = new Map(groups.map((g, i) => [g.id, i]));
      rows = grants
        .filter((g) => wanted.has(g.accountId) && names.has(g.entitlementId))
        .sort((a, b) => (order.get(a.entitlementId) ?? 0) - (order.get(b.entitlementId) ?? 0))
        .map((g) => ({
          accountId: g.accountId,
          id: g.entitlementId,
          name: names.get(g.entitlementId) ?? '',
        }));
    }
    for (const row of rows) {
      const list = held.get(row.accountId);
      if (list) list.push(row);
      else held.set(row.accountId, [row]);
    }
    return held;
  }

  function renderUser(account: Account, groups: readonly HeldGroup[] = []): JsonObject {
    return cachedRender(profile, renderKey(account, groups), () => {
      const user = toScimUser(account, profile.mapping, {
        baseUrl: profile.baseUrl,
        groups: groups.map((g) => ({ id: g.id, name: g.name })),
      });
      return withVersion(project(user, profile.user));
    });
  }

  async function render(accounts: readonly Account[]): Promise<JsonObject[]> {
    const live = accounts.filter((a) => a.status !== 'deleted');
    const held = await heldBy(live);
    return live.map((a) => renderUser(a, held.get(a.id)));
  }

  async function users(): Promise<JsonObject[]> {
    return render(await backend.accounts());
  }

  /** Accounts found by lookups, each once, in the order a scan gives (id order). */
  async function found(lookups: readonly Lookup[], from: FacadeLookups): Promise<Account[]> {
    const byId = new Map<string, Account>();
    for (const lookup of lookups) for (const a of await from.find(lookup)) byId.set(a.id, a);
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * A listing: an unfiltered, unsorted page is read as a page; a filter the store's indexes can narrow is
   * evaluated on what they find; anything else on every user. The whole filter is always evaluated here.
   */
  async function listUsers(query: ListQuery): Promise<ListResponse> {
    const { lookups } = backend;
    if (lookups && !query.filter && !query.sortBy) {
      const { items, total } = await lookups.page({ offset: query.startIndex - 1, limit: query.count });
      return listPage(await render(items), total, query, profile.user);
    }
    const narrowed =
      lookups && query.filter ? lookupsFor(query.filter, indexedFields(profile.mapping)) : null;
    const candidates = lookups && narrowed ? await render(await found(narrowed, lookups)) : await users();
    return listResources(candidates, query, profile.user);
  }

  /** The users a write's userName could clash with: those holding it (an indexed read), else every user. */
  async function clashCandidates(resource: JsonObject): Promise<JsonObject[]> {
    const field = userNameField(profile.mapping);
    const onlyUserName = profile.user.core.attributes.every(
      (def) => def.uniqueness === 'none' || def.name === 'userName',
    );
    const userName = resource['userName'];
    const lookup =
      field && onlyUserName && typeof userName === 'string' ? userNameLookup(field, 'eq', userName) : null;
    if (!backend.lookups || !lookup) return users();
    // Memberships play no part in uniqueness: the candidates are rendered without them.
    return (await found([lookup], backend.lookups))
      .filter((a) => a.status !== 'deleted')
      .map((a) => renderUser(a));
  }

  async function findAccount(id: string): Promise<Account> {
    const account = await backend.account(decodeURIComponent(id));
    if (!account || account.status === 'deleted') throw notFound(`no User "${id}" in ${profile.appId}`);
    return account;
  }

  async function user(id: string): Promise<ShownUser> {
    const one = profile.groupKind ? await backend.lookups?.accountWithGroups?.(decodeURIComponent(id)) : null;
    if (!one) return shown(await findAccount(id));
    if (one.account.status === 'deleted') throw notFound(`no User "${id}" in ${profile.appId}`);
    const groups = one.groups.length > 0 ? one.groups : undefined;
    return { account: one.account, resource: renderUser(one.account, groups), groups };
  }

  async function shown(account: Account): Promise<ShownUser> {
    const groups = (await heldBy([account])).get(account.id);
    return { account, resource: renderUser(account, groups), groups };
  }

  /**
   * A user as a write left it: what the write recorded in the snapshot, else read again. `known`: the groups it
   * was in before a write that cannot have changed them (no membership op among its ops): not read again.
   */
  async function written(
    id: string,
    outcomes: readonly OpOutcome[],
    known?: { groups: readonly HeldGroup[] | undefined },
  ): Promise<ShownUser> {
    const account = outcomes.findLast((o) => o.accountId === id && o.account !== undefined)?.account;
    if (!account || account.status === 'deleted') return user(id);
    if (!known) return shown(account);
    return { account, resource: renderUser(account, known.groups), groups: known.groups };
  }

  /**
   * The snapshot's accounts with these ids, by id: read for them alone where the store can. A group's members were
   * read as every account of the app, twice for each membership an IdP pushed (0.75–0.95 s a PATCH at 9.5k accounts).
   */
  async function accountsNamed(ids: readonly string[]): Promise<Map<string, Account>> {
    if (ids.length === 0) return new Map();
    if (backend.lookups) return new Map((await backend.lookups.accounts(ids)).map((a) => [a.id, a]));
    const wanted = new Set(ids);
    return new Map((await backend.accounts()).filter((a) => wanted.has(a.id)).map((a) => [a.id, a]));
  }

  /**
   * Every Group rendered, or only those whose entitlement ids `only` holds, with its members as `members` says:
   * named (each with its display, the user's name: every member's account is read), listed (by id), or left out
   * (an answer that does not show them: Entra ID looks groups up with `excludedAttributes=members`). The version is
   * the same either way (see withGroupVersion).
   */
  async function groupsRendered(
    only?: ReadonlySet<string>,
    members: MemberDetail = 'named',
  ): Promise<{ entitlement: Entitlement; resource: JsonObject }[]> {
    const { groups, grants } = await memberships(only);
    const holders =
      members === 'named' ? await accountsNamed([...new Set(grants.map((g) => g.accountId))]) : new Map();
    const names = new Map([...holders.values()].map((a) => [a.id, a.displayName ?? a.email]));
    const schema = profile.group as ResourceSchema;
    return groups.map((entitlement) => {
      const held = grants.filter((g) => g.entitlementId === entitlement.id).map((g) => g.accountId);
      const shown = members === 'none' ? [] : held.map((id) => ({ id, display: names.get(id) ?? null }));
      return {
        entitlement,
        resource: withGroupVersion(project(toScimGroup(entitlement, shown, profile.baseUrl), schema), held),
      };
    });
  }

  /**
   * The Groups a listing's filter may keep, rendered. A filter that reads neither members nor meta (Entra ID looks a
   * group up by `displayName eq`) is judged on each group without its members first, and only the groups it keeps
   * are read with theirs: every group's members were read and named for each lookup. The listing evaluates the
   * whole filter again on what this returns, so the answer is the same.
   */
  async function groupsFor(filter: Checked | null, members: MemberDetail): Promise<JsonObject[]> {
    if (filter === null || reads(filter, MEMBER_DEPENDENT)) {
      return (await groupsRendered(undefined, members)).map((g) => g.resource);
    }
    const schema = profile.group as ResourceSchema;
    const kept = (await groupsOnly()).filter((g) =>
      evaluate(filter, project(toScimGroup(g, [], profile.baseUrl), schema)),
    );
    if (kept.length === 0) return [];
    return (await groupsRendered(new Set(kept.map((g) => g.id)), members)).map((g) => g.resource);
  }

  /**
   * How much of the members a Groups query needs: named where the answer shows a member's display, or the filter
   * or the sort reads members; listed where it shows them without; else none. What the answer shows is asked of
   * the projection itself, on a group of one named member.
   */
  function memberDetail(query: ListQuery): MemberDetail {
    if (query.filter !== null && reads(query.filter, MEMBERS)) return 'named';
    if (query.sortBy !== null && query.sortBy.def.name.toLowerCase() === 'members') return 'named';
    const schema = profile.group as ResourceSchema;
    const probe = project(
      { schemas: [schema.core.id], id: 'g', members: [{ value: 'u', display: 'named' }] },
      schema,
      query,
    );
    const shown = probe['members'];
    if (!Array.isArray(shown) || shown.length === 0) return 'none';
    return shown.some((m) => isObject(m) && m['display'] !== undefined) ? 'named' : 'listed';
  }

  async function group(id: string, members: MemberDetail = 'named') {
    const wanted = decodeURIComponent(id);
    const found = (await groupsRendered(new Set([wanted]), members)).find((g) => g.entitlement.id === wanted);
    if (!found) throw notFound(`no Group "${id}" in ${profile.appId}`);
    return found;
  }

  /** Runs the ops; a task (what the API cannot do) is recorded for a person and answered 501 with why. */
  async function run(ops: PlanOp[]): Promise<OpOutcome[]> {
    if (ops.length === 0) return [];
    const outcomes = await backend.run(ops);
    const task = ops.find((op, i) => op.kind === 'task' && outcomes[i]?.status === 'task_open');
    if (task)
      throw notImplemented(
        `${profile.title} cannot ${task.task?.instead ?? 'do this'} through its API; recorded as a manual task: ${task.task?.instructions ?? ''}`,
      );
    return outcomes;
  }

  /**
   * A write the schema refuses as immutable because the app's API cannot make it becomes a manual task (and a 501
   * naming it), not a bare 400: a person sees what the IdP asked for. Other refusals stay as they are.
   */
  async function orTask(
    write: () => JsonObject,
    task: (attribute: string) => PlanOp | null,
  ): Promise<JsonObject> {
    try {
      return write();
    } catch (error) {
      if (!(error instanceof ScimError) || error.scimType !== 'mutability' || !error.attribute) throw error;
      const op = task(error.attribute);
      if (!op) throw error;
      if (op.task) op.task.instructions = `The IdP asked: ${error.message}. ${op.task.instructions}`;
      await run([op]);
      throw error;
    }
  }

  async function createUser(resource: JsonObject, facade: FacadeRequest): Promise<ScimResponse> {
    const schema = profile.user;
    checkUniqueness(resource, await clashCandidates(resource), schema);
    const { account: input, active } = accountInputFrom(resource, profile.mapping);
    const outcomes = await run(createOps(profile, input, active, facade, profile.abilities.invites));
    const createdId = outcomes[0]?.accountId;
    if (!createdId) throw new ScimError(500, 'the create reported no account id');
    // A create carries no groups: an account the app made just now is in none, so they are not read.
    const created = await written(createdId, outcomes, outcomes[0]?.made ? { groups: undefined } : undefined);
    return single(201, created.resource, schema);
  }

  async function handleUsers(
    request: ScimRequest,
    facade: FacadeRequest,
    id: string | undefined,
  ): Promise<ScimResponse> {
    const method = request.method.toUpperCase();
    const schema = profile.user;
    if (id === undefined && method === 'GET')
      return ok(200, await listUsers(parseListQuery(request.query ?? {}, schema, limits)));
    if (id === '.search' && method === 'POST')
      return ok(200, await listUsers(parseSearchRequest(request.body, schema, limits)));
    if (id === undefined && method === 'POST') {
      const { resource } = createResource(request.body, schema);
      // Two creates of one userName at once: the second is checked after the first is in the snapshot.
      const key = `${profile.appId}|User|new|${String(resource['userName'] ?? '').toLowerCase()}`;
      return serially(key, () => createUser(resource, facade));
    }
    if (id === undefined || id === '.search')
      throw new ScimError(405, `${method} is not allowed on /Users${id ? `/${id}` : ''}`);
    if (method === 'GET') {
      const { resource } = await user(id);
      if (notModified(request.ifNoneMatch, versionOfResource(resource)))
        return ok(304, null, { etag: versionOfResource(resource) });
      return single(200, resource, schema, parseListQuery(request.query ?? {}, schema, limits));
    }
    // One write at a time per user: each is computed from, and read back as, the state the previous one left.
    return serially(`${profile.appId}|User|${decodeURIComponent(id)}`, () =>
      writeUser(request, facade, id, method),
    );
  }

  async function writeUser(
    request: ScimRequest,
    facade: FacadeRequest,
    id: string,
    method: string,
  ): Promise<ScimResponse> {
    const schema = profile.user;
    const current = await user(id);
    checkIfMatch(request.ifMatch, versionOfResource(current.resource));
    if (method === 'DELETE') {
      await run(deleteOps(profile, current.account, facade));
      return ok(204, null);
    }
    if (method !== 'PATCH' && method !== 'PUT')
      throw new ScimError(405, `${method} is not allowed on /Users/{id}`);
    const next = await orTask(
      () => {
        if (method === 'PATCH')
          return applyPatch(current.resource, parsePatchRequest(request.body), schema).resource;
        refuseReadOnlyActive(request.body, current.resource, schema);
        return replaceResource(current.resource, request.body, schema).resource;
      },
      (attribute) => {
        const live = current.account.status === 'active' || current.account.status === 'invited';
        const capability = attribute !== 'active' ? 'update' : live ? 'deactivate' : 'reactivate';
        return cannot(profile, capability)
          ? unableOp(profile, facade, capability, { account: current.account })
          : null;
      },
    );
    // A write that keeps userName (and any other unique value) cannot make a clash: no lookup for it.
    if (!keepsUniqueValues(current.resource, next, schema))
      checkUniqueness(next, await clashCandidates(next), schema);
    const changes = userChanges(current.resource, next, profile.mapping);
    const ops = userOps(profile, current.account, changes, facade);
    const outcomes = await run(ops);
    // An app without deactivation removes the account for active:false (Process Street): nothing is left to
    // show, and a 200 with active:false would describe an account that no longer exists (RFC 7644 §3.5.2: 204).
    if (ops.some((op) => op.kind === 'delete')) return ok(204, null);
    const memberships = ops.some((op) => op.kind === 'grant' || op.kind === 'revoke');
    const after = memberships
      ? await written(current.account.id, outcomes)
      : await written(current.account.id, outcomes, { groups: current.groups });
    return single(200, after.resource, schema);
  }

  async function handleGroups(
    request: ScimRequest,
    facade: FacadeRequest,
    id: string | undefined,
  ): Promise<ScimResponse> {
    const schema = profile.group;
    if (!schema) throw notFound(`${profile.title} has no Groups`);
    const method = request.method.toUpperCase();
    const listed = async (query: ListQuery) => {
      const members = memberDetail(query);
      if (query.filter || query.sortBy)
        return ok(200, listResources(await groupsFor(query.filter, members), query, schema));
      // A page in the groups' own order (an IdP importing them): only the page's groups are read with their members.
      const all = await groupsOnly();
      const page = all.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
      const rendered = page.length === 0 ? [] : await groupsRendered(new Set(page.map((g) => g.id)), members);
      return ok(
        200,
        listPage(
          rendered.map((g) => g.resource),
          all.length,
          query,
          schema,
        ),
      );
    };
    if (id === undefined && method === 'GET')
      return listed(parseListQuery(request.query ?? {}, schema, limits));
    if (id === '.search' && method === 'POST')
      return listed(parseSearchRequest(request.body, schema, limits));
    if (method === 'POST' || method === 'DELETE')
      throw notImplemented(
        `${profile.title}'s ${profile.groupKind}s are made and removed in the app, not through Roster`,
      );
    if (id === undefined || id === '.search') throw new ScimError(405, `${method} is not allowed on /Groups`);
    if (method === 'GET') {
      const query = parseListQuery(request.query ?? {}, schema, limits);
      // The version does not read the members' names: an answer without them is made without them.
      const current = await group(id, memberDetail(query));
      if (notModified(request.ifNoneMatch, versionOfResource(current.resource)))
        return ok(304, null, { etag: versionOfResource(current.resource) });
      return single(200, current.resource, schema, query);
    }
    const current = await group(id);
    checkIfMatch(request.ifMatch, versionOfResource(current.resource));
    if (method !== 'PATCH' && method !== 'PUT')
      throw new ScimError(405, `${method} is not allowed on /Groups/{id}`);
    const next = await orTask(
      () =>
        method === 'PATCH'
          ? applyPatch(current.resource, parsePatchRequest(request.body), schema).resource
          : replaceResource(current.resource, request.body, schema).resource,
      (attribute) =>
        attribute === 'members' && cannot(profile, 'grant') && cannot(profile, 'revoke')
          ? unableOp(profile, facade, 'grant', { entitlement: current.entitlement })
          : null,
    );
    const set = groupChanges(current.resource, next);
    const known = await accountsNamed(set.added);
    const stranger = set.added.find((m) => !known.has(m));
    if (stranger !== undefined)
      throw new ScimError(400, `no User "${stranger}" in ${profile.appId}`, { scimType: 'invalidValue' });
    await run(memberOps(profile, current.entitlement, set, facade));
    // Each membership was verified by read-back and written to the snapshot: the answer, and the next GET, are
    // what the app holds now.
    return single(200, (await group(id)).resource, schema);
  }

  async function dispatch(request: ScimRequest): Promise<ScimResponse> {
    const method = request.method.toUpperCase();
    const path = request.path.replace(/\/+$/, '') || '/';
    const facade: FacadeRequest = { method, path, tokenName: request.tokenName };
    if (method === 'GET' && path === '/ServiceProviderConfig') return ok(200, serviceProviderConfig(profile));
    if (method === 'GET' && path === '/ResourceTypes') return ok(200, discoveryList(resourceTypes(profile)));
    if (method === 'GET' && path.startsWith('/ResourceTypes/'))
      return ok(200, resourceTypeById(profile, decodeURIComponent(path.slice('/ResourceTypes/'.length))));
    if (method === 'GET' && path === '/Schemas') return ok(200, discoveryList(schemas(profile)));
    if (method === 'GET' && path.startsWith('/Schemas/'))
      return ok(200, schemaById(profile, decodeURIComponent(path.slice('/Schemas/'.length))));
    if (path === '/Bulk' && method === 'POST') {
      const bulk = parseBulkRequest(request.body, profile.limits, request.bodyBytes);
      return ok(
        200,
        await runBulk(bulk, async (operation): Promise<BulkOutcome> => {
          const response = await handle({
            method: operation.method,
            path: operation.path,
            body: operation.data,
            ...(operation.version ? { ifMatch: operation.version } : {}),
            tokenName: request.tokenName,
          });
          const body = response.body as Json;
          const outcome: BulkOutcome = { status: response.status };
          if (isObject(body) && typeof body['id'] === 'string') outcome.id = body['id'];
          if (response.headers['location']) outcome.location = response.headers['location'];
          if (response.headers['etag']) outcome.version = response.headers['etag'];
          if (response.status >= 400) outcome.response = body;
          return outcome;
        }),
      );
    }
    const route = ROUTE.exec(path);
    if (!route) throw notFound(`no SCIM endpoint ${method} ${path}`);
    return route[1] === 'Users'
      ? handleUsers(request, facade, route[2])
      : handleGroups(request, facade, route[2]);
  }

  /** Answers a request; every failure becomes a SCIM error response, none escapes. */
  async function handle(request: ScimRequest): Promise<ScimResponse> {
    try {
      return await dispatch(request);
    } catch (error) {
      return errorResponse(error);
    }
  }

  return { handle };
}

/** @module SCIM account operations on /Users: list, get, find by email, create, PATCH updates, (de)activate, delete. */

import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken, walkPages } from '../sdk/paging.js';
import type { AccountInput, AccountOps, WithRaw } from '../sdk/types.js';
import { FIRST_PAGE, type ScimClient } from './client.js';
import { type AccountRefiner, filterString, statusOf, toAccount } from './mappers.js';
import { changeOperations, createUserBody, type PatchOperation, patchBody } from './payloads.js';
import { type ScimUser, scimUserSchema } from './schemas.js';

export interface UserOpsOptions {
  /** URN of the app's custom User extension: `attributes['ext.<name>']` reads and writes it. */
  extensionSchema?: string;
  /** App-specific reading over the generic mapping. */
  refine?: AccountRefiner;
  /** Attributes left out of every Users listing (`groups` where grants come from /Groups anyway). */
  excludedAttributes?: string;
}

/** A 400 on a filtered search: the server refuses that filter (invalidFilter), so another one is tried. */
function refused(error: unknown): boolean {
  return isRosterError(error) && error.details['status'] === 400;
}

/** The server's ServiceProviderConfig says patch.supported false: Roster changes SCIM objects by PATCH only. */
export function patchUnsupported(appId: string, what: string): RosterError {
  return new RosterError(
    'invalid_input',
    `${appId}: cannot ${what}: the server's ServiceProviderConfig says it does not support PATCH, and Roster changes SCIM resources by PATCH only`,
    { where: appId, fix: `make the change in ${appId} itself, or enable PATCH on the SCIM server` },
  );
}

function notFound(appId: string, id: string): RosterError {
  return new RosterError('not_found', `${appId}: user ${id} does not exist`, {
    where: appId,
    details: { appId, id },
  });
}

export function createUserOps(scim: ScimClient, options: UserOpsOptions = {}): AccountOps {
  const { appId, http } = scim;
  const payload = { appId, ...(options.extensionSchema ? { extensionSchema: options.extensionSchema } : {}) };
  const account = (user: ScimUser): WithRaw<Account> => ({
    ...toAccount(appId, user, options.refine),
    raw: user,
  });

  const fetchUser = async (id: string): Promise<ScimUser | null> => {
    // GET /Users/{id} (RFC 7644 §3.4.1); StackSpot documents it only in its examples.
    const response = await http.request({
      method: 'GET',
      path: urlPath`/Users/${id}`,
      endpoint: 'GET /Users/{id}',
      accept404: true,
    });
    if (response.status === 404) {
      // A 404 can also mean a wrong tenant or base URL (StackSpot): believed only when /Users answers.
      await scim.assertUsersEndpoint();
      return null;
    }
    return scim.parse(scimUserSchema, response.body, 'GET /Users/{id}');
  };

  const search = async (filter: string): Promise<ScimUser[]> => {
    // GET /Users?filter= (RFC 7644 §3.4.2.2); StackSpot understands only `userName eq` and `emails.value eq`.
    // A filter a server cannot take often crashes it the same way each time: the second identical 500 is
    // believed rather than sent six times.
    const found: ScimUser[] = [];
    const pages = walkPages<ScimUser>({
      appId,
      listing: 'GET /Users?filter',
      redact: http.redact,
      list: async ({ pageToken }) => {
        const page = await scim.listPage({
          path: '/Users',
          endpoint: 'GET /Users?filter',
          item: scimUserSchema,
          position: decodePageToken(pageToken, FIRST_PAGE),
          query: { filter },
          identicalFailures: 2,
        });
        return {
          items: page.items,
          nextPageToken: page.next === null ? null : encodePageToken({ ...page.next }),
          total: page.total,
        };
      },
    });
    for await (const page of pages) found.push(...page.items);
    scim.usersEndpointSeen();
    return found;
  };

  /** Every user, for a server that says it cannot filter (ServiceProviderConfig filter.supported false). */
  const everyUser = async (): Promise<ScimUser[]> => {
    const out: ScimUser[] = [];
    const pages = walkPages<ScimUser>({
      appId,
      listing: 'GET /Users',
      redact: http.redact,
      list: async ({ pageToken }) => {
        const page = await scim.listPage({
          path: '/Users',
          endpoint: 'GET /Users',
          item: scimUserSchema,
          position: decodePageToken(pageToken, FIRST_PAGE),
        });
        return {
          items: page.items,
          nextPageToken: page.next === null ? null : encodePageToken({ ...page.next }),
          total: page.total,
        };
      },
    });
    for await (const page of pages) out.push(...page.items);
    scim.usersEndpointSeen();
    return out;
  };

  const sameText = (a: string | null | undefined, b: string) => (a ?? '').trim().toLowerCase() === b;

  const findByEmail = async (email: string): Promise<ScimUser[]> => {
    // Lowercased: RFC 7643 makes userName and emails.value case-insensitive, but some servers compare exactly.
    const wanted = email.trim().toLowerCase();
    const matches = (u: ScimUser) =>
      sameText(u.userName, wanted) || (u.emails ?? []).some((e) => sameText(e.value, wanted));
    const found = new Map<string, ScimUser>();
    if (!(await scim.config()).filter) {
      return (await everyUser()).filter(matches);
    }
    let byUserName = true;
    try {
      for (const u of await search(`userName eq ${filterString(wanted)}`)) if (matches(u)) found.set(u.id, u);
    } catch (error) {
      if (!refused(error)) throw error;
      byUserName = false;
    }
    // userName is often not the email (StackSpot plants logins), so the email attribute is searched too.
    try {
      for (const u of await search(`emails.value eq ${filterString(wanted)}`))
        if (matches(u)) found.set(u.id, u);
    } catch (error) {
      if (!refused(error) || !byUserName) throw error;
    }
    return [...found.values()];
  };

  /** The user a lost create may have made: by userName, or by email where the server refuses that filter. */
  const lookupCreated = async (input: AccountInput, userName: string): Promise<ScimUser | null> => {
    const wanted = userName.trim().toLowerCase();
    if (!(await scim.config()).filter)
      return (await everyUser()).find((u) => sameText(u.userName, wanted)) ?? null;
    try {
      const hits = await search(`userName eq ${filterString(wanted)}`);
      return hits.find((u) => sameText(u.userName, wanted)) ?? null;
    } catch (error) {
      if (!refused(error)) throw error;
      return (await findByEmail(input.email))[0] ?? null;
    }
  };

  const patch = async (
    id: string,
    operations: PatchOperation[],
    version?: string | null,
  ): Promise<ScimUser> => {
    const server = await scim.config();
    if (!server.patch) throw patchUnsupported(appId, 'change a user');
    // PATCH /Users/{id} with PatchOp replace operations: never PUT, since StackSpot reactivates a user on a PUT
    // without `active`. Replacing a value is idempotent, so the HTTP layer may repeat it after a lost answer.
    // Where the server keeps ETags, the version read is sent as If-Match: a change made meanwhile is a 412.
    const ifMatch: Record<string, string> = server.etag && version ? { 'if-match': version } : {};
    const response = await http.request({
      method: 'PATCH',
      path: urlPath`/Users/${id}`,
      endpoint: 'PATCH /Users/{id}',
      body: patchBody(operations),
      headers: { 'content-type': 'application/scim+json', ...ifMatch },
      idempotent: true,
    });
    if (response.status === 204 || response.body === null || response.body === '') {
      const back = await fetchUser(id);
      if (back === null) throw notFound(appId, id);
      return back;
    }
    return scim.parse(scimUserSchema, response.body, 'PATCH /Users/{id}');
  };

  const setActive = async (id: string, active: boolean) => {
    const current = await fetchUser(id);
    if (current === null) throw notFound(appId, id);
    const { status, known } = statusOf(current);
    if (known && status === (active ? 'active' : 'inactive')) return { user: current, already: true };
    const version = current.meta?.['version'];
    return {
      user: await patch(
        id,
        [{ op: 'replace', path: 'active', value: active }],
        typeof version === 'string' ? version : null,
      ),
      already: false,
    };
  };

  return {
    async list({ pageToken }) {
      const position = decodePageToken(pageToken, FIRST_PAGE);
      // GET /Users ListResponse, 1-based startIndex, count=100.
      const page = await scim.listPage({
        path: '/Users',
        endpoint: 'GET /Users',
        item: scimUserSchema,
        position,
        ...(options.excludedAttributes ? { query: { excludedAttributes: options.excludedAttributes } } : {}),
      });
      scim.usersEndpointSeen();
      return {
        items: page.items.map(account),
        nextPageToken: page.next === null ? null : encodePageToken({ ...page.next }),
        total: page.total,
      };
    },

    async get({ id }) {
      const user = await fetchUser(id);
      return user === null ? null : account(user);
    },

    async findByEmail({ email }) {
      return (await findByEmail(email)).map(account);
    },

    async create({ account: input }) {
      const body = createUserBody(input, payload);
      const userName = String(body['userName']);
      const result = await withAmbiguityCheck({
        attempt: async () => {
          // POST /Users → 201 with the resource; 409 (uniqueness) is the HTTP layer's 'conflict'. Not
          // idempotent: a lost answer is looked up by userName before it is sent again.
          const response = await http.request({
            method: 'POST',
            path: '/Users',
            endpoint: 'POST /Users',
            body,
            headers: { 'content-type': 'application/scim+json' },
            idempotent: false,
          });
          if (response.body !== null && response.body !== '')
            return scim.parse(scimUserSchema, response.body, 'POST /Users');
          const created = await lookupCreated(input, userName);
          if (created === null) throw notFound(appId, userName);
          return created;
        },
        lookup: () => lookupCreated(input, userName),
      });
      return { account: account(result.value), recovered: result.recovered };
    },

    async update({ id, changes }) {
      const current = changes.email !== undefined ? await fetchUser(id) : null;
      if (changes.email !== undefined && current === null) throw notFound(appId, id);
      const operations = changeOperations(changes, payload, current?.emails ?? []);
      if (operations.length === 0) {
        const user = current ?? (await fetchUser(id));
        if (user === null) throw notFound(appId, id);
        return { account: account(user) };
      }
      return { account: account(await patch(id, operations)) };
    },

    async deactivate({ id }) {
      // PATCH replace active=false; StackSpot shows it as is_blocked: true.
      const { user, already } = await setActive(id, false);
      return { account: account(user), alreadyInactive: already };
    },

    async reactivate({ id }) {
      const { user, already } = await setActive(id, true);
      return { account: account(user), alreadyActive: already };
    },

    async delete({ id }) {
      const attempt = async () => {
        // DELETE /Users/{id} → 204; 404 means already gone (once /Users itself is known to answer). Sent as
        // not idempotent so a lost answer is checked with a GET instead of being reported as "already absent".
        const response = await http.request({
          method: 'DELETE',
          path: urlPath`/Users/${id}`,
          endpoint: 'DELETE /Users/{id}',
          idempotent: false,
          accept404: true,
        });
        if (response.status !== 404) return { alreadyAbsent: false };
        await scim.assertUsersEndpoint();
        return { alreadyAbsent: true };
      };
      // An answer lost or a 500, and the user gone when looked up: it is absent, and whether this call or an
      // earlier one removed it cannot be told, so it is not claimed as this call's doing.
      const result = await withAmbiguityCheck({
        attempt,
        lookup: async () => ((await fetchUser(id)) === null ? { alreadyAbsent: true } : null),
      });
      return result.value;
    },
  };
}

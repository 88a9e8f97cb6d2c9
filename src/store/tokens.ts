/** @module API tokens of `roster serve`: stored as sha256 hashes with a name, a scope and a display prefix. */

import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Selectable } from 'kysely';
import { RosterError } from '../core/errors.js';
import { type ApiTokensTable, isUniqueViolation, serverDb } from './server-tables.js';
import type { Store, WatchHandlers } from './store.js';

/** Ordered: each scope can do everything the ones before it can. */
export const TOKEN_SCOPES = ['read', 'operate', 'approve', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
/** A token for one app's SCIM facade (`scim:<appId>`) and nothing else: what an IdP is given. */
export type ScimScope = `scim:${string}`;
/** What a token may be issued with: one of the ordered scopes, or one app's SCIM facade. */
export type GrantedScope = TokenScope | ScimScope;

export const SCIM_SCOPE = /^scim:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isScimScope(scope: string): scope is ScimScope {
  return SCIM_SCOPE.test(scope);
}

/** A stored scope read back; anything unrecognised (a hand-edited row) is the least one. */
function toScope(value: string): GrantedScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(value)) return value as TokenScope;
  return isScimScope(value) ? value : 'read';
}

export interface ApiToken {
  id: string;
  name: string;
  scope: GrantedScope;
  /** The first characters of the token, so a person can tell tokens apart; never enough to use one. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** The person (email) the token answers for: a reviewer sees and decides only their own review items. */
  person: string | null;
}

export interface TokenStore {
  create(input: {
    name: string;
    scope: GrantedScope;
    hash: string;
    prefix: string;
    createdBy: string;
    person?: string | null;
  }): Promise<ApiToken>;
  /** The live (not revoked) token with this hash, or null. */
  findByHash(hash: string): Promise<ApiToken | null>;
  list(input?: { includeRevoked?: boolean }): Promise<ApiToken[]>;
  /** Revokes by id or name; revoking a revoked token is a no-op that returns it. */
  revoke(input: { idOrName: string }): Promise<ApiToken>;
  touch(input: { id: string; at: string }): Promise<void>;
}

function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scope: toScope(row.scope),
    prefix: row.prefix,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    person: row.person ?? null,
  };
}

/**
 * How long a checked token is kept at most: a bound on a revocation that went unheard (a listening connection
 * dropped without a word, until TCP keepalive finds it out). Heard, it takes effect at once.
 */
const KEPT_MS = 5_000;

/**
 * The live tokens checked lately, kept only while every change to the tokens is heard (Store.watchTokens): a
 * request then reads no token row, where each was a statement (on Postgres, a round trip) of every authenticated
 * request. Anything heard (a revocation by any process) drops them all; so does losing the connection that hears,
 * after which tokens are read afresh until it listens again. A read that began before the last thing heard keeps
 * nothing: what it read may be what was just revoked.
 */
class CheckedTokens {
  #kept = new Map<string, { token: ApiToken; at: number }>();
  /** Moves on with everything heard: a read keeps its token only if nothing was heard while it ran. */
  #generation = 0;
  #listening = false;

  constructor(private readonly now: () => number) {}

  readonly handlers: WatchHandlers = {
    listening: () => {
      this.#listening = true;
      this.drop();
    },
    changed: () => this.drop(),
    lost: () => {
      this.#listening = false;
      this.drop();
    },
  };

  drop(): void {
    this.#generation++;
    this.#kept.clear();
  }

  async find(hash: string, read: () => Promise<ApiToken | null>): Promise<ApiToken | null> {
    if (!this.#listening) return read();
    const kept = this.#kept.get(hash);
    const now = this.now();
    if (kept !== undefined && now - kept.at < KEPT_MS) return kept.token;
    const generation = this.#generation;
    const token = await read();
    if (token !== null && this.#listening && generation === this.#generation) {
      this.#kept.set(hash, { token, at: now });
    }
    return token;
  }
}

export function tokenStore(store: Store, clock: () => Date = () => new Date()): TokenStore {
  const db = serverDb(store);
  // Wall time, not the clock a test may stop: how long a token was kept.
  let checked: CheckedTokens | null | undefined;
  const cache = () => {
    if (checked === undefined) {
      const made = new CheckedTokens(() => performance.now());
      checked = store.watchTokens(made.handlers) ? made : null;
    }
    return checked;
  };
  const byHashSql = db
    .selectFrom('api_tokens')
    .selectAll()
    .where('hash', '=', '')
    .where('revoked_at', 'is', null)
    .compile().sql;
  const byIdOrName = async (idOrName: string) =>
    db
      .selectFrom('api_tokens')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
  return {
    async create(input) {
      const row: ApiTokensTable = {
        id: randomUUID(),
        name: input.name,
        scope: input.scope,
        hash: input.hash,
        prefix: input.prefix,
        created_at: clock().toISOString(),
        created_by: input.createdBy,
        last_used_at: null,
        revoked_at: null,
        person: input.person ?? null,
      };
      try {
        await db.insertInto('api_tokens').values(row).execute();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new RosterError('conflict', `a token named "${input.name}" already exists`, {
          where: '--name',
          fix: 'pick another name (names stay taken after a revoke, so the audit log stays unambiguous)',
        });
      }
      return toToken(row);
    },
    async findByHash(hash) {
      // Every authenticated request asks: kept while every revocation is heard (see CheckedTokens), else read
      // afresh each time (a token revoked elsewhere is refused at once), from a statement compiled once.
      const read = async () => {
        const { rows } = await db.executeQuery<Selectable<ApiTokensTable>>(
          CompiledQuery.raw(byHashSql, [hash]),
        );
        const row = rows[0];
        return row ? Object.freeze(toToken(row)) : null;
      };
      const kept = cache();
      return kept ? kept.find(hash, read) : read();
    },
    async list(input = {}) {
      let query = db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('name');
      if (!input.includeRevoked) query = query.where('revoked_at', 'is', null);
      return (await query.execute()).map(toToken);
    },
    async revoke({ idOrName }) {
      const row = await byIdOrName(idOrName);
      if (!row) {
        throw new RosterError('not_found', `no token "${idOrName}"`, {
          fix: 'roster tokens list shows the names and ids',
        });
      }
      if (row.revoked_at !== null) return toToken(row);
      const at = clock().toISOString();
      await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', row.id).execute();
      // Refused here at once, not only once the trigger's announcement comes back.
      checked?.drop();
      return toToken({ ...row, revoked_at: at });
    },
    async touch({ id, at }) {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

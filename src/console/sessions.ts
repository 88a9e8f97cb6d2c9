/**
 * @module Console sessions: an API token exchanged for a random session id kept only as its sha256, with an expiry.
 * The session acts as its token on every request (its scope, its name in the audit log; a revoked token ends it).
 * The CSRF token of a session is derived from its id, so nothing more is stored and a form from another session fails.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { authenticate } from '../app/tokens.js';
import { RosterError } from '../core/errors.js';
import { serverDb } from '../store/server-tables.js';
import type { Store } from '../store/store.js';
import { type ApiToken, isScimScope, type TokenStore } from '../store/tokens.js';

export const SESSION_COOKIE = 'roster_session';
/** A working day: long enough for a review, short enough that a forgotten laptop does not stay signed in. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');

export interface ConsoleSession {
  token: ApiToken;
  csrf: string;
  expiresAt: string;
}

export interface SessionStore {
  /** Checks the API token, then opens a session for it: returns the cookie value (shown once, never stored). */
  open(apiToken: string): Promise<{ id: string; session: ConsoleSession }>;
  /** The live session a cookie names, or null (unknown, expired, or its token revoked). */
  find(id: string | undefined): Promise<ConsoleSession | null>;
  close(id: string | undefined): Promise<void>;
}

/** The per-session CSRF token every write form carries: an HMAC of the session id, so it is never stored. */
export function csrfOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('roster-console-csrf').digest('base64url');
}

export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

export function sessionStore(deps: { store: Store; tokens: TokenStore; clock: () => Date }): SessionStore {
  const db = serverDb(deps.store);
  return {
    async open(apiToken) {
      const token = await authenticate(deps.tokens, `Bearer ${apiToken.trim()}`);
      // A token narrowed to one app's SCIM facade opens nothing else of the API, and so nothing of the console. (A
      // reviewer's token signs in, and its session opens the review pages only: see registerConsole.)
      if (isScimScope(token.scope)) {
        throw new RosterError('invalid_input', `token "${token.name}" is for ${token.scope} only`, {
          fix: 'sign in with a token made with --scope read (or higher)',
        });
      }
      const id = randomBytes(32).toString('base64url');
      const now = deps.clock();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
      // Expired sessions are swept at each login: the table stays the size of the people signed in.
      await db.deleteFrom('console_sessions').where('expires_at', '<', now.toISOString()).execute();
      await db
        .insertInto('console_sessions')
        .values({
          id_hash: hashOf(id),
          token_id: token.id,
          created_at: now.toISOString(),
          expires_at: expiresAt,
        })
        .execute();
      await deps.store.appendAudit({ actor: token.name, kind: 'console.login', subject: token.name });
      return { id, session: { token, csrf: csrfOf(id), expiresAt } };
    },
    async find(id) {
      if (!id || id.length > 100) return null;
      const row = await db
        .selectFrom('console_sessions')
        .selectAll()
        .where('id_hash', '=', hashOf(id))
        .executeTakeFirst();
      if (!row || row.expires_at <= deps.clock().toISOString()) return null;
      const token = (await deps.tokens.list()).find((t) => t.id === row.token_id);
      if (!token) return null;
      return { token, csrf: csrfOf(id), expiresAt: row.expires_at };
    },
    async close(id) {
      if (!id) return;
      await db.deleteFrom('console_sessions').where('id_hash', '=', hashOf(id)).execute();
    },
  };
}

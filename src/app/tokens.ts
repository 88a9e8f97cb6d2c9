/** @module Issuing and checking API tokens (the API, the MCP transport and `roster tokens` share it): `rst_` + 32 random bytes, shown once, kept as a sha256 hash. */

import { randomBytes } from 'node:crypto';
import { RosterError } from '../core/errors.js';
import { sha256 } from '../core/sha256.js';
import type { Store } from '../store/store.js';
import {
  type ApiToken,
  type GrantedScope,
  isScimScope,
  TOKEN_SCOPES,
  type TokenScope,
  type TokenStore,
} from '../store/tokens.js';

export const TOKEN_PREFIX = 'rst_';
const TOKEN_PATTERN = /^rst_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return sha256(token, 'hex');
}

/**
 * Whether a token of scope `held` may do what needs `needed` (scopes are ordered). A SCIM token allows none of
 * them: it opens its app's facade only (`scimAllows`).
 */
export function scopeAllows(held: GrantedScope, needed: TokenScope): boolean {
  if (isScimScope(held)) return false;
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
}

/** Whether a token of scope `held` may use the SCIM facade of `appId`: its own `scim:<appId>`, or operate and up. */
export function scimAllows(held: GrantedScope, appId: string): boolean {
  return isScimScope(held) ? held === `scim:${appId}` : scopeAllows(held, 'operate');
}

/** A scope as typed (`--scope`, a request body); `appIds`, when given, are the apps a `scim:` scope may name. */
export function parseScope(value: string, where: string, appIds?: readonly string[]): GrantedScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(value)) return value as TokenScope;
  if (value.startsWith('scim:')) {
    const appId = value.slice('scim:'.length);
    if (isScimScope(value) && (appIds === undefined || appIds.includes(appId))) return value;
    throw new RosterError('invalid_input', `"${value}" names no app of roster.yaml`, {
      where,
      fix:
        appIds && appIds.length > 0
          ? `use scim:<appId> with one of: ${appIds.join(', ')}`
          : 'use scim:<appId> with the id of an app in roster.yaml',
    });
  }
  throw new RosterError('invalid_input', `"${value}" is not a token scope`, {
    where,
    fix: `use one of: ${TOKEN_SCOPES.join(', ')}, or scim:<appId> for one app's SCIM facade`,
  });
}

/** Creates a token and audits it; the clear text is returned here once and never stored. */
export async function issueToken(
  deps: { tokens: TokenStore; store: Store },
  input: { name: string; scope: GrantedScope; createdBy: string; person?: string | undefined },
): Promise<{ token: string; record: ApiToken }> {
  const { tokens } = deps;
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/.test(name)) {
    throw new RosterError('invalid_input', `"${input.name}" is not a usable token name`, {
      where: '--name',
      fix: 'use 1-64 letters, digits, spaces, dots, dashes, underscores or @; the audit log shows it as the actor',
    });
  }
  const person = input.person?.trim().toLowerCase();
  if (person !== undefined && !/^[^@\s]+@[^@\s]+$/.test(person)) {
    throw new RosterError('invalid_input', `"${input.person}" is not an email address`, {
      where: '--person',
      fix: "give the reviewer's address as the HR export has it",
    });
  }
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await tokens.create({
    name,
    scope: input.scope,
    hash: hashToken(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    createdBy: input.createdBy,
    ...(person ? { person } : {}),
  });
  await deps.store.appendAudit({
    actor: input.createdBy,
    kind: 'token.created',
    subject: record.name,
    data: { scope: record.scope, prefix: record.prefix, ...(record.person ? { person: record.person } : {}) },
  });
  return { token, record };
}

/** Revokes a token (by id or name) and audits who did. */
export async function revokeToken(
  deps: { tokens: TokenStore; store: Store },
  input: { idOrName: string; by: string },
): Promise<ApiToken> {
  const revoked = await deps.tokens.revoke({ idOrName: input.idOrName });
  await deps.store.appendAudit({ actor: input.by, kind: 'token.revoked', subject: revoked.name });
  return revoked;
}

/** The live token a bearer header carries, or why it is refused (never echoing the token). */
export async function authenticate(tokens: TokenStore, header: string | undefined): Promise<ApiToken> {
  if (header === undefined || header === '') {
    throw new RosterError('unauthenticated', 'no API token', {
      fix: 'send Authorization: Bearer <token>; roster tokens create makes one',
    });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) {
    throw new RosterError('unauthenticated', 'the Authorization header is not a bearer token', {
      fix: 'send Authorization: Bearer <token>',
    });
  }
  const token = match[1];
  const found = TOKEN_PATTERN.test(token) ? await tokens.findByHash(hashToken(token)) : null;
  if (found === null) {
    throw new RosterError('unauthenticated', 'the API token is unknown or revoked', {
      fix: 'check the token, or create a new one with roster tokens create',
    });
  }
  return found;
}

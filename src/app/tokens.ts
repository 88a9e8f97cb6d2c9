/** @module Issuing and checking API tokens (the API, the MCP transport and `roster tokens` share it): `rst_` + 32 random bytes, shown once, kept as a sha256 hash. */

import { createHash, randomBytes } from 'node:crypto';
import { RosterError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { type ApiToken, TOKEN_SCOPES, type TokenScope, type TokenStore } from '../store/tokens.js';

export const TOKEN_PREFIX = 'rst_';
const TOKEN_PATTERN = /^rst_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether a token of scope `held` may do what needs `needed` (scopes are ordered). */
export function scopeAllows(held: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
}

export function parseScope(value: string, where: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(value)) return value as TokenScope;
  throw new RosterError('invalid_input', `"${value}" is not a token scope`, {
    where,
    fix: `use one of: ${TOKEN_SCOPES.join(', ')}`,
  });
}

/** Creates a token and audits it; the clear text is returned here once and never stored. */
export async function issueToken(
  deps: { tokens: TokenStore; store: Store },
  input: { name: string; scope: TokenScope; createdBy: string; person?: string | undefined },
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

/** @module One op against one app: the connector call, crash recovery of an uncertain op, and read-back verification. */

import { randomInt } from 'node:crypto';
import { grantKey, readAll } from '../../connectors/sdk/paging.js';
import type { AccountInput, Connector } from '../../connectors/sdk/types.js';
import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account, EntitlementKind, Grant } from '../../core/types.js';
import { accountField, type PlanOp } from '../diff.js';

/** What came of a call, before verification: the account it acted on and what the app said. */
export interface CallResult {
  accountId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** The op found the work already done (an uncertain op recovered, `alreadyGranted`, adopted by email). */
  already: boolean;
  note?: string;
}

const PASSWORD_CLASSES = [
  'ABCDEFGHJKLMNPQRSTUVWXYZ',
  'abcdefghijkmnopqrstuvwxyz',
  '23456789',
  '!@#$%^&*-_=+',
];

/** A strong random password (24 characters, every class): sent once, shown to nobody, stored nowhere. */
export function generatePassword(length = 24): string {
  const all = PASSWORD_CLASSES.join('');
  const chars = PASSWORD_CLASSES.map((c) => c[randomInt(c.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

function need<T>(fn: T | undefined, connector: Connector, what: string): T {
  if (fn === undefined) {
    throw new RosterError('invalid_input', `${connector.appId} has no ${what} through its API`, {
      details: { appId: connector.appId },
    });
  }
  return fn;
}

const brief = (a: Account | null): Record<string, unknown> | null =>
  a === null
    ? null
    : {
        id: a.id,
        status: a.status,
        email: a.email,
        firstName: a.firstName,
        lastName: a.lastName,
        attributes: a.attributes,
      };

async function read(connector: Connector, id: string): Promise<Account | null> {
  return need(connector.accounts.get, connector, 'get')({ id });
}

/**
 * Carries out one account op (create/update/deactivate/reactivate/delete). `uncertain`: an earlier attempt
 * began and its outcome is unknown or unverified (a crash, a lost answer, a failed read-back), so the app may
 * already hold the change: look before acting.
 */
export async function runAccountOp(input: {
  connector: Connector;
  op: PlanOp;
  accountId: string | null;
  uncertain: boolean;
  /** create: the id an earlier attempt recorded when the app returned it (its read-back then failed). */
  knownId?: string | null;
  /** Targetprocess without SSO needs a Password on create. */
  needsPassword: boolean;
  password: () => string;
}): Promise<CallResult> {
  const { connector, op, accountId, uncertain } = input;
  const accounts = connector.accounts;
  switch (op.kind) {
    case 'create': {
      const fields = op.input;
      if (!fields) throw new RosterError('internal', `create op ${op.ref} carries no input`);
      const live = (a: Account) => a.status !== 'deleted';
      if (input.knownId && accounts.get) {
        // An earlier attempt got an id back and recorded it before its read-back failed: look there first.
        const known = await accounts.get({ id: input.knownId });
        if (known && live(known)) {
          return {
            accountId: known.id,
            before: null,
            after: brief(known),
            already: true,
            note: 'recorded id',
          };
        }
      }
      if (uncertain && accounts.findByEmail) {
        // Never create twice: the earlier attempt may have reached the app before its outcome was lost.
        const first = (await accounts.findByEmail({ email: fields.email })).find(live);
        if (first)
          return { accountId: first.id, before: null, after: brief(first), already: true, note: 'adopted' };
      }
      const account: AccountInput = { ...fields };
      if (input.needsPassword) account.password = input.password();
      let created: Awaited<ReturnType<NonNullable<typeof accounts.create>>>;
      try {
        created = await need(accounts.create, connector, 'create')({ account });
      } catch (error) {
        // "Already exists" for this person's address: the account is theirs, so adopt it rather than fail.
        if (!isRosterError(error) || error.code !== 'conflict' || !accounts.findByEmail) throw error;
        const existing = (await accounts.findByEmail({ email: fields.email })).find(live);
        if (!existing) throw error;
        return {
          accountId: existing.id,
          before: null,
          after: brief(existing),
          already: true,
          note: 'adopted: the app already held an account with this address',
        };
      }
      return {
        accountId: created.account.id,
        before: null,
        after: brief(created.account),
        already: created.recovered,
      };
    }
    case 'update': {
      const id = required(accountId, op);
      if (uncertain) {
        // Sending the same values again is harmless, but when the app already holds them nothing need be sent.
        const now = await read(connector, id);
        const holds = (a: Account) =>
          Object.entries(op.changes ?? {}).every(([field, c]) => (accountField(a, field) ?? '') === c.to);
        if (now !== null && holds(now))
          return { accountId: id, before: null, after: brief(now), already: true };
      }
      const changes: Record<string, string> = {};
      for (const [field, c] of Object.entries(op.changes ?? {})) changes[field] = c.to;
      const { firstName, lastName, ...attributes } = changes;
      const result = await need(
        accounts.update,
        connector,
        'update',
      )({
        id,
        changes: {
          ...(firstName !== undefined ? { firstName } : {}),
          ...(lastName !== undefined ? { lastName } : {}),
          ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
        },
      });
      const before = Object.fromEntries(Object.entries(op.changes ?? {}).map(([f, c]) => [f, c.from]));
      return { accountId: id, before, after: brief(result.account), already: false };
    }
    case 'deactivate': {
      const id = required(accountId, op);
      if (uncertain) {
        const now = await read(connector, id);
        if (now === null || now.status === 'inactive' || now.status === 'deleted')
          return { accountId: id, before: null, after: brief(now), already: true };
      }
      const result = await need(accounts.deactivate, connector, 'deactivate')({ id });
      return {
        accountId: id,
        before: { status: 'active' },
        after: brief(result.account),
        already: result.alreadyInactive,
      };
    }
    case 'reactivate': {
      const id = required(accountId, op);
      if (uncertain) {
        const now = await read(connector, id);
        if (now?.status === 'active')
          return { accountId: id, before: null, after: brief(now), already: true };
      }
      const result = await need(accounts.reactivate, connector, 'reactivate')({ id });
      return {
        accountId: id,
        before: { status: 'inactive' },
        after: brief(result.account),
        already: result.alreadyActive,
      };
    }
    case 'delete': {
      const id = required(accountId, op);
      if (uncertain) {
        const now = await read(connector, id);
        if (now === null || now.status === 'deleted')
          return { accountId: id, before: null, after: null, already: true };
      }
      const result = await need(accounts.delete, connector, 'delete')({ id });
      return { accountId: id, before: { exists: true }, after: null, already: result.alreadyAbsent };
    }
    default:
      throw new RosterError('internal', `${op.kind} is not an account op`);
  }
}

/** Grant or revoke; both are idempotent upstream, so an uncertain one is simply sent again. */
export async function runGrantOp(input: {
  connector: Connector;
  op: PlanOp;
  accountId: string | null;
}): Promise<CallResult> {
  const { connector, op } = input;
  const id = required(input.accountId, op);
  const e = op.entitlement;
  if (!e) throw new RosterError('internal', `${op.kind} op ${op.ref} names no entitlement`);
  const ops = connector.entitlements[e.kind];
  if (op.kind === 'grant') {
    const result = await need(
      ops?.grant,
      connector,
      `${e.kind} grant`,
    )({ accountId: id, entitlementId: e.id });
    return {
      accountId: id,
      before: { held: result.alreadyGranted },
      after: { held: true },
      already: result.alreadyGranted,
    };
  }
  const result = await need(
    ops?.revoke,
    connector,
    `${e.kind} revoke`,
  )({ accountId: id, entitlementId: e.id });
  return {
    accountId: id,
    before: { held: !result.alreadyAbsent },
    after: { held: false },
    already: result.alreadyAbsent,
  };
}

/** Reads the account back and says what is wrong, or null when it holds what the op meant. */
export async function verifyAccountOp(
  connector: Connector,
  op: PlanOp,
  accountId: string | null,
): Promise<{ problem: string | null; account: Account | null }> {
  if (accountId === null) return { problem: 'no account id to read back', account: null };
  const account = await read(connector, accountId);
  const problem = (() => {
    switch (op.kind) {
      case 'create':
        if (account === null) return 'the created account cannot be read back';
        return op.invite
          ? account.status === 'invited' || account.status === 'active'
            ? null
            : `the invited account is ${account.status}`
          : account.status === 'active' || account.status === 'invited'
            ? null
            : `the created account is ${account.status}`;
      case 'update': {
        if (account === null) return 'the account cannot be read back';
        for (const [field, c] of Object.entries(op.changes ?? {})) {
          const held = accountField(account, field) ?? '';
          if (held !== c.to) return `${field} reads back as "${held}", not "${c.to}"`;
        }
        return null;
      }
      case 'deactivate':
        return account === null || account.status === 'inactive' || account.status === 'deleted'
          ? null
          : `the account is still ${account.status}`;
      case 'reactivate':
        return account?.status === 'active' ? null : `the account is ${account?.status ?? 'gone'}`;
      case 'delete':
        return account === null || account.status === 'deleted'
          ? null
          : `the account is still ${account.status}`;
      default:
        return null;
    }
  })();
  return { problem, account };
}

/** Every grant of one kind, read once for a whole wave of grant/revoke ops (principal ids only). */
export async function readGrantSet(connector: Connector, kind: EntitlementKind): Promise<Set<string>> {
  const ops = connector.entitlements[kind];
  if (!ops) return new Set();
  if (ops.listGrants) return new Set((await readAll(ops.listGrants, grantKey)).map(grantKey));
  const list = connector.accounts.list;
  if (!list) return new Set();
  const entitlementIds = new Set((await readAll(ops.list, (e) => e.id)).map((e) => e.id));
  const keys = new Set<string>();
  let pageToken: string | null = null;
  do {
    const page = await list({ pageToken });
    for (const grant of page.grants ?? ([] as Grant[])) {
      if (entitlementIds.has(grant.entitlementId)) keys.add(grantKey(grant));
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
  return keys;
}

function required(accountId: string | null, op: PlanOp): string {
  if (accountId === null) throw new RosterError('internal', `op ${op.ref} has no account to act on`);
  return accountId;
}

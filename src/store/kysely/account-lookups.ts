/**
 * @module Indexed reads of one app's accounts for callers that serve one account or one page at a time (the SCIM
 * facade): by address or login, a page in id order with its total, and the memberships of a few accounts.
 */

import { sql } from 'kysely';
import { RosterError } from '../../core/errors.js';
import type { Account, EntitlementKind } from '../../core/types.js';
import { normalizeEmail, rowToAccount } from '../rows.js';
import type { AccountLookup, Membership, StoredAccount } from '../store.js';
import { headGeneration } from './changes.js';
import { isPostgres, type Sql } from './context.js';
import { likeLiteral } from './like.js';
import { checkSlice } from './pages.js';
import { getAccount } from './snapshots.js';

/** What starts with `value`, as a LIKE pattern (ESCAPE '\'). */
const likePrefix = (value: string): string => `${likeLiteral(value)}%`;

/**
 * Accounts whose address or login equals, or starts with, the value, without regard to case. The address is
 * compared as stored for the identity graph (trimmed, lower-cased: index accounts_app_email); the login
 * lower-cased by the database (index accounts_app_login_lower, of the accounts that have one), which folds ASCII
 * letters in every engine.
 */
export async function findAccounts(s: Sql, input: AccountLookup): Promise<StoredAccount[]> {
  if (input.op !== 'eq' && input.op !== 'sw')
    throw new RosterError('invalid_input', `findAccounts compares with eq or sw, not ${String(input.op)}`);
  if (input.field === 'externalId') {
    if (input.op !== 'eq')
      throw new RosterError('invalid_input', 'findAccounts compares an externalId with eq only');
    return sortedById(await findExternalId(s, input.appId, input.value));
  }
  if (input.op === 'eq' && (input.field === 'email' || input.field === 'login'))
    return sortedById(await findEqual(s, input.appId, input.field, input.value));
  // A prefix (sw): built per call, as a LIKE on the lookup's index.
  let query = s.db.selectFrom('accounts').selectAll().where('app_id', '=', input.appId);
  if (input.field === 'email') {
    query = query.where(
      sql<boolean>`email_normalized like ${likePrefix(normalizeEmail(input.value))} escape '\\'`,
    );
  } else if (input.field === 'login') {
    query = query
      .where('login', 'is not', null)
      .where(sql<boolean>`lower(login) like ${likePrefix(input.value.toLowerCase())} escape '\\'`);
  } else {
    throw new RosterError(
      'invalid_input',
      `findAccounts looks up email or login, not ${String(input.field)}`,
    );
  }
  // In id order, sorted here: an ORDER BY id makes SQLite walk the app's whole primary key (the order for free)
  // instead of the lookup's index; what the index finds is a handful of rows.
  return sortedById(await query.execute());
}

type AccountRow = Parameters<typeof rowToAccount>[0];

const sortedById = (rows: readonly AccountRow[]): StoredAccount[] =>
  rows.map(rowToAccount).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** Accounts whose address or login equals the value (a uniqueness check, a `userName eq` filter): built once. */
function findEqual(s: Sql, appId: string, field: 'email' | 'login', value: string): Promise<AccountRow[]> {
  const values = { appId, value: field === 'email' ? normalizeEmail(value) : value.toLowerCase() };
  return s.runBuilt(`accounts.findEqual:${field}`, values, (v) => {
    const query = s.db.selectFrom('accounts').selectAll().where('app_id', '=', v.appId);
    return field === 'email'
      ? query.where('email_normalized', '=', v.value)
      : // The index holds only accounts with a login (migration 0034): said here, as SQLite does not infer it.
        query.where('login', 'is not', null).where(sql<boolean>`lower(login) = ${v.value}`);
  });
}

/**
 * Where the pages of one walk through sliceAccounts ended, as of one generation of the change set: the total, and
 * the id of the last account before each offset a page ended at. An IdP importing every user asks for page after
 * page by offset (SCIM has no cursor); each was a count of the app's accounts and a skip of every row before it
 * (90–125 ms at 200k accounts, so a full import at 100 a page cost minutes). A page that starts where one ended,
 * with nothing written since, is read from that id on, and the count is not made again.
 */
interface SliceMarks {
  generation: number;
  total: number;
  ends: Map<number, string>;
}

/** Offsets remembered per walk: past this, the marks start again (a walk at 100 a page crosses 200k accounts). */
const MAX_MARKS = 10_000;

/** Per store (its Kysely instance), per app and filter. */
const sliceMarks = new WeakMap<object, Map<string, SliceMarks>>();

/** Accounts holding this externalId exactly (index accounts_app_external_id): built once, as an IdP matches by it. */
function findExternalId(s: Sql, appId: string, value: string): Promise<AccountRow[]> {
  return s.runBuilt('accounts.findExternalId', { appId, value }, (v) =>
    s.db.selectFrom('accounts').selectAll().where('external_id', '=', v.value).where('app_id', '=', v.appId),
  );
}

/** One page of an app's accounts in id order (the order listAccounts gives), and how many there are in all. */
export async function sliceAccounts(
  s: Sql,
  input: { appId: string; offset: number; limit: number; excludeStatus?: Account['status'] },
): Promise<{ items: StoredAccount[]; total: number }> {
  checkSlice('sliceAccounts', input.offset, input.limit);
  let base = s.db.selectFrom('accounts').where('app_id', '=', input.appId);
  if (input.excludeStatus !== undefined) base = base.where('status', '!=', input.excludeStatus);
  const count = async () => {
    const counted = await base
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirst();
    return Number(counted?.n ?? 0);
  };
  // Inside a transaction, what it wrote may yet be rolled back: nothing is remembered from there (its handle is
  // a Kysely instance of its own, so nothing would be shared, but nothing is kept for it either).
  const marks = s.db.isTransaction ? undefined : await marksOf(s, input, count);
  const total = marks?.total ?? (await count());
  if (input.limit === 0 || input.offset >= total) return { items: [], total };
  const after = input.offset === 0 ? undefined : marks?.ends.get(input.offset);
  const rows = await (after === undefined
    ? base.selectAll().orderBy('id').limit(input.limit).offset(input.offset)
    : base.selectAll().where('id', '>', after).orderBy('id').limit(input.limit)
  ).execute();
  const last = rows[rows.length - 1];
  if (marks !== undefined && last !== undefined) {
    if (marks.ends.size >= MAX_MARKS) marks.ends.clear();
    marks.ends.set(input.offset + rows.length, last.id);
  }
  return { items: rows.map(rowToAccount), total };
}

/**
 * The marks of this walk, if nothing was written since they were taken; else new ones, counted afresh. The
 * generation is read before anything else: a write landing after it moves the generation on, so what this call
 * reads next is remembered under a generation no later call will match.
 */
async function marksOf(
  s: Sql,
  input: { appId: string; excludeStatus?: Account['status'] },
  count: () => Promise<number>,
): Promise<SliceMarks> {
  const generation = await headGeneration(s);
  const walks = sliceMarks.get(s.db) ?? new Map<string, SliceMarks>();
  sliceMarks.set(s.db, walks);
  const key = `${input.appId}\u0000${input.excludeStatus ?? ''}`;
  const known = walks.get(key);
  if (known !== undefined && known.generation === generation) return known;
  const marks = { generation, total: await count(), ends: new Map<number, string>() };
  walks.set(key, marks);
  return marks;
}

/** The entitlements (of one kind, when given) these accounts hold, with their names, by account then entitlement id. */
export async function listMemberships(
  s: Sql,
  input: { appId: string; accountIds: readonly string[]; kind?: EntitlementKind },
): Promise<Membership[]> {
  const out: Membership[] = [];
  const ids = [...new Set(input.accountIds)];
  for (let i = 0; i < ids.length; i += s.inListSize) {
    const chunk = ids.slice(i, i + s.inListSize);
    for (const row of await membershipRows(s, input.appId, chunk, input.kind))
      out.push({
        accountId: row.account_id,
        entitlementId: row.entitlement_id,
        name: row.name,
        kind: row.kind as EntitlementKind,
      });
  }
  return out.sort((a, b) =>
    a.accountId === b.accountId
      ? a.entitlementId < b.entitlementId
        ? -1
        : a.entitlementId > b.entitlementId
          ? 1
          : 0
      : a.accountId < b.accountId
        ? -1
        : 1,
  );
}

/**
 * One account and its memberships. On Postgres, where each statement is a round trip (a User shown with its groups
 * was two), in one: the account's row once per entitlement it holds (once, with none), each row's `m_` columns
 * one membership.
 */
export async function getAccountWithMemberships(
  s: Sql,
  input: { appId: string; id: string; kind?: EntitlementKind },
): Promise<{ account: StoredAccount; memberships: Membership[] } | null> {
  const { kind } = input;
  if (!isPostgres(s)) {
    // In process, two statements are no round trip, and cost less than one that joins (36 against 41 µs).
    const account = await getAccount(s, input);
    if (account === null) return null;
    const ids = [input.id];
    return {
      account,
      memberships: await listMemberships(
        s,
        kind ? { ...input, accountIds: ids, kind } : { ...input, accountIds: ids },
      ),
    };
  }
  const values = { appId: input.appId, id: input.id, kind: kind ?? '' };
  const rows = await s.runBuilt(`accounts.withMemberships:${kind !== undefined}`, values, (v) =>
    s.db
      .selectFrom('accounts')
      .leftJoin(
        () => {
          let held = grantsHeld(s)
            .select([
              'grants.entitlement_id as m_entitlement_id',
              'entitlements.name as m_name',
              'entitlements.kind as m_kind',
            ])
            .where('grants.app_id', '=', v.appId)
            .where('grants.account_id', '=', v.id);
          if (kind !== undefined) held = held.where('entitlements.kind', '=', v.kind);
          return held.as('m');
        },
        (join) => join.onTrue(),
      )
      .selectAll('accounts')
      .select(['m.m_entitlement_id', 'm.m_name', 'm.m_kind'])
      .where('accounts.app_id', '=', v.appId)
      .where('accounts.id', '=', v.id),
  );
  const [first] = rows;
  if (first === undefined) return null;
  const memberships: Membership[] = [];
  for (const row of rows) {
    if (row.m_entitlement_id === null) continue;
    memberships.push({
      accountId: first.id,
      entitlementId: row.m_entitlement_id,
      name: row.m_name as string,
      kind: row.m_kind as EntitlementKind,
    });
  }
  memberships.sort((a, b) =>
    a.entitlementId < b.entitlementId ? -1 : a.entitlementId > b.entitlementId ? 1 : 0,
  );
  return { account: rowToAccount(first), memberships };
}

/** Grants with the entitlements they are of (their names and kinds). */
function grantsHeld(s: Sql) {
  return s.db
    .selectFrom('grants')
    .innerJoin('entitlements', (join) =>
      join
        .onRef('entitlements.app_id', '=', 'grants.app_id')
        .onRef('entitlements.id', '=', 'grants.entitlement_id'),
    );
}

/** Up to this many accounts, a memberships read is built once per count (a page of a listing, one account). */
const BUILT_MEMBERSHIP_IDS = 64;

function membershipRows(
  s: Sql,
  appId: string,
  accountIds: readonly string[],
  kind: EntitlementKind | undefined,
) {
  const build = (v: { appId: string; ids: readonly string[]; kind: string | undefined }) => {
    let query = grantsHeld(s)
      // granted_by is not used, but asked for: with every column it reads in the primary key (app, entitlement,
      // account), SQLite prefers that covering index on app_id alone (every grant of the app) over grants_account.
      .select([
        'grants.account_id',
        'grants.entitlement_id',
        'grants.granted_by',
        'entitlements.name',
        'entitlements.kind',
      ])
      .where('grants.app_id', '=', v.appId)
      .where('grants.account_id', 'in', v.ids);
    if (v.kind !== undefined) query = query.where('entitlements.kind', '=', v.kind);
    return query;
  };
  if (accountIds.length > BUILT_MEMBERSHIP_IDS) return build({ appId, ids: accountIds, kind }).execute();
  const values: Record<string, string> = { appId };
  if (kind !== undefined) values['kind'] = kind;
  accountIds.forEach((id, i) => {
    values[`id${i}`] = id;
  });
  const key = `grants.memberships:${accountIds.length}:${kind !== undefined}`;
  return s.runBuilt(key, values, (v) => {
    // Each stand-in is bound where its value goes (runBuilt checks that every parameter is one of them).
    const at = (name: string) => v[name] as unknown as string;
    return build({
      appId: at('appId'),
      ids: accountIds.map((_, i) => at(`id${i}`)),
      kind: kind === undefined ? undefined : at('kind'),
    });
  });
}

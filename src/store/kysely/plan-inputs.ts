/** @module What planning reads of one app: its accounts, links, entitlements and grants, only the columns the diff uses. */

import { attributeRecord, isAttributeRecord, parseEnum, parseJsonColumn, stringArray } from '../json.js';
import { ACCOUNT_STATUSES, LINK_METHODS, LINK_SITUATIONS } from '../rows.js';
import type { PlanAccount, PlanAppSnapshot, PlanLink } from '../store.js';
import type { Sql } from './context.js';
import { listEntitlements } from './snapshots.js';

const STATUSES = new Set<string>(ACCOUNT_STATUSES);
const SITUATIONS = new Set<string>(LINK_SITUATIONS);
const METHODS = new Set<string>(LINK_METHODS);
/** The links whose candidates a plan reads (appDiff: a create for a candidate could make a duplicate account). */
const CANDIDATE_SITUATIONS: PlanLink['situation'][] = ['disputed', 'suggested'];

/** An account's attributes column; where it names the row only when it is refused (it runs once per account). */
function attributesOf(text: string, appId: string, id: string): PlanAccount['attributes'] {
  if (text === '{}') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (isAttributeRecord(value)) return value;
  } catch {
    // Not JSON: parseJsonColumn below says so, naming the row.
  }
  return parseJsonColumn(attributeRecord, text, `accounts[${appId}/${id}].attributes`);
}

/** The attributes of every account whose were not asked for: one empty record, frozen, as nobody may fill it. */
const UNREAD: PlanAccount['attributes'] = Object.freeze({});

/**
 * One app's snapshot and links for a plan, rows read as arrays (see `Sql.arrayRows`): the raw payloads and the
 * columns no diff reads stay in the database, and so do the candidates of links that are neither disputed nor
 * suggested (read as []). Grants and attributes only when asked: an app whose plan neither grants nor revokes never
 * looks at its grants, and one whose policy compares no attribute (only names) never looks at the attributes.
 */
export async function readPlanApp(
  s: Sql,
  input: { appId: string; grants: boolean; attributes: boolean },
): Promise<PlanAppSnapshot> {
  const { appId } = input;
  const accountRows = await s.arrayRows(
    s.db
      .selectFrom('accounts')
      .select(['id', 'email', 'first_name', 'last_name', 'status'])
      .$if(input.attributes, (q) => q.select('attributes'))
      .where('app_id', '=', appId)
      .orderBy('id')
      .compile(),
  );
  const accounts = accountRows as unknown[] as PlanAccount[];
  for (let i = 0; i < accountRows.length; i++) {
    const r = accountRows[i] as unknown[];
    const id = r[0] as string;
    const status = r[4] as string;
    accounts[i] = {
      appId,
      id,
      email: r[1] as string | null,
      firstName: r[2] as string | null,
      lastName: r[3] as string | null,
      status: STATUSES.has(status)
        ? (status as PlanAccount['status'])
        : parseEnum(ACCOUNT_STATUSES, status, `accounts[${appId}/${id}].status`),
      attributes: input.attributes ? attributesOf(r[5] as string, appId, id) : UNREAD,
    };
  }
  const linkRows = await s.arrayRows(
    s.db
      .selectFrom('links')
      .select((eb) => [
        'account_id',
        'employee_id',
        'situation',
        'method',
        // Only where the diff reads them: most links carry their person as a candidate, and copying and parsing
        // every one of those lists was a fifth of reading the links.
        eb
          .case()
          .when('situation', 'in', CANDIDATE_SITUATIONS)
          .then(eb.ref('candidates'))
          .else('[]')
          .end()
          .as('candidates'),
      ])
      .where('app_id', '=', appId)
      .orderBy('account_id')
      .compile(),
  );
  const links = linkRows as unknown[] as PlanLink[];
  for (let i = 0; i < linkRows.length; i++) {
    const r = linkRows[i] as unknown[];
    const accountId = r[0] as string;
    const situation = r[2] as string;
    const method = r[3] as string | null;
    const where = (column: string) => `links[${appId}/${accountId}].${column}`;
    links[i] = {
      appId,
      accountId,
      employeeId: r[1] as string | null,
      situation: SITUATIONS.has(situation)
        ? (situation as PlanLink['situation'])
        : parseEnum(LINK_SITUATIONS, situation, where('situation')),
      method:
        method === null || METHODS.has(method)
          ? (method as PlanLink['method'])
          : parseEnum(LINK_METHODS, method, where('method')),
      // Most accounts have no other candidate: the empty list needs no parse.
      candidates: r[4] === '[]' ? [] : parseJsonColumn(stringArray, r[4] as string, where('candidates')),
    };
  }
  const grants: PlanAppSnapshot['grants'] = [];
  if (input.grants) {
    const rows = await s.arrayRows(
      s.db
        .selectFrom('grants')
        .select(['entitlement_id', 'account_id'])
        .where('app_id', '=', appId)
        .orderBy('account_id')
        .orderBy('entitlement_id')
        .compile(),
    );
    for (const r of rows) grants.push({ appId, entitlementId: r[0] as string, accountId: r[1] as string });
  }
  return { accounts, links, entitlements: await listEntitlements(s, { appId }), grants };
}

/** When the links last changed (the latest `updated_at` of any link), or null without links: a plan's input. */
export async function linksUpdatedAt(s: Sql): Promise<string | null> {
  // Compared here, not by the database's max(): a Postgres collation may order text otherwise than JavaScript does.
  // Each distinct time once: a refresh stamps every link it writes with one time, so there are a few, not one per
  // link (equal under a deterministic collation is equal bytes, so no time is lost).
  const rows = await s.arrayRows(s.db.selectFrom('links').select('updated_at').distinct().compile());
  let max: string | null = null;
  for (const r of rows) {
    const at = r[0] as string;
    if (max === null || at > max) max = at;
  }
  return max;
}

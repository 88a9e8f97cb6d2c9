/** @module The identity graph's queries (a person's accounts, an app's accounts), and its refresh re-exported. */

import type { Account, LinkMethod, LinkSituation, Person } from '../core/types.js';
import type { Store, StoredLink, StoredPerson } from '../store/store.js';
import { peopleById } from './findings.js';

export {
  type GraphResult,
  type GraphSummary,
  type GraphUpdate,
  personFindings,
  refreshGraph,
  updateGraph,
} from './graph-findings.js';
export { type GraphConfig, type GraphTimings, type LinkUpdate, updateLinks } from './graph-links.js';

export const SITUATIONS: readonly LinkSituation[] = ['linked', 'suggested', 'disputed', 'unmatched'];

export interface PersonAccountView {
  appId: string;
  account: Account;
  method: LinkMethod | null;
  confidence: number;
  /** Names of the entitlements the account holds, sorted. */
  entitlements: string[];
}

export interface PersonView {
  person: StoredPerson;
  accounts: PersonAccountView[];
}

/** One person (by employee id or any address they answer to) and every account linked to them, across apps. */
export async function personView(input: { store: Store; key: string }): Promise<PersonView | null> {
  const { store, key } = input;
  const person =
    (await store.getPerson({ employeeId: key })) ??
    (key.includes('@') ? await store.getPerson({ email: key }) : null);
  if (person === null) return null;
  const links = await store.listLinks({ employeeId: person.employeeId, situation: 'linked' });
  const accounts: PersonAccountView[] = [];
  const names = new Map<string, Map<string, string>>();
  for (const link of links) {
    const account = await store.getAccount({ appId: link.appId, id: link.accountId });
    if (account === null) continue;
    let byId = names.get(link.appId);
    if (byId === undefined) {
      byId = new Map((await store.listEntitlements({ appId: link.appId })).map((e) => [e.id, e.name]));
      names.set(link.appId, byId);
    }
    const grants = await store.listGrants({ appId: link.appId, accountId: link.accountId });
    accounts.push({
      appId: link.appId,
      account,
      method: link.method,
      confidence: link.confidence,
      entitlements: grants.map((g) => byId.get(g.entitlementId) ?? g.entitlementId).sort(),
    });
  }
  accounts.sort((a, b) => a.appId.localeCompare(b.appId) || a.account.id.localeCompare(b.account.id));
  return { person, accounts };
}

export interface AppAccountView {
  account: Account;
  situation: LinkSituation | null;
  /** The owner when linked; else null (see situation and candidates). */
  owner: { employeeId: string; email: string; name: string; status: Person['status'] } | null;
  method: LinkMethod | null;
  candidates: string[];
}

/** Account ids in the order people read them: "2" before "10". One collator, made once (see appView). */
const ACCOUNT_ORDER = new Intl.Collator(undefined, { numeric: true });

/** A decimal number as most apps number their accounts: no sign, no leading zero. */
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Sorts accounts by id in ACCOUNT_ORDER. With a collator's compare, not localeCompare with options, which builds a
 * collator per comparison (17.7 s of a 46 s listing of 1M accounts). Ids that are all decimal numbers sort by length,
 * then text: the order the collator gives them, for a tenth of its cost.
 */
export function sortByAccountId(accounts: Account[]): void {
  if (accounts.every((a) => DECIMAL.test(a.id))) {
    accounts.sort((a, b) =>
      a.id.length !== b.id.length ? a.id.length - b.id.length : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
  } else accounts.sort((a, b) => ACCOUNT_ORDER.compare(a.id, b.id));
}

/**
 * Every account of one app with its owner, or why it has none. The accounts are read lean (their columns, not the
 * app's raw record) unless `withRaw` asks for them as stored, raw record and sync run included (what
 * `roster accounts --json` prints). `people`: everyone by employee id, when the caller has read them already (one
 * read for every app of a fleet, not one per app).
 */
export async function appView(input: {
  store: Store;
  appId: string;
  people?: ReadonlyMap<string, Person>;
  withRaw?: boolean;
}): Promise<AppAccountView[]> {
  const { store, appId } = input;
  const [accounts, links, people] = await Promise.all([
    input.withRaw ? store.listAccounts({ appId }) : store.listGraphAccounts({ appId }),
    store.listLinks({ appId }),
    input.people ?? store.listGraphPeople({}),
  ]);
  const byAccount = new Map(links.map((l) => [l.accountId, l]));
  const byId = peopleById(people);
  sortByAccountId(accounts);
  return accounts.map((account) => {
    const link = byAccount.get(account.id);
    const person = link?.situation === 'linked' && link.employeeId ? byId.get(link.employeeId) : undefined;
    return accountView(account, link, person);
  });
}

/** An account with its link and, when linked, the person it is linked to (undefined: none, or gone from HR). */
export function accountView(
  account: Account,
  link: StoredLink | undefined,
  person: Person | undefined,
): AppAccountView {
  return {
    account,
    situation: link?.situation ?? null,
    owner: person
      ? {
          employeeId: person.employeeId,
          email: person.email,
          name: `${person.firstName} ${person.lastName}`,
          status: person.status,
        }
      : null,
    method: link?.method ?? null,
    candidates: link?.candidates ?? [],
  };
}

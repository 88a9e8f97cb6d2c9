/** @module Correlation: ties each app account to one person from the source of truth, or says why it cannot. */

import type { Account, Link, LinkMethod, Person } from '../core/types.js';
import { type DomainAliases, emailNormalizer, localPart, textKey } from './normalize.js';

export interface CorrelateOptions {
  /** The person attribute that holds their IdP id, compared with `account.externalId` (default `idp_id`). */
  externalIdAttribute?: string;
  /** Config `domains.aliases`: domains that reach the same mailbox. */
  domainAliases?: DomainAliases;
  /** Offer name (+ department) matches as suggestions for accounts nothing else ties (default true). */
  nameSuggestions?: boolean;
}

export interface CorrelateInput {
  people: readonly Person[];
  accounts: readonly Account[];
  /** Links a person decided: kept exactly as they are. */
  manual?: readonly Link[];
  options?: CorrelateOptions;
}

/** How sure each rule is; a link records the strongest rule that matched. */
export const CONFIDENCE = {
  manual: 1,
  externalId: 1,
  emailExact: 0.95,
  emailNormalized: 0.9,
  login: 0.8,
  nameAndDepartment: 0.6,
  name: 0.5,
} as const;

/** More people than this with the account's name is no suggestion at all. */
const MAX_NAME_CANDIDATES = 3;

interface Match {
  method: LinkMethod;
  confidence: number;
}

/**
 * Every key a person can be found by, built once so correlation is linear in people + accounts. A person is named
 * by their position in `people` (the last one given with their employee id, as a map of them by id keeps), so a
 * caller can be handed the person matched without looking them up by id.
 */
interface PeopleIndex {
  people: readonly Person[];
  byExternalId: Map<string, number>;
  /** Normalized address (primary or alias) → who answers to it; more than one person is a conflict in HR itself. */
  byEmail: Map<string, EmailOwners>;
  /** Local part of any normalized address → people. */
  byLocal: Map<string, number[]>;
  byName: Map<string, Person[]>;
}

/**
 * The people one normalized address reaches, and the primary addresses among them as HR wrote them (trimmed), for
 * telling an exact match from a normalized one. An address normalizes as its trimmed form does, so a person whose
 * primary address is an account's exactly is always in the bucket of the account's normalized address: the
 * bucket answers both questions with the one lookup in a map of every address (a second map of exact addresses
 * was a second lookup per account, as costly as the first).
 */
interface EmailOwners {
  /** People, each once, in people order. */
  ids: number[];
  /** Trimmed primary addresses, and (at the same position) whose each is. */
  primaries: string[];
  primaryIds: number[];
}

/** Who has `trimmed` as their primary address exactly: the last such person, as a map of them would keep. */
function exactOwner(owners: EmailOwners, trimmed: string): number | undefined {
  for (let i = owners.primaries.length - 1; i >= 0; i--) {
    if (owners.primaries[i] === trimmed) return owners.primaryIds[i];
  }
  return undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

function nameKey(first: string | null | undefined, last: string | null | undefined): string | null {
  const f = textKey(first);
  const l = textKey(last);
  return f === null || l === null ? null : `${f} ${l}`;
}

function indexPeople(
  people: readonly Person[],
  normalize: ReturnType<typeof emailNormalizer>,
  externalIdAttribute: string,
): PeopleIndex {
  const index: PeopleIndex = {
    people,
    byExternalId: new Map(),
    byEmail: new Map(),
    byLocal: new Map(),
    byName: new Map(),
  };
  // Where each employee id was last given: two entries with one id are one person, as they were by id. People in
  // strictly rising id order (as the store reads them) have no id twice, and need no map of them.
  let last: Map<string, number> | undefined;
  for (let i = 1; i < people.length; i++) {
    if ((people[i - 1] as Person).employeeId < (people[i] as Person).employeeId) continue;
    last = new Map();
    for (let j = 0; j < people.length; j++) last.set((people[j] as Person).employeeId, j);
    break;
  }
  for (let at = 0; at < people.length; at++) {
    const person = people[at] as Person;
    const id = last === undefined ? at : (last.get(person.employeeId) as number);
    const idpId = person.attributes[externalIdAttribute]?.trim();
    if (idpId) index.byExternalId.set(idpId, id);
    for (let a = -1; a < person.aliases.length; a++) {
      const address = a === -1 ? person.email : (person.aliases[a] as string);
      const key = normalize(address);
      if (key === null) continue;
      let owners = index.byEmail.get(key);
      if (owners === undefined) {
        owners = { ids: [id], primaries: [], primaryIds: [] };
        index.byEmail.set(key, owners);
      } else if (!owners.ids.includes(id)) owners.ids.push(id);
      if (a === -1) {
        owners.primaries.push(address.trim());
        owners.primaryIds.push(id);
      }
      push(index.byLocal, localPart(key), id);
    }
    const name = nameKey(person.firstName, person.lastName);
    if (name !== null) push(index.byName, name, person);
  }
  return index;
}

function accountName(account: Account): string | null {
  const direct = nameKey(account.firstName, account.lastName);
  if (direct !== null) return direct;
  const parts = (account.displayName ?? '').trim().split(/\s+/);
  return parts.length >= 2 ? nameKey(parts[0], parts.slice(1).join(' ')) : null;
}

/** The department an app shows for the account, under whichever attribute name it uses. */
export function accountDepartment(account: Account): string | null {
  const attrs = account.attributes;
  return textKey(attrs['department'] ?? attrs['customFields.department'] ?? null);
}

/** Correlates every account: one link per account, manual decisions kept as they are. */
export function correlate(input: CorrelateInput): Link[] {
  return correlator(input.people, input.options)(input.accounts, input.manual);
}

/**
 * Correlates a batch of accounts, a link per account in their order. With `owners`, the person each linked
 * account was linked to is written at the account's position (left as it is for any other account).
 */
export type Correlator = (
  accounts: readonly Account[],
  manual?: readonly Link[],
  owners?: (Person | undefined)[],
) => Link[];

/**
 * Indexes the people once and returns a function that correlates any batch of accounts against them, so a
 * graph that recomputes only some apps pays for the index once.
 */
export function correlator(people: readonly Person[], options: CorrelateOptions = {}): Correlator {
  const normalize = emailNormalizer({ domainAliases: options.domainAliases ?? [] });
  const index = indexPeople(people, normalize, options.externalIdAttribute ?? 'idp_id');
  const nameSuggestions = options.nameSuggestions ?? true;
  return (accounts, manualLinks = [], owners) => {
    const manual = new Map<string, Link>();
    for (const link of manualLinks) manual.set(`${link.appId}\u0000${link.accountId}`, link);
    return accounts.map((account, i) => {
      const decided = manual.size === 0 ? undefined : manual.get(`${account.appId}\u0000${account.id}`);
      if (decided !== undefined) {
        return {
          appId: decided.appId,
          accountId: decided.accountId,
          employeeId: decided.employeeId,
          situation: decided.situation,
          method: decided.method,
          confidence: decided.confidence,
          candidates: [...decided.candidates],
        };
      }
      const link = correlateAccount(account, index, normalize, nameSuggestions);
      if (owners !== undefined && OFFERS.count === 1) owners[i] = index.people[OFFERS.people[0] as number];
      return link;
    });
  };
}

/** The matches a rule can make: shared, not built per account. */
const BY_EXTERNAL_ID: Match = { method: 'external_id', confidence: CONFIDENCE.externalId };
const BY_EXACT_EMAIL: Match = { method: 'email', confidence: CONFIDENCE.emailExact };
const BY_NORMALIZED_EMAIL: Match = { method: 'email', confidence: CONFIDENCE.emailNormalized };
const BY_LOGIN: Match = { method: 'login', confidence: CONFIDENCE.login };
const NOBODY: readonly number[] = [];

/**
 * The people one account's rules offered, each with the strongest match they made: one list, kept for every
 * account and emptied by its count (correlateAccount runs synchronously, one account at a time). Emptying an array
 * by setting its length to 0 frees its storage, so each account's first offer allocated it again: 270 MB of a
 * first pass over 1M accounts, which the collector then cleared.
 */
class Offers {
  count = 0;
  readonly people: number[] = [];
  readonly matches: Match[] = [];

  /** Adds a person's match, keeping the strongest per person; at most a handful answer to one account. */
  offer(person: number, match: Match): void {
    for (let at = 0; at < this.count; at++) {
      if (this.people[at] !== person) continue;
      if (match.confidence > (this.matches[at] as Match).confidence) this.matches[at] = match;
      return;
    }
    this.people[this.count] = person;
    this.matches[this.count] = match;
    this.count++;
  }
}

const OFFERS = new Offers();

function correlateAccount(
  account: Account,
  index: PeopleIndex,
  normalize: ReturnType<typeof emailNormalizer>,
  nameSuggestions: boolean,
): Link {
  // Two parallel arrays beat a Map per account; every link below is one literal of one shape.
  const offers = OFFERS;
  offers.count = 0;

  // Rule 2: the IdP id the app holds (SSO id, SCIM externalId) names the person outright.
  const externalId = account.externalId?.trim();
  if (externalId) {
    const owner = index.byExternalId.get(externalId);
    if (owner !== undefined) offers.offer(owner, BY_EXTERNAL_ID);
  }

  // Rule 3: the address, exact as HR wrote it, or the same mailbox by case, +tag, alias or alias domain.
  const email = normalize(account.email);
  if (email !== null) {
    const found = index.byEmail.get(email);
    if (found !== undefined) {
      const exact = exactOwner(found, (account.email as string).trim());
      for (const owner of found.ids) {
        offers.offer(owner, owner === exact ? BY_EXACT_EMAIL : BY_NORMALIZED_EMAIL);
      }
    }
  }

  // Rule 4: a login that is someone's address or its local part, only when it names exactly one person.
  const login = account.login?.trim();
  if (login) {
    const named = login.includes('@')
      ? (index.byEmail.get(normalize(login) ?? '')?.ids ?? NOBODY)
      : (index.byLocal.get(login.normalize('NFC').toLowerCase()) ?? NOBODY);
    if (named.length === 1) offers.offer(named[0] as number, BY_LOGIN);
  }

  if (offers.count === 1) {
    const employeeId = (index.people[offers.people[0] as number] as Person).employeeId;
    const match = offers.matches[0] as Match;
    return {
      appId: account.appId,
      accountId: account.id,
      employeeId,
      situation: 'linked',
      method: match.method,
      confidence: match.confidence,
      candidates: [employeeId],
    };
  }
  if (offers.count > 1) {
    // Several people answer to this account: a person must decide, never the engine.
    const ranked = offers.people
      .slice(0, offers.count)
      .map((at, i) => [(index.people[at] as Person).employeeId, offers.matches[i] as Match] as const)
      .sort((a, b) => b[1].confidence - a[1].confidence || a[0].localeCompare(b[0]));
    return {
      appId: account.appId,
      accountId: account.id,
      employeeId: null,
      situation: 'disputed',
      method: null,
      confidence: ranked[0]?.[1].confidence ?? 0,
      candidates: ranked.map(([id]) => id),
    };
  }

  // Rule 5: the same name (narrowed by department when the app shows one) is a suggestion, never a link.
  if (nameSuggestions) {
    const name = accountName(account);
    let people = name === null ? [] : (index.byName.get(name) ?? []);
    const department = accountDepartment(account);
    const sameDepartment = people.filter((p) => department !== null && textKey(p.department) === department);
    if (sameDepartment.length > 0) people = sameDepartment;
    if (people.length > 0 && people.length <= MAX_NAME_CANDIDATES) {
      return {
        appId: account.appId,
        accountId: account.id,
        employeeId: null,
        situation: 'suggested',
        method: 'name',
        confidence: sameDepartment.length > 0 ? CONFIDENCE.nameAndDepartment : CONFIDENCE.name,
        candidates: people.map((p) => p.employeeId).sort(),
      };
    }
  }
  return {
    appId: account.appId,
    accountId: account.id,
    employeeId: null,
    situation: 'unmatched',
    method: null,
    confidence: 0,
    candidates: [],
  };
}
